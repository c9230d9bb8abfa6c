package usage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vaultchat/vaultchat/internal/filelock"
)

const (
	schemaVersion = 1
	dirName       = "usage"
	lockName      = "ledger.lock"
	dayLayout     = "2006-01-02"
	// maxMonthSize bounds a month file; a month of heavy use across many
	// keys and models is well under a megabyte.
	maxMonthSize = 64 << 20
)

// UnknownModel is the model recorded for an entry that names none.
const UnknownModel = "unknown"

var monthName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(\d{4}-\d{2})\.age$`)
})

func monthFile(mon string) string { return dirName + "/" + mon + ".age" }

func (l *Ledger) monthPath(mon string) string {
	return filepath.Join(l.f.Dir(), dirName, mon+".age")
}

func (l *Ledger) lockPath() string {
	return filepath.Join(l.f.Dir(), dirName, lockName)
}

// rowKey identifies a row: one key, one day, one model.
type rowKey struct{ key, day, model string }

// row is the usage of one key on one day with one model.
type row struct {
	Key          string  `json:"key"`
	Day          string  `json:"day"`
	Model        string  `json:"model"`
	Requests     int64   `json:"requests"`
	Errors       int64   `json:"errors,omitempty"`
	Prompt       int64   `json:"prompt,omitempty"`
	CachedPrompt int64   `json:"cached_prompt,omitempty"`
	Completion   int64   `json:"completion,omitempty"`
	Reasoning    int64   `json:"reasoning,omitempty"`
	Estimated    int64   `json:"estimated,omitempty"` // tokens that were estimated
	CostUSD      float64 `json:"cost_usd,omitempty"`
	Priced       int64   `json:"priced,omitempty"`       // requests with a known price
	CostUnknown  int64   `json:"cost_unknown,omitempty"` // requests without a known price that spent tokens
}

// monthFileData is the plaintext of a month file.
type monthFileData struct {
	Schema int    `json:"schema"`
	Month  string `json:"month"`
	Rows   []*row `json:"rows"`
	// IDs are the journaled entries this month took whose pending file
	// may still exist (a kill came between this write and its removal):
	// replaying such a file must not count it again.
	IDs []string `json:"ids,omitempty"`
}

// month is one month of the ledger in memory, with the signature of the
// file it was read from or written to.
type month struct {
	sig  filelock.Version
	rows map[rowKey]*row
	ids  map[string]bool
}

func newMonth() *month { return &month{rows: map[rowKey]*row{}, ids: map[string]bool{}} }

func (m *month) add(day string, e Entry) {
	model := e.Model
	if model == "" {
		model = UnknownModel
	}
	k := rowKey{e.KeyID, day, model}
	r := m.rows[k]
	if r == nil {
		r = &row{Key: e.KeyID, Day: day, Model: model}
		m.rows[k] = r
	}
	u := e.Usage
	r.Requests = addCount(r.Requests, 1)
	if e.Failed {
		r.Errors = addCount(r.Errors, 1)
	}
	r.Prompt = addCount(r.Prompt, u.PromptTokens)
	r.CachedPrompt = addCount(r.CachedPrompt, u.CachedPromptTokens)
	r.Completion = addCount(r.Completion, u.CompletionTokens)
	r.Reasoning = addCount(r.Reasoning, u.ReasoningTokens)
	if u.Estimated {
		r.Estimated = addCount(r.Estimated, usageTotal(u))
	}
	switch {
	case e.CostUSD != nil:
		r.CostUSD = addUSD(r.CostUSD, *e.CostUSD)
		r.Priced = addCount(r.Priced, 1)
	case usageTotal(u) > 0:
		r.CostUnknown = addCount(r.CostUnknown, 1)
	}
}

// encode returns the month's file content, rows sorted by day, key and
// model so the same ledger always encodes the same way.
func (m *month) encode(mon string) ([]byte, error) {
	rows := make([]*row, 0, len(m.rows))
	for _, r := range m.rows {
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Day != b.Day {
			return a.Day < b.Day
		}
		if a.Key != b.Key {
			return a.Key < b.Key
		}
		return a.Model < b.Model
	})
	var buf bytes.Buffer
	buf.Grow(64 + 160*len(rows))
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	ids := slices.Sorted(maps.Keys(m.ids))
	if err := enc.Encode(monthFileData{Schema: schemaVersion, Month: mon, Rows: rows, IDs: ids}); err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return buf.Bytes(), nil
}

// readMonth reads the month's file from disk; a missing file is an empty
// month. The signature is taken before reading, so a concurrent writer
// makes it stale rather than wrongly current.
func (l *Ledger) readMonth(mon string) (*month, error) {
	m := newMonth()
	sig, exists, err := filelock.Stat(l.monthPath(mon))
	if err != nil || !exists {
		return m, err
	}
	name := monthFile(mon)
	b, err := l.f.ReadFile(name, maxMonthSize)
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	if err := m.decode(mon, b); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	m.sig = sig
	return m, nil
}

func (m *month) decode(mon string, b []byte) error {
	var f monthFileData
	if err := json.Unmarshal(b, &f); err != nil {
		var head struct {
			Schema int `json:"schema"`
		}
		if json.Unmarshal(b, &head) == nil && head.Schema > schemaVersion {
			return fmt.Errorf("schema %d: %w: %w", head.Schema, ErrUnsupported, ErrUnreadable)
		}
		return fmt.Errorf("parse: %v: %w", err, ErrUnreadable)
	}
	switch {
	case f.Schema > schemaVersion:
		return fmt.Errorf("schema %d: %w: %w", f.Schema, ErrUnsupported, ErrUnreadable)
	case f.Schema < 1 || f.Month != mon:
		return fmt.Errorf("parse: not the ledger of %s: %w", mon, ErrUnreadable)
	}
	for _, r := range f.Rows {
		if err := r.check(mon); err != nil {
			return fmt.Errorf("parse: %v: %w", err, ErrUnreadable)
		}
		k := rowKey{r.Key, r.Day, r.Model}
		if m.rows[k] != nil {
			return fmt.Errorf("parse: duplicate row %s %s %s: %w", r.Day, r.Key, r.Model, ErrUnreadable)
		}
		m.rows[k] = r
	}
	for _, id := range f.IDs {
		m.ids[id] = true
	}
	return nil
}

func (r *row) check(mon string) error {
	if r == nil {
		return errors.New("empty row")
	}
	if _, err := time.Parse(dayLayout, r.Day); err != nil || !strings.HasPrefix(r.Day, mon+"-") {
		return fmt.Errorf("row day %q is not in %s", r.Day, mon)
	}
	if r.Key == "" {
		return errors.New("row without a key")
	}
	if r.Requests < 0 || r.Errors < 0 || r.Prompt < 0 || r.CachedPrompt < 0 || r.Completion < 0 ||
		r.Reasoning < 0 || r.Estimated < 0 || r.CostUSD < 0 || r.Priced < 0 || r.CostUnknown < 0 {
		return errors.New("negative count")
	}
	return nil
}

// monthFiles lists the month files on disk with their signatures.
func (l *Ledger) monthFiles() (map[string]filelock.Version, error) {
	des, err := os.ReadDir(filepath.Join(l.f.Dir(), dirName))
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]filelock.Version{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := make(map[string]filelock.Version, len(des))
	for _, de := range des {
		mm := monthName().FindStringSubmatch(de.Name())
		if mm == nil || !de.Type().IsRegular() {
			continue
		}
		if _, err := time.Parse("2006-01", mm[1]); err != nil {
			continue
		}
		fi, err := de.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[mm[1]] = filelock.VersionOf(fi)
	}
	return out, nil
}
