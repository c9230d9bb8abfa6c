package ui

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"

	"github.com/vaultchat/vaultchat/ui/styles"
)

// keyTokens reads the keys a help text names ("list: ↑ ↓ j k",
// "ctrl+a home / end", "↑ (empty input)") as key names as Bubble Tea
// spells them ("up", "ctrl+a", "pgdown"). Words that only give context —
// a "list:" prefix, a parenthesis, "/" or "or" — are dropped.
func keyTokens(text string) []string {
	text = strings.ReplaceAll(text, "mouse wheel", "wheelup wheeldown")
	if i := strings.Index(text, "("); i >= 0 {
		if j := strings.Index(text[i:], ")"); j >= 0 {
			text = text[:i] + text[i+j+1:]
		}
	}
	arrows := strings.NewReplacer("↑", "up", "↓", "down", "←", "left", "→", "right")
	var out []string
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == ',' }) {
		switch {
		case f == "/" || f == "or" || strings.HasSuffix(f, ":"):
			continue
		case f == "pgdn":
			f = "pgdown"
		}
		out = append(out, arrows.Replace(f))
	}
	return out
}

// TestHelpListsEveryBinding checks the key map against the help screen:
// every binding is documented by a row, every row names only keys its
// bindings have (and at least one of each), and the help screen draws
// every row.
func TestHelpListsEveryBinding(t *testing.T) {
	km := defaultKeyMap()
	documented := map[*key.Binding]bool{}
	commands := map[string]bool{}
	for _, c := range slashCommands {
		commands[c.usage] = true
	}
	st := styles.New(true, true)
	help := plainScreen(strings.Join(newHelpOverlay(&km, &st, func() (int, int) { return 400, 200 }).view(400, 200), "\n"))
	for _, g := range helpGroups(&km) {
		for _, r := range g.rows {
			// A column cuts long descriptions: look for their start.
			what := string([]rune(r.what)[:min(len([]rune(r.what)), 24)])
			if !strings.Contains(help, r.keys) || !strings.Contains(help, what) {
				t.Errorf("the help screen does not show the row %q %q", r.keys, r.what)
			}
			if len(r.bindings) == 0 {
				if !commands[r.keys] {
					t.Errorf("row %q documents no binding and no slash command", r.keys)
				}
				continue
			}
			bound := map[string]bool{}
			for _, b := range r.bindings {
				for _, k := range b.Keys() {
					bound[k] = true
				}
			}
			shown := map[string]bool{}
			for _, tok := range keyTokens(r.keys) {
				shown[tok] = true
				if !bound[tok] {
					t.Errorf("row %q shows %q, which none of its bindings has", r.keys, tok)
				}
			}
			for _, b := range r.bindings {
				documented[b] = true
				found := false
				for _, k := range b.Keys() {
					found = found || shown[k]
				}
				if !found || !b.Enabled() || b.Help().Desc == "" {
					t.Errorf("row %q does not show binding %v (help %q)", r.keys, b.Keys(), b.Help().Desc)
				}
			}
		}
	}
	v := reflect.ValueOf(&km).Elem()
	for i := range v.NumField() {
		b, ok := v.Field(i).Addr().Interface().(*key.Binding)
		if ok && !documented[b] {
			t.Errorf("binding %s (%v) is not on the help screen", v.Type().Field(i).Name, b.Keys())
		}
	}
}

// TestREADMEKeysAreBound checks that the README's key table names only
// keys the key map binds.
func TestREADMEKeysAreBound(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(data), "| keys | action |\n|---|---|\n")
	if !ok {
		t.Fatal("README has no key table")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	km := defaultKeyMap()
	bound := map[string]bool{}
	v := reflect.ValueOf(&km).Elem()
	for i := range v.NumField() {
		if b, ok := v.Field(i).Interface().(key.Binding); ok {
			for _, k := range b.Keys() {
				bound[k] = true
			}
		}
	}
	rows := 0
	for line := range strings.Lines(table) {
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			continue
		}
		rows++
		for _, tok := range keyTokens(cells[1]) {
			if !bound[tok] {
				t.Errorf("README row %q names %q, which no binding has", strings.TrimSpace(line), tok)
			}
		}
	}
	if rows < 10 {
		t.Fatalf("read only %d rows of the README key table", rows)
	}
}
