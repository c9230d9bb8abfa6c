package session

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/keycheck"
	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/usage"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/vault"
)

func TestKeysShowReferencesAndMonthUsage(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	work := f.addKey("work", "sim-fast", func(k *vault.Key) { k.AllowedModels = []string{"sim-fast", "sim-smart"} })
	home := f.addKey("home", "sim-smart", nil)
	f.unlock()

	keys := f.sess.Keys()
	if len(keys) != 2 {
		t.Fatalf("Keys = %+v", keys)
	}
	byName := map[string]view.Key{}
	secretOf := map[string]string{"work": f.secrets[0], "home": f.secrets[1]}
	for i, k := range keys {
		byName[k.Name] = k
		secret := secretOf[k.Name]
		if k.Fingerprint != vaultMask(secret) || !strings.Contains(k.Fingerprint, "…") || !strings.HasSuffix(secret, strings.TrimPrefix(k.Fingerprint, "sk-proj-…")) {
			t.Errorf("key %d fingerprint %q is not the masked form of its secret", i, k.Fingerprint)
		}
		if k.Provider != providers.OpenAICompatible || k.Host != strings.TrimSuffix(strings.TrimPrefix(f.url, "http://"), "/v1") {
			t.Errorf("key %s: provider %q host %q", k.Name, k.Provider, k.Host)
		}
		if k.Month.Tokens != 0 || k.Budget != view.BudgetNone || k.CheckFailed || !k.LastUsed.IsZero() {
			t.Errorf("fresh key %s = %+v", k.Name, k)
		}
	}
	if byName["work"].ID != work.ID || byName["home"].ID != home.ID || byName["work"].DefaultModel != "sim-fast" ||
		!slices.Equal(byName["work"].AllowedModels, []string{"sim-fast", "sim-smart"}) {
		t.Fatalf("Keys = %+v", keys)
	}
	f.assertNoSecret("Keys", keys)

	c := f.create("")
	_, final := f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "hello", KeyID: work.ID, Model: "sim-smart"})
	d := mustDone(t, final)
	_, final = f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "more", KeyID: work.ID, Model: "sim-fast"})
	d2 := mustDone(t, final)

	keys = f.sess.Keys()
	f.assertNoSecret("Keys", keys)
	w := keys[slices.IndexFunc(keys, func(k view.Key) bool { return k.ID == work.ID })]
	h := keys[slices.IndexFunc(keys, func(k view.Key) bool { return k.ID == home.ID })]
	wantTokens := d.Usage.Total() + d2.Usage.Total()
	wantCost := *d.Message.Turn.CostUSD + *d2.Message.Turn.CostUSD
	if w.Month.Tokens != wantTokens || w.Month.Tokens == 0 {
		t.Errorf("work month tokens = %d, want %d", w.Month.Tokens, wantTokens)
	}
	if w.Month.Cost.Unknown || w.Month.Estimated || !near(w.Month.Cost.USD, wantCost) || w.Month.Cost.USD <= 0 {
		t.Errorf("work month = %+v, want cost %v", w.Month, wantCost)
	}
	if w.LastUsed.IsZero() {
		t.Error("work's last use not shown after a turn")
	}
	if h.Month.Tokens != 0 || h.Month.Cost.USD != 0 {
		t.Errorf("home spent nothing, shows %+v", h)
	}
}

func near(a, b float64) bool {
	d := a - b
	return d < 1e-12 && d > -1e-12
}

