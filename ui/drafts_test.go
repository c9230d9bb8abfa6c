package ui

import (
	"strings"
	"testing"
)

// TestQuitWithDraftAsksFirst: ctrl+c with an empty input quits at once;
// with a draft it asks (naming the keys that quit), n stays, and a
// second ctrl+c quits and keeps the draft.
func TestQuitWithDraftAsksFirst(t *testing.T) {
	h := newHarness(t, 80, 24, Options{}).unlocked()
	h.typeText("an unfinished thought")
	h.key("ctrl+c")
	if h.quit {
		t.Fatal("ctrl+c threw the draft away without asking")
	}
	s := h.screen()
	if !strings.Contains(s, "Quit?") || !strings.Contains(s, "y or ctrl+c quits") || !strings.Contains(s, "n stay") {
		t.Fatalf("no quit question naming its keys:\n%s", s)
	}
	h.key("n")
	if h.quit || h.m.input.Value() != "an unfinished thought" {
		t.Fatalf("n: quit %v, input %q", h.quit, h.m.input.Value())
	}
	h.key("ctrl+c")
	h.key("ctrl+c")
	if !h.quit {
		t.Fatal("a second ctrl+c did not quit")
	}
	if got := h.b.drafts[""]; got != "an unfinished thought" {
		t.Fatalf("kept draft %q", got)
	}

	h = newHarness(t, 80, 24, Options{}).unlocked()
	h.typeText("x")
	h.key("ctrl+c")
	h.key("y")
	if !h.quit || h.b.drafts[""] != "x" {
		t.Fatalf("y: quit %v, draft %q", h.quit, h.b.drafts[""])
	}

	h = newHarness(t, 80, 24, Options{}).unlocked()
	h.key("ctrl+c")
	if !h.quit || h.b.draftSaves != 0 {
		t.Fatalf("an empty input: quit %v, %d draft saves", h.quit, h.b.draftSaves)
	}
}

// TestDraftsPerConversation types a draft in one conversation, opens
// another (the input is empty there, then holds its own draft), and goes
// back: each conversation gets its own draft back. Sending clears it.
func TestDraftsPerConversation(t *testing.T) {
	h := newHarness(t, 120, 30, Options{})
	twoConversations(h.b)
	h.unlocked() // c200 opens
	h.typeText("for json")
	h.key("ctrl+o")
	h.typeText("arith")
	h.key("enter")
	if h.m.convID != "c100" || !h.m.input.Empty() {
		t.Fatalf("open %q with input %q", h.m.convID, h.m.input.Value())
	}
	if h.b.drafts["c200"] != "for json" {
		t.Fatalf("drafts %v", h.b.drafts)
	}
	h.typeText("for arithmetic")
	h.key("ctrl+n")
	if !h.m.input.Empty() || h.b.drafts["c100"] != "for arithmetic" {
		t.Fatalf("new conversation: input %q, drafts %v", h.m.input.Value(), h.b.drafts)
	}
	h.key("ctrl+o")
	h.typeText("json")
	h.key("enter")
	if h.m.convID != "c200" || h.m.input.Value() != "for json" {
		t.Fatalf("back in c200: open %q, input %q", h.m.convID, h.m.input.Value())
	}
	h.key("enter") // send the draft
	if _, ok := h.b.drafts["c200"]; ok {
		t.Fatalf("a sent draft is still kept: %v", h.b.drafts)
	}
}

// TestDraftKeptAcrossLockAndRestart: ctrl+l and the idle lock keep the
// draft before the screen drops it; it is back after the unlock, and a
// new app (a restart) restores the kept draft of the conversation it
// opens.
func TestDraftKeptAcrossLockAndRestart(t *testing.T) {
	h := newHarness(t, 80, 24, Options{})
	twoConversations(h.b)
	h.unlocked()
	h.typeText("before ctrl+l")
	h.key("ctrl+l")
	if h.m.screen != screenUnlock || h.b.drafts["c200"] != "before ctrl+l" {
		t.Fatalf("screen %d, drafts %v", h.m.screen, h.b.drafts)
	}
	h.unlocked()
	if h.m.input.Value() != "before ctrl+l" {
		t.Fatalf("after unlock the input is %q", h.m.input.Value())
	}
	h.typeText(" and idle")
	h.clock = h.clock.Add(DefaultIdleLock)
	h.fire()
	if h.m.screen != screenUnlock || h.b.drafts["c200"] != "before ctrl+l and idle" {
		t.Fatalf("idle lock: screen %d, drafts %v", h.m.screen, h.b.drafts)
	}

	restarted := newHarness(t, 80, 24, Options{})
	restarted.b = h.b
	restarted.m.b = h.b
	restarted.unlocked()
	if got := restarted.m.input.Value(); got != "before ctrl+l and idle" {
		t.Fatalf("after a restart the input is %q", got)
	}
}

// TestDeleteDropsDraft deletes the open conversation: its kept draft goes
// with it.
func TestDeleteDropsDraft(t *testing.T) {
	h := newHarness(t, 80, 24, Options{})
	twoConversations(h.b)
	h.b.drafts = map[string]string{"c200": "kept"}
	h.unlocked()
	if h.m.input.Value() != "kept" {
		t.Fatalf("input %q", h.m.input.Value())
	}
	h.key("alt+d")
	h.key("y")
	if _, ok := h.b.drafts["c200"]; ok || h.m.draftKept {
		t.Fatalf("the deleted conversation's draft is kept: %v", h.b.drafts)
	}
}
