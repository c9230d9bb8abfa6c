// Package usage keeps the usage ledger (what each key spent, per day and
// model), the price table used to turn tokens into dollars, and the budget
// checks made before a request is sent.
//
// # The ledger on disk
//
// The ledger is one age-encrypted file per calendar month (UTC),
// usage/2026-11.age, written through the vault's atomic save protocol.
// Monthly files were chosen over a single usage.age because every Record
// rewrites the file it touches: with one file per month the cost of a
// record stays bounded by a month of data instead of growing with the
// whole history, past months are never rewritten (so a failed write can
// only ever touch the current month), and old history can be pruned by
// deleting whole files.
//
// # Two processes recording at once
//
// The TUI and "vaultchat ask" may record at the same moment. Record holds
// an exclusive flock on usage/ledger.lock while it re-reads the month's
// file, adds the entry and writes the file back, so no count is ever lost:
// a writer always starts from the latest file. This is a separate lock
// from the vault's own vault.lock, which WriteFile takes inside; the order
// is always ledger.lock then vault.lock, and the vault never takes
// ledger.lock, so the two cannot deadlock. Queries answer from memory:
// what this Ledger read at Open, refreshed for a month whenever it records
// into that month, and by Refresh.
//
// A ledger file that fails to open is reported with an error wrapping
// ErrUnreadable and the cause (vault.ErrCorrupted and so on), and is never
// overwritten: Open fails, and Record refuses to write a month it cannot
// read.
package usage

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/figures"
	"github.com/vaultchat/vaultchat/internal/filelock"
)

// Files is the encrypted file access the ledger needs. *vault.Vault
// satisfies it.
type Files interface {
	WriteFile(name string, data []byte) error
	ReadFile(name string, maxSize int64) ([]byte, error)
	RemoveFile(name string) error
	Dir() string
}

// Errors returned (wrapped) by the ledger.
var (
	// ErrUnreadable means a ledger file exists but does not open: it
	// fails to decrypt, is too large, does not parse, or was written by a
	// newer vaultchat. The error also wraps the cause.
	ErrUnreadable = errors.New("usage ledger file cannot be opened")
	// ErrUnsupported means a ledger file's schema is newer than this
	// build.
	ErrUnsupported = errors.New("usage ledger written by a newer vaultchat")
	// ErrInUse means another process held the ledger lock too long.
	ErrInUse = errors.New("usage ledger in use by another vaultchat")
)

// lockTimeout is how long Record waits for another process's Record.
var lockTimeout = 5 * time.Second

// Entry is one request to record.
type Entry struct {
	KeyID string
	Model string
	// Time is when the request was made; zero means now. The ledger
	// counts it on its UTC day.
	Time  time.Time
	Usage chat.Usage
	// CostUSD is nil when the model's price is unknown.
	CostUSD *float64
	// Failed marks a request that ended in an error (it still counts as a
	// request, with whatever tokens it spent).
	Failed bool
}

// Ledger is the usage ledger of one vault home. It is safe for concurrent
// use, and other processes may record into the same home at the same time.
type Ledger struct {
	f   Files
	now func() time.Time

	mu     sync.RWMutex
	months map[string]*month // by "2006-01"
}

// Open reads every month of the ledger in f. A home without a ledger gives
// an empty one. A file that does not open fails Open with an error
// wrapping ErrUnreadable, and is left as it is.
func Open(f Files) (*Ledger, error) {
	l := &Ledger{f: f, now: time.Now, months: map[string]*month{}}
	if err := l.Refresh(); err != nil {
		return nil, fmt.Errorf("open usage ledger: %w", err)
	}
	return l, nil
}

// Refresh re-reads the month files that changed on disk since this Ledger
// last read or wrote them, so queries include what other processes
// recorded. On error the Ledger keeps what it had.
func (l *Ledger) Refresh() error {
	dir := filepath.Join(l.f.Dir(), dirName)
	if filelock.HasTemps(dir) {
		// A writer was killed mid-record. Every writer of this
		// directory holds the lock, so under it no temp file is live.
		if err := filelock.Run(l.lockPath(), lockTimeout, ErrInUse, func() error { return filelock.RemoveTemps(dir) }); err != nil {
			return err
		}
	}
	names, err := l.monthFiles()
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	next := make(map[string]*month, len(names))
	for mon, sig := range names {
		if m := l.months[mon]; m != nil && m.sig == sig {
			next[mon] = m
			continue
		}
		m, err := l.readMonth(mon)
		if err != nil {
			return err
		}
		next[mon] = m
	}
	l.months = next
	return nil
}

