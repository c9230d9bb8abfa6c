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
// # A damaged ledger never blocks chatting
//
// A month file that fails to open (it does not decrypt, is encrypted to
// another key, does not parse, holds a negative count) is never
// overwritten and never fails Open: the Ledger answers from the months it
// could read, Problems names the damaged files, and what is recorded into
// a damaged month is kept in the journal (below) until Repair rebuilds
// the month from the conversations and the journal.
//
// # The journal: a reply saved and its request recorded, as one
//
// A chat turn saves its reply in the conversation store and records its
// request here: two files, so a kill can come between them. Begin writes
// the entry to usage/pending/<ID>.age first (the ID is the stored reply's
// message ID); Commit adds it to its month and removes the pending file.
// Open catches up with every pending file left behind (by a kill, or a
// month that was damaged), idempotently: a month file lists the IDs of the
// entries it took whose pending file may still exist, so an entry is
// never counted twice.
package usage

import (
	"errors"
	"fmt"
	"maps"
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

// Files is the encrypted file access the ledger needs. *vault.Files (from
// Vault.Files) satisfies it.
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
	// ID names the request, so that it is recorded once however often
	// it is replayed from the journal: a chat turn uses its stored
	// reply's message ID. Empty gets a random one when needed.
	ID    string
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

// TurnFailed reports whether a chat turn counts as an error in the
// ledger (Entry.Failed): it ended in an error that is not the user's own
// stop. A turn the user stopped (ctrl+c, esc, the reader of ask's output
// going away) is a request like any other, billed for what arrived; turns
// stored before canceled turns lost their error are read the same way.
func TurnFailed(t *chat.Turn) bool {
	return t != nil && t.Error != nil && t.Error.Class != chat.ErrCanceled
}

// Ledger is the usage ledger of one vault home. It is safe for concurrent
// use, and other processes may record into the same home at the same time.
type Ledger struct {
	f   Files
	now func() time.Time

	mu     sync.RWMutex
	months map[string]*month // by "2006-01"
	// damaged holds the months whose file does not open, with the cause.
	damaged map[string]error
	// held are journaled entries not in any month file yet (their month
	// is damaged, or the lock was busy), by ID; overlay is them as rows,
	// so queries include them.
	held    map[string]Entry
	overlay map[string]*month
	// problems are other troubles: pending files that do not open, a
	// usage directory that cannot be listed.
	problems []Problem
}

// Open reads every month of the ledger in f and catches up with the
// journal. A home without a ledger gives an empty one. Nothing makes Open
// fail: a month file that does not open is left as it is and reported by
// Problems, and the Ledger answers from the rest.
func Open(f Files) *Ledger {
	l := &Ledger{f: f, now: time.Now, months: map[string]*month{}, damaged: map[string]error{}}
	_ = l.Refresh() // what failed is in Problems
	return l
}

// Refresh re-reads the month files that changed on disk since this Ledger
// last read or wrote them, so queries include what other processes
// recorded, and records what the journal holds for months that open. It
// returns the problems it found (see Problems) joined as one error; a
// month that fails to read keeps what this Ledger had of it.
func (l *Ledger) Refresh() error {
	dir := filepath.Join(l.f.Dir(), dirName)
	var problems []Problem
	if filelock.HasTemps(dir) {
		// A writer was killed mid-record. Every writer of this
		// directory holds the lock, so under it no temp file is live.
		if err := filelock.Run(l.lockPath(), lockTimeout, ErrInUse, func() error { return filelock.RemoveTemps(dir) }); err != nil {
			problems = append(problems, Problem{File: dirName, Err: err})
		}
	}
	names, err := l.monthFiles()
	if err != nil {
		problems = append(problems, Problem{File: dirName, Err: err})
	}
	l.mu.Lock()
	next := make(map[string]*month, len(names))
	damaged := map[string]error{}
	for mon, sig := range names {
		if m := l.months[mon]; m != nil && m.sig == sig {
			next[mon] = m
			continue
		}
		m, err := l.readMonth(mon)
		if err != nil {
			damaged[mon] = err
			if old := l.months[mon]; old != nil {
				next[mon] = old
			}
			continue
		}
		next[mon] = m
	}
	l.months, l.damaged = next, damaged
	l.mu.Unlock()
	problems = append(problems, l.catchUp()...)
	l.mu.Lock()
	l.problems = problems
	l.mu.Unlock()
	return errors.Join(l.problemErrors()...)
}

// Problem is something about the ledger that needs the user's attention.
type Problem struct {
	// File is the file or directory, relative to the vault home
	// ("usage/2026-11.age").
	File string
	Err  error
}

// Problems returns what keeps the ledger from being whole: month files
// that do not open (their usage is missing from every figure until
// Repair), journal files that do not open, a directory that cannot be
// read. None means the ledger is healthy.
func (l *Ledger) Problems() []Problem {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var out []Problem
	for _, mon := range slices.Sorted(maps.Keys(l.damaged)) {
		out = append(out, Problem{File: monthFile(mon), Err: l.damaged[mon]})
	}
	return append(out, l.problems...)
}

func (l *Ledger) problemErrors() []error {
	var errs []error
	for _, p := range l.Problems() {
		errs = append(errs, fmt.Errorf("%s: %w", p.File, p.Err))
	}
	return errs
}

// Record adds e to the ledger and writes its month's file before
// returning. It holds the ledger lock while it re-reads that file, so a
// concurrent Record from another process is never lost. When the month's
// file does not open, e is kept in the journal instead (recovered by
// Repair) and Record returns nil; it fails only when e could be neither
// recorded nor kept.
func (l *Ledger) Record(e Entry) error {
	return l.commit(e, false)
}

// day is the UTC day e falls on ("2026-11-26"); month its month
// ("2026-11"), which names its file.
func (e Entry) day() string   { return e.Time.UTC().Format(dayLayout) }
func (e Entry) month() string { return e.day()[:7] }

func (e Entry) validate() error {
	u := e.Usage
	switch {
	case e.KeyID == "":
		return errors.New("no key ID")
	case e.ID != "" && !validEntryID(e.ID):
		return fmt.Errorf("invalid entry ID %q", e.ID)
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
	l.eachIn(l.months, keyID, r, fn)
	l.eachIn(l.overlay, keyID, r, fn)
}

func (l *Ledger) eachIn(months map[string]*month, keyID string, r dayRange, fn func(*row)) {
	for mon, m := range months {
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
