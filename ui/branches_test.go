package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// withVersions stores a conversation whose reply was regenerated twice:
// three versions, the newest current.
func withVersions(b *fakeBackend) {
	t0 := testNow.Add(-time.Hour)
	reply := func(id, text string, at time.Duration) chat.Message {
		return chat.Message{ID: id, Role: chat.RoleAssistant, Content: text, Time: t0.Add(at),
			Turn: &chat.Turn{KeyID: "k1", KeyName: "work", Model: "gpt-4o-mini"}}
	}
	cur := reply("r3", "Third answer: tabs.", 3*time.Minute)
	cur.Siblings = []chat.Branch{
		{Messages: []chat.Message{reply("r1", "First answer: spaces.", time.Minute)}},
		{Messages: []chat.Message{reply("r2", "Second answer: it depends.", 2*time.Minute)}},
	}
	b.add(&chat.Conversation{ID: "c300", Title: "tabs or spaces", Messages: []chat.Message{
		{ID: "u1", Role: chat.RoleUser, Content: "Tabs or spaces?", Time: t0},
		cur,
		{ID: "n1", Role: chat.RoleNote, Content: "switched model to gpt-4o (key work)", Time: t0.Add(4 * time.Minute)},
		{ID: "u2", Role: chat.RoleUser, Content: "Why?", Time: t0.Add(5 * time.Minute)},
		reply("r4", "Because the tool says so.", 6*time.Minute),
	}})
}

// TestMessageSelectionForks selects a message with alt+m and the arrows
// (notes are skipped), forks from it with f: the backend forks at that
// message, the fork opens, and the list shows what it was forked from.
func TestMessageSelectionForks(t *testing.T) {
	h := newHarness(t, 120, 40, Options{})
	withVersions(h.b)
	h.unlocked()
	h.key("alt+m")
	if h.m.focus != focusMessages || h.m.selectedItem().id != "r4" {
		t.Fatalf("alt+m selected %v; want the last message r4", h.m.selectedItem())
	}
	h.key("up")
	h.key("up")
	if got := h.m.selectedItem().id; got != "r3" {
		t.Fatalf("two ups selected %s; want r3 (the note skipped)", got)
	}
	if s := h.screen(); !strings.Contains(s, "▌ assistant") || !strings.Contains(s, "enter") && !strings.Contains(s, "f fork") {
		t.Errorf("the selected message is not marked, or the hints do not say f forks:\n%s", s)
	}
	h.key("f")
	if len(h.b.forks) != 1 || h.b.forks[0] != [2]string{"c300", "r3"} {
		t.Fatalf("forks = %v; want c300 at r3", h.b.forks)
	}
	fork := h.b.order[len(h.b.order)-1]
	if h.m.convID != fork || h.m.focus != focusInput {
		t.Fatalf("open conversation %s (focus %d); want the fork %s with the input focused", h.m.convID, h.m.focus, fork)
	}
	if n := len(h.m.chat.items); n != 2 {
		t.Errorf("the fork shows %d messages; want 2", n)
	}
	if !strings.Contains(h.screen(), "forked at message 2") {
		t.Errorf("no notice of the fork:\n%s", h.screen())
	}
	h.key("ctrl+o")
	if s := h.screen(); !strings.Contains(s, "└ fork of tabs or") {
		t.Errorf("the list does not show the fork's relation:\n%s", s)
	}
}

// TestFlipVersions shows "3/3" on a regenerated reply and flips to the
// previous version with ← through the backend; the selection stays on
// the message, and a key the mode does not take ends it.
func TestFlipVersions(t *testing.T) {
	h := newHarness(t, 120, 40, Options{})
	withVersions(h.b)
	h.unlocked()
	if s := h.screen(); !strings.Contains(s, "← 3/3 →") || !strings.Contains(s, "Third answer") {
		t.Fatalf("the regenerated reply does not show 3/3:\n%s", s)
	}
	h.key("alt+m")
	h.key("up")
	h.key("up")
	h.key("left")
	s := h.screen()
	if !strings.Contains(s, "← 2/3 →") || !strings.Contains(s, "Second answer") || strings.Contains(s, "Third answer") {
		t.Fatalf("← did not flip to the second version:\n%s", s)
	}
	if strings.Contains(s, "Why?") {
		t.Errorf("the later messages of the other branch are still shown:\n%s", s)
	}
	if it := h.m.selectedItem(); it == nil || it.id != "r2" {
		t.Fatalf("selection after the flip: %v; want r2", it)
	}
	h.key("right")
	if s := h.screen(); !strings.Contains(s, "← 3/3 →") || !strings.Contains(s, "Why?") {
		t.Fatalf("→ did not flip back to the third version:\n%s", s)
	}
	h.key("right") // past the last version: nothing
	if c := h.b.convs["c300"]; c.Messages[1].ID != "r3" {
		t.Errorf("current version %s; want r3", c.Messages[1].ID)
	}
	h.typeText("x")
	if h.m.focus != focusInput || h.m.input.Value() != "x" {
		t.Errorf("a typed letter in the mode: focus %d, input %q; want it typed in the input", h.m.focus, h.m.input.Value())
	}
}