// Record adds e to the ledger and writes its month's file before
// returning. It holds the ledger lock while it re-reads that file, so a
// concurrent Record from another process is never lost.
func (l *Ledger) Record(e Entry) error {
	if err := e.validate(); err != nil {
		return fmt.Errorf("record usage: %w", err)
	}
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	day := e.Time.UTC().Format(dayLayout)
	mon := day[:7]
	l.mu.Lock()
	defer l.mu.Unlock()
	err := filelock.Run(l.lockPath(), lockTimeout, ErrInUse, func() error {
		m, err := l.readMonth(mon)
		if err != nil {
			return err
		}
		m.add(day, e)
		data, err := m.encode(mon)
		if err != nil {
			return err
		}
		if err := l.f.WriteFile(monthFile(mon), data); err != nil {
			return err
		}
		if m.sig, _, err = filelock.Stat(l.monthPath(mon)); err != nil {
			return err
		}
		l.months[mon] = m
		return nil
	})
	if err != nil {
		return fmt.Errorf("record usage: %w", err)
	}
	return nil
}

func (e Entry) validate() error {
	u := e.Usage
	switch {
	case e.KeyID == "":
		return errors.New("no key ID")
	case len(e.KeyID) > 256 || len(e.Model) > 256:
		return errors.New("key ID or model name too long")
	case u.PromptTokens < 0 || u.CachedPromptTokens < 0 || u.CompletionTokens < 0 || u.ReasoningTokens < 0:
		return errors.New("negative token count")
	case e.CostUSD != nil && (*e.CostUSD < 0 || math.IsNaN(*e.CostUSD) || math.IsInf(*e.CostUSD, 0)):
		return fmt.Errorf("invalid cost %v", *e.CostUSD)
	}
	return nil
}

// Totals is aggregated usage.
type Totals struct {
	Requests int64
	Errors   int64
	// Usage sums the tokens; Usage.Estimated is set when any of them
	// were estimated locally rather than reported by the provider.
	Usage chat.Usage
	// EstimatedTokens is how many of the prompt and completion tokens
	// came from estimates.
	EstimatedTokens int64
	// CostUSD sums the known costs of Priced requests; Unpriced counts
	// the requests that spent tokens at an unknown price, which CostUSD
	// leaves out (it is then a lower bound). Ledger files written before
	// Priced was counted leave it zero.
	CostUSD  float64
	Priced   int64
	Unpriced int64
}

// Cost is the figure of CostUSD: a lower bound when some requests had no
// known price, unknown when none had one. It follows the rule of
// chat.Totals.Cost, so a conversation and a ledger period show their
// costs the same way.
func (t Totals) Cost() figures.Cost {
	unknown := t.Unpriced > 0 && t.Priced == 0 && t.CostUSD == 0
	return figures.Cost{
		USD:        t.CostUSD,
		Unknown:    unknown,
		LowerBound: t.Unpriced > 0 && !unknown,
		Estimated:  t.Usage.Estimated,
	}
}

// Add returns the sum of t and o; every count saturates rather than
// wraps.
func (t Totals) Add(o Totals) Totals {
	return Totals{
		Requests:        addCount(t.Requests, o.Requests),
		Errors:          addCount(t.Errors, o.Errors),
		Usage:           addUsage(t.Usage, o.Usage),
		EstimatedTokens: addCount(t.EstimatedTokens, o.EstimatedTokens),
		CostUSD:         addUSD(t.CostUSD, o.CostUSD),
		Priced:          addCount(t.Priced, o.Priced),
		Unpriced:        addCount(t.Unpriced, o.Unpriced),
	}
}

func (t *Totals) addRow(r *row) {
	*t = t.Add(Totals{
		Requests: r.Requests,
		Errors:   r.Errors,
		Usage: chat.Usage{
			PromptTokens: r.Prompt, CachedPromptTokens: r.CachedPrompt,
			CompletionTokens: r.Completion, ReasoningTokens: r.Reasoning,
			Estimated: r.Estimated > 0,
		},
		EstimatedTokens: r.Estimated,
		CostUSD:         r.CostUSD,
		Priced:          r.Priced,
		Unpriced:        r.CostUnknown,
	})
}

// DayTotal is the usage of one UTC day.
type DayTotal struct {
	Day  string    // "2026-11-26"
	Date time.Time // midnight UTC of Day
	Totals
}

// Group is the usage of one key (by ID) or one model.
type Group struct {
	Name string // the key ID for ByKey, the model for ByModel
	Totals
}

// dayRange is the inclusive range of UTC days, as "2006-01-02" strings,
// that overlap [from, to). A zero from or to leaves that end open.
type dayRange struct{ first, last string }

