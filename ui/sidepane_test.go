package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/ui/styles"
)

// paneTitles are the side pane's section titles, top to bottom.
var paneTitles = []string{"USAGE", "BUDGETS", "RATE LIMITS", "CONTEXT", "LAST 14 DAYS", "ALL KEYS · MONTH"}

// TestSidePaneFitsAnyHeight renders the pane with the demo's data at every
// height: it is never taller than its room, every section title shows
// (in order) while there are rows for them, and whenever something is
// left out a "…" line says so.
func TestSidePaneFitsAnyHeight(t *testing.T) {
	st := styles.New(true, true)
	keys := demoKeys(testNow)
	in := sideInput{key: &keys[4], model: "gpt-4o-mini", keys: keys, usage: demoUsage(testNow), now: testNow}
	const w = 33 // the pane's width on a 120-column screen
	full := renderSide(in, w, 1000, &st)
	for h := 1; h <= len(full)+2; h++ {
		lines := renderSide(in, w, h, &st)
		text := plainScreen(strings.Join(lines, "\n"))
		if len(lines) > h {
			t.Fatalf("height %d: %d lines:\n%s", h, len(lines), text)
		}
		if shown, all := nonBlank(lines), nonBlank(full); shown < all && !slices.ContainsFunc(strings.Split(text, "\n"), isMoreLine) {
			t.Fatalf("height %d: %d of %d lines and no \"…\" line:\n%s", h, shown, all, text)
		}
		if h < 1+len(paneTitles) {
			continue
		}
		at := 0
		for _, title := range paneTitles {
			i := strings.Index(text[at:], title)
			if i < 0 {
				t.Fatalf("height %d: no %q after the sections before it:\n%s", h, title, text)
			}
			at += i
		}
	}
	// At 120×40 (35 rows) the pane has room for every key and budget.
	text := plainScreen(strings.Join(renderSide(in, w, 35, &st), "\n"))
	for _, want := range []string{"minted-ci", "personal", "side-project", "team-openai", "work", "daily USD", "monthly USD", "$4.70 / $5.00", "ledger damaged", "41.0k more tokens"} {
		if !strings.Contains(text, want) {
			t.Errorf("35 rows: the pane lacks %q:\n%s", want, text)
		}
	}
}

// nonBlank counts the lines with something on them.
func nonBlank(lines []string) int {
	n := 0
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			n++
		}
	}
	return n
}

// isMoreLine reports whether a plain pane line says that lines were left
// out: a line of its own starting with "…", or a collapsed section's
// title ending in "…".
func isMoreLine(l string) bool {
	l = strings.TrimSpace(l)
	return strings.HasPrefix(l, "…") || slices.ContainsFunc(paneTitles, func(t string) bool { return l == t+" …" })
}

// TestGoldenSidePaneDemo draws the pane with the demo's data at the three
// golden sizes (at 80 columns after ctrl+t shows it).
func TestGoldenSidePaneDemo(t *testing.T) {
	for _, sz := range sizes {
		name := fmt.Sprintf("side-pane-demo-%dx%d", sz[0], sz[1])
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, sz[0], sz[1], Options{})
			withDemoData(h)
			h.unlocked()
			if !h.m.sideVisible() {
				h.key("ctrl+t")
			}
			s := h.screen()
			if !strings.Contains(s, "ALL KEYS · MONTH") {
				t.Errorf("no ALL KEYS section:\n%s", s)
			}
			checkGolden(t, name, s)
		})
	}
}

// TestSidePaneKeepsActiveKey shortens the list of all keys: the active
// key stays in it, after the first keys, and a line counts the others.
func TestSidePaneKeepsActiveKey(t *testing.T) {
	st := styles.New(true, true)
	keys := demoKeys(testNow)
	in := sideInput{key: &keys[4], model: "gpt-4o-mini", keys: keys, usage: view.Usage{}, now: testNow}
	full := renderSide(in, 33, 1000, &st)
	lines := renderSide(in, 33, nonBlank(full)-1, &st) // one row short of the keys in full
	text := plainScreen(strings.Join(lines, "\n"))
	if !strings.Contains(text, "  minted-ci") || !strings.Contains(text, "▸ work") || !strings.Contains(text, "… 2 more keys") || strings.Contains(text, "team-openai") {
		t.Errorf("want minted-ci, personal, work and \"… 2 more keys\":\n%s", text)
	}
}

// TestSidePaneNothingToShow: a key without a model says none is chosen,
// and days without use draw no empty chart.
func TestSidePaneNothingToShow(t *testing.T) {
	st := styles.New(true, true)
	keys := demoKeys(testNow)
	u := view.Usage{Daily: make([]view.Day, 14)}
	text := plainScreen(strings.Join(renderSide(sideInput{key: &keys[0], keys: keys, usage: u, now: testNow}, 33, 100, &st), "\n"))
	if !strings.Contains(text, "model none chosen") || !strings.Contains(text, "LAST 14 DAYS\nno tokens used\n") {
		t.Errorf("want \"model none chosen\" and no chart:\n%s", text)
	}
}

// TestSidePaneSaysFree: a key whose turns cost nothing (view.Key.Free,
// the session's answer) says so under its name; a priced key does not.
func TestSidePaneSaysFree(t *testing.T) {
	st := styles.New(true, true)
	keys := demoKeys(testNow)
	keys[1].Free = true
	for i, want := range map[int]bool{1: true, 3: false} {
		text := plainScreen(strings.Join(renderSide(sideInput{key: &keys[i], keys: keys, usage: view.Usage{}, now: testNow}, 33, 100, &st), "\n"))
		if strings.Contains(text, "free") != want {
			t.Errorf("key %s: want free %v:\n%s", keys[i].Name, want, text)
		}
	}
}

// TestBudgetOverAThousandPercent: a budget spent 300 times over showed
// "999%", a cap read as the figure; past 999% it says ">999%".
func TestBudgetOverAThousandPercent(t *testing.T) {
	st := styles.New(true, true)
	sec := budgetSection([]view.Budget{{Name: "daily USD", Spent: 3, Limit: 0.01, USD: true}, {Name: "monthly USD", Spent: 5, Limit: 10, USD: true}}, time.Now(), 40, &st)
	all := ansi.Strip(strings.Join(append(sec.body, sec.short...), "\n"))
	if !strings.Contains(all, ">999%") || strings.Contains(all, " 999%") {
		t.Errorf("a budget 300 times over:\n%s", all)
	}
	if !strings.Contains(all, " 50%") {
		t.Errorf("a budget half spent:\n%s", all)
	}
}
