package usage

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/testkit"
	"github.com/vaultchat/vaultchat/vault"
)

// TestKillBetweenSaveAndRecord: a turn journals its request (Begin), saves
// its reply, and is killed before Commit. The next Open records it, once,
// however often it is opened again.
func TestKillBetweenSaveAndRecord(t *testing.T) {
	h := newHome(t)
	l := h.ledger(t)
	now := at("2026-11-26T12:00:00Z")
	mustRecord(t, l, Entry{KeyID: "k", Model: "m", Time: now, Usage: tokens(1, 1), CostUSD: usd(1)})
	l.Begin(Entry{ID: "m_0123456789ab", KeyID: "k", Model: "m", Time: now, Usage: tokens(10, 5), CostUSD: usd(2)})
	// killed here: no Commit

	for i := range 3 {
		got := h.ledger(t).Today("k", now)
		if got.Requests != 2 || got.Usage.PromptTokens != 11 || got.CostUSD != 3 {
			t.Fatalf("open %d: %+v, want the journaled request counted once", i+1, got)
		}
	}
	if ids, _ := l.pendingIDs(); len(ids) != 0 {
		t.Errorf("journal still holds %v", ids)
	}
}

// TestKillBetweenRecordAndJournalRemoval: the month file took the entry but
// the kill came before its journal file was removed. Replaying the journal
// must not count it again.
func TestKillBetweenRecordAndJournalRemoval(t *testing.T) {
	h := newHome(t)
	l := h.ledger(t)
	now := at("2026-11-26T12:00:00Z")
	e := Entry{ID: "m_aaaaaaaaaaaa", KeyID: "k", Model: "m", Time: now, Usage: tokens(10, 5)}
	if err := l.Begin(e).Commit(); err != nil {
		t.Fatal(err)
	}
	// Put the journal file back, as if the removal never happened.
	if err := l.writePending(e); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if got := h.ledger(t).Today("k", now); got.Requests != 1 {
			t.Fatalf("open %d: %d requests, want 1", i+1, got.Requests)
		}
	}
}

// TestCommitAfterAnotherProcessCaughtUp: while a turn is between Begin and
// Commit, another process opens the ledger and records the journal entry;
// the turn's Commit then adds nothing, even after another record pruned
// the month's ID list.
func TestCommitAfterAnotherProcessCaughtUp(t *testing.T) {
	h := newHome(t)
	l := h.ledger(t)
	now := at("2026-11-26T12:00:00Z")
	p := l.Begin(Entry{ID: "m_bbbbbbbbbbbb", KeyID: "k", Model: "m", Time: now, Usage: tokens(10, 5)})
	other := h.ledger(t)
	mustRecord(t, other, Entry{KeyID: "k", Model: "m", Time: now, Usage: tokens(1, 1)})
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := h.ledger(t).Today("k", now); got.Requests != 2 {
		t.Errorf("%d requests, want 2", got.Requests)
	}
}

