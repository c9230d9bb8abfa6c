package provider

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/internal/sim"

	"github.com/vaultchat/vaultchat/internal/providers"
)

// These tests run the client against vaultchat's own simulator, the
// server every other package's tests use, to check that the two agree on
// the wire.

func startSim(t *testing.T, opts sim.Options) (*sim.Server, string) {
	t.Helper()
	s := sim.New(opts)
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, base
}

func simClient(t *testing.T, base, secret string) *Client {
	t.Helper()
	c, err := New(Config{Provider: providers.OpenAICompatible, BaseURL: base, Secret: secret, KeyName: "demo", Redactor: redact.New(secret)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func simTurn(model string) Request {
	return Request{Model: model, Messages: []chat.Message{
		{Role: chat.RoleSystem, Content: "Be brief."},
		{Role: chat.RoleUser, Content: "What is a vault?"},
		{Role: chat.RoleAssistant, Content: "A safe place."},
		{Role: chat.RoleUser, Content: "And a key?"},
	}}
}

func TestSimStream(t *testing.T) {
	s, base := startSim(t, sim.Options{})
	c := simClient(t, base, newSecret(t))
	evs := collect(t, c.Stream(context.Background(), simTurn("sim-fast"), Options{}))
	d := mustDone(t, evs)
	text := textOf(evs)
	if !strings.Contains(text, "turn 2") || !strings.Contains(text, "And a key?") {
		t.Errorf("reply does not show the context was sent:\n%s", text)
	}
	if d.Usage.Estimated || d.Usage.PromptTokens == 0 || d.Usage.CompletionTokens == 0 || d.FinishReason != "stop" {
		t.Errorf("done = %+v", d)
	}
	if !d.RateLimits.Known() || d.RateLimits.RemainingRequests < 0 || d.RateLimits.LimitRequests <= 0 {
		t.Errorf("rate limits = %+v", d.RateLimits)
	}
	reqs := s.Requests()
	if len(reqs) != 1 || !reqs[0].Stream || !reqs[0].IncludeUsage || len(reqs[0].Messages) != 4 {
		t.Errorf("simulator saw %v", reqs)
	}
}

func TestSimFaults(t *testing.T) {
	tests := []struct {
		model    string
		class    chat.ErrorClass
		requests int
		waits    []time.Duration
	}{
		{sim.Fault401, chat.ErrInvalidKey, 1, nil},
		{sim.FaultQuota, chat.ErrNoQuota, 1, nil},
		{sim.Fault429, chat.ErrRateLimited, 4, []time.Duration{2 * time.Second, 2 * time.Second, 2 * time.Second}},
		{sim.Fault500, chat.ErrServer, 4, []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}},
		{sim.Fault404, chat.ErrModelNotFound, 1, nil},
		{sim.FaultContext, chat.ErrContextTooLong, 1, nil},
		{sim.FaultDisconnect, chat.ErrNetwork, 1, nil}, // text arrived first: no retry
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			s, base := startSim(t, sim.Options{})
			c := simClient(t, base, newSecret(t))
			sl := &fakeSleep{}
			evs := collect(t, c.Stream(context.Background(), simTurn(tt.model), Options{Sleep: sl.Sleep, Jitter: noJitter}))
			f := mustFail(t, evs)
			if f.Err.Class != tt.class {
				t.Errorf("class %s; want %s (%+v)", f.Err.Class, tt.class, f.Err)
			}
			if n := len(s.Requests()); n != tt.requests {
				t.Errorf("%d requests; want %d", n, tt.requests)
			}
			if got := sl.Waits(); !equalDurations(got, tt.waits) {
				t.Errorf("waits %v; want %v", got, tt.waits)
			}
		})
	}
}

func TestSimFlakyIsRetried(t *testing.T) {
	_, base := startSim(t, sim.Options{})
	c := simClient(t, base, newSecret(t))
	sl := &fakeSleep{}
	evs := collect(t, c.Stream(context.Background(), simTurn(sim.FaultFlaky), Options{Sleep: sl.Sleep, Jitter: noJitter}))
	mustDone(t, evs)
	if rs := retryings(evs); len(rs) != 1 || rs[0].Attempt != 1 {
		t.Errorf("retrying events %+v", rs)
	}
}

