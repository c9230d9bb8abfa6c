package session

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/vault"
)

// TestDeferLedgerReadsItOnlyWhenNeeded damages the usage ledger and
// checks what Config.DeferLedger changes: the vault opens (it does not
// without it), a turn with a key that has no budget is sent and saved and
// only recording warns, and a key with a budget is refused before
// anything is sent, naming the ledger.
func TestDeferLedgerReadsItOnlyWhenNeeded(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.addKey("plain", "sim-fast", nil)
	f.addKey("capped", "sim-fast", func(k *vault.Key) { k.Budget = vault.Budget{MonthlyUSD: 100, Hard: true} })
	f.unlock()
	f.turn(view.SendRequest{ConversationID: f.create("").ID, Prompt: "one", KeyID: "plain"})
	f.sess.Lock()
	month := filepath.Join(f.home, "usage", time.Now().UTC().Format("2006-01")+".age")
	b, err := os.ReadFile(month)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-10] ^= 0x40
	if err := os.WriteFile(month, b, 0o600); err != nil {
		t.Fatal(err)
	}

	if err := New(f.config()).Unlock(nil); err == nil {
		t.Fatal("without DeferLedger a damaged ledger opens")
	}
	cfg := f.config()
	cfg.DeferLedger = true
	s := New(cfg)
	if err := s.Unlock(nil); err != nil {
		t.Fatalf("with DeferLedger the vault does not open: %v", err)
	}
	defer s.Lock()
	turn := func(key string) (evs []chat.Event, final chat.Event) {
		conv, err := s.Create("")
		if err != nil {
			t.Fatal(err)
		}
		ch, err := s.Send(t.Context(), view.SendRequest{ConversationID: conv.ID, Prompt: "two", KeyID: key})
		if err != nil {
			t.Fatal(err)
		}
		for ev := range ch {
			evs = append(evs, ev)
		}
		return evs, checkFinal(t, evs)
	}

	sent := len(testkit.ChatRequests(f.sim))
	evs, final := turn("plain")
	if done, ok := final.(chat.Done); !ok || done.Message == nil {
		t.Fatalf("a key without a budget: the turn ended with %#v", final)
	}
	warned := false
	for _, ev := range evs {
		if w, ok := ev.(chat.Warning); ok && strings.Contains(w.Text, "usage ledger") {
			warned = true
		}
	}
	if !warned || len(testkit.ChatRequests(f.sim)) != sent+1 {
		t.Fatalf("a key without a budget: warned %v, requests %d (want a warning and one request)", warned, len(testkit.ChatRequests(f.sim))-sent)
	}

	_, final = turn("capped")
	failed, ok := final.(chat.Failed)
	if !ok || !strings.Contains(failed.Err.Message, "cannot check the budget of key capped") {
		t.Fatalf("a key with a budget: the turn ended with %#v", final)
	}
	if len(testkit.ChatRequests(f.sim)) != sent+1 {
		t.Fatal("a key whose budget cannot be checked was sent a request")
	}
	if after, _ := os.ReadFile(month); string(after) != string(b) {
		t.Fatal("the damaged ledger file was overwritten")
	}
}
