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
// once, as its first event; a message without a key says nothing.
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
	} else if _, first := events[0].(chat.Warning); !first {
		t.Errorf("the warning is not the first event: %#v", events[0])
	}

	if w := warnings(send(newRig(t, sim.Options{}, "sim-fast"), "no key here, just sk-proj- talk")); len(w) != 0 {
		t.Errorf("a message without a key warned: %q", w)
	}
}
