package session

import (
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
	"github.com/vaultchat/vaultchat/internal/usage"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/vault"
)

// TestDeferLedgerReadsItOnlyWhenNeeded counts the reads of the usage
// ledger: without Config.DeferLedger the unlock reads it; with it the
// unlock does not, a key without a budget reads it only to record the
// turn (after the reply, the turn counted once), and a key with a budget
// reads it before anything is sent. Not parallel: it swaps openUsage.
func TestDeferLedgerReadsItOnlyWhenNeeded(t *testing.T) {
	var reads atomic.Int32
	defer func(old func(*vault.Files) *usage.Ledger) { openUsage = old }(openUsage)
	openUsage = func(f *vault.Files) *usage.Ledger { reads.Add(1); return usage.Open(f) }

	f := newFixture(t, sim.Options{})
	f.addKey("plain", "sim-fast", nil)
	f.addKey("capped", "sim-fast", func(k *vault.Key) { k.Budget = vault.Budget{MonthlyUSD: 100, Hard: true} })
	f.unlock()
	if reads.Load() != 1 {
		t.Fatalf("without DeferLedger the unlock read the ledger %d times, want 1", reads.Load())
	}
	f.sess.Lock()

	reads.Store(0)
	cfg := f.config()
	cfg.DeferLedger = true
	s := New(cfg)
	if err := s.Unlock(nil); err != nil {
		t.Fatal(err)
	}
	defer s.Lock()
	if reads.Load() != 0 {
		t.Fatalf("with DeferLedger the unlock read the ledger")
	}
	turn := func(key string) chat.Done {
		conv, _, err := s.Create("")
		if err != nil {
			t.Fatal(err)
		}
		ch, err := s.Send(t.Context(), view.SendRequest{ConversationID: conv.ID, Prompt: "two", KeyID: key})
		if err != nil {
			t.Fatal(err)
		}
		var evs []chat.Event
		for ev := range ch {
			evs = append(evs, ev)
		}
		return mustDone(t, checkFinal(t, evs))
	}
	done := turn("plain")
	if reads.Load() != 1 {
		t.Fatalf("a turn with a key without a budget read the ledger %d times, want 1 (to record it)", reads.Load())
	}
	if got := s.Usage(done.Message.Turn.KeyID, "").Today; got.Tokens != done.Usage.Total() {
		t.Errorf("today after the turn: %+v, want %d tokens", got, done.Usage.Total())
	}
	turn("capped")
	if reads.Load() != 1 {
		t.Fatalf("the ledger was read %d times, want once per open", reads.Load())
	}
}

// TestDeferLedgerWithDamagedLedger damages this month's ledger file:
// with DeferLedger the vault opens, both a key without a budget and one
// with a budget get their turn, and the ledger asks for a repair, as it
// does without DeferLedger.
func TestDeferLedgerWithDamagedLedger(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	f.addKey("plain", "sim-fast", nil)
	f.addKey("capped", "sim-fast", func(k *vault.Key) { k.Budget = vault.Budget{MonthlyUSD: 100, Hard: true} })
	f.unlock()
	f.turn(view.SendRequest{ConversationID: f.create("").ID, Prompt: "one", KeyID: "plain"})
	f.sess.Lock()
	month := filepath.Join(f.home, "usage", time.Now().UTC().Format("2006-01")+".age")
	testkit.WriteRaw(t, month, []byte("\x00garbage\xff"))
	damaged := testkit.FileState(t, month)

	cfg := f.config()
	cfg.DeferLedger = true
	s := New(cfg)
	if err := s.Unlock(nil); err != nil {
		t.Fatalf("with DeferLedger and a damaged ledger the vault does not open: %v", err)
	}
	defer s.Lock()
	for _, key := range []string{"plain", "capped"} {
		conv, _, err := s.Create("")
		if err != nil {
			t.Fatal(err)
		}
		ch, err := s.Send(t.Context(), view.SendRequest{ConversationID: conv.ID, Prompt: "two", KeyID: key})
		if err != nil {
			t.Fatal(err)
		}
		var evs []chat.Event
		for ev := range ch {
			evs = append(evs, ev)
		}
		mustDone(t, checkFinal(t, evs))
	}
	if s.LedgerAttention() == "" {
		t.Error("no attention note for the damaged ledger")
	}
	if testkit.FileState(t, month) != damaged {
		t.Fatal("the damaged ledger file was overwritten")
	}
}