func newDayRange(from, to time.Time) dayRange {
	r := dayRange{first: "0000-00-00", last: "9999-99-99"}
	if !from.IsZero() {
		r.first = from.UTC().Format(dayLayout)
	}
	if !to.IsZero() {
		r.last = to.Add(-1).UTC().Format(dayLayout)
	}
	return r
}

func (r dayRange) hasMonth(mon string) bool { return mon >= r.first[:7] && mon <= r.last[:7] }
func (r dayRange) has(day string) bool      { return day >= r.first && day <= r.last }

// each calls fn for every row of keyID ("" for all keys) on a day of r.
// The caller holds l.mu.
func (l *Ledger) each(keyID string, r dayRange, fn func(*row)) {
	for mon, m := range l.months {
		if !r.hasMonth(mon) {
			continue
		}
		for _, rw := range m.rows {
			if (keyID == "" || rw.Key == keyID) && r.has(rw.Day) {
				fn(rw)
			}
		}
	}
}

// Totals sums the usage of keyID ("" for all keys) over the UTC days that
// overlap [from, to). The ledger counts whole days: a day is included when
// any part of it is in the range. A zero from or to leaves that end open.
func (l *Ledger) Totals(keyID string, from, to time.Time) Totals {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var t Totals
	l.each(keyID, newDayRange(from, to), t.addRow)
	return t
}

// Today returns keyID's usage on now's UTC day.
func (l *Ledger) Today(keyID string, now time.Time) Totals {
	d := startOfDay(now)
	return l.Totals(keyID, d, d.AddDate(0, 0, 1))
}

// Month returns keyID's usage in now's UTC calendar month.
func (l *Ledger) Month(keyID string, now time.Time) Totals {
	m := startOfMonth(now)
	return l.Totals(keyID, m, m.AddDate(0, 1, 0))
}

// Lifetime returns all of keyID's usage.
func (l *Ledger) Lifetime(keyID string) Totals {
	return l.Totals(keyID, time.Time{}, time.Time{})
}

// ByKey returns the usage of each key over the days overlapping
// [from, to), sorted by key ID.
func (l *Ledger) ByKey(from, to time.Time) []Group {
	return l.group("", from, to, func(r *row) string { return r.Key })
}

// ByModel returns keyID's ("" for all keys) usage per model over the days
// overlapping [from, to), sorted by model.
func (l *Ledger) ByModel(keyID string, from, to time.Time) []Group {
	return l.group(keyID, from, to, func(r *row) string { return r.Model })
}

func (l *Ledger) group(keyID string, from, to time.Time, by func(*row) string) []Group {
	l.mu.RLock()
	defer l.mu.RUnlock()
	groups := map[string]*Totals{}
	l.each(keyID, newDayRange(from, to), func(r *row) {
		name := by(r)
		t := groups[name]
		if t == nil {
			t = &Totals{}
			groups[name] = t
		}
		t.addRow(r)
	})
	out := make([]Group, 0, len(groups))
	for name, t := range groups {
		out = append(out, Group{Name: name, Totals: *t})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ByDay returns keyID's ("" for all keys) usage per day over the days
// overlapping [from, to), oldest first. Days without usage are left out;
// see Daily for a gap-free series.
func (l *Ledger) ByDay(keyID string, from, to time.Time) []DayTotal {
	l.mu.RLock()
	defer l.mu.RUnlock()
	days := map[string]*Totals{}
	l.each(keyID, newDayRange(from, to), func(r *row) {
		t := days[r.Day]
		if t == nil {
			t = &Totals{}
			days[r.Day] = t
		}
		t.addRow(r)
	})
	out := make([]DayTotal, 0, len(days))
	for day, t := range days {
		date, _ := time.Parse(dayLayout, day)
		out = append(out, DayTotal{Day: day, Date: date, Totals: *t})
	}
	slices.SortFunc(out, func(a, b DayTotal) int { return a.Date.Compare(b.Date) })
	return out
}

// Daily returns keyID's ("" for all keys) usage on each of the last days
// UTC days up to and including now's, oldest first, with days without
// usage as zero totals: the series for a chart.
func (l *Ledger) Daily(keyID string, days int, now time.Time) []DayTotal {
	if days <= 0 {
		return nil
	}
	last := startOfDay(now)
	first := last.AddDate(0, 0, -(days - 1))
	have := map[string]Totals{}
	for _, d := range l.ByDay(keyID, first, last.AddDate(0, 0, 1)) {
		have[d.Day] = d.Totals
	}
	out := make([]DayTotal, days)
	for i := range out {
		date := first.AddDate(0, 0, i)
		day := date.Format(dayLayout)
		out[i] = DayTotal{Day: day, Date: date, Totals: have[day]}
	}
	return out
}

func startOfDay(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func startOfMonth(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}
