package ui

import (
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/vaultchat/vaultchat/internal/figures"
	"github.com/vaultchat/vaultchat/internal/view"
)

// The key picker (ctrl+k) and the model picker (ctrl+p): pickers whose
// rows come from the keyring and whose choice switches the key or model
// for the next turn.

// openKeyPicker opens the key picker and refreshes the keys' totals.
func (m *Model) openKeyPicker() tea.Cmd {
	p := m.newPicker(pickKey, "switch key (for the next turn)", "name, provider, host, model", m.switchKey)
	m.overlays.push(p)
	m.refreshPicker()
	p.selectID(m.keyring.keyID)
	return keysCmd(m.b)
}

// openModelPicker opens the model picker for the active key, fetching its
// models the first time.
func (m *Model) openModelPicker() tea.Cmd {
	key := m.activeKey()
	if key == nil {
		m.setNotice(m.keyring.noKeyProblem(), true)
		return nil
	}
	keyID := key.ID
	p := m.newPicker(pickModel, "model for "+key.Name+"  ("+keyName(m.km.PickerRefresh)+" refreshes)",
		"type to filter or enter any model name", m.switchModel)
	p.free = true
	p.refresh = func() tea.Cmd { return modelsCmd(m.ctx, m.b, keyID, true) }
	m.overlays.push(p)
	if _, ok := m.keyring.models[keyID]; ok {
		m.refreshPicker()
		p.selectID(m.keyring.model)
		return nil
	}
	p.loading = true
	m.refreshPicker()
	return modelsCmd(m.ctx, m.b, keyID, false)
}

// applyModels records a fetched model list and shows it in the open model
// picker.
func (m *Model) applyModels(msg modelsMsg) {
	if msg.err == nil {
		m.keyring.setModels(msg.keyID, msg.models)
	}
	p, ok := topOverlay[*picker](&m.overlays)
	if !ok || p.kind != pickModel || msg.keyID != m.keyring.keyID {
		return
	}
	p.loading = false
	p.err = ""
	if msg.err != nil {
		// One message, why first: the hint says how to start a local
		// server, and a name may still be typed.
		p.err = cleanLine(errorWithHint(msg.err)) + " · type a model name to use one anyway"
	}
	m.refreshPicker()
	if p.filter.Value() == "" {
		p.selectID(m.keyring.model)
	}
}

// refreshPicker formats the open picker's rows for the current width and
// keyring.
func (m *Model) refreshPicker() {
	p, ok := topOverlay[*picker](&m.overlays)
	if !ok {
		return
	}
	w := pickerWidth(m.width) - 4
	switch p.kind {
	case pickKey:
		header, rows := keyRows(m.keyring.keys, w-2, m.now())
		p.header = header
		p.setRows(rows)
	case pickModel:
		key := m.activeKey()
		if key == nil {
			return
		}
		models := withAllowed(m.keyring.models[key.ID], key.AllowedModels)
		rows := make([]pickerRow, 0, len(models))
		for _, name := range models {
			text := name
			if name == m.keyring.model {
				text += "  (current)"
			}
			if name == key.DefaultModel {
				text += "  (default)"
			}
			if !allowedFor(key, name) {
				// Shown so the list matches the server's, refused when
				// picked (the backend's Choose says why).
				text += "  ✗ not allowed for this key"
			}
			rows = append(rows, pickerRow{id: name, text: text})
		}
		p.header = ""
		if len(models) == 0 && !p.loading && p.err == "" {
			p.header = "the server lists no models: type a model name"
		}
		p.setRows(rows)
	}
}

