package engine

import (
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/provider"
	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
	"github.com/vaultchat/vaultchat/internal/usage"
	"github.com/vaultchat/vaultchat/vault"
)

// The engine's own contract, on stand-ins for what the session hands it:
// conversations in memory, one fixed key, a ledger that only counts. The
// turns end to end (stores, ledger, keys, refusals) are tested through the
// session, in internal/session.

// accounts is a stand-in for the session: one key, no budgets, records
// kept in memory.
type accounts struct {
	key     vault.Key
	mu      sync.Mutex
	records []usage.Entry
}

func (a *accounts) Resolve(_ *chat.Conversation, _, model string) (vault.Key, string, error) {
	if model == "" {
		model = a.key.DefaultModel
	}
	return a.key, model, nil
}

func (a *accounts) Budget(vault.Key, time.Time) usage.Verdict { return usage.Verdict{} }

func (a *accounts) Record(_ vault.Key, e usage.Entry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.records = append(a.records, e)
	return nil
}

func (a *accounts) Journal(k vault.Key, e usage.Entry) func() error {
	return func() error { return a.Record(k, e) }
}

func (a *accounts) recorded() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.records)
}

// rig is an engine on a simulator whose key uses model, with a
// conversation to send to.
type rig struct {
	engine   *Engine
	convs    *Memory
	accounts *accounts
	conv     *chat.Conversation
	// bodyDone is closed when the provider is done with a response.
	bodyDone chan struct{}
	finals   []chat.Event
	// sim is the simulator the key points at (what it received).
	sim *sim.Server
}

func newRig(t *testing.T, simOpts sim.Options, model string) *rig {
	t.Helper()
	server, url := testkit.Sim(t, simOpts)
	secret, err := vault.NewSecret(testkit.Canary(t))
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{
		convs:    &Memory{},
		accounts: &accounts{key: vault.Key{ID: "k_1", Name: "k", Provider: providers.OpenAICompatible, BaseURL: url, DefaultModel: model, Secret: secret}},
		conv:     &chat.Conversation{ID: "c1"},
		bodyDone: make(chan struct{}),
		sim:      server,
	}
	if err := r.convs.Save(r.conv); err != nil {
		t.Fatal(err)
	}
	red := redact.New(secret.Reveal())
	var mu sync.Mutex
	r.engine = New(Config{
		Conversations: r.convs,
		Accounts:      r.accounts,
		Redactor:      func() *redact.Redactor { return red },
		Stream:        provider.Options{Coalesce: time.Millisecond},
		Transport:     closeTransport{done: r.bodyDone},
		Finished: func(keyID string, final chat.Event) {
			mu.Lock()
			defer mu.Unlock()
			if keyID != r.accounts.key.ID {
				t.Errorf("Finished told key %q", keyID)
			}
			r.finals = append(r.finals, final)
		},
	})
	return r
}

// closeTransport closes done when a chat response body is closed: the
// provider has then read the whole reply and sent the last of its text
// to the engine, and will send nothing but the final event.
type closeTransport struct{ done chan struct{} }

func (c closeTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && r.URL.Path == "/v1/chat/completions" {
		resp.Body = &closeBody{ReadCloser: resp.Body, done: c.done}
	}
	return resp, err
}

type closeBody struct {
	io.ReadCloser
	done chan struct{}
	once sync.Once
}

func (b *closeBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(func() { close(b.done) })
	return err
}

// turn sends prompt and returns the turn's last event.
func (r *rig) turn(t *testing.T, prompt string) chat.Event {
	t.Helper()
	ch, err := r.engine.Send(context.Background(), SendRequest{ConversationID: "c1", Prompt: prompt})
	if err != nil {
		t.Fatal(err)
	}
	var last chat.Event
	for ev := range ch {
		last = ev
	}
	return last
}

