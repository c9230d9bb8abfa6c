package session

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/view"
)

// TestFailedTurnIsKeptAsAnErrorTurn: a request the server refused before
// streaming (401, 500, 429 after retries) stays in the conversation as an
// error turn, shown in every export, never sent as context again, and is
// recorded in the ledger as a failed request with 0 tokens.
func TestFailedTurnIsKeptAsAnErrorTurn(t *testing.T) {
	tests := []struct {
		model string
		class chat.ErrorClass
	}{
		{sim.Fault401, chat.ErrInvalidKey},
		{sim.Fault500, chat.ErrServer},
		{sim.Fault429, chat.ErrRateLimited},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			f := newFixture(t, sim.Options{})
			bad := f.addKey("bad", tt.model, nil)
			f.addKey("good", "sim-fast", nil)
			f.unlock()
			conv := f.create("")
			_, last := f.turn(view.SendRequest{ConversationID: conv.ID, Prompt: "first try", KeyID: "bad"})
			fl, ok := last.(chat.Failed)
			if !ok || fl.Err.Class != tt.class {
				t.Fatalf("want a %s failure, got %#v", tt.class, last)
			}
			if fl.Message == nil || fl.Message.Turn == nil || fl.Message.Turn.Error == nil {
				t.Fatalf("the failed turn was not stored: %#v", fl.Message)
			}
			got := f.load(conv.ID)
			if len(got.Messages) != 2 {
				t.Fatalf("conversation holds %q, want the prompt and the error turn", contents(got.Messages))
			}
			m := got.Messages[1]
			if m.Role != chat.RoleAssistant || m.Turn == nil || m.Turn.Error == nil || m.Turn.Error.Class != tt.class || m.Turn.KeyName != "bad" {
				t.Fatalf("error turn = %+v", m)
			}
			if u := m.Turn.Usage; u.Total() != 0 {
				t.Fatalf("a refused request is stored with %d tokens", u.Total())
			}
			tot := f.ledger().Lifetime(bad.ID)
			if tot.Requests != 1 || tot.Errors != 1 || tot.Usage.Total() != 0 {
				t.Fatalf("ledger = %+v, want one failed request with 0 tokens", tot)
			}

			// The next turn does not send the error turn as context.
			mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: conv.ID, Prompt: "second try", KeyID: "good"})))
			reqs := f.sim.Requests()
			for _, sent := range reqs[len(reqs)-1].Messages {
				if sent.Role == "assistant" {
					t.Fatalf("the error turn was sent as context: %+v", reqs[len(reqs)-1].Messages)
				}
			}

			// Every export shows it.
			for _, format := range []string{"md", "json", "txt", "html"} {
				path := filepath.Join(f.dir, "out."+format)
				if _, err := f.sess.Export(conv.ID, format, path, true); err != nil {
					t.Fatal(err)
				}
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				flat := strings.Join(strings.Fields(string(b)), " ") // the text export wraps
				if !strings.Contains(flat, fl.Err.Message) && !strings.Contains(flat, jsonEscape(fl.Err.Message)) {
					t.Errorf("the %s export lacks the failed turn's error %q:\n%s", format, fl.Err.Message, b)
				}
				if f.leaks(string(b)) {
					t.Fatalf("the %s export holds a secret", format)
				}
			}
		})
	}
}

// jsonEscape is s as HTML-safe JSON writes it (without quotes).
func jsonEscape(s string) string {
	r := strings.NewReplacer("&", `\u0026`, "<", `\u003c`, ">", `\u003e`, `"`, `\"`)
	return r.Replace(s)
}

// TestCanceledBeforeAnyTextStillCounts: a turn canceled while the server
// held the request, before any text, was (estimated to be) billed: it is
// kept as an incomplete turn, and the conversation's total (the side
// pane's row) agrees with the ledger.
func TestCanceledBeforeAnyTextStillCounts(t *testing.T) {
	f := newFixture(t, sim.Options{SlowDelay: time.Hour})
	k := f.addKey("k", sim.FaultSlow, nil)
	f.unlock()
	conv := f.create("")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := f.sess.Send(ctx, view.SendRequest{ConversationID: conv.ID, Prompt: "are you there?"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; len(f.sim.Requests()) == 0; i++ {
		if i == 3000 {
			t.Fatal("the request never reached the simulator")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	var last chat.Event
	for ev := range ch {
		last = ev
	}
	fl, ok := last.(chat.Failed)
	if !ok || fl.Err.Class != chat.ErrCanceled || fl.Message == nil || fl.Message.Turn.Usage.Total() == 0 {
		t.Fatalf("want a kept canceled turn with its estimated usage, got %#v", last)
	}
	ledger := f.ledger().Lifetime(k.ID).Usage.Total()
	if got := f.sess.Usage(k.ID, conv.ID).Conversation.Tokens; got != ledger || got == 0 {
		t.Fatalf("the conversation row shows %d tokens, the ledger %d", got, ledger)
	}
}
