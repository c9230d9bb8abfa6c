package session

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
	"github.com/vaultchat/vaultchat/internal/config"
	"github.com/vaultchat/vaultchat/internal/engine"
	"github.com/vaultchat/vaultchat/internal/provider"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/store"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/vault"
)

// The tests of turns end to end: the engine runs them on what the
// session hands it, as both faces do.

func TestMultiTurnSendsContextAndAttributes(t *testing.T) {
	f := newFixture(t, sim.Options{})
	work := f.addKey("work", "sim-fast", nil)
	home := f.addKey("home", "sim-smart", nil)
	f.unlock()
	conv := f.create("be brief")
	ctx := context.Background()
	prompts := []string{"first question", "second question", "third question"}
	for i, p := range prompts {
		key := "work"
		if i == 2 {
			key = "home" // switch key mid-conversation
		}
		evs, last := f.turnCtx(ctx, view.SendRequest{ConversationID: conv.ID, Prompt: p, KeyID: key})
		done, ok := last.(chat.Done)
		if !ok {
			t.Fatalf("turn %d ended with %#v", i+1, last)
		}
		if done.Message == nil || done.Message.Content != deltas(evs) {
			t.Fatalf("turn %d: stored message differs from the streamed text", i+1)
		}
		if done.Usage.Estimated || done.Usage.PromptTokens == 0 {
			t.Fatalf("turn %d: usage %+v, want the provider's", i+1, done.Usage)
		}
	}
	reqs := f.sim.Requests()
	last := reqs[len(reqs)-1]
	if last.APIKey == "" || last.Messages[0].Role != "system" || last.Messages[0].Content != "be brief" {
		t.Fatalf("system prompt not sent first: %+v", last.Messages[0])
	}
	if n := len(last.Messages); n != 6 {
		t.Fatalf("third turn sent %d messages, want system + 2 pairs + prompt = 6", n)
	}
	got, err := f.sess.Load(conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Messages) != 6 {
		t.Fatalf("conversation holds %d messages, want 6", len(got.Messages))
	}
	reply := got.Messages[5]
	if !strings.Contains(reply.Content, "turn 3") || !strings.Contains(reply.Content, "second question") {
		t.Fatalf("reply does not prove the context was sent:\n%s", reply.Content)
	}
	if got.Messages[1].Turn.KeyID != work.ID || got.Messages[1].Turn.Model != "sim-fast" {
		t.Fatalf("turn 1 attribution = %+v", got.Messages[1].Turn)
	}
	if reply.Turn.KeyID != home.ID || reply.Turn.KeyName != "home" || reply.Turn.Model != "sim-smart" {
		t.Fatalf("turn 3 attribution = %+v", reply.Turn)
	}
	if reply.Turn.CostUSD == nil || *reply.Turn.CostUSD <= 0 {
		t.Fatalf("sim-smart has a price; cost = %v", reply.Turn.CostUSD)
	}
	now := time.Now()
	if tot := f.ledger().Today(work.ID, now); tot.Requests != 2 || tot.Usage.PromptTokens == 0 {
		t.Fatalf("ledger for work today = %+v", tot)
	}
	if tot := f.ledger().Today(home.ID, now); tot.Requests != 1 {
		t.Fatalf("ledger for home today = %+v", tot)
	}
	// An empty Update reloads the test's own handle from disk.
	if err := f.vault.Update(func(*vault.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	k, _ := f.vault.Key("home")
	if k.LastUsed.IsZero() {
		t.Fatal("last-used date not recorded")
	}
}

func TestEstimatedUsageWhenServerReportsNone(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.addKey("k", sim.FaultNoUsage, nil)
	f.unlock()
	conv := f.create("")
	_, last := f.turn(view.SendRequest{ConversationID: conv.ID, Prompt: "hello"})
	done := last.(chat.Done)
	if !done.Usage.Estimated || done.Usage.CompletionTokens == 0 {
		t.Fatalf("usage = %+v, want an estimate", done.Usage)
	}
	tot := f.ledger().Today(done.Message.Turn.KeyID, time.Now())
	if !tot.Usage.Estimated || tot.EstimatedTokens == 0 {
		t.Fatalf("ledger does not mark the estimate: %+v", tot)
	}
}

func TestFaultsAreClassifiedAndSaved(t *testing.T) {
	tests := []struct {
		model   string
		class   chat.ErrorClass
		partial bool
	}{
		{sim.Fault401, chat.ErrInvalidKey, false},
		{sim.FaultQuota, chat.ErrNoQuota, false},
		{sim.Fault429, chat.ErrRateLimited, false},
		{sim.Fault500, chat.ErrServer, false},
		{sim.Fault404, chat.ErrModelNotFound, false},
		{sim.FaultContext, chat.ErrContextTooLong, false},
		{sim.FaultDisconnect, chat.ErrNetwork, true},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			f := newFixture(t, sim.Options{})
			f.addKey("k", tt.model, nil)
			f.unlock()
			conv := f.create("")
			_, last := f.turn(view.SendRequest{ConversationID: conv.ID, Prompt: "keep me"})
			failed, ok := last.(chat.Failed)
			if !ok {
				t.Fatalf("ended with %#v", last)
			}
			if failed.Err.Class != tt.class {
				t.Fatalf("class = %s, want %s (%s)", failed.Err.Class, tt.class, failed.Err.Message)
			}
			if failed.Err.Hint == "" && tt.class != chat.ErrNetwork {
				t.Errorf("no hint for %s", tt.class)
			}
			got, err := f.sess.Load(conv.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Messages[0].Content != "keep me" {
				t.Fatal("user message lost")
			}
			if tt.partial {
				if len(got.Messages) != 2 || !got.Messages[1].Turn.Incomplete || got.Messages[1].Content == "" {
					t.Fatalf("partial reply not saved as incomplete: %+v", got.Messages)
				}
			}
		})
	}
}

func TestRefusalsHappenBeforeAnyRequest(t *testing.T) {
	f := newFixture(t, sim.Options{})
	limited := f.addKey("limited", "sim-fast", func(k *vault.Key) { k.AllowedModels = []string{"sim-fast"} })
	f.addKey("broke", "sim-fast", func(k *vault.Key) {
		k.Budget = vault.Budget{DailyUSD: 0.000001, Hard: true}
	})
	f.unlock()
	conv := f.create("")
	_, last := f.turn(view.SendRequest{ConversationID: conv.ID, Prompt: "hi", KeyID: "limited", Model: "gpt-4o"})
	if fl, ok := last.(chat.Failed); !ok || fl.Err.Class != chat.ErrModelNotAllowed || fl.KeyID != limited.ID {
		t.Fatalf("want model-not-allowed refusal naming the key, got %#v", last)
	}
	// Spend over the hard budget once, then the next turn is refused.
	_, last = f.turn(view.SendRequest{ConversationID: conv.ID, Prompt: "spend", KeyID: "broke"})
	if _, ok := last.(chat.Done); !ok {
		t.Fatalf("first turn under budget should run: %#v", last)
	}
	before := len(f.sim.Requests())
	_, last = f.turn(view.SendRequest{ConversationID: conv.ID, Prompt: "again", KeyID: "broke"})
	fl, ok := last.(chat.Failed)
	if !ok || fl.Err.Class != chat.ErrBudgetExceeded || !strings.Contains(fl.Err.Message+fl.Err.Hint, "daily") {
		t.Fatalf("want a daily budget refusal, got %#v", last)
	}
	if after := len(f.sim.Requests()); after != before {
		t.Fatalf("a refused turn reached the simulator (%d → %d requests)", before, after)
	}
}

func TestCancelMidStreamSavesIncompleteTurn(t *testing.T) {
	f := newFixture(t, sim.Options{ChunkDelay: 5 * time.Millisecond})
	f.addKey("k", sim.FaultHuge, nil)
	f.unlock()
	conv := f.create("")
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := f.sess.Send(ctx, view.SendRequest{ConversationID: conv.ID, Prompt: "long please"})
	if err != nil {
		t.Fatal(err)
	}
	var last chat.Event
	for ev := range ch {
		if _, ok := ev.(chat.Delta); ok {
			cancel()
		}
		last = ev
	}
	cancel()
	fl, ok := last.(chat.Failed)
	if !ok || fl.Err.Class != chat.ErrCanceled {
		t.Fatalf("want canceled, got %#v", last)
	}
	got, _ := f.sess.Load(conv.ID)
	if len(got.Messages) != 2 || !got.Messages[1].Turn.Incomplete || got.Messages[1].Turn.IncompleteReason != "canceled" || got.Messages[1].Content == "" {
		t.Fatalf("canceled reply not kept: %+v", got.Messages)
	}
}

func TestSecretNeverStored(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.addKey("k", sim.FaultEchoAuth, nil)
	secret := f.secrets[0]
	f.unlock()
	conv := f.create("")
	evs, _ := f.turn(view.SendRequest{ConversationID: conv.ID, Prompt: "echo my key: " + secret})
	for _, ev := range evs {
		if strings.Contains(deltas([]chat.Event{ev}), "CANARY") {
			t.Fatal("secret in a delta")
		}
	}
	_, last := f.turn(view.SendRequest{ConversationID: conv.ID, Prompt: "again", Model: sim.FaultEchoAuthError})
	if fl, ok := last.(chat.Failed); !ok || strings.Contains(fl.Err.Message, "CANARY") {
		t.Fatalf("error leaked or turn did not fail: %#v", last)
	}
	f.assertNoSecretOnDisk()
}

func TestInjectedEscapesAreNeutralised(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.addKey("k", sim.FaultInject, nil)
	f.unlock()
	conv := f.create("")
	evs, last := f.turn(view.SendRequest{ConversationID: conv.ID, Prompt: "hi"})
	text := deltas(evs)
	if strings.ContainsAny(text, "\x1b\x07\u009b") {
		t.Fatalf("raw control bytes in the stream: %q", text)
	}
	if !strings.Contains(text, "␛]52") {
		t.Fatalf("neutralised OSC 52 not visible: %q", text)
	}
	if strings.ContainsAny(last.(chat.Done).Message.Content, "\x1b\x07") {
		t.Fatal("raw control bytes stored")
	}
}

func TestContextTrimming(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.addKey("k", "sim-fast", nil)
	f.unlock()
	conv := f.create("")
	long := strings.Repeat("lorem ipsum dolor sit amet ", 600) // ~3.6k tokens per turn
	var trimmed int
	for i := 0; i < 4; i++ {
		evs, _ := f.turn(view.SendRequest{ConversationID: conv.ID, Prompt: long})
		for _, ev := range evs {
			if tr, ok := ev.(chat.Trimmed); ok {
				trimmed = tr.Turns
			}
		}
	}
	if trimmed == 0 {
		t.Fatal("an 8k-token model got 4 turns of 3.6k tokens with nothing trimmed")
	}
	got, _ := f.sess.Load(conv.ID)
	if len(got.Messages) != 8 {
		t.Fatalf("trimming deleted history: %d messages", len(got.Messages))
	}
}

func TestRegenerateReplacesLastReply(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.addKey("k", "sim-fast", nil)
	f.unlock()
	conv := f.create("")
	f.turn(view.SendRequest{ConversationID: conv.ID, Prompt: "hello"})
	_, last := f.turn(view.SendRequest{ConversationID: conv.ID, Regenerate: true, Model: "sim-smart"})
	if _, ok := last.(chat.Done); !ok {
		t.Fatalf("regenerate ended with %#v", last)
	}
	got, _ := f.sess.Load(conv.ID)
	if len(got.Messages) != 2 || got.Messages[1].Turn.Model != "sim-smart" {
		t.Fatalf("regenerate did not replace the reply: %+v", got.Messages)
	}
	_, last = f.turn(view.SendRequest{ConversationID: conv.ID, EditLast: true, Prompt: "hello again"})
	if _, ok := last.(chat.Done); !ok {
		t.Fatalf("edit-and-resend ended with %#v", last)
	}
	got, _ = f.sess.Load(conv.ID)
	if len(got.Messages) != 2 || got.Messages[0].Content != "hello again" || !strings.Contains(got.Messages[1].Content, "hello again") {
		t.Fatalf("edit-and-resend did not replace the exchange: %+v", got.Messages)
	}
	if _, err := f.sess.Send(context.Background(), view.SendRequest{ConversationID: conv.ID}); err == nil {
		t.Fatal("empty prompt accepted")
	}
}

func TestUnknownKey(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.unlock()
	conv := f.create("")
	if _, err := f.sess.Send(context.Background(), view.SendRequest{ConversationID: conv.ID, Prompt: "x"}); err == nil {
		t.Fatal("send with an empty vault succeeded")
	}
	if _, err := f.sess.Send(context.Background(), view.SendRequest{ConversationID: conv.ID, Prompt: "x", KeyID: "nope"}); !errors.Is(err, vault.ErrKeyNotFound) {
		t.Fatalf("err = %v, want ErrKeyNotFound", err)
	}
}

func TestEphemeralKeepsNoConversation(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.addKey("k", "sim-fast", nil)
	cfg := f.config()
	cfg.Ephemeral = true
	f.sess = New(cfg)
	f.unlock()
	conv := f.create("")
	_, last := f.turn(view.SendRequest{ConversationID: conv.ID, Prompt: "forget me"})
	if _, ok := last.(chat.Done); !ok {
		t.Fatalf("turn ended with %#v", last)
	}
	if list, err := f.opened().store.List(); err != nil || len(list) != 0 {
		t.Fatalf("an ephemeral turn was saved: %v %v", list, err)
	}
	if tot := f.ledger().Today(last.(chat.Done).Message.Turn.KeyID, time.Now()); tot.Requests != 1 {
		t.Fatalf("usage not recorded: %+v", tot)
	}
}

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
	// replace: only the failed turn is added after it, as an error turn.
	tests := []struct {
		name string
		req  view.SendRequest
		want []string // contents on disk after the failed turn, by prefix
	}{
		{"regenerate", view.SendRequest{Regenerate: true}, []string{"user:hello", "assistant:", "assistant:"}},
		{"edit last", view.SendRequest{EditLast: true, Prompt: "hello again"}, []string{"user:hello", "assistant:", "user:hello again", "assistant:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, sim.Options{})
			f.addKey("good", "sim-fast", nil)
			f.addKey("revoked", sim.Fault401, nil)
			f.unlock()
			conv := f.create("")
			f.turn(view.SendRequest{ConversationID: conv.ID, Prompt: "hello", KeyID: "good"})
			before, _ := f.sess.Load(conv.ID)
			oldReply := before.Messages[1].Content

			req := tt.req
			req.ConversationID, req.KeyID, req.Model = conv.ID, "revoked", sim.Fault401
			_, last := f.turn(req)
			if fl, ok := last.(chat.Failed); !ok || fl.Err.Class != chat.ErrInvalidKey {
				t.Fatalf("want an invalid-key failure, got %#v", last)
			}
			got, _ := f.sess.Load(conv.ID)
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
			retry := view.SendRequest{ConversationID: conv.ID, KeyID: "good", Model: "sim-fast", Regenerate: true}
			if _, last := f.turn(retry); last == nil {
				t.Fatal("no final event")
			} else if _, ok := last.(chat.Done); !ok {
				t.Fatalf("retry ended with %#v", last)
			}
			got, _ = f.sess.Load(conv.ID)
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

func TestTwoSessionsOnOneConversationLoseNothing(t *testing.T) {
	// The TUI and "ask --continue" are two processes with their own
	// vault handles and sessions on one home. A turn owns its
	// conversation from reading the history to saving the reply: while
	// one runs, the other's turn is refused before it saves or sends
	// anything (it would ask next to a reply it never saw), and goes
	// through afterwards, after the whole first exchange.
	f := newFixture(t, sim.Options{})
	f.addKey("k", "sim-fast", nil)
	gate := make(chan struct{})
	cfg := f.config()
	cfg.Transport = gatedTransport{gate}
	a := New(cfg)
	if err := a.Unlock(nil); err != nil {
		t.Fatal(err)
	}
	defer a.Lock()
	f.unlock() // b, the other process
	conv, _, err := a.Create("")
	if err != nil {
		t.Fatal(err)
	}

	// a's turn is in flight, its user message saved, its reply held,
	// while b tries a turn; then a's reply lands.
	ch, err := a.Send(context.Background(), view.SendRequest{ConversationID: conv.ID, Prompt: "from the TUI"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.sess.Send(context.Background(), view.SendRequest{ConversationID: conv.ID, Prompt: "from ask"}); !errors.Is(err, ErrConversationInUse) {
		close(gate)
		t.Fatalf("b's turn during a's: %v, want ErrConversationInUse", err)
	}
	close(gate)
	var last chat.Event
	for ev := range ch {
		last = ev
	}
	if _, ok := last.(chat.Done); !ok {
		t.Fatalf("a's turn ended with %#v", last)
	}
	if _, last := f.turn(view.SendRequest{ConversationID: conv.ID, Prompt: "from ask"}); last == nil {
		t.Fatal("no final event")
	} else if _, ok := last.(chat.Done); !ok {
		t.Fatalf("b's turn ended with %#v", last)
	}
	got := f.load(conv.ID)
	want := []string{"user:from the TUI", "assistant:", "user:from ask", "assistant:"}
	c := contents(got.Messages)
	if len(c) != len(want) {
		t.Fatalf("the turns are not whole and in order: %q", c)
	}
	for i := range want {
		if !strings.HasPrefix(c[i], want[i]) {
			t.Fatalf("message %d = %q, want %q…; all: %q", i, c[i], want[i], c)
		}
	}
	if list, err := f.sess.Conversations(); err != nil || len(list) != 1 || list[0].Messages != 4 {
		t.Fatalf("index after both turns: %+v %v", list, err)
	}
}

func TestCancelBeforeRequestIsNotCounted(t *testing.T) {
	f := newFixture(t, sim.Options{})
	k := f.addKey("k", "sim-fast", nil)
	f.unlock()
	conv := f.create("")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, last := f.turnCtx(ctx, view.SendRequest{ConversationID: conv.ID, Prompt: "never sent"})
	if fl, ok := last.(chat.Failed); !ok || fl.Err.Class != chat.ErrCanceled {
		t.Fatalf("want canceled, got %#v", last)
	}
	if n := len(f.sim.Requests()); n != 0 {
		t.Fatalf("%d requests reached the simulator", n)
	}
	if tot := f.ledger().Lifetime(k.ID); tot.Requests != 0 || tot.Errors != 0 {
		t.Fatalf("a turn that sent nothing was counted: %+v", tot)
	}
	got, _ := f.sess.Load(conv.ID)
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
		{"too large", strings.Repeat("x", engine.MaxPromptBytes+1), "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, sim.Options{})
			f.addKey("k", "sim-fast", nil)
			f.unlock()
			conv := f.create("")
			ch, err := f.sess.Send(context.Background(), view.SendRequest{ConversationID: conv.ID, Prompt: tt.prompt})
			if ch != nil {
				for range ch { // drain a turn that should not have started
				}
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one saying %q", err, tt.want)
			}
			got, _ := f.sess.Load(conv.ID)
			if len(got.Messages) != 0 || len(f.sim.Requests()) != 0 {
				t.Fatalf("a refused prompt was written or sent: %q", contents(got.Messages))
			}
		})
	}
	f := newFixture(t, sim.Options{})
	f.addKey("k", "sim-fast", nil)
	f.unlock()
	if _, err := f.sess.Send(context.Background(), view.SendRequest{ConversationID: "20260101-000000-deadbeef", Prompt: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown conversation: err = %v, want ErrNotFound", err)
	}
	if _, err := f.sess.Send(context.Background(), view.SendRequest{ConversationID: "../x", Prompt: "x"}); !errors.Is(err, store.ErrInvalidID) {
		t.Fatalf("bad conversation ID: err = %v, want ErrInvalidID", err)
	}
}

func TestFailedSaveWarnsAndKeepsTheReply(t *testing.T) {
	// The vault locked (or the disk full) after the request went out:
	// the user is told, and the reply still reaches the screen.
	f := newFixture(t, sim.Options{ChunkDelay: time.Millisecond})
	f.addKey("k", "sim-fast", nil)
	f.unlock()
	conv := f.create("")
	ch, err := f.sess.Send(context.Background(), view.SendRequest{ConversationID: conv.ID, Prompt: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	f.opened().vault.Close()
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
	// A damaged ledger month cannot take the request: the reply is still
	// saved, the request waits in the ledger's journal (counted by the
	// usage views, which say the ledger needs attention), and the ledger
	// file is left as it was.
	f := newFixture(t, sim.Options{})
	f.addKey("k", "sim-fast", nil)
	f.unlock()
	conv := f.create("")
	first := mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: conv.ID, Prompt: "one"})))
	month := filepath.Join(f.home, "usage", time.Now().UTC().Format("2006-01")+".age")
	b, err := os.ReadFile(month)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-10] ^= 0x40
	if err := os.WriteFile(month, b, 0o600); err != nil {
		t.Fatal(err)
	}
	evs, last := f.turn(view.SendRequest{ConversationID: conv.ID, Prompt: "two"})
	done, ok := last.(chat.Done)
	if !ok || done.Message == nil {
		t.Fatalf("turn ended with %#v", last)
	}
	for _, ev := range evs {
		if w, ok := ev.(chat.Warning); ok {
			t.Errorf("warned although the usage is kept: %s", w.Text)
		}
	}
	// This session read the month before the damage, and keeps it.
	if uv := f.sess.Usage("", conv.ID); uv.Ledger == "" || uv.Month.Tokens != first.Usage.Total()+done.Usage.Total() {
		t.Errorf("usage view: note %q, month %+v; want a note and both turns", uv.Ledger, uv.Month)
	}
	got, _ := f.sess.Load(conv.ID)
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
	k := f.addKey("k", sim.FaultFlaky, nil)
	f.unlock()
	conv := f.create("")
	evs, last := f.turn(view.SendRequest{ConversationID: conv.ID, Prompt: "again"})
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
	if tot := f.ledger().Lifetime(k.ID); tot.Requests != 1 || tot.Errors != 0 || tot.Usage.Total() != last.(chat.Done).Usage.Total() {
		t.Fatalf("ledger = %+v, want one request with the reply's usage %+v", tot, last.(chat.Done).Usage)
	}
}

func TestRegenerateAfterANoteReplacesTheReplyAndKeepsTheNote(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.addKey("k", "sim-fast", nil)
	f.unlock()
	conv := f.create("")
	_, first := f.turn(view.SendRequest{ConversationID: conv.ID, Prompt: "hello"})
	if _, err := f.opened().store.Update(conv.ID, func(c *chat.Conversation) error {
		c.Messages = append(c.Messages, chat.Message{ID: "n1", Role: chat.RoleNote, Content: "my note"})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_, last := f.turn(view.SendRequest{ConversationID: conv.ID, Regenerate: true})
	if _, ok := last.(chat.Done); !ok {
		t.Fatalf("regenerate ended with %#v", last)
	}
	got, _ := f.sess.Load(conv.ID)
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

// TestTimeoutsFromSettings: config.toml's response_timeout reaches the
// provider through the session (a server that never answers ends the
// turn with a timeout, not a hang), and a Stream option set by the caller
// wins over it.
func TestTimeoutsFromSettings(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	settings := config.Default()
	settings.ResponseTimeout = 50 * time.Millisecond
	cfg := f.config()
	cfg.Settings = &settings
	f.sess = New(cfg)
	if got := f.sess.cfg.Stream.StreamIdleTimeout; got != config.DefaultStreamIdleTimeout {
		t.Errorf("stream idle timeout = %v, want the default %v", got, config.DefaultStreamIdleTimeout)
	}
	work := f.addKey("work", sim.FaultNeverAnswers, nil)
	f.unlock()
	c := f.create("")
	mustFail(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "hello?", KeyID: work.ID, Model: sim.FaultNeverAnswers})), chat.ErrTimeout)

	settings.ResponseTimeout = 0 // "0s": no limit
	if got := New(Config{Home: f.home, Settings: &settings}).cfg.Stream.ResponseTimeout; got >= 0 {
		t.Errorf(`response_timeout "0s" gave %v, want a negative "no limit"`, got)
	}
	if got := New(Config{Home: f.home, Settings: &settings, Stream: provider.Options{ResponseTimeout: time.Second}}).cfg.Stream.ResponseTimeout; got != time.Second {
		t.Errorf("the caller's timeout was replaced: %v", got)
	}
}
