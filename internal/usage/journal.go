package usage

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/filelock"
)

// pendingDir holds the journal: one encrypted file per entry not yet in
// its month file.
const pendingDir = "pending"

// maxPendingSize bounds a journal file; one entry is a few hundred bytes.
const maxPendingSize = 64 << 10

// validEntryID reports whether id may be an entry's ID, which names a
// journal file: a conversation-style ID (chat.ValidID) of at most 64
// characters.
func validEntryID(id string) bool { return len(id) <= 64 && chat.ValidID(id) }

func pendingFile(id string) string { return dirName + "/" + pendingDir + "/" + id + ".age" }

func (l *Ledger) pendingPath(id string) string {
	return filepath.Join(l.f.Dir(), dirName, pendingDir, id+".age")
}

// pendingData is the plaintext of a journal file.
type pendingData struct {
	Schema  int        `json:"schema"`
	ID      string     `json:"id"`
	KeyID   string     `json:"key"`
	Model   string     `json:"model"`
	Time    time.Time  `json:"time"`
	Usage   chat.Usage `json:"usage"`
	CostUSD *float64   `json:"cost_usd,omitempty"`
	Failed  bool       `json:"failed,omitempty"`
}

func newEntryID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return "e_" + hex.EncodeToString(b[:])
}

// Pending is a request written to the journal by Begin and not yet
// recorded in its month.
type Pending struct {
	l         *Ledger
	e         Entry
	journaled bool
}

// Begin writes e to the journal and returns it, to be recorded by Commit.
// A chat turn calls Begin before it saves its reply and Commit after, so
// that a kill between the two loses nothing: the next Open records what
// the journal holds. When the journal cannot be written, Commit still
// records e.
func (l *Ledger) Begin(e Entry) *Pending {
	if e.ID == "" {
		e.ID = newEntryID()
	}
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	p := &Pending{l: l, e: e}
	if e.validate() == nil {
		p.journaled = l.writePending(e) == nil
	}
	return p
}

// Commit records the entry, once: if another process already recorded it
// from the journal, it does nothing. Like Record, it keeps the entry in
// the journal when its month's file does not open.
func (p *Pending) Commit() error { return p.l.commit(p.e, p.journaled) }

// commit records e under the ledger lock. journaled says e's journal
// file was written: if it is gone, another process recorded e.
func (l *Ledger) commit(e Entry, journaled bool) error {
	if err := e.validate(); err != nil {
		return fmt.Errorf("record usage: %w", err)
	}
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	mon := e.month()
	l.mu.Lock()
	defer l.mu.Unlock()
	err := filelock.Run(l.lockPath(), lockTimeout, ErrInUse, func() error {
		if journaled && !exists(l.pendingPath(e.ID)) {
			return nil
		}
		m, err := l.readMonth(mon)
		if err != nil {
			l.damaged[mon] = err
			return l.keep(e, journaled, err)
		}
		delete(l.damaged, mon)
		l.forgetRecorded()
		return l.apply(mon, m, []Entry{e})
	})
	if err != nil {
		return fmt.Errorf("record usage: %w", err)
	}
	return nil
}

// keep holds e in the journal because its month cannot take it now.
// The caller holds l.mu and the ledger lock.
func (l *Ledger) keep(e Entry, journaled bool, cause error) error {
	if !journaled {
		if e.ID == "" {
			e.ID = newEntryID()
		}
		if err := l.writePending(e); err != nil {
			return errors.Join(cause, fmt.Errorf("keep the entry in the journal: %w", err))
		}
	}
	l.hold(e)
	return nil
}

// apply adds entries to month m (read under the lock), writes its file
// and removes their journal files. An entry whose ID the month already
// lists is not counted again. The caller holds l.mu and the ledger lock.
func (l *Ledger) apply(mon string, m *month, entries []Entry) error {
	// An ID stays listed only while its journal file may exist.
	for id := range m.ids {
		if !exists(l.pendingPath(id)) {
			delete(m.ids, id)
		}
	}
	for _, e := range entries {
		if e.ID != "" && m.ids[e.ID] {
			continue
		}
		m.add(e.day(), e)
		if e.ID != "" {
			m.ids[e.ID] = true
		}
	}
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
	var errs []error
	for _, e := range entries {
		if e.ID == "" {
			continue
		}
		if exists(l.pendingPath(e.ID)) {
			errs = append(errs, l.f.RemoveFile(pendingFile(e.ID)))
		}
		l.unhold(e.ID)
	}
	return errors.Join(errs...)
}

