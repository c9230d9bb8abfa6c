package session

import (
	"context"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/provider"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/vault"
)

// benchTurns is an unlocked backend with one key on a simulator that
// streams sim-huge (about 20,000 tokens) as fast as it can, and a
// conversation whose reply each iteration regenerates.
func benchTurns(b *testing.B) (*Session, view.SendRequest) {
	b.Helper()
	h := testkit.NewHome(b)
	v, err := vault.Open(h.Dir, h.Options())
	if err != nil {
		b.Fatal(err)
	}
	_, url := testkit.Sim(b, sim.Options{})
	key, _ := testkit.AddKey(b, v, vault.Key{Name: "bench", BaseURL: url, DefaultModel: sim.FaultHuge})
	// A 1 ms coalescing window makes many deltas, so the cost of each
	// hop shows.
	a, err := Open(Config{Home: h.Dir, Stream: provider.Options{Coalesce: time.Millisecond}}, v)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(a.Lock)
	c, _, err := a.Create("")
	if err != nil {
		b.Fatal(err)
	}
	req := view.SendRequest{ConversationID: c.ID, Prompt: "a long reply", KeyID: key.ID}
	benchDrain(b, a, req, 0)
	req.Regenerate, req.Prompt = true, ""
	return a, req
}

// benchDrain runs one turn, reading its events with a pause of perDelta
// after each delta (what a screen spends drawing it), and returns how
// many deltas arrived.
func benchDrain(b *testing.B, a *Session, req view.SendRequest, perDelta time.Duration) int {
	ch, err := a.Send(context.Background(), req)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	var last chat.Event
	for ev := range ch {
		if _, ok := ev.(chat.Delta); ok {
			n++
			if perDelta > 0 {
				time.Sleep(perDelta)
			}
		}
		last = ev
	}
	if _, ok := last.(chat.Done); !ok {
		b.Fatalf("turn ended with %#v", last)
	}
	return n
}

// BenchmarkSendTurn is a whole turn through the backend, read as fast as
// it arrives: the hops from the provider to the reader, the saves and
// the ledger.
func BenchmarkSendTurn(b *testing.B) {
	a, req := benchTurns(b)
	b.ReportAllocs()
	deltas := 0
	for b.Loop() {
		deltas += benchDrain(b, a, req, 0)
	}
	b.ReportMetric(float64(deltas)/float64(b.N), "deltas/op")
}

// BenchmarkSendTurnSlowReader reads the same turn with 2 ms of work per
// delta, slower than the provider's coalescing window: with backpressure
// from the reader to the provider the reader gets fewer, larger deltas
// and the turn ends sooner after the last byte.
func BenchmarkSendTurnSlowReader(b *testing.B) {
	a, req := benchTurns(b)
	deltas := 0
	for b.Loop() {
		deltas += benchDrain(b, a, req, 2*time.Millisecond)
	}
	b.ReportMetric(float64(deltas)/float64(b.N), "deltas/op")
}