// TestRepair rebuilds a damaged November from the stored turns and the
// journal: every damage of TestDamagedLedger, sane totals after, the
// damaged file kept aside, nothing counted twice.
func TestRepair(t *testing.T) {
	writePlain := func(content string) func(t *testing.T, h testHome, v *vault.Vault) {
		return func(t *testing.T, h testHome, v *vault.Vault) {
			if err := v.Files().WriteFile("usage/2026-11.age", []byte(content)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tt := range damages(writePlain) {
		t.Run(tt.name, func(t *testing.T) {
			h := newHome(t)
			v := h.Open(t)
			l := Open(v.Files())
			var turns []Entry
			for i, e := range sampleEntries() {
				e.ID = "m_sample" + string(rune('a'+i))
				turns = append(turns, e)
				mustRecord(t, l, e)
			}
			nov := at("2026-11-26T00:00:00Z")
			want := l.Month("", nov)
			tt.damage(t, h, v)
			damaged := Open(h.Open(t).Files())
			// A turn made while November is damaged: journaled, its
			// reply stored too (so it is among the turns).
			late := Entry{ID: "m_late00000000", KeyID: "k2", Model: "gpt-4o", Time: at("2026-11-29T00:00:00Z"), Usage: tokens(5, 5), CostUSD: usd(1)}
			if err := damaged.Begin(late).Commit(); err != nil {
				t.Fatal(err)
			}
			turns = append(turns, late)
			want = want.Add(Totals{Requests: 1, Usage: tokens(5, 5), CostUSD: 1, Priced: 1})

			res, err := damaged.Repair(turns)
			if err != nil {
				t.Fatalf("Repair: %v", err)
			}
			if strings.Join(res.Months, " ") != "2026-11" || res.FromConversations != 7 || res.FromJournal != 0 || len(res.SetAside) != 1 {
				t.Errorf("Repair result %+v", res)
			}
			if p := damaged.Problems(); len(p) != 0 {
				t.Errorf("Problems after Repair: %v", p)
			}
			if _, err := os.Stat(filepath.Join(h.Dir, res.SetAside[0])); err != nil {
				t.Errorf("the damaged file was not kept aside: %v", err)
			}
			for name, l := range map[string]*Ledger{"repaired": damaged, "reopened": Open(h.Open(t).Files())} {
				if got := l.Month("", nov); got != want {
					t.Errorf("%s November:\n got %+v\nwant %+v", name, got, want)
				}
				if p := l.Problems(); len(p) != 0 {
					t.Errorf("%s: Problems %v", name, p)
				}
			}
		})
	}
}

// TestRepairKeepsJournalOnlyRequests: a request journaled into a damaged
// month whose reply was never stored (ask --no-save) survives Repair.
func TestRepairKeepsJournalOnlyRequests(t *testing.T) {
	h := newHome(t)
	v := h.Open(t)
	l := Open(v.Files())
	mustRecord(t, l, sampleEntries()...)
	testkit.WriteRaw(t, h.monthPath("2026-11"), []byte("garbage"))
	damaged := Open(h.Open(t).Files())
	e := Entry{KeyID: "k9", Model: "m", Time: at("2026-11-29T00:00:00Z"), Usage: tokens(5, 5)}
	if err := damaged.Record(e); err != nil {
		t.Fatal(err)
	}
	// A journal file that does not open is set aside, not deleted.
	testkit.WriteRaw(t, filepath.Join(h.Dir, "usage", "pending", "m_broken.age"), []byte("garbage"))
	res, err := damaged.Repair(nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.FromJournal != 1 || len(res.SetAside) != 2 {
		t.Errorf("Repair result %+v", res)
	}
	if got := Open(h.Open(t).Files()).Month("k9", at("2026-11-29T00:00:00Z")); got.Requests != 1 {
		t.Errorf("journal-only request after Repair: %+v", got)
	}
	if _, err := os.Stat(filepath.Join(h.Dir, "usage", "pending", "m_broken.age")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("broken journal file still in place: %v", err)
	}
}

// TestRepairByAnotherProcess: a Ledger holding a journaled entry of a
// damaged month does not count it twice once another process repaired
// the month and this one records there again.
func TestRepairByAnotherProcess(t *testing.T) {
	h := newHome(t)
	mustRecord(t, h.ledger(t), sampleEntries()...)
	testkit.WriteRaw(t, h.monthPath("2026-11"), []byte("garbage"))
	a := h.ledger(t)
	day := at("2026-11-29T00:00:00Z")
	mustRecord(t, a, Entry{KeyID: "k9", Model: "m", Time: day, Usage: tokens(5, 5)})
	if _, err := h.ledger(t).Repair(nil); err != nil {
		t.Fatal(err)
	}
	mustRecord(t, a, Entry{KeyID: "k9", Model: "m", Time: day, Usage: tokens(5, 5)})
	for name, l := range map[string]*Ledger{"the same Ledger": a, "a new one": h.ledger(t)} {
		if got := l.Today("k9", day); got.Requests != 2 {
			t.Errorf("%s: %d requests, want 2", name, got.Requests)
		}
	}
}
