package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/ui/styles"
)

// convList is the conversation list (ctrl+o): a pane left of the chat, or
// a box over the chat when the terminal is too narrow for the pane. While
// it has the focus it takes the keys: ↑ ↓ move, enter opens, and every
// typed character goes into its filter, so typing never acts on a
// conversation; the actions on the selected one (rename, delete, export)
// are alt+ and ctrl+ keys the Model handles. It has the same update and
// view methods as an overlay.
type convList struct {
	km     *keyMap
	st     *styles.Styles
	items  []chat.Summary // titles sanitized
	filter textinput.Model
	// shown are the items whose title matches the filter; sel indexes it.
	shown []chat.Summary
	sel   int
	open  bool // ctrl+o shows the list
	// focused and openID are set by the Model when it draws the list:
	// whether the list takes the keys, and which conversation is open
	// (marked).
	focused bool
	openID  string
	act     listActions
}

// listActions are what the list's keys do with the selected conversation;
// the Model gives them.
type listActions struct {
	open func(c chat.Summary) tea.Cmd
}

// newConvList returns an empty, hidden list whose keys do what act says.
func newConvList(km *keyMap, st *styles.Styles, act listActions) convList {
	f := newFilterInput(st, "type to filter by title")
	f.Prompt = "/ "
	return convList{km: km, st: st, act: act, filter: f}
}

// setItems replaces the list, keeping the selection on the same
// conversation when it is still shown.
func (l *convList) setItems(items []chat.Summary) {
	selID := ""
	if c, ok := l.selected(); ok {
		selID = c.ID
	}
	l.items = sanitizeSummaries(items)
	l.refilter()
	if selID != "" {
		l.selectID(selID)
	}
}

// refilter keeps the items whose title contains the filter text, in any
// case.
func (l *convList) refilter() {
	q := strings.ToLower(strings.TrimSpace(l.filter.Value()))
	l.shown = l.shown[:0]
	for _, c := range l.items {
		if q == "" || strings.Contains(strings.ToLower(displayTitle(c.Title)), q) {
			l.shown = append(l.shown, c)
		}
	}
	l.sel = min(l.sel, max(len(l.shown)-1, 0))
}

// filtering reports whether a filter is typed.
func (l *convList) filtering() bool { return l.filter.Value() != "" }

// clearFilter empties the filter and shows every conversation again.
func (l *convList) clearFilter() {
	l.filter.Reset()
	l.refilter()
}

// selectID selects the conversation with id, if shown.
func (l *convList) selectID(id string) {
	for i, s := range l.shown {
		if s.ID == id {
			l.sel = i
		}
	}
}

// selected returns the selected conversation.
func (l *convList) selected() (chat.Summary, bool) {
	if l.sel < len(l.shown) {
		return l.shown[l.sel], true
	}
	return chat.Summary{}, false
}

// title returns the listed title of conversation id ("" if none).
func (l *convList) title(id string) string {
	for _, s := range l.items {
		if s.ID == id {
			return s.Title
		}
	}
	return ""
}

// update handles the list's keys: moving, opening, and the filter, which
// takes everything else typed. The list never closes itself.
func (l *convList) update(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case tea.PasteMsg:
		l.filter.SetValue(l.filter.Value() + oneLine(cleanInput(msg.Content)))
		l.sel = 0
		l.refilter()
		return nil, false
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, l.km.ListUp):
			l.sel = max(l.sel-1, 0)
			return nil, false
		case key.Matches(msg, l.km.ListDown):
			l.sel = min(l.sel+1, max(len(l.shown)-1, 0))
			return nil, false
		case key.Matches(msg, l.km.ListOpen):
			if c, ok := l.selected(); ok {
				l.clearFilter()
				return l.act.open(c), false
			}
			return nil, false
		}
		before := l.filter.Value()
		var cmd tea.Cmd
		l.filter, cmd = l.filter.Update(msg)
		if l.filter.Value() != before {
			l.sel = 0
			l.refilter()
		}
		return cmd, false
	}
	return nil, false
}

// displayTitle is how the list shows a title.
func displayTitle(t string) string {
	if t == "" {
		return "untitled"
	}
	return t
}

// view draws the list w columns wide and at most h rows tall: the title,
// the filter, then the conversations that match it.
func (l *convList) view(w, h int) []string {
	st := l.st
	out := []string{st.PaneTitle.Render(" CONVERSATIONS")}
	if l.focused || l.filtering() {
		l.filter.SetWidth(max(w-len(l.filter.Prompt)-2, 4))
		if l.focused {
			l.filter.Focus()
		} else {
			l.filter.Blur()
		}
		out = append(out, " "+l.filter.View())
	}
	switch {
	case len(l.items) == 0:
		out = append(out, st.Muted.Render(" none yet"))
	case len(l.shown) == 0:
		out = append(out, st.Muted.Render(" no match"))
	}
	rows := h - len(out)
	first := 0
	if l.sel >= rows {
		first = l.sel - rows + 1
	}
	for i := first; i < len(l.shown) && len(out) < h; i++ {
		c := l.shown[i]
		mark := "  "
		if c.ID == l.openID {
			mark = "• "
		}
		line := fit(" "+mark+truncate(displayTitle(c.Title), w-4), w)
		if i == l.sel && l.focused {
			line = st.Selected.Render(line)
		} else if c.ID == l.openID {
			line = st.Accent.Render(line)
		}
		out = append(out, line)
	}
	return out
}
