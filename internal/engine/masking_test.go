package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// TestStoredKeyInPromptIsMaskedAndSaid: a stored key pasted into a
// message (the TUI, ask, a pipe: all send through the engine) reaches
// the server and the saved conversation masked, and the turn says so
// once, right after the message as saved (Sent); a message without a key
// says nothing.
func TestStoredKeyInPromptIsMaskedAndSaid(t *testing.T) {
	r := newRig(t, sim.Options{}, "sim-fast")
	secret := r.accounts.key.Secret.Reveal()
	// send runs one turn on r (a rig takes one request).
	send := func(r *rig, prompt string) []chat.Event {
		t.Helper()
		ch, err := r.engine.Send(context.Background(), SendRequest{ConversationID: "c1", Prompt: prompt})
		if err != nil {
			t.Fatal(err)
		}
		var events []chat.Event
		for ev := range ch {
			events = append(events, ev)
		}
		return events
	}
	warnings := func(events []chat.Event) []string {
		var out []string
		for _, ev := range events {
			if w, ok := ev.(chat.Warning); ok {
				out = append(out, w.Text)
			}
		}
		return out
	}

	events := send(r, "please debug: curl -H 'Authorization: Bearer "+secret+"' and again "+secret)
	requests := testkit.ChatRequests(r.sim)
	if len(requests) != 1 {
		t.Fatalf("%d chat requests", len(requests))
	}
	sent := requests[0].Messages[len(requests[0].Messages)-1].Content
	if strings.Contains(string(requests[0].Body), secret) || !strings.Contains(sent, redact.Mask(secret)) {
		t.Errorf("the server got %q", sent)
	}
	conv, err := r.convs.Load("c1")
	if err != nil {
		t.Fatal(err)
	}
	if stored := conv.Messages[0].Content; strings.Contains(stored, secret) || !strings.Contains(stored, redact.Mask(secret)) {
		t.Errorf("saved %q", stored)
	}
	if w := warnings(events); len(w) != 1 || !strings.Contains(w[0], "masked") || strings.Contains(w[0], secret) {
		t.Errorf("warnings %q, want one that says the key was masked", w)
	} else if _, next := events[1].(chat.Warning); !next {
		t.Errorf("the warning does not follow Sent at once: %#v", events[1])
	}
	// The message as saved comes first, for a face that drew it as typed.
	if sent, ok := events[0].(chat.Sent); !ok || sent.Message.ID != conv.Messages[0].ID || sent.Message.Content != conv.Messages[0].Content {
		t.Errorf("first event %#v; want Sent with the saved message %q", events[0], conv.Messages[0].ID)
	}

	if w := warnings(send(newRig(t, sim.Options{}, "sim-fast"), "no key here, just sk-proj- talk")); len(w) != 0 {
		t.Errorf("a message without a key warned: %q", w)
	}
}

// TestUnansweredMessageIsSaid: a conversation that ends with a user
// message without a reply (a fork at a user message, a turn killed before
// its reply was saved) sends the new message after it, two in a row; the
// turn says so. A conversation that ends with a reply says nothing.
func TestUnansweredMessageIsSaid(t *testing.T) {
	warned := func(events []chat.Event) bool {
		for _, ev := range events {
			if w, ok := ev.(chat.Warning); ok && strings.Contains(w.Text, "had no reply") {
				return true
			}
		}
		return false
	}
	run := func(r *rig) []chat.Event {
		ch, err := r.engine.Send(context.Background(), SendRequest{ConversationID: "c1", Prompt: "after the fork"})
		if err != nil {
			t.Fatal(err)
		}
		var events []chat.Event
		for ev := range ch {
			events = append(events, ev)
		}
		return events
	}
	r := newRig(t, sim.Options{}, "sim-fast")
	if _, err := r.convs.Update("c1", func(c *chat.Conversation) error {
		c.Messages = append(c.Messages, chat.Message{ID: "u0", Role: chat.RoleUser, Content: "forked here"},
			chat.Message{ID: "n0", Role: chat.RoleNote, Content: "a note"})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !warned(run(r)) {
		t.Error("two user messages in a row, and no word of it")
	}
	if warned(run(newRig(t, sim.Options{}, "sim-fast"))) {
		t.Error("a first message was said to follow an unanswered one")
	}
}
