package ui

import (
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/view"
)

// TestListFilterSearchesContent types a word that is only in an
// assistant reply: the backend is asked, the conversation joins the list
// with the matching snippet under its title, and enter opens it. Letters
// typed go to the filter; none acts on a conversation.
func TestListFilterSearchesContent(t *testing.T) {
	h := newHarness(t, 120, 40, Options{})
	twoConversations(h.b)
	withVersions(h.b)
	h.unlocked()
	h.key("ctrl+o")
	h.typeText("tool")
	if got := h.b.searches; len(got) != 4 || got[3] != "tool" {
		t.Fatalf("searches = %q; want one per keystroke, the last \"tool\"", got)
	}
	if len(h.m.list.shown) != 1 || h.m.list.shown[0].ID != "c300" {
		t.Fatalf("shown %v; want only c300, whose reply says \"tool\"", h.m.list.shown)
	}
	s := h.screen()
	if !strings.Contains(s, "tabs or spaces") || !strings.Contains(s, "Because the tool says") {
		t.Errorf("no title with the matching snippet under it:\n%s", s)
	}
	if len(h.b.convs) != 3 || h.m.input.Value() != "" {
		t.Errorf("typing in the filter changed something: %d conversations, input %q", len(h.b.convs), h.m.input.Value())
	}
	h.key("enter")
	if h.m.convID != "c300" || h.m.list.filtering() {
		t.Errorf("enter opened %s (filter %q); want c300 and the filter cleared", h.m.convID, h.m.list.filter.Value())
	}
}

// TestListFilterIgnoresStaleResults: an answer for a text no longer typed
// does not change the list; the title filter works without any answer.
func TestListFilterIgnoresStaleResults(t *testing.T) {
	h := newHarness(t, 120, 40, Options{})
	twoConversations(h.b)
	withVersions(h.b)
	h.unlocked()
	h.key("ctrl+o")
	h.typeText("json")
	h.send(searchedMsg{query: "js", hits: []view.SearchHit{{ID: "c300", Snippets: []view.SearchSnippet{{Text: "stale"}}}}})
	if len(h.m.list.shown) != 1 || h.m.list.shown[0].ID != "c200" {
		t.Fatalf("shown %v after a stale answer; want only c200 (title json tricks)", h.m.list.shown)
	}
	if strings.Contains(h.screen(), "stale") {
		t.Errorf("a stale snippet is shown:\n%s", h.screen())
	}
}

// TestListSearchSnippetSanitized: a snippet with terminal escapes is
// drawn without them.
func TestListSearchSnippetSanitized(t *testing.T) {
	h := newHarness(t, 120, 40, Options{})
	twoConversations(h.b)
	h.unlocked()
	h.key("ctrl+o")
	h.typeText("zz")
	h.send(searchedMsg{query: "zz", hits: []view.SearchHit{{ID: "c100", Matches: 1, Snippets: []view.SearchSnippet{{Text: "zz \x1b]0;pwned\x07 here", Start: 0, End: 2}}}}})
	frame := h.m.View().Content
	if strings.Contains(frame, "\x1b]0;") || strings.Contains(frame, "\x07") {
		t.Fatalf("the snippet drove the terminal: %q", frame)
	}
	if !strings.Contains(h.screen(), "zz") {
		t.Errorf("the snippet is not shown:\n%s", h.screen())
	}
}

// TestListSearchOneAtATime types while a search is in flight: no second
// search starts until it answers, then the text typed since is searched
// once; an answer that failed is not asked again for the same text.
func TestListSearchOneAtATime(t *testing.T) {
	h := newHarness(t, 120, 40, Options{})
	twoConversations(h.b)
	withVersions(h.b)
	h.unlocked()
	h.key("ctrl+o")
	// Update without running the commands: the searches stay in flight.
	_, first := h.m.Update(keyMsg("t"))
	_, second := h.m.Update(keyMsg("o"))
	_, third := h.m.Update(keyMsg("o"))
	if first == nil {
		t.Fatal("the first key asked for no search")
	}
	h.run(second)
	h.run(third)
	if len(h.b.searches) != 0 {
		t.Fatalf("searches while one is in flight: %q", h.b.searches)
	}
	h.run(first) // answers "t", then "too" is searched
	if got := h.b.searches; len(got) != 2 || got[0] != "t" || got[1] != "too" {
		t.Fatalf("searches = %q; want \"t\" then \"too\"", got)
	}
	if len(h.m.list.shown) != 1 || h.m.list.shown[0].ID != "c300" {
		t.Errorf("shown %v; want c300 (its reply says \"tool\")", h.m.list.shown)
	}
	_, cmd := h.m.Update(searchedMsg{query: "too", err: errWrongPass})
	if cmd != nil {
		h.run(cmd)
	}
	if len(h.b.searches) != 2 {
		t.Errorf("a failed search was asked again: %q", h.b.searches)
	}
}