// TestSlowReaderGetsCoalescedDeltas is the streaming path's backpressure:
// a reader that takes no event until the provider has the whole reply
// gets a handful of deltas holding all the text, not a backlog of every
// delta the provider would have sent a fast reader.
func TestSlowReaderGetsCoalescedDeltas(t *testing.T) {
	r := newRig(t, sim.Options{}, sim.FaultHuge)
	ch, err := r.engine.Send(context.Background(), SendRequest{ConversationID: "c1", Prompt: "a long one"})
	if err != nil {
		t.Fatal(err)
	}
	<-r.bodyDone
	deltas, text := 0, ""
	var last chat.Event
	for ev := range ch {
		if d, ok := ev.(chat.Delta); ok {
			deltas++
			text += d.Text
		}
		last = ev
	}
	done, ok := last.(chat.Done)
	if !ok || done.Message == nil {
		t.Fatalf("turn ended with %#v", last)
	}
	if text != done.Message.Content || len(text) < 50_000 {
		t.Fatalf("the deltas hold %d bytes, the stored reply %d", len(text), len(done.Message.Content))
	}
	// One in the channel, one in the engine's hand, one in the
	// provider's channel, and the rest of the text in one last delta.
	if deltas > 4 {
		t.Errorf("a reader that fell behind got %d deltas, want at most 4", deltas)
	}
}

// TestCanceledTurnNeverWaitsForTheReader: once the turn is canceled the
// reader may be gone; the turn still saves its partial reply, delivers its
// final event into the channel and ends.
func TestCanceledTurnNeverWaitsForTheReader(t *testing.T) {
	r := newRig(t, sim.Options{ChunkDelay: time.Millisecond}, sim.FaultHuge)
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := r.engine.Send(ctx, SendRequest{ConversationID: "c1", Prompt: "a long one"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := (<-ch).(chat.Delta); !ok {
		t.Fatal("the first event is not a delta")
	}
	cancel()
	// Nobody reads now. Wait is a guard against a hang, not a speed
	// test: the bound is generous.
	if !r.engine.Wait(20 * time.Second) {
		t.Fatal("a canceled turn is still running with nobody reading")
	}
	var last chat.Event
	for ev := range ch {
		last = ev
	}
	fl, ok := last.(chat.Failed)
	if !ok || fl.Err.Class != chat.ErrCanceled || fl.Message == nil {
		t.Fatalf("the last event is %#v, want Failed (canceled) with the stored reply", last)
	}
	got, err := r.convs.Load("c1")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got.Messages); n != 2 || got.Messages[1].ID != fl.Message.ID || !got.Messages[1].Turn.Incomplete {
		t.Fatalf("the partial reply was not kept: %+v", got.Messages)
	}
	if r.accounts.recorded() != 1 {
		t.Errorf("%d ledger records, want 1 (the request was made)", r.accounts.recorded())
	}
}

// TestFinalEventCarriesTheStoredMessage: the final event, the one the
// Finished hook is told, holds the reply as stored.
func TestFinalEventCarriesTheStoredMessage(t *testing.T) {
	r := newRig(t, sim.Options{}, "sim-fast")
	last := r.turn(t, "hi")
	done, ok := last.(chat.Done)
	if !ok || done.Message == nil || done.Message.Turn == nil || done.Message.Turn.KeyID != "k_1" {
		t.Fatalf("turn ended with %#v", last)
	}
	got, _ := r.convs.Load("c1")
	if stored := got.Messages[len(got.Messages)-1]; stored.ID != done.Message.ID || stored.Content != done.Message.Content {
		t.Fatalf("final message %q is not the stored %q", done.Message.ID, stored.ID)
	}
	if len(r.finals) != 1 || r.finals[0].(chat.Done).Message.ID != done.Message.ID {
		t.Fatalf("Finished was told %#v", r.finals)
	}
}

// TestNoRequestNoRecord: a turn that never made a request (the provider
// client cannot be built) is not counted in the ledger.
func TestNoRequestNoRecord(t *testing.T) {
	r := newRig(t, sim.Options{}, "sim-fast")
	r.accounts.key.Provider = "carrier-pigeon"
	last := r.turn(t, "hi")
	if fl, ok := last.(chat.Failed); !ok || fl.Err.Class != chat.ErrOther {
		t.Fatalf("turn ended with %#v", last)
	}
	if n := r.accounts.recorded(); n != 0 {
		t.Fatalf("%d ledger records for a turn that sent nothing", n)
	}
}
