package engine

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/store"
	"github.com/vaultchat/vaultchat/vault"
)

// contents lists the role and text of every message, for messages.
func contents(msgs []chat.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m.Role) + ":" + m.Content
	}
	return out
}

func TestFailedResendKeepsWhatItReplaces(t *testing.T) {
	// A regenerate or edit-and-resend whose request fails (a revoked
	// key) must not destroy the reply or the exchange it was to
	// replace: nothing is gained in its place.
	tests := []struct {
		name string
		req  SendRequest
		want []string // contents on disk after the failed turn, by prefix
	}{
		{"regenerate", SendRequest{Regenerate: true}, []string{"user:hello", "assistant:"}},
		{"edit last", SendRequest{EditLast: true, Prompt: "hello again"}, []string{"user:hello", "assistant:", "user:hello again"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, sim.Options{})
			f.addKey("good", canary(t), "sim-fast", nil)
			f.addKey("revoked", canary(t), sim.Fault401, nil)
			conv, _ := f.engine.Create("")
			f.turn(context.Background(), SendRequest{ConversationID: conv.ID, Prompt: "hello", Key: "good"})
			before, _ := f.engine.Store().Load(conv.ID)
			oldReply := before.Messages[1].Content

			req := tt.req
			req.ConversationID, req.Key, req.Model = conv.ID, "revoked", sim.Fault401
			_, last := f.turn(context.Background(), req)
			if fl, ok := last.(chat.Failed); !ok || fl.Err.Class != chat.ErrInvalidKey {
				t.Fatalf("want an invalid-key failure, got %#v", last)
			}
			got, _ := f.engine.Store().Load(conv.ID)
			c := contents(got.Messages)
			if len(c) != len(tt.want) {
				t.Fatalf("after the failed turn the conversation holds %q, want %q", c, tt.want)
			}
			for i := range c {
				if !strings.HasPrefix(c[i], tt.want[i]) {
					t.Fatalf("message %d = %q, want %q…", i, c[i], tt.want[i])
				}
			}
			if got.Messages[1].Content != oldReply {
				t.Fatal("the old reply was changed")
			}
			// The request did not carry the old reply or exchange.
			reqs := f.sim.Requests()
			sent := reqs[len(reqs)-1].Messages
			for _, m := range sent {
				if m.Role == "assistant" {
					t.Fatalf("the replaced reply was sent: %+v", sent)
				}
			}
			// Resending once the key works again (regenerate: the edited
			// prompt is the last message now) replaces the old reply, and
			// only then.
			retry := SendRequest{ConversationID: conv.ID, Key: "good", Model: "sim-fast", Regenerate: true}
			if _, last := f.turn(context.Background(), retry); last == nil {
				t.Fatal("no final event")
			} else if _, ok := last.(chat.Done); !ok {
				t.Fatalf("retry ended with %#v", last)
			}
			got, _ = f.engine.Store().Load(conv.ID)
			c = contents(got.Messages)
			lastMsg := got.Messages[len(got.Messages)-1]
			if lastMsg.Role != chat.RoleAssistant || lastMsg.ID == before.Messages[1].ID || lastMsg.Turn.KeyName != "good" {
				t.Fatalf("the resend's reply is not last: %q", c)
			}
			wantLen := map[string]int{"regenerate": 2, "edit last": 4}[tt.name]
			if len(got.Messages) != wantLen {
				t.Fatalf("after the resend the conversation holds %q, want %d messages", c, wantLen)
			}
		})
	}
}

// gatedTransport holds every response until gate is closed.
type gatedTransport struct{ gate chan struct{} }

func (g gatedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	<-g.gate
	return resp, err
}