// TestBudgetLevels records usage through the ledger and checks the level
// each budget shows, including float sums that usage.CheckBudget counts as
// exactly 80% ($0.08 of $0.10) and exactly 100% (eight records of $0.10,
// which add up to 0.7999999999999999, against $0.80).
func TestBudgetLevels(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	tests := []struct {
		name   string
		budget vault.Budget
		tokens int64
		costs  []float64 // one ledger record each
		want   view.BudgetLevel
	}{
		{"none", vault.Budget{}, 800, []float64{0.5}, view.BudgetNone},
		{"tokens-ok", vault.Budget{MonthlyTokens: 2000}, 800, []float64{0}, view.BudgetOK},
		{"tokens-warn", vault.Budget{MonthlyTokens: 1000}, 800, []float64{0}, view.BudgetWarn},
		{"tokens-full", vault.Budget{MonthlyTokens: 800}, 800, []float64{0}, view.BudgetOver},
		{"tokens-over", vault.Budget{MonthlyTokens: 400, Hard: true}, 800, []float64{0}, view.BudgetOver},
		{"usd-ok", vault.Budget{MonthlyUSD: 1}, 800, []float64{0.5}, view.BudgetOK},
		{"usd-80", vault.Budget{DailyUSD: 0.10}, 800, []float64{0.08}, view.BudgetWarn},
		{"usd-100", vault.Budget{DailyUSD: 0.80, Hard: true}, 800, []float64{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}, view.BudgetOver},
		{"mixed", vault.Budget{DailyUSD: 10, MonthlyTokens: 900}, 800, []float64{0.01}, view.BudgetWarn},
		{"unused", vault.Budget{MonthlyUSD: 5}, 0, nil, view.BudgetOK},
	}
	ids := map[string]string{}
	for _, tt := range tests {
		ids[tt.name] = f.addKey(tt.name, "sim-fast", func(k *vault.Key) { k.Budget = tt.budget }).ID
	}
	f.unlock()
	ledger := f.ledger()
	for _, tt := range tests {
		for i, cost := range tt.costs {
			u := chat.Usage{}
			if i == 0 {
				u = chat.Usage{PromptTokens: tt.tokens / 2, CompletionTokens: tt.tokens - tt.tokens/2}
			}
			if err := ledger.Record(usage.Entry{KeyID: ids[tt.name], Model: "sim-fast", Time: time.Now(), Usage: u, CostUSD: &cost}); err != nil {
				t.Fatal(err)
			}
		}
	}
	levels := map[string]view.BudgetLevel{}
	for _, k := range f.sess.Keys() {
		levels[k.ID] = k.Budget
	}
	for _, tt := range tests {
		if got := levels[ids[tt.name]]; got != tt.want {
			t.Errorf("%s: budget level %d, want %d", tt.name, got, tt.want)
		}
	}
	// The engine agrees: the hard budget shown as used up refuses.
	c := f.create("")
	mustFail(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "hi", KeyID: ids["usd-100"]})), chat.ErrBudgetExceeded)

	// The side pane lists the same budgets with their numbers.
	uv := f.sess.Usage(ids["mixed"], "")
	if len(uv.Budgets) != 2 {
		t.Fatalf("budgets = %+v", uv.Budgets)
	}
	daily, tokens := uv.Budgets[0], uv.Budgets[1]
	if !daily.USD || daily.Limit != 10 || !near(daily.Spent, 0.01) || daily.Hard || !daily.ResetsAt.After(time.Now()) {
		t.Errorf("daily budget = %+v", daily)
	}
	if tokens.USD || tokens.Limit != 900 || tokens.Spent != 800 || tokens.Fraction() < 0.8 || tokens.Fraction() >= 1 {
		t.Errorf("token budget = %+v", tokens)
	}
	if v := f.sess.Usage(ids["none"], ""); len(v.Budgets) != 0 {
		t.Errorf("a key without budgets lists %+v", v.Budgets)
	}
}

// TestCheckFailed covers the ✗ mark: set by an invalid-key reply, kept
// through turns that prove nothing about the key (a refusal), cleared by a
// turn that works, and read from the last "keys check" otherwise.
func TestCheckFailed(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	good := f.addKey("good", "sim-fast", nil)
	bad := f.addKey("bad", sim.Fault401, func(k *vault.Key) { k.AllowedModels = []string{sim.Fault401} })
	flip := f.addKey("flip", sim.Fault401, nil)
	checked := time.Now().Add(-time.Hour)
	invalid := f.addKey("checked-invalid", "sim-fast", func(k *vault.Key) {
		k.LastCheck = vault.Check{At: checked, OK: false, Status: keycheck.InvalidKey.String()}
	})
	offline := f.addKey("checked-offline", "sim-fast", func(k *vault.Key) {
		k.LastCheck = vault.Check{At: checked, OK: false, Status: keycheck.Unreachable.String()}
	})
	fine := f.addKey("checked-ok", "sim-fast", func(k *vault.Key) {
		k.LastCheck = vault.Check{At: checked, OK: true, Status: keycheck.OK.String()}
	})
	f.unlock()
	failed := func() map[string]bool {
		out := map[string]bool{}
		for _, k := range f.sess.Keys() {
			out[k.ID] = k.CheckFailed
		}
		return out
	}
	want := map[string]bool{good.ID: false, bad.ID: false, flip.ID: false, invalid.ID: true, offline.ID: false, fine.ID: false}
	if got := failed(); !mapsEqual(got, want) {
		t.Fatalf("before any turn: CheckFailed = %v, want %v", got, want)
	}

	c := f.create("")
	fl := mustFail(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "hi", KeyID: bad.ID})), chat.ErrInvalidKey)
	f.assertNoSecret("invalid-key failure", fl)
	mustFail(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "hi", KeyID: flip.ID})), chat.ErrInvalidKey)
	want[bad.ID], want[flip.ID] = true, true
	if got := failed(); !mapsEqual(got, want) {
		t.Fatalf("after 401 turns: CheckFailed = %v, want %v", got, want)
	}

	// A refused turn never reached the server: the mark stays.
	mustFail(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "hi", KeyID: bad.ID, Model: "sim-fast"})), chat.ErrModelNotAllowed)
	// A turn that works clears the mark, also over a failed check.
	mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "hi", KeyID: flip.ID, Model: "sim-fast"})))
	mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "hi", KeyID: invalid.ID})))
	want[flip.ID], want[invalid.ID] = false, false
	if got := failed(); !mapsEqual(got, want) {
		t.Fatalf("after a refusal and working turns: CheckFailed = %v, want %v", got, want)
	}
}

