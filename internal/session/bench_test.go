package session

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/provider"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/vault"
)

// benchTurns is an unlocked backend with one key on a simulator that
// streams sim-huge (about 20,000 tokens) as fast as it can, and a
// conversation whose reply each iteration regenerates.
func benchTurns(b *testing.B) (*Session, view.SendRequest) {
	b.Helper()
	dir := b.TempDir()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		b.Fatal(err)
	}
	idFile := filepath.Join(dir, "id.txt")
	if err := os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	home := filepath.Join(dir, "home")
	v, err := vault.Init(home, vault.Options{IdentityFile: idFile})
	if err != nil {
		b.Fatal(err)
	}
	s := sim.New(sim.Options{})
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	secret, _ := vault.NewSecret("sk-bench-0123456789abcdef0123")
	var key vault.Key
	if err := v.Update(func(tx *vault.Tx) error {
		key, err = tx.Add(vault.Key{Name: "bench", Provider: vault.ProviderOpenAICompatible, BaseURL: url, DefaultModel: sim.FaultHuge, Secret: secret})
		return err
	}); err != nil {
		b.Fatal(err)
	}
	// A 1 ms coalescing window makes many deltas, so the cost of each
	// hop shows.
	a, err := Open(Config{Home: home, Stream: provider.Options{Coalesce: time.Millisecond}}, v)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(a.Lock)
	c, err := a.Create("")
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
