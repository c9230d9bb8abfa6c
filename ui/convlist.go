package ui

import (
	"strings"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/ui/styles"
)

// convList is the conversation list (ctrl+o): a pane left of the chat, or
// a box over the chat when the terminal is too narrow for the pane. While
// it has the focus it takes the keys: ↑ ↓ move, enter opens, and every
// typed character goes into its filter, so typing never acts on a
// conversation; the actions on the selected one (rename, delete, export)
// are alt+ and ctrl+ keys the Model handles. It has the same update and
// view methods as an overlay.
//
// The filter matches titles at once, and asks the backend to search the
// messages too (Backend.Search, in a command): conversations whose
// content matches join the list when the answer for the text still typed
// arrives, with the matching snippet under the title. A fork shows what
// it was forked from under its title.
type convList struct {
	km     *keyMap
	st     *styles.Styles
	items  []chat.Summary // titles sanitized
	titles map[string]string
	filter textinput.Model
	// shown are the items whose title matches the filter; sel indexes it.
	shown []chat.Summary
	sel   int
	open  bool // ctrl+o shows the list
	// focused says the list takes the keys; the Model sets it with its
	// focus (setFocused), never while drawing.
	focused bool
	act     listActions
	// hits are the backend's search results for hitsQuery, by
	// conversation ID (snippets sanitized).
	hits      map[string]view.SearchHit
	hitsQuery string
	// searching says a search is in flight: one at a time, so fast
	// typing does not queue a search per key; when it answers, the text
	// typed since is searched (searchDone).
	searching bool
	asked     string // the text last searched
}

// listActions are what the list's keys do with the selected conversation;
// the Model gives them.
type listActions struct {
	open func(c chat.Summary) tea.Cmd
	// search asks the backend for the conversations whose content
	// matches query (applyHits takes the answer).
	search func(query string) tea.Cmd
}

// newConvList returns an empty, hidden list whose keys do what act says.
func newConvList(km *keyMap, st *styles.Styles, act listActions) convList {
	f := newFilterInput(st, "type to filter & search")
	f.Prompt = "/ "
	f.SetWidth(filterWidth(convPaneW, f.Prompt))
	f.Blur()
	return convList{km: km, st: st, act: act, filter: f}
}

// filterWidth is the width of the list's filter in a list w wide.
func filterWidth(w int, prompt string) int { return max(w-len(prompt)-2, 4) }

// setFocused gives the list the keys, or takes them away: its filter
// takes what is typed only while the list is focused.
func (l *convList) setFocused(focused bool) {
	l.focused = focused
	if focused {
		l.filter.Focus()
	} else {
		l.filter.Blur()
	}
}

// setItems replaces the list, keeping the selection on the same
// conversation when it is still shown.
func (l *convList) setItems(items []chat.Summary) {
	selID := ""
	if c, ok := l.selected(); ok {
		selID = c.ID
	}
	l.items = sanitizeSummaries(items)
	// Forks name their parent on every frame: look titles up by ID.
	l.titles = make(map[string]string, len(l.items))
	for _, c := range l.items {
		l.titles[c.ID] = c.Title
	}
	l.refilter()
	if selID != "" {
		l.selectID(selID)
	}
}

// query is the filter text as searched.
func (l *convList) query() string { return strings.TrimSpace(l.filter.Value()) }

// refilter keeps the items whose title holds every word of the filter,
// in any case, and those the backend's search found for it.
func (l *convList) refilter() {
	q := l.query()
	words := strings.Fields(strings.ToLower(q))
	hits := l.hits
	if l.hitsQuery != q {
		hits = nil
	}
	l.shown = l.shown[:0]
	for _, c := range l.items {
		if len(words) == 0 || titleHolds(displayTitle(c.Title), words) {
			l.shown = append(l.shown, c)
		} else if _, ok := hits[c.ID]; ok {
			l.shown = append(l.shown, c)
		}
	}
	l.sel = min(l.sel, max(len(l.shown)-1, 0))
}

// titleHolds reports whether title holds every (lower-case) word.
func titleHolds(title string, words []string) bool {
	t := strings.ToLower(title)
	for _, w := range words {
		if !strings.Contains(t, w) {
			return false
		}
	}
	return true
}

// filterChanged refilters after the filter text changed and asks the
// backend to search the messages for it.
func (l *convList) filterChanged() tea.Cmd {
	l.sel = 0
	l.refilter()
	return l.searchNext()
}

// searchNext asks for a search of the filter's text unless one is in
// flight or it is already answered.
func (l *convList) searchNext() tea.Cmd {
	q := l.query()
	if q == "" || l.searching || q == l.asked || l.act.search == nil {
		return nil
	}
	l.searching, l.asked = true, q
	return l.act.search(q)
}

