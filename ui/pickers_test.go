package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/view"
)

// pickerCells splits the key picker's lines on screen into cells by the
// header's column positions: header holds the column names, rows[i] the
// cells of the i-th key row shown (the "▸ " mark removed).
func pickerCells(t *testing.T, screen string) (header []string, rows [][]string) {
	t.Helper()
	var starts []int
	for _, l := range strings.Split(screen, "\n") {
		inner, ok := boxInner(l)
		if !ok {
			continue
		}
		if starts == nil {
			if !strings.HasPrefix(inner, "  name") {
				continue
			}
			for i, r := range inner {
				if r != ' ' && (i == 0 || inner[i-1] == ' ') && (i < 2 || inner[i-2] == ' ') {
					starts = append(starts, len([]rune(inner[:i])))
				}
			}
			header = cellsAt(inner, starts)
			continue
		}
		if strings.TrimSpace(inner) == "" {
			break // the blank line before the selected key's details
		}
		rows = append(rows, cellsAt(inner, starts))
	}
	if starts == nil {
		t.Fatalf("no key picker header on screen:\n%s", screen)
	}
	return header, rows
}

// boxInner returns what is between a dialog box's side borders.
func boxInner(l string) (string, bool) {
	i, j := strings.Index(l, "│ "), strings.LastIndex(l, " │")
	if i < 0 || j <= i {
		return "", false
	}
	return l[i+len("│ ") : j], true
}

// cellsAt cuts a line at the rune offsets starts, trimming each cell.
func cellsAt(line string, starts []int) []string {
	r := []rune(line)
	cells := make([]string, len(starts))
	for i, s := range starts {
		end := len(r)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		if s < len(r) {
			cells[i] = strings.TrimSpace(string(r[s:min(end, len(r))]))
		}
	}
	return cells
}

// keyColumnValue is what a key picker column shows for k in full, or ""
// for the columns whose values are short enough never to be elided.
func keyColumnValue(column string, k view.Key) (string, bool) {
	switch column {
	case "name":
		if k.CheckFailed {
			return k.Name + " ✗", true
		}
		return k.Name, true
	case "provider":
		return k.Provider, true
	case "host":
		return k.Host, true
	case "model":
		return k.DefaultModel, true
	case "key":
		return k.Fingerprint, true
	}
	return "", false
}

// TestKeyPickerColumnsWhole opens the key picker on the demo's keys at
// every width from 60 to 200 columns: each column's name is whole, each
// value is whole or elided with "…" (never cut mid-word nor pushed into
// the next column), the name always shows, and from 120 columns every
// value is whole.
func TestKeyPickerColumnsWhole(t *testing.T) {
	keys := demoKeys(testNow)
	for w := 60; w <= 200; w++ {
		h := newHarness(t, w, 40, Options{})
		withDemoData(h)
		h.unlocked()
		h.key("ctrl+k")
		screen := h.screen()
		header, rows := pickerCells(t, screen)
		if header[0] != "name" || len(rows) != len(keys) {
			t.Fatalf("width %d: header %q, %d rows:\n%s", w, header, len(rows), screen)
		}
		for i, row := range rows {
			for c, cell := range row {
				full, elidable := keyColumnValue(header[c], keys[i])
				if !elidable {
					if strings.Contains(cell, "…") {
						t.Errorf("width %d: %s of %s elided: %q", w, header[c], keys[i].Name, cell)
					}
					continue
				}
				if cell == full {
					continue
				}
				prefix, elided := strings.CutSuffix(cell, "…")
				switch {
				case w >= 120:
					t.Errorf("width %d: %s of %s is %q, want %q whole\n%s", w, header[c], keys[i].Name, cell, full, screen)
				case !elided || len([]rune(prefix)) < 3 || !strings.HasPrefix(full, prefix):
					t.Errorf("width %d: %s of %s is %q: neither %q nor elided with …\n%s", w, header[c], keys[i].Name, cell, full, screen)
				}
			}
		}
		for _, name := range header {
			if _, known := map[string]bool{"name": true, "provider": true, "host": true, "model": true, "month": true, "budget": true, "last used": true, "key": true}[name]; !known {
				t.Errorf("width %d: column name %q cut\n%s", w, name, screen)
			}
		}
		if t.Failed() {
			t.FailNow()
		}
	}
}