// withAllowed is the server's list followed by the key's allowed models
// that the server does not list.
func withAllowed(models, allowed []string) []string {
	out := slices.Clone(models)
	for _, a := range allowed {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// allowedFor reports whether the picker marks model as one the key may
// use; the backend refuses the others when picked.
func allowedFor(k *view.Key, model string) bool {
	return len(k.AllowedModels) == 0 || slices.Contains(k.AllowedModels, model)
}

// keyColumn is a column of the key picker: as wide as its widest value
// up to max, and elided with "…" down to min when room is short.
type keyColumn struct {
	name     string
	min, max int
	value    func(k view.Key, now time.Time) string
}

// keyColumns are the key picker's columns, left to right.
var keyColumns = []keyColumn{
	{"name", 8, 24, func(k view.Key, _ time.Time) string { return k.Name + markSuffix(k) }},
	{"provider", 8, 17, func(k view.Key, _ time.Time) string { return k.Provider }},
	{"host", 10, 28, func(k view.Key, _ time.Time) string { return k.Host }},
	{"model", 8, 24, func(k view.Key, _ time.Time) string { return k.DefaultModel }},
	{"month", 9, 12, func(k view.Key, _ time.Time) string {
		if k.Month.Cost.Unknown {
			return figures.Tokens(k.Month.Tokens, k.Month.Estimated) + " tok"
		}
		return k.Month.Cost.String()
	}},
	{"budget", 6, 6, func(k view.Key, _ time.Time) string { return budgetWord(k.Budget) }},
	{"last used", 9, 12, func(k view.Key, now time.Time) string { return formatAgo(k.LastUsed, now) }},
	{"key", 8, 16, func(k view.Key, _ time.Time) string { return k.Fingerprint }},
}

// Indexes of keyColumns.
const (
	colName = iota
	colProvider
	colHost
	colModel
	colMonth
	colBudget
	colLastUsed
	colKey
)

// keyDropOrder lists keyColumns in the order they give way when the
// picker is narrow: the fingerprint first (the selected key's details
// under the list show it, its host and its model), the name never.
var keyDropOrder = []int{colKey, colLastUsed, colHost, colModel, colProvider, colBudget, colMonth}

// keyColumnGap is the space between two columns.
const keyColumnGap = 2

// maxElision is how many columns the key picker elides from its values,
// at most, rather than leave a column out.
const maxElision = 8

// keyRows formats the key picker's rows as columns for width w: each
// column as wide as its widest value (up to its max); the columns of
// keyDropOrder give way while they do not all fit, and the last ones
// left are elided with "…" rather than cut.
func keyRows(keys []view.Key, w int, now time.Time) (string, []pickerRow) {
	cells := make([][]string, len(keys))
	for i, k := range keys {
		cells[i] = make([]string, len(keyColumns))
		for c, col := range keyColumns {
			cells[i][c] = col.value(k, now)
		}
	}
	widths := keyColumnWidths(cells, w)
	line := func(values func(c int) string) string {
		var b strings.Builder
		for c, cw := range widths {
			if cw == 0 {
				continue
			}
			if b.Len() > 0 {
				b.WriteString(strings.Repeat(" ", keyColumnGap))
			}
			s := elide(values(c), cw, checkFailedMark)
			b.WriteString(s + strings.Repeat(" ", max(cw-ansi.StringWidth(s), 0)))
		}
		return strings.TrimRight(b.String(), " ")
	}
	header := "  " + line(func(c int) string { return keyColumns[c].name })
	rows := make([]pickerRow, len(keys))
	for i, k := range keys {
		mark := ""
		if k.CheckFailed {
			mark = "✗ check failed"
		}
		model := ""
		if k.DefaultModel != "" {
			model = "default " + k.DefaultModel
		}
		detail := joinNonEmpty(" · ", k.Provider, k.Host, k.Fingerprint, model, "last used "+formatAgo(k.LastUsed, now), mark)
		// Every value stays findable, shown or not, at any width.
		rows[i] = pickerRow{id: k.ID, text: line(func(c int) string { return cells[i][c] }), detail: detail,
			match: " " + strings.Join(cells[i], " "), name: cells[i][colName]}
	}
	return header, rows
}

// detailLines wraps a row's detail ("azure · host · …") to w columns,
// between its parts where it can, so that a value is not split.
func detailLines(detail string, w int) []string {
	var out []string
	for _, l := range joinParts(strings.Split(detail, " · "), " · ", w) {
		out = append(out, wrapLines(l, w)...)
	}
	return out
}

// keyColumnWidths sizes the columns for cells in w columns: 0 for a
// column left out.
func keyColumnWidths(cells [][]string, w int) []int {
	widths := make([]int, len(keyColumns))
	for c, col := range keyColumns {
		widths[c] = ansi.StringWidth(col.name)
		for _, row := range cells {
			widths[c] = max(widths[c], ansi.StringWidth(row[c]))
		}
		widths[c] = min(widths[c], col.max)
	}
	// span is the width of the columns shown, each elided to its
	// minimum when elided is set.
	span := func(elided bool) int {
		n, cols := 0, 0
		for c, cw := range widths {
			if cw == 0 {
				continue
			}
			if elided {
				cw = min(cw, keyColumns[c].min)
			}
			n += cw
			cols++
		}
		return n + keyColumnGap*max(cols-1, 0)
	}
	// Columns give way in keyDropOrder until the rest fit, unless
	// eliding a few characters is enough: better "openai-compatib…"
	// than no provider at all (the fingerprint and the last use, which
	// elided say little, give way all the same).
	for _, c := range keyDropOrder {
		excess := span(false) - w
		if excess <= 0 || excess <= maxElision && span(true) <= w && c != colKey && c != colLastUsed {
			break
		}
		widths[c] = 0
	}
	// Elide the least needed columns first, each down to its minimum.
	for _, c := range append(slices.Clone(keyDropOrder), colName) {
		if excess := span(false) - w; excess > 0 && widths[c] > 0 {
			widths[c] -= min(excess, widths[c]-min(widths[c], keyColumns[c].min))
		}
	}
	if span(false) > w { // only the name is left: elide it to the room
		widths[colName] = max(w, 1)
	}
	return widths
}

// checkFailedMark follows the name of a key whose last check failed.
const checkFailedMark = " ✗"

// markSuffix marks a key whose last check failed.
func markSuffix(k view.Key) string {
	if k.CheckFailed {
		return checkFailedMark
	}
	return ""
}

// elide shortens s to w columns with "…", keeping its suffix keep (a
// mark) whole when it ends with it.
func elide(s string, w int, keep string) string {
	if ansi.StringWidth(s) <= w {
		return s
	}
	if head, ok := strings.CutSuffix(s, keep); ok && keep != "" && w > ansi.StringWidth(keep) {
		return truncate(head, w-ansi.StringWidth(keep)) + keep
	}
	return truncate(s, w)
}

// budgetWord says how far a key is into its budgets.
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