// searchDone records that the search in flight answered, and searches
// the text typed since, if any.
func (l *convList) searchDone() tea.Cmd {
	l.searching = false
	return l.searchNext()
}

// applyHits takes the backend's search results for query, if it is still
// the filter's text.
func (l *convList) applyHits(query string, hits []view.SearchHit) {
	if query != l.query() {
		return
	}
	selID := ""
	if c, ok := l.selected(); ok {
		selID = c.ID
	}
	l.hits = make(map[string]view.SearchHit, len(hits))
	for _, h := range hits {
		l.hits[h.ID] = sanitizeHit(h)
	}
	l.hitsQuery = query
	l.refilter()
	if selID != "" {
		l.selectID(selID)
	}
}

// filtering reports whether a filter is typed.
func (l *convList) filtering() bool { return l.filter.Value() != "" }

// clearFilter empties the filter and shows every conversation again.
func (l *convList) clearFilter() {
	l.filter.Reset()
	l.hits, l.hitsQuery, l.asked = nil, "", ""
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
	return l.titles[id]
}

// update handles the list's keys: moving, opening, and the filter, which
// takes everything else typed. The list never closes itself.
func (l *convList) update(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case tea.PasteMsg:
		l.filter.SetValue(l.filter.Value() + oneLine(cleanInput(msg.Content)))
		return l.filterChanged(), false
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
			cmd = tea.Batch(cmd, l.filterChanged())
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
// the filter, then the conversations that match it, openID marked as
// the open one. It changes nothing.
func (l *convList) view(w, h int, openID string) []string {
	st := l.st
	out := []string{st.PaneTitle.Render(" CONVERSATIONS")}
	if l.focused || l.filtering() {
		f := l.filter // a copy: a list drawn narrower keeps its own width
		f.SetWidth(filterWidth(w, f.Prompt))
		out = append(out, " "+f.View())
	}
	switch {
	case len(l.items) == 0:
		out = append(out, st.Muted.Render(" none yet"))
	case len(l.shown) == 0:
		out = append(out, st.Muted.Render(" no match"))
	}
	// Each conversation takes its title line and, for a content match
	// or a fork, a second line; scroll so that the selected one shows.
	// Counted, not drawn: this runs on every frame.
	rows := h - len(out)
	first, used := 0, 0
	for i := 0; i <= l.sel && i < len(l.shown); i++ {
		used += l.entryRows(l.shown[i])
	}
	for used > rows && first < l.sel {
		used -= l.entryRows(l.shown[first])
		first++
	}
	for i := first; i < len(l.shown) && len(out) < h; i++ {
		c := l.shown[i]
		for j, line := range l.entry(c, w, openID) {
			if len(out) >= h {
				break
			}
			switch {
			case j > 0:
				line = st.Muted.Render(line)
			case i == l.sel && l.focused:
				line = st.Selected.Render(line)
			case c.ID == openID:
				line = st.Accent.Render(line)
			}
			out = append(out, line)
		}
	}
	return out
}

// entry is the plain lines of conversation c, w columns wide: its title
// (marked when open), then the snippet its content matched by or, for a
// fork, what it was forked from.
func (l *convList) entry(c chat.Summary, w int, openID string) []string {
	mark := "  "
	if c.ID == openID {
		mark = "• "
	}
	lines := []string{fit(" "+mark+truncate(displayTitle(c.Title), w-4), w)}
	if sn, ok := l.snippet(c); ok {
		return append(lines, fit("    "+truncate(snippetAround(sn.Text, sn.Start), w-5), w))
	}
	if c.Parent != nil {
		parent := "a deleted conversation"
		if t, ok := l.titles[c.Parent.ConversationID]; ok {
			parent = displayTitle(t)
		}
		lines = append(lines, fit("    "+truncate("└ fork of "+parent, w-5), w))
	}
	return lines
}

// entryRows is how many lines entry draws for c.
func (l *convList) entryRows(c chat.Summary) int {
	if _, ok := l.snippet(c); ok || c.Parent != nil {
		return 2
	}
	return 1
}

// snippet is the text c's content matched the filter by, shown under
// its title; none when the title matched or the hits are stale.
func (l *convList) snippet(c chat.Summary) (view.SearchSnippet, bool) {
	h, ok := l.hits[c.ID]
	if !ok || l.hitsQuery != l.query() || l.hitsQuery == "" || len(h.Snippets) == 0 || h.TitleMatch {
		return view.SearchSnippet{}, false
	}
	return h.Snippets[0], true
}

// snippetAround is text from a little before byte offset start (the
// match), so that a narrow pane shows the match.
func snippetAround(text string, start int) string {
	const before = 6
	if start <= before || start > len(text) {
		return text
	}
	cut := start - before
	for cut < start && !utf8.RuneStart(text[cut]) {
		cut++
	}
	return "…" + text[cut:]
}
