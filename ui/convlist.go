package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/ui/styles"
)

// convList is the conversation list: today a pane left of the chat
// (ctrl+o) that takes the keys while it has the focus. It has the same
// update and view methods as an overlay, so it can be drawn on the overlay
// stack as well.
type convList struct {
	km    *keyMap
	st    *styles.Styles
	items []chat.Summary // titles sanitized
	sel   int
	shown bool
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
	open, rename, remove, export func(c chat.Summary) tea.Cmd
	create                       func() tea.Cmd
}

// newConvList returns an empty, hidden list whose keys do what act says.
func newConvList(km *keyMap, st *styles.Styles, act listActions) convList {
	return convList{km: km, st: st, act: act}
}

// setItems replaces the list, keeping the selection in range.
func (l *convList) setItems(items []chat.Summary) {
	l.items = sanitizeSummaries(items)
	l.sel = min(l.sel, max(len(l.items)-1, 0))
}

// selectID selects the conversation with id, if listed.
func (l *convList) selectID(id string) {
	for i, s := range l.items {
		if s.ID == id {
			l.sel = i
		}
	}
}

// selected returns the selected conversation.
func (l *convList) selected() (chat.Summary, bool) {
	if l.sel < len(l.items) {
		return l.items[l.sel], true
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

// update handles the list's keys. The list never closes itself.
func (l *convList) update(msg tea.Msg) (tea.Cmd, bool) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil, false
	}
	if key.Matches(k, l.km.ListNew) {
		return l.act.create(), false
	}
	c, ok := l.selected()
	switch {
	case key.Matches(k, l.km.ListUp):
		l.sel = max(l.sel-1, 0)
	case key.Matches(k, l.km.ListDown):
		l.sel = min(l.sel+1, max(len(l.items)-1, 0))
	case !ok:
	case key.Matches(k, l.km.ListOpen):
		return l.act.open(c), false
	case key.Matches(k, l.km.ListRename):
		return l.act.rename(c), false
	case key.Matches(k, l.km.ListDelete):
		return l.act.remove(c), false
	case key.Matches(k, l.km.ListExport):
		return l.act.export(c), false
	}
	return nil, false
}

// view draws the list w columns wide and at most h rows tall.
func (l *convList) view(w, h int) []string {
	st := l.st
	out := []string{st.PaneTitle.Render(" CONVERSATIONS")}
	if len(l.items) == 0 {
		out = append(out, st.Muted.Render(" none yet"))
	}
	first := 0
	if l.sel >= h-2 {
		first = l.sel - (h - 2) + 1
	}
	for i := first; i < len(l.items) && len(out) < h; i++ {
		c := l.items[i]
		title := c.Title
		if title == "" {
			title = "untitled"
		}
		mark := "  "
		if c.ID == l.openID {
			mark = "• "
		}
		line := fit(" "+mark+truncate(title, w-4), w)
		if i == l.sel && l.focused {
			line = st.Selected.Render(line)
		} else if c.ID == l.openID {
			line = st.Accent.Render(line)
		}
		out = append(out, line)
	}
	return out
}