// TestCheckFailedWithoutKeyID sends with no key named: the engine picks
// the vault's only key, and the 401 must still mark that key.
func TestCheckFailedWithoutKeyID(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	only := f.addKey("only", sim.Fault401, nil)
	f.unlock()
	c := f.create("")
	mustFail(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "hi"})), chat.ErrInvalidKey)
	// By name, as the CLI's --key does.
	keys := f.sess.Keys()
	if len(keys) != 1 || keys[0].ID != only.ID || !keys[0].CheckFailed {
		t.Fatalf("Keys after a 401 with no key named = %+v", keys)
	}
	f.relock()
	mustFail(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "hi", KeyID: "only"})), chat.ErrInvalidKey)
	if keys := f.sess.Keys(); !keys[0].CheckFailed {
		t.Fatalf("Keys after a 401 with the key named = %+v", keys)
	}
}

func mapsEqual(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestModels(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	all := f.addKey("all", "sim-fast", nil)
	some := f.addKey("some", "sim-fast", func(k *vault.Key) {
		k.AllowedModels = []string{"gpt-4o", "sim-fast", "not-on-the-server"}
	})
	f.unlock()
	ctx := context.Background()

	got, err := f.sess.Models(ctx, some.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	// The whole list, sorted: the model picker marks the models the key
	// may not use (view.Key.AllowedModels) and Choose refuses them.
	want := slices.Concat(sim.Models, sim.Faults)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("Models(some) = %v, want %v (sorted)", got, want)
	}
	if n := modelRequests(f.sim); n != 1 {
		t.Fatalf("%d model list requests, want 1", n)
	}
	got[0] = "mutated by the caller"
	again, err := f.sess.Models(ctx, some.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if n := modelRequests(f.sim); n != 1 {
		t.Fatalf("the cached list was fetched again (%d requests)", n)
	}
	if !slices.Equal(again, want) {
		t.Fatalf("cached list = %v: a caller's change leaked into the cache", again)
	}
	if _, err := f.sess.Models(ctx, some.ID, true); err != nil {
		t.Fatal(err)
	}
	if n := modelRequests(f.sim); n != 2 {
		t.Fatalf("refresh made %d requests in all, want 2", n)
	}

	full, err := f.sess.Models(ctx, all.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(full, want) {
		t.Fatalf("Models(all) = %v, want %v", full, want)
	}
	if _, err := f.sess.Models(ctx, "no-such-key", false); err == nil {
		t.Fatal("Models for an unknown key succeeded")
	}
}

func TestModelsErrorIsRedacted(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	k := f.addKey("k", "sim-fast", nil)
	f.sim.Close()
	f.sim = sim.New(sim.Options{KeyFaults: map[string]string{f.secrets[0]: sim.Fault401}})
	url, err := f.sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.sim.Close() })
	if err := f.vault.Update(func(tx *vault.Tx) error {
		_, err := tx.Edit(k.ID, func(k *vault.Key) error { k.BaseURL = url; return nil })
		return err
	}); err != nil {
		t.Fatal(err)
	}
	f.unlock()
	list, err := f.sess.Models(context.Background(), k.ID, false)
	if err == nil || list != nil {
		t.Fatalf("Models with a revoked key = %v, %v", list, err)
	}
	f.assertNoSecret("Models error", err.Error())
	// A failure is not cached: the next call asks again.
	f.sess.Models(context.Background(), k.ID, false)
	if n := modelRequests(f.sim); n != 2 {
		t.Fatalf("%d model requests, want 2", n)
	}
}