// TestGoldenKeyPickerDemo draws the key picker on the demo's keys at the
// three golden sizes.
func TestGoldenKeyPickerDemo(t *testing.T) {
	for _, sz := range sizes {
		name := fmt.Sprintf("key-picker-demo-%dx%d", sz[0], sz[1])
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, sz[0], sz[1], Options{})
			withDemoData(h)
			h.unlocked()
			h.key("ctrl+k")
			checkGolden(t, name, h.screen())
		})
	}
}

// TestKeyPickerKeepsCheckMark: a key name too long for its column is
// elided before the mark of a failed check, which stays.
func TestKeyPickerKeepsCheckMark(t *testing.T) {
	for _, w := range []int{60, 120} {
		h := newHarness(t, w, 30, Options{})
		withDemoData(h)
		h.b.keys[3].Name = "team-openai-production-europe-west"
		h.unlocked()
		h.key("ctrl+k")
		_, rows := pickerCells(t, h.screen())
		if got := rows[3][0]; !strings.HasPrefix(got, "team-openai-") || !strings.HasSuffix(got, "… ✗") {
			t.Errorf("width %d: name cell %q, want it elided before \" ✗\"\n%s", w, got, h.screen())
		}
	}
}

// TestKeyPickerFindsHiddenColumns: at 80 columns, where the host and
// fingerprint columns are left out, the filter still finds a key by them.
func TestKeyPickerFindsHiddenColumns(t *testing.T) {
	h := newHarness(t, 80, 24, Options{})
	withDemoData(h)
	h.unlocked()
	h.key("ctrl+k")
	if header, _ := pickerCells(t, h.screen()); slices.Contains(header, "host") {
		t.Fatalf("the host column is shown at 80 columns: %q", header)
	}
	for q, want := range map[string]string{"127.0.0.1:45555": "work", "sk-…x3mf": "side-project"} {
		h.send(tea.PasteMsg{Content: q})
		if _, rows := pickerCells(t, h.screen()); len(rows) != 1 || rows[0][0] != want {
			t.Errorf("filter %q: want only %s\n%s", q, want, h.screen())
		}
		for range q {
			h.key("backspace")
		}
	}
}

// TestKeyPickerRanksNameFirst: typing a key's exact name lists that key
// first, then the keys whose name starts with it, then those whose name
// holds it, then the keys matched by another column (here gpu, whose
// model is sim-fast), and enter switches to the key named.
func TestKeyPickerRanksNameFirst(t *testing.T) {
	h := newHarness(t, 100, 30, Options{})
	key := func(id, name, model string) view.Key {
		return view.Key{KeyRef: chat.KeyRef{ID: id, Name: name, Provider: "openai-compatible", Host: "127.0.0.1:1", Fingerprint: "sk-…" + id}, DefaultModel: model}
	}
	h.b.keys = []view.Key{key("k1", "gpu", "sim-fast"), key("k2", "mysim", "m"), key("k3", "sim2", "m"), key("k4", "sim", "m")}
	h.unlocked()
	h.key("ctrl+k")
	h.typeText("sim")
	_, rows := pickerCells(t, h.screen())
	var names []string
	for _, r := range rows {
		names = append(names, r[0])
	}
	if want := []string{"sim", "sim2", "mysim", "gpu"}; !slices.Equal(names, want) {
		t.Fatalf("typing sim lists %q, want %q\n%s", names, want, h.screen())
	}
	h.key("enter")
	if got := h.m.keyring.keyID; got != "k4" {
		t.Fatalf("enter chose key %q, want k4 (sim)", got)
	}
}
