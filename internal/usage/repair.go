package usage

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/vaultchat/vaultchat/internal/filelock"
)

// RepairResult says what Repair did.
type RepairResult struct {
	// Months are the months rebuilt ("2026-11"), oldest first.
	Months []string
	// SetAside are the files that did not open, renamed next to where
	// they were (relative to the vault home), kept for inspection.
	SetAside []string
	// FromConversations and FromJournal count the requests the rebuilt
	// months took from the stored turns and from the journal; Journal
	// counts the journal entries recorded into months that open.
	FromConversations int
	FromJournal       int
	Journal           int
}

// Repair rebuilds every month whose file does not open from turns (one
// entry per request a stored conversation carries, its ID the reply's
// message ID; the session gathers them) and from the journal, and records
// the rest of the journal. The damaged files are not deleted: each is
// renamed to "<name>.damaged-<time>". Requests that left no stored turn
// (a conversation deleted since, "ask --no-save") and whose journal entry
// is gone cannot be recovered in a damaged month. Months that open are
// left as they are.
func (l *Ledger) Repair(turns []Entry) (RepairResult, error) {
	var res RepairResult
	stamp := l.now().UTC().Format("20060102T150405Z")
	setAside := func(name string) error {
		aside := name + ".damaged-" + stamp
		if err := os.Rename(l.homePath(name), l.homePath(aside)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("set %s aside: %w", name, err)
		}
		res.SetAside = append(res.SetAside, aside)
		return nil
	}
	l.mu.Lock()
	err := filelock.Run(l.lockPath(), lockTimeout, ErrInUse, func() error {
		names, err := l.monthFiles()
		if err != nil {
			return err
		}
		damaged := map[string]bool{}
		for mon := range names {
			if _, err := l.readMonth(mon); err != nil {
				damaged[mon] = true
			}
		}
		ids, err := l.pendingIDs()
		if err != nil {
			return err
		}
		journal := map[string][]Entry{}
		for _, id := range ids {
			e, err := l.readPending(id)
			if err != nil {
				if err := setAside(pendingFile(id)); err != nil {
					return err
				}
				continue
			}
			mon := e.month()
			journal[mon] = append(journal[mon], e)
		}
		fromTurns := map[string][]Entry{}
		for _, e := range turns {
			if e.validate() != nil || e.Time.IsZero() {
				continue
			}
			mon := e.month()
			if damaged[mon] {
				fromTurns[mon] = append(fromTurns[mon], e)
			}
		}
		for _, mon := range slices.Sorted(maps.Keys(damaged)) {
			if err := setAside(monthFile(mon)); err != nil {
				return err
			}
			m, seen := newMonth(), map[string]bool{}
			for _, e := range fromTurns[mon] {
				if e.ID != "" && seen[e.ID] {
					continue
				}
				seen[e.ID] = true
				m.add(e.day(), e)
				res.FromConversations++
			}
			var rest []Entry
			for _, e := range journal[mon] {
				if seen[e.ID] {
					// The turn is stored: counted once, from it.
					rest = append(rest, Entry{ID: e.ID})
					continue
				}
				rest = append(rest, e)
				res.FromJournal++
			}
			if err := l.applyRebuilt(mon, m, rest); err != nil {
				return err
			}
			res.Months = append(res.Months, mon)
			delete(journal, mon)
		}
		for mon, entries := range journal {
			m, err := l.readMonth(mon)
			if err != nil {
				m = newMonth() // no file yet
				if _, exists := names[mon]; exists {
					return err
				}
			}
			if err := l.apply(mon, m, entries); err != nil {
				return err
			}
			res.Journal += len(entries)
		}
		return nil
	})
	l.mu.Unlock()
	if err != nil {
		return res, fmt.Errorf("repair usage ledger: %w", err)
	}
	if err := l.Refresh(); err != nil {
		return res, fmt.Errorf("repair usage ledger: still damaged: %w", err)
	}
	return res, nil
}

// applyRebuilt writes a rebuilt month: m plus the journal entries of
// rest (an entry with only an ID was counted from its stored turn; its
// journal file goes too).
func (l *Ledger) applyRebuilt(mon string, m *month, rest []Entry) error {
	var add []Entry
	for _, e := range rest {
		if e.KeyID == "" {
			m.ids[e.ID] = true // skipped by apply, its journal file removed
		}
		add = append(add, e)
	}
	return l.apply(mon, m, add)
}

func (l *Ledger) homePath(name string) string {
	return filepath.Join(l.f.Dir(), filepath.FromSlash(name))
}