// forgetRecorded drops the held entries whose journal file is gone:
// another process recorded them (a repair, say), and its month file,
// which this Ledger reads again when it records there, counts them. The
// caller holds l.mu and the ledger lock.
func (l *Ledger) forgetRecorded() {
	for id := range l.held {
		if !exists(l.pendingPath(id)) {
			l.unhold(id)
		}
	}
}

func (l *Ledger) hold(e Entry) {
	if l.held == nil {
		l.held = map[string]Entry{}
	}
	l.held[e.ID] = e
	l.rebuildOverlay()
}

func (l *Ledger) unhold(id string) {
	if _, ok := l.held[id]; ok {
		delete(l.held, id)
		l.rebuildOverlay()
	}
}

// rebuildOverlay makes the held entries into rows, so queries count them.
func (l *Ledger) rebuildOverlay() {
	l.overlay = map[string]*month{}
	for _, e := range l.held {
		day := e.day()
		m := l.overlay[day[:7]]
		if m == nil {
			m = newMonth()
			l.overlay[day[:7]] = m
		}
		m.add(day, e)
	}
}

func (l *Ledger) writePending(e Entry) error {
	b, err := json.Marshal(pendingData{Schema: schemaVersion, ID: e.ID, KeyID: e.KeyID, Model: e.Model, Time: e.Time.UTC(), Usage: e.Usage, CostUSD: e.CostUSD, Failed: e.Failed})
	if err != nil {
		return err
	}
	return l.f.WriteFile(pendingFile(e.ID), b)
}

func (l *Ledger) readPending(id string) (Entry, error) {
	b, err := l.f.ReadFile(pendingFile(id), maxPendingSize)
	if err != nil {
		return Entry{}, fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	var d pendingData
	if err := json.Unmarshal(b, &d); err != nil {
		return Entry{}, fmt.Errorf("parse: %v: %w", err, ErrUnreadable)
	}
	if d.Schema != schemaVersion {
		return Entry{}, fmt.Errorf("schema %d: %w", d.Schema, ErrUnreadable)
	}
	e := Entry{ID: d.ID, KeyID: d.KeyID, Model: d.Model, Time: d.Time, Usage: d.Usage, CostUSD: d.CostUSD, Failed: d.Failed}
	if err := e.validate(); err != nil || e.ID != id || e.Time.IsZero() {
		return Entry{}, fmt.Errorf("parse: not a journal entry: %w", ErrUnreadable)
	}
	return e, nil
}

// pendingIDs lists the journal's entry IDs.
func (l *Ledger) pendingIDs() ([]string, error) {
	des, err := os.ReadDir(filepath.Join(l.f.Dir(), dirName, pendingDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, de := range des {
		id, ok := strings.CutSuffix(de.Name(), ".age")
		if ok && de.Type().IsRegular() && validEntryID(id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// catchUp records what the journal holds into months that open, and
// holds the rest (their month is damaged). It returns the problems met.
func (l *Ledger) catchUp() []Problem {
	ids, err := l.pendingIDs()
	if err != nil {
		return []Problem{{File: dirName + "/" + pendingDir, Err: err}}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.held = nil
	l.overlay = nil
	if len(ids) == 0 {
		return nil
	}
	var problems []Problem
	err = filelock.Run(l.lockPath(), lockTimeout, ErrInUse, func() error {
		byMonth := map[string][]Entry{}
		for _, id := range ids {
			e, err := l.readPending(id)
			if errors.Is(err, fs.ErrNotExist) {
				continue // recorded by its writer since the listing
			}
			if err != nil {
				problems = append(problems, Problem{File: pendingFile(id), Err: err})
				continue
			}
			mon := e.month()
			byMonth[mon] = append(byMonth[mon], e)
		}
		for mon, entries := range byMonth {
			m, err := l.readMonth(mon)
			if err == nil {
				err = l.apply(mon, m, entries)
				if err == nil {
					continue
				}
				problems = append(problems, Problem{File: monthFile(mon), Err: err})
			} else {
				l.damaged[mon] = err
			}
			for _, e := range entries {
				l.hold(e)
			}
		}
		return nil
	})
	if err != nil {
		problems = append(problems, Problem{File: dirName + "/" + pendingDir, Err: err})
	}
	return problems
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