func TestTwoEnginesOnOneConversationLoseNothing(t *testing.T) {
	// The TUI and "ask --continue" are two processes with their own
	// vault handles and engines on one home. Each turn only adds
	// messages, so each save must add to what is on disk rather than
	// replace it with the turn's older view.
	f := newFixture(t, sim.Options{})
	f.addKey("k", canary(t), "sim-fast", nil)
	other, err := vault.Open(f.home, vault.Options{IdentityFile: filepath.Join(filepath.Dir(f.home), "id.txt")})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	gate := make(chan struct{})
	a, err := New(f.vault, Options{Stream: f.engine.opts.Stream, Transport: gatedTransport{gate}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(other, Options{Stream: f.engine.opts.Stream})
	if err != nil {
		t.Fatal(err)
	}
	conv, _ := a.Create("")

	// a's turn is in flight, its user message saved, its reply held,
	// while b runs a whole turn; then a's reply lands.
	ch, err := a.Send(context.Background(), SendRequest{ConversationID: conv.ID, Prompt: "from the TUI"})
	if err != nil {
		t.Fatal(err)
	}
	f.engine = b
	if _, last := f.turn(context.Background(), SendRequest{ConversationID: conv.ID, Prompt: "from ask"}); last == nil {
		t.Fatal("no final event")
	} else if _, ok := last.(chat.Done); !ok {
		t.Fatalf("b's turn ended with %#v", last)
	}
	close(gate)
	var last chat.Event
	for ev := range ch {
		last = ev
	}
	if _, ok := last.(chat.Done); !ok {
		t.Fatalf("a's turn ended with %#v", last)
	}
	got, err := b.Store().Load(conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"user:from the TUI", "user:from ask", "assistant:", "assistant:"}
	c := contents(got.Messages)
	if len(c) != len(want) {
		t.Fatalf("a save lost the other process's turn: %q", c)
	}
	for i := range want {
		if !strings.HasPrefix(c[i], want[i]) {
			t.Fatalf("message %d = %q, want %q…; all: %q", i, c[i], want[i], c)
		}
	}
	if list, err := b.Store().List(); err != nil || len(list) != 1 || list[0].Messages != 4 {
		t.Fatalf("index after both turns: %+v %v", list, err)
	}
}

func TestCancelBeforeRequestIsNotCounted(t *testing.T) {
	f := newFixture(t, sim.Options{})
	k := f.addKey("k", canary(t), "sim-fast", nil)
	conv, _ := f.engine.Create("")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, last := f.turn(ctx, SendRequest{ConversationID: conv.ID, Prompt: "never sent"})
	if fl, ok := last.(chat.Failed); !ok || fl.Err.Class != chat.ErrCanceled {
		t.Fatalf("want canceled, got %#v", last)
	}
	if n := len(f.sim.Requests()); n != 0 {
		t.Fatalf("%d requests reached the simulator", n)
	}
	if tot := f.engine.Ledger().Lifetime(k.ID); tot.Requests != 0 || tot.Errors != 0 {
		t.Fatalf("a turn that sent nothing was counted: %+v", tot)
	}
	got, _ := f.engine.Store().Load(conv.ID)
	if len(got.Messages) != 1 || got.Messages[0].Content != "never sent" {
		t.Fatalf("the prompt was not kept: %q", contents(got.Messages))
	}
}

func TestBadPromptsAreRefusedCleanly(t *testing.T) {
	tests := []struct {
		name, prompt, want string
	}{
		{"empty", "", "empty"},
		{"whitespace", " \n\t ", "empty"},
		{"invalid utf-8", "caf\xe9 au lait", "UTF-8"},
		{"too large", strings.Repeat("x", MaxPromptBytes+1), "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, sim.Options{})
			f.addKey("k", canary(t), "sim-fast", nil)
			conv, _ := f.engine.Create("")
			ch, err := f.engine.Send(context.Background(), SendRequest{ConversationID: conv.ID, Prompt: tt.prompt})
			if ch != nil {
				for range ch { // drain a turn that should not have started
				}
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one saying %q", err, tt.want)
			}
			got, _ := f.engine.Store().Load(conv.ID)
			if len(got.Messages) != 0 || len(f.sim.Requests()) != 0 {
				t.Fatalf("a refused prompt was written or sent: %q", contents(got.Messages))
			}
		})
	}
	f := newFixture(t, sim.Options{})
	f.addKey("k", canary(t), "sim-fast", nil)
	if _, err := f.engine.Send(context.Background(), SendRequest{ConversationID: "20260101-000000-deadbeef", Prompt: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown conversation: err = %v, want ErrNotFound", err)
	}
	if _, err := f.engine.Send(context.Background(), SendRequest{ConversationID: "../x", Prompt: "x"}); !errors.Is(err, store.ErrInvalidID) {
		t.Fatalf("bad conversation ID: err = %v, want ErrInvalidID", err)
	}
}

func TestFailedSaveWarnsAndKeepsTheReply(t *testing.T) {
	// The vault locked (or the disk full) after the request went out:
	// the user is told, and the reply still reaches the screen.
	f := newFixture(t, sim.Options{ChunkDelay: time.Millisecond})
	f.addKey("k", canary(t), "sim-fast", nil)
	conv, _ := f.engine.Create("")
	ch, err := f.engine.Send(context.Background(), SendRequest{ConversationID: conv.ID, Prompt: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	f.vault.Close()
	var warned bool
	var last chat.Event
	for ev := range ch {
		if w, ok := ev.(chat.Warning); ok && strings.Contains(w.Text, "could not save") {
			warned = true
		}
		last = ev
	}
	done, ok := last.(chat.Done)
	if !ok || done.Message == nil || done.Message.Content == "" {
		t.Fatalf("reply lost: %#v", last)
	}
	if !warned {
		t.Fatal("no warning that the reply was not saved")
	}
}

func TestLedgerFailureKeepsTheConversation(t *testing.T) {
	// A damaged ledger month makes Record fail after the request: the
	// reply is still saved, the user is warned, and the ledger file is
	// left as it was.
	f := newFixture(t, sim.Options{})
	f.addKey("k", canary(t), "sim-fast", nil)
	conv, _ := f.engine.Create("")
	f.turn(context.Background(), SendRequest{ConversationID: conv.ID, Prompt: "one"})
	month := filepath.Join(f.home, "usage", time.Now().UTC().Format("2006-01")+".age")
	b, err := os.ReadFile(month)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-10] ^= 0x40
	if err := os.WriteFile(month, b, 0o600); err != nil {
		t.Fatal(err)
	}
	evs, last := f.turn(context.Background(), SendRequest{ConversationID: conv.ID, Prompt: "two"})
	done, ok := last.(chat.Done)
	if !ok || done.Message == nil {
		t.Fatalf("turn ended with %#v", last)
	}
	warned := false
	for _, ev := range evs {
		if w, ok := ev.(chat.Warning); ok && strings.Contains(w.Text, "record usage") {
			warned = true
		}
	}
	if !warned {
		t.Fatal("no warning that usage was not recorded")
	}
	got, _ := f.engine.Store().Load(conv.ID)
	if len(got.Messages) != 4 || got.Messages[3].ID != done.Message.ID {
		t.Fatalf("the reply was not saved: %q", contents(got.Messages))
	}
	after, _ := os.ReadFile(month)
	if string(after) != string(b) {
		t.Fatal("the damaged ledger file was overwritten")
	}
}

func TestRetriedRequestIsCountedOnce(t *testing.T) {
	f := newFixture(t, sim.Options{})
	k := f.addKey("k", canary(t), sim.FaultFlaky, nil)
	conv, _ := f.engine.Create("")
	evs, last := f.turn(context.Background(), SendRequest{ConversationID: conv.ID, Prompt: "again"})
	if _, ok := last.(chat.Done); !ok {
		t.Fatalf("turn ended with %#v", last)
	}
	retried := false
	for _, ev := range evs {
		if _, ok := ev.(chat.Retrying); ok {
			retried = true
		}
	}
	if !retried || len(f.sim.Requests()) < 2 {
		t.Fatalf("the simulator's flaky model was not retried (%d requests)", len(f.sim.Requests()))
	}
	if tot := f.engine.Ledger().Lifetime(k.ID); tot.Requests != 1 || tot.Errors != 0 || tot.Usage.Total() != last.(chat.Done).Usage.Total() {
		t.Fatalf("ledger = %+v, want one request with the reply's usage %+v", tot, last.(chat.Done).Usage)
	}
}

func TestRegenerateAfterANoteReplacesTheReplyAndKeepsTheNote(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.addKey("k", canary(t), "sim-fast", nil)
	conv, _ := f.engine.Create("")
	_, first := f.turn(context.Background(), SendRequest{ConversationID: conv.ID, Prompt: "hello"})
	if _, err := f.engine.Store().Update(conv.ID, func(c *chat.Conversation) error {
		c.Messages = append(c.Messages, chat.Message{ID: "n1", Role: chat.RoleNote, Content: "my note"})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_, last := f.turn(context.Background(), SendRequest{ConversationID: conv.ID, Regenerate: true})
	if _, ok := last.(chat.Done); !ok {
		t.Fatalf("regenerate ended with %#v", last)
	}
	got, _ := f.engine.Store().Load(conv.ID)
	c := contents(got.Messages)
	if len(c) != 3 || c[0] != "user:hello" || c[1] != "note:my note" || got.Messages[2].ID == first.(chat.Done).Message.ID {
		t.Fatalf("after regenerate: %q", c)
	}
	reqs := f.sim.Requests()
	for _, m := range reqs[len(reqs)-1].Messages {
		if m.Role == "assistant" {
			t.Fatal("the replaced reply was sent with the regenerate")
		}
	}
}
