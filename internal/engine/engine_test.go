package engine

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/provider"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/vault"
)

// fixture is an identity-file vault with keys on a running simulator.
type fixture struct {
	t      *testing.T
	home   string
	vault  *vault.Vault
	sim    *sim.Server
	url    string
	engine *Engine
}

func canary(t *testing.T) string {
	t.Helper()
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "sk-proj-CANARY" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])
}

func newFixture(t *testing.T, simOpts sim.Options) *fixture {
	t.Helper()
	dir := t.TempDir()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	idFile := filepath.Join(dir, "id.txt")
	if err := os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "home")
	v, err := vault.Init(home, vault.Options{IdentityFile: idFile})
	if err != nil {
		t.Fatal(err)
	}
	s := sim.New(simOpts)
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f := &fixture{t: t, home: home, vault: v, sim: s, url: url}
	f.engine = f.newEngine()
	return f
}

func (f *fixture) newEngine() *Engine {
	f.t.Helper()
	e, err := New(f.vault, Options{
		Stream: provider.Options{
			Coalesce: time.Millisecond,
			Sleep:    func(context.Context, time.Duration) error { return nil },
		},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return e
}

func (f *fixture) addKey(name, secret, model string, edit func(*vault.Key)) vault.Key {
	f.t.Helper()
	s, err := vault.NewSecret(secret)
	if err != nil {
		f.t.Fatal(err)
	}
	k := vault.Key{Name: name, Provider: vault.ProviderOpenAICompatible, BaseURL: f.url, DefaultModel: model, Secret: s}
	if edit != nil {
		edit(&k)
	}
	var added vault.Key
	if err := f.vault.Update(func(tx *vault.Tx) error {
		added, err = tx.Add(k)
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
	return added
}

// turn sends one prompt and collects its events.
func (f *fixture) turn(ctx context.Context, req SendRequest) ([]chat.Event, chat.Event) {
	f.t.Helper()
	ch, err := f.engine.Send(ctx, req)
	if err != nil {
		f.t.Fatalf("Send: %v", err)
	}
	var evs []chat.Event
	for ev := range ch {
		evs = append(evs, ev)
	}
	if len(evs) == 0 {
		f.t.Fatal("no events")
	}
	return evs, evs[len(evs)-1]
}

func deltas(evs []chat.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		if d, ok := ev.(chat.Delta); ok {
			b.WriteString(d.Text)
		}
	}
	return b.String()
}

func TestMultiTurnSendsContextAndAttributes(t *testing.T) {
	f := newFixture(t, sim.Options{})
	work := f.addKey("work", canary(t), "sim-fast", nil)
	home := f.addKey("home", canary(t), "sim-smart", nil)
	conv, err := f.engine.Create("be brief")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	prompts := []string{"first question", "second question", "third question"}
	for i, p := range prompts {
		key := "work"
		if i == 2 {
			key = "home" // switch key mid-conversation
		}
		evs, last := f.turn(ctx, SendRequest{ConversationID: conv.ID, Prompt: p, Key: key})
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
	got, err := f.engine.Store().Load(conv.ID)
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
	if tot := f.engine.Ledger().Today(work.ID, now); tot.Requests != 2 || tot.Usage.PromptTokens == 0 {
		t.Fatalf("ledger for work today = %+v", tot)
	}
	if tot := f.engine.Ledger().Today(home.ID, now); tot.Requests != 1 {
		t.Fatalf("ledger for home today = %+v", tot)
	}
	k, _ := f.vault.Key("home")
	if k.LastUsed.IsZero() {
		t.Fatal("last-used date not recorded")
	}
}

func TestEstimatedUsageWhenServerReportsNone(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.addKey("k", canary(t), sim.FaultNoUsage, nil)
	conv, _ := f.engine.Create("")
	_, last := f.turn(context.Background(), SendRequest{ConversationID: conv.ID, Prompt: "hello"})
	done := last.(chat.Done)
	if !done.Usage.Estimated || done.Usage.CompletionTokens == 0 {
		t.Fatalf("usage = %+v, want an estimate", done.Usage)
	}
	tot := f.engine.Ledger().Today(done.Message.Turn.KeyID, time.Now())
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
			f.addKey("k", canary(t), tt.model, nil)
			conv, _ := f.engine.Create("")
			_, last := f.turn(context.Background(), SendRequest{ConversationID: conv.ID, Prompt: "keep me"})
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
			got, err := f.engine.Store().Load(conv.ID)
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
	limited := f.addKey("limited", canary(t), "sim-fast", func(k *vault.Key) { k.AllowedModels = []string{"sim-fast"} })
	f.addKey("broke", canary(t), "sim-fast", func(k *vault.Key) {
		k.Budget = vault.Budget{DailyUSD: 0.000001, Hard: true}
	})
	conv, _ := f.engine.Create("")
	_, last := f.turn(context.Background(), SendRequest{ConversationID: conv.ID, Prompt: "hi", Key: "limited", Model: "gpt-4o"})
	if fl, ok := last.(chat.Failed); !ok || fl.Err.Class != chat.ErrModelNotAllowed || fl.KeyID != limited.ID {
		t.Fatalf("want model-not-allowed refusal naming the key, got %#v", last)
	}
	// Spend over the hard budget once, then the next turn is refused.
	_, last = f.turn(context.Background(), SendRequest{ConversationID: conv.ID, Prompt: "spend", Key: "broke"})
	if _, ok := last.(chat.Done); !ok {
		t.Fatalf("first turn under budget should run: %#v", last)
	}
	before := len(f.sim.Requests())
	_, last = f.turn(context.Background(), SendRequest{ConversationID: conv.ID, Prompt: "again", Key: "broke"})
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
	f.addKey("k", canary(t), sim.FaultHuge, nil)
	conv, _ := f.engine.Create("")
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := f.engine.Send(ctx, SendRequest{ConversationID: conv.ID, Prompt: "long please"})
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
	got, _ := f.engine.Store().Load(conv.ID)
	if len(got.Messages) != 2 || !got.Messages[1].Turn.Incomplete || got.Messages[1].Turn.IncompleteReason != "canceled" || got.Messages[1].Content == "" {
		t.Fatalf("canceled reply not kept: %+v", got.Messages)
	}
}

func TestSecretNeverStored(t *testing.T) {
	f := newFixture(t, sim.Options{})
	secret := canary(t)
	f.addKey("k", secret, sim.FaultEchoAuth, nil)
	conv, _ := f.engine.Create("")
	evs, _ := f.turn(context.Background(), SendRequest{ConversationID: conv.ID, Prompt: "echo my key: " + secret})
	for _, ev := range evs {
		if strings.Contains(deltas([]chat.Event{ev}), "CANARY") {
			t.Fatal("secret in a delta")
		}
	}
	_, last := f.turn(context.Background(), SendRequest{ConversationID: conv.ID, Prompt: "again", Model: sim.FaultEchoAuthError})
	if fl, ok := last.(chat.Failed); !ok || strings.Contains(fl.Err.Message, "CANARY") {
		t.Fatalf("error leaked or turn did not fail: %#v", last)
	}
	assertNoPlaintext(t, f.home, secret)
}

// assertNoPlaintext walks dir and fails if any file holds needle in clear.
func assertNoPlaintext(t *testing.T, dir, needle string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), needle) || strings.Contains(string(b), "CANARY") {
			t.Errorf("%s holds the secret in clear", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestInjectedEscapesAreNeutralised(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.addKey("k", canary(t), sim.FaultInject, nil)
	conv, _ := f.engine.Create("")
	evs, last := f.turn(context.Background(), SendRequest{ConversationID: conv.ID, Prompt: "hi"})
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
	f.addKey("k", canary(t), "sim-fast", nil)
	conv, _ := f.engine.Create("")
	long := strings.Repeat("lorem ipsum dolor sit amet ", 600) // ~3.6k tokens per turn
	var trimmed int
	for i := 0; i < 4; i++ {
		evs, _ := f.turn(context.Background(), SendRequest{ConversationID: conv.ID, Prompt: long})
		for _, ev := range evs {
			if tr, ok := ev.(chat.Trimmed); ok {
				trimmed = tr.Turns
			}
		}
	}
	if trimmed == 0 {
		t.Fatal("an 8k-token model got 4 turns of 3.6k tokens with nothing trimmed")
	}
	got, _ := f.engine.Store().Load(conv.ID)
	if len(got.Messages) != 8 {
		t.Fatalf("trimming deleted history: %d messages", len(got.Messages))
	}
}

func TestRegenerateReplacesLastReply(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.addKey("k", canary(t), "sim-fast", nil)
	conv, _ := f.engine.Create("")
	f.turn(context.Background(), SendRequest{ConversationID: conv.ID, Prompt: "hello"})
	_, last := f.turn(context.Background(), SendRequest{ConversationID: conv.ID, Regenerate: true, Model: "sim-smart"})
	if _, ok := last.(chat.Done); !ok {
		t.Fatalf("regenerate ended with %#v", last)
	}
	got, _ := f.engine.Store().Load(conv.ID)
	if len(got.Messages) != 2 || got.Messages[1].Turn.Model != "sim-smart" {
		t.Fatalf("regenerate did not replace the reply: %+v", got.Messages)
	}
	_, last = f.turn(context.Background(), SendRequest{ConversationID: conv.ID, EditLast: true, Prompt: "hello again"})
	if _, ok := last.(chat.Done); !ok {
		t.Fatalf("edit-and-resend ended with %#v", last)
	}
	got, _ = f.engine.Store().Load(conv.ID)
	if len(got.Messages) != 2 || got.Messages[0].Content != "hello again" || !strings.Contains(got.Messages[1].Content, "hello again") {
		t.Fatalf("edit-and-resend did not replace the exchange: %+v", got.Messages)
	}
	if _, err := f.engine.Send(context.Background(), SendRequest{ConversationID: conv.ID}); err == nil {
		t.Fatal("empty prompt accepted")
	}
}

func TestUnknownKey(t *testing.T) {
	f := newFixture(t, sim.Options{})
	conv, _ := f.engine.Create("")
	if _, err := f.engine.Send(context.Background(), SendRequest{ConversationID: conv.ID, Prompt: "x"}); err == nil {
		t.Fatal("send with an empty vault succeeded")
	}
	if _, err := f.engine.Send(context.Background(), SendRequest{ConversationID: conv.ID, Prompt: "x", Key: "nope"}); !errors.Is(err, vault.ErrKeyNotFound) {
		t.Fatalf("err = %v, want ErrKeyNotFound", err)
	}
}

func TestEphemeralKeepsNoConversation(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.addKey("k", canary(t), "sim-fast", nil)
	e, err := New(f.vault, Options{Ephemeral: true, Stream: provider.Options{Coalesce: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	f.engine = e
	conv, _ := e.Create("")
	_, last := f.turn(context.Background(), SendRequest{ConversationID: conv.ID, Prompt: "forget me"})
	if _, ok := last.(chat.Done); !ok {
		t.Fatalf("turn ended with %#v", last)
	}
	if list, err := e.Store().List(); err != nil || len(list) != 0 {
		t.Fatalf("an ephemeral turn was saved: %v %v", list, err)
	}
	if tot := e.Ledger().Today(last.(chat.Done).Message.Turn.KeyID, time.Now()); tot.Requests != 1 {
		t.Fatalf("usage not recorded: %+v", tot)
	}
}
