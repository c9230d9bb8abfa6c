package usage

import "time"

// Cell is the usage of one key with one model on one UTC day: the
// ledger's own granularity.
type Cell struct {
	KeyID, Model, Day string
	Totals
}

// Cells returns every key, model and day of the days overlapping
// [from, to), in no particular order: one pass over the ledger, for
// reports that need all three (usage --reconcile).
func (l *Ledger) Cells(from, to time.Time) []Cell {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var out []Cell
	l.each("", newDayRange(from, to), func(r *row) {
		c := Cell{KeyID: r.Key, Model: r.Model, Day: r.Day}
		c.addRow(r)
		out = append(out, c)
	})
	return out
}
