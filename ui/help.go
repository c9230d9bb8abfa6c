package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/vaultchat/vaultchat/internal/view"

	"github.com/charmbracelet/x/ansi"
)

// binding is one line of the help screen.
type binding struct{ keys, what string }

// bindingGroups lists every key binding, grouped as the help screen shows
// them. Keep it in step with mainKey, inputKey and the overlays.
var bindingGroups = []struct {
	name     string
	bindings []binding
}{
	{"Chat", []binding{
		{"enter", "send"},
		{"alt+enter ctrl+j", "new line"},
		{"ctrl+e", "edit draft in $EDITOR"},
		{"↑ (empty input)", "edit and resend last message"},
		{"esc", "stop the reply (kept, marked)"},
		{"ctrl+r", "regenerate last reply"},
		{"ctrl+y", "copy last reply"},
		{"alt+y", "copy its last code block"},
	}},
	{"Scroll", []binding{
		{"pgup pgdn", "half a page"},
		{"shift+↑ shift+↓", "one line"},
		{"ctrl+g ctrl+end", "jump to latest"},
		{"ctrl+home", "jump to first"},
		{"mouse wheel", "scroll"},
	}},
	{"Conversations", []binding{
		{"ctrl+o", "show/hide list"},
		{"tab", "list ↔ input"},
		{"ctrl+n", "new conversation"},
		{"alt+r", "rename"},
		{"alt+d", "delete (asks first)"},
		{"alt+s", "system prompt"},
		{"ctrl+s alt+e", "export: md json txt html"},
		{"/export fmt path", "export from the input"},
		{"list: enter n r d", "open new rename delete"},
		{"list: e ctrl+s", "export the selected one"},
	}},
	{"Keys & models", []binding{
		{"ctrl+k", "switch key"},
		{"ctrl+p", "pick model"},
		{"picker: ctrl+r", "refresh models"},
		{"ctrl+t", "usage pane"},
	}},
	{"Editing", []binding{
		{"ctrl+a home / end", "line start / end"},
		{"alt+← alt+→", "word left / right"},
		{"ctrl+w", "delete word"},
		{"ctrl+u alt+k", "delete to line start / end"},
	}},
	{"App", []binding{
		{"? f1", "this help"},
		{"ctrl+l", "lock now"},
		{"ctrl+c", "quit"},
	}},
}

// helpBox draws the help overlay: groups flowed into as many columns as
// fit, scrollable when even that is too tall.
func (m *Model) helpBox() []string {
	st := &m.st
	w := min(m.width-2, 150)
	h := m.height - 2
	const colW = 44
	cols := max(min((w-4)/colW, 3), 1)
	// Lay groups out column by column, balancing line counts.
	var blocks [][]string
	total := 0
	for _, g := range bindingGroups {
		var b []string
		b = append(b, st.PaneTitle.Render(g.name))
		for _, bd := range g.bindings {
			b = append(b, fmt.Sprintf("%s %s", st.HintKey.Render(fmt.Sprintf("%-18s", bd.keys)), st.Base.Render(bd.what)))
		}
		b = append(b, "")
		blocks = append(blocks, b)
		total += len(b)
	}
	per := (total + cols - 1) / cols
	columns := make([][]string, cols)
	c := 0
	for _, b := range blocks {
		if c < cols-1 && len(columns[c]) > 0 && len(columns[c])+len(b) > per+2 {
			c++
		}
		columns[c] = append(columns[c], b...)
	}
	tallest := 0
	for _, col := range columns {
		tallest = max(tallest, len(col))
	}
	innerW := w - 4
	cw := innerW / cols
	var lines []string
	for i := 0; i < tallest; i++ {
		var b strings.Builder
		for _, col := range columns {
			b.WriteString(fit(lineAt(col, i), cw-2) + "  ")
		}
		lines = append(lines, b.String())
	}
	room := max(h-3, 1)
	m.helpOff = min(m.helpOff, max(len(lines)-room, 0))
	lines = lines[m.helpOff:]
	if len(lines) > room {
		lines = append(lines[:room-1], st.Muted.Render("↓ more (j/↓)"))
	}
	lines = append(lines, st.Muted.Render("any key closes"))
	return box("keys", lines, w, h, st.DialogBorder, st.DialogTitle)
}

// keyRows formats the key picker's rows as columns for width w. Columns
// that do not fit are dropped from the row (the selected key's full
// details are shown under the list).
func keyRows(keys []view.Key, w int, now time.Time) (string, []pickerRow) {
	type column struct {
		name  string
		width int
		value func(k view.Key) string
	}
	columns := []column{
		{"name", 14, func(k view.Key) string { return k.Name }},
		{"provider", 10, func(k view.Key) string { return k.Provider }},
		{"host", 20, func(k view.Key) string { return k.Host }},
		{"default model", 16, func(k view.Key) string { return k.DefaultModel }},
		{"month", 9, func(k view.Key) string {
			if !k.CostKnown {
				return est(formatTokens(k.MonthTokens), k.Estimated) + " tok"
			}
			return est(formatUSD(k.MonthCostUSD), k.Estimated)
		}},
		{"budget", 7, func(k view.Key) string { return budgetWord(k.Budget) }},
		{"last used", 10, func(k view.Key) string { return formatAgo(k.LastUsed, now) }},
		{"key", 14, func(k view.Key) string { return k.Fingerprint }},
	}
	// Drop columns from the right until they fit (2 for the check mark).
	used := 2
	n := 0
	for _, c := range columns {
		if used+c.width+1 > w {
			break
		}
		used += c.width + 1
		n++
	}
	columns = columns[:max(n, 1)]
	cell := func(s string, width int) string {
		s = truncate(s, width)
		return s + strings.Repeat(" ", max(width-ansi.StringWidth(s), 0))
	}
	var hb strings.Builder
	hb.WriteString("  ")
	for _, c := range columns {
		hb.WriteString(cell(c.name, c.width) + " ")
	}
	rows := make([]pickerRow, len(keys))
	for i, k := range keys {
		var b strings.Builder
		for _, c := range columns {
			b.WriteString(cell(c.value(k), c.width) + " ")
		}
		mark := ""
		if k.CheckFailed {
			mark = "✗ check failed"
		}
		detail := joinNonEmpty(" · ", k.Provider, k.Host, k.Fingerprint, "default "+k.DefaultModel, "last used "+formatAgo(k.LastUsed, now), mark)
		rows[i] = pickerRow{id: k.ID, text: strings.TrimRight(b.String(), " ") + markSuffix(k), detail: detail}
	}
	return strings.TrimRight(hb.String(), " "), rows
}

func markSuffix(k view.Key) string {
	if k.CheckFailed {
		return " ✗"
	}
	return ""
}

func budgetWord(l view.BudgetLevel) string {
	switch l {
	case view.BudgetOK:
		return "ok"
	case view.BudgetWarn:
		return "≥80%"
	case view.BudgetOver:
		return "over"
	}
	return "—"
}