func TestSimNoStreamOptions(t *testing.T) {
	s, base := startSim(t, sim.Options{})
	c := simClient(t, base, newSecret(t))
	for range 2 {
		d := mustDone(t, collect(t, c.Stream(context.Background(), simTurn(sim.FaultNoStreamOpts), Options{})))
		if !d.Usage.Estimated {
			t.Errorf("usage %+v; want an estimate", d.Usage)
		}
	}
	var with []bool
	for _, r := range s.Requests() {
		with = append(with, r.StreamOptions)
	}
	if len(with) != 3 || !with[0] || with[1] || with[2] {
		t.Errorf("stream_options sent per request: %v; want [true false false]", with)
	}
}

func TestSimNoUsage(t *testing.T) {
	_, base := startSim(t, sim.Options{})
	c := simClient(t, base, newSecret(t))
	d := mustDone(t, collect(t, c.Stream(context.Background(), simTurn(sim.FaultNoUsage), Options{})))
	if !d.Usage.Estimated || d.Usage.CompletionTokens == 0 {
		t.Errorf("usage %+v", d.Usage)
	}
}

func TestSimSecretAndInjection(t *testing.T) {
	for _, model := range []string{sim.FaultEchoAuth, sim.FaultEchoAuthError, sim.FaultInject} {
		t.Run(model, func(t *testing.T) {
			_, base := startSim(t, sim.Options{})
			secret := newSecret(t)
			c := simClient(t, base, secret)
			evs := collect(t, c.Stream(context.Background(), simTurn(model), Options{Coalesce: time.Nanosecond, MaxRetries: -1}))
			checkShape(t, evs)
			all := eventText(evs)
			if strings.Contains(all, "CANARY") || strings.Contains(all, secret[:len(secret)-4]) {
				t.Fatalf("secret in events:\n%s", all)
			}
			if strings.ContainsAny(textOf(evs), "\x1b\x07\u009b") {
				t.Fatalf("raw control characters in reply: %q", textOf(evs))
			}
		})
	}
}

func TestSimCancelSlowFirstByte(t *testing.T) {
	s, base := startSim(t, sim.Options{SlowDelay: time.Hour})
	c := simClient(t, base, newSecret(t))
	ctx, cancel := context.WithCancel(context.Background())
	ch := c.Stream(ctx, simTurn(sim.FaultSlow), Options{})
	// Wait until the simulator holds the request, then cancel.
	for deadline := time.Now().Add(30 * time.Second); len(s.Requests()) == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the simulator never received the request")
		}
	}
	cancel()
	f := mustFail(t, collect(t, ch))
	if f.Err.Class != chat.ErrCanceled {
		t.Fatalf("err %+v", f.Err)
	}
}

func TestSimAzure(t *testing.T) {
	s, base := startSim(t, sim.Options{})
	secret := newSecret(t)
	c, err := New(Config{
		Provider: providers.Azure, BaseURL: strings.TrimSuffix(base, "/v1"), Secret: secret,
		AzureDeployments: map[string]string{"gpt-4o": "prod-4o"},
	})
	if err != nil {
		t.Fatal(err)
	}
	mustDone(t, collect(t, c.Stream(context.Background(), simTurn("gpt-4o"), Options{})))
	ids, cerr := c.ListModels(context.Background())
	if cerr != nil || len(ids) == 0 {
		t.Fatalf("ListModels: %v %v", ids, cerr)
	}
	r := s.Requests()[0]
	if !r.Azure || r.Model != "prod-4o" || r.APIVersion != DefaultAzureAPIVersion || r.APIKey != secret {
		t.Errorf("simulator saw %v (azure %v, api version %q, key matches %v)", r, r.Azure, r.APIVersion, r.APIKey == secret)
	}
}
