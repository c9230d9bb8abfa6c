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
	p := &picker{km: &m.km, st: &m.st, kind: pickKey, title: "switch key (for the next turn)",
		filter: newFilterInput(&m.st, "name, provider, host, model"), choose: m.switchKey}
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
		m.setNotice("no key: add one with \"vaultchat keys add\"", true)
		return nil
	}
	keyID := key.ID
	p := &picker{km: &m.km, st: &m.st, kind: pickModel, title: "model for " + key.Name + "  (" + keyName(m.km.PickerRefresh) + " refreshes)", free: true,
		filter: newFilterInput(&m.st, "type to filter or enter any model name"), choose: m.switchModel,
		refresh: func() tea.Cmd { return modelsCmd(m.ctx, m.b, keyID, true) }}
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
		p.err = "could not list models: " + cleanLine(msg.err.Error())
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
		if len(models) == 0 && !p.loading {
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
			if k.Month.Cost.Unknown {
				return figures.Tokens(k.Month.Tokens, k.Month.Estimated) + " tok"
			}
			return k.Month.Cost.String()
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

// markSuffix marks a key whose last check failed.
func markSuffix(k view.Key) string {
	if k.CheckFailed {
		return " ✗"
	}
	return ""
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
