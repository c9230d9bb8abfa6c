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
)

// TestChatWithDamagedLedger damages this month's ledger file by hand in
// three ways. Opening the session, a turn, the usage views and the
// conversation list all still work; the usage view says the ledger needs
// attention and counts the turns made since (kept in the journal); and
// RepairUsage rebuilds the month from the conversations: sane totals,
// every turn counted once.
func TestChatWithDamagedLedger(t *testing.T) {
	damages := map[string]func(t *testing.T, f *fixture, path string){
		"negative count": func(t *testing.T, f *fixture, path string) {
			mon := filepath.Base(strings.TrimSuffix(path, ".age"))
			rows := `{"schema":1,"month":"` + mon + `","rows":[{"key":"k","day":"` + mon + `-01","model":"m","requests":-9223372036854775807}]}`
			if err := f.vault.Files().WriteFile("usage/"+mon+".age", []byte(rows)); err != nil {
				t.Fatal(err)
			}
		},
		"garbage": func(t *testing.T, f *fixture, path string) {
			testkit.WriteRaw(t, path, []byte("\x00garbage\xff"))
		},
		"wrong key": func(t *testing.T, f *fixture, path string) {
			other := testkit.NewHome(t).Open(t)
			if err := other.Files().WriteFile("usage/x.age", []byte(`{"schema":1}`)); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(other.Files().Dir(), "usage", "x.age"))
			if err != nil {
				t.Fatal(err)
			}
			testkit.WriteRaw(t, path, b)
		},
	}
	for name, damage := range damages {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, sim.Options{})
			work := f.addKey("work", "sim-fast", nil)
			f.unlock()
			c := f.create("")
			first := mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "one", KeyID: work.ID})))
			healthy := f.sess.Usage(work.ID, c.ID)
			if healthy.Ledger != "" || f.sess.LedgerAttention() != "" {
				t.Fatalf("a healthy ledger needs attention: %q", healthy.Ledger)
			}
			path := filepath.Join(f.home, "usage", time.Now().UTC().Format("2006-01")+".age")
			damage(t, f, path)
			damaged := testkit.FileState(t, path)

			f.relock() // a new open, as the next command would
			evs, final := f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "two", KeyID: work.ID})
			second := mustDone(t, final)
			for _, ev := range evs {
				if w, ok := ev.(chat.Warning); ok {
					t.Errorf("the turn warned: %s", w.Text)
				}
			}
			if testkit.FileState(t, path) != damaged {
				t.Fatal("the damaged ledger file was overwritten")
			}
			uv := f.sess.Usage(work.ID, c.ID)
			if uv.Ledger == "" || !strings.Contains(f.sess.LedgerAttention(), "usage --repair") {
				t.Errorf("no attention note: view %q, session %q", uv.Ledger, f.sess.LedgerAttention())
			}
			if uv.Month.Tokens != second.Usage.Total() {
				t.Errorf("month with a damaged file: %d tokens, want the journaled turn's %d", uv.Month.Tokens, second.Usage.Total())
			}
			if _, err := f.sess.Conversations(); err != nil {
				t.Errorf("Conversations: %v", err)
			}

			rep, err := f.sess.RepairUsage()
			if err != nil {
				t.Fatalf("RepairUsage: %v", err)
			}
			if len(rep.Months) != 1 || rep.FromConversations != 2 || len(rep.SetAside) != 1 {
				t.Errorf("repair report %+v", rep)
			}
			f.relock()
			uv = f.sess.Usage(work.ID, c.ID)
			want := first.Usage.Total() + second.Usage.Total()
			if uv.Ledger != "" || uv.Month.Tokens != want || uv.Lifetime.Tokens != want || !near(uv.Month.Cost.USD, *first.Message.Turn.CostUSD+*second.Message.Turn.CostUSD) {
				t.Errorf("after repair: note %q, month %+v, lifetime %+v, want %d tokens", uv.Ledger, uv.Month, uv.Lifetime, want)
			}
			lines, total, err := f.sess.UsageReport(UsageQuery{})
			if err != nil || len(lines) != 1 || total.Requests != 2 {
				t.Errorf("UsageReport after repair: %+v %+v %v", lines, total, err)
			}
		})
	}
}

// TestKilledBetweenSaveAndRecord does what a turn does at its end — the
// request journaled, the reply saved — and stops there, as a kill would,
// before the ledger records it. The next open records it, once.
func TestKilledBetweenSaveAndRecord(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	work := f.addKey("work", "sim-fast", nil)
	f.unlock()
	c := f.create("")
	mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "one", KeyID: work.ID})))
	before := f.sess.Usage(work.ID, c.ID)

	h := f.opened()
	cost := 0.25
	reply := chat.Message{ID: "m_killedturn01", Role: chat.RoleAssistant, Content: "saved, never recorded", Time: time.Now().UTC(),
		Turn: &chat.Turn{KeyID: work.ID, KeyName: work.Name, Model: "sim-fast", Usage: chat.Usage{PromptTokens: 100, CompletionTokens: 20}, CostUSD: &cost}}
	h.Journal(work, storedRequests(&chat.Conversation{Messages: []chat.Message{reply}})[0]) // the commit is never called
	if _, err := h.store.Update(c.ID, func(c *chat.Conversation) error {
		c.Messages = append(c.Messages, reply)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := f.sess.Usage(work.ID, c.ID); got.Lifetime.Tokens != before.Lifetime.Tokens {
		t.Fatalf("recorded before the kill: %+v", got.Lifetime)
	}

	for i := range 2 {
		f.relock()
		got := f.sess.Usage(work.ID, c.ID)
		if got.Lifetime.Tokens != before.Lifetime.Tokens+120 || !near(got.Lifetime.Cost.USD, before.Lifetime.Cost.USD+0.25) {
			t.Fatalf("open %d: lifetime %+v, want the killed turn counted once on top of %+v", i+1, got.Lifetime, before.Lifetime)
		}
		if got.Conversation.Tokens != got.Lifetime.Tokens {
			t.Errorf("open %d: the conversation (%d tokens) and the ledger (%d) disagree", i+1, got.Conversation.Tokens, got.Lifetime.Tokens)
		}
	}
}

// TestUsageOverflowServerCannotLockOut is the lock-out: a server
// reporting 2⁶³−1 prompt and completion tokens, twice. The provider
// replaces the figures by an estimate, the ledger saturates anyway, and
// the next open finds a healthy ledger with sane totals.
func TestUsageOverflowServerCannotLockOut(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	k := f.addKey("hostile", sim.FaultUsageOverflow, nil)
	f.unlock()
	c := f.create("")
	var spent int64
	for _, prompt := range []string{"one", "two"} {
		d := mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: prompt, KeyID: k.ID})))
		if !d.Usage.Estimated || d.Usage.Total() <= 0 || d.Usage.Total() > 1_000_000 {
			t.Fatalf("the overflowing figures were kept: %+v", d.Usage)
		}
		spent += d.Usage.Total()
	}
	f.relock()
	uv := f.sess.Usage(k.ID, c.ID)
	if uv.Ledger != "" || uv.Lifetime.Tokens != spent || uv.Lifetime.Tokens < 0 {
		t.Errorf("after reopening: note %q, lifetime %+v, want %d tokens", uv.Ledger, uv.Lifetime, spent)
	}
	if _, _, err := f.sess.UsageReport(UsageQuery{}); err != nil {
		t.Errorf("usage report: %v", err)
	}
}