// TestRegenerateCountsAVersion regenerates the last reply: once the new
// reply is done it shows as the newest of two versions.
func TestRegenerateCountsAVersion(t *testing.T) {
	h := newHarness(t, 120, 40, Options{})
	withConversation(h.b)
	h.unlocked()
	h.key("ctrl+r")
	h.b.stream <- chat.Delta{Text: "Another take."}
	h.b.stream <- chat.Done{Message: &chat.Message{ID: "m3", Role: chat.RoleAssistant, Content: "Another take."}}
	close(h.b.stream)
	h.pump(true)
	if s := h.screen(); !strings.Contains(s, "← 2/2 →") {
		t.Fatalf("the regenerated reply does not show 2/2:\n%s", s)
	}
}

// TestSelectionNeedsAMessage: alt+m in an empty conversation says so and
// stays in the input.
func TestSelectionNeedsAMessage(t *testing.T) {
	h := newHarness(t, 80, 24, Options{})
	h.unlocked()
	h.key("alt+m")
	if h.m.focus != focusInput || !strings.Contains(h.screen(), "no message to select") {
		t.Fatalf("alt+m with no message: focus %d\n%s", h.m.focus, h.screen())
	}
}

// TestForkLineNamesItsParent: a fork whose parent is untitled or was
// deleted says so under its title.
func TestForkLineNamesItsParent(t *testing.T) {
	h := newHarness(t, 120, 40, Options{})
	h.b.add(&chat.Conversation{ID: "p1", Messages: []chat.Message{{ID: "m", Role: chat.RoleUser, Content: "x"}}})
	h.b.add(&chat.Conversation{ID: "f1", Title: "kept fork", Parent: &chat.ForkRef{ConversationID: "p1"}})
	h.b.add(&chat.Conversation{ID: "f2", Title: "orphan fork", Parent: &chat.ForkRef{ConversationID: "gone"}})
	h.unlocked()
	h.key("ctrl+o")
	s := h.screen()
	if !strings.Contains(s, "└ fork of untitled") || !strings.Contains(s, "└ fork of a deleted") {
		t.Fatalf("fork lines do not name the parent:\n%s", s)
	}
}

// TestFirstMessageCanBeSelected: a message sent in the app was drawn as
// typed, without the ID it was saved with, so the first message of a new
// conversation could never be selected (to fork at it or flip its
// versions); the turn's Sent event gives it that ID and the text as
// saved (a pasted key masked).
func TestFirstMessageCanBeSelected(t *testing.T) {
	h := newHarness(t, 100, 30, Options{}).unlocked()
	h.typeText("plain one with key-0f3a9c77d1e2b4c5a6f7e8d9c0b1a2")
	h.key("enter")
	h.b.stream <- chat.Sent{Message: chat.Message{ID: "u1", Role: chat.RoleUser, Content: "plain one with key-0f…a2"}}
	h.b.stream <- chat.Delta{Text: "Reply."}
	h.b.stream <- chat.Done{Message: &chat.Message{ID: "a1", Role: chat.RoleAssistant, Content: "Reply."}}
	close(h.b.stream)
	h.pump(false)
	if got := h.m.chat.items[0].text; got != "plain one with key-0f…a2" {
		t.Errorf("the message shows %q; want it as saved", got)
	}
	h.key("alt+m")
	h.key("up")
	if it := h.m.selectedItem(); it == nil || it.id != "u1" {
		t.Fatalf("up from the reply selected %+v; want the first message u1", it)
	}
}
