package usage

import (
	"math"
	"testing"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// TestCountsSaturate records 2⁶³−1 tokens of every kind twice (what a
// hostile server once reported): no count wraps to negative, the month
// file stays readable, and a new Ledger reads the ceiling back.
func TestCountsSaturate(t *testing.T) {
	h := newHome(t)
	l := h.ledger(t)
	huge := chat.Usage{PromptTokens: math.MaxInt64, CachedPromptTokens: math.MaxInt64, CompletionTokens: math.MaxInt64, ReasoningTokens: math.MaxInt64, Estimated: true}
	e := Entry{KeyID: "k", Model: "m", Time: at("2026-11-26T10:00:00Z"), Usage: huge, CostUSD: usd(math.MaxFloat64)}
	mustRecord(t, l, e, e)
	check := func(name string, got Totals) {
		t.Helper()
		u := got.Usage
		if u.PromptTokens != math.MaxInt64 || u.CachedPromptTokens != math.MaxInt64 || u.CompletionTokens != math.MaxInt64 ||
			u.ReasoningTokens != math.MaxInt64 || got.EstimatedTokens != math.MaxInt64 {
			t.Errorf("%s: counts did not saturate: %+v", name, got)
		}
		if got.Requests != 2 || got.Priced != 2 {
			t.Errorf("%s: requests %d priced %d, want 2 and 2", name, got.Requests, got.Priced)
		}
		if math.IsInf(got.CostUSD, 0) || got.CostUSD != math.MaxFloat64 {
			t.Errorf("%s: cost %v, want the largest finite float", name, got.CostUSD)
		}
	}
	check("after recording", l.Lifetime("k"))
	reopened := Open(h.Open(t).Files())
	if p := reopened.Problems(); len(p) != 0 {
		t.Fatalf("the month file is damaged after saturating: %v", p)
	}
	check("after reopening", reopened.Lifetime("k"))
	// Sums over rows saturate too: two keys at the ceiling.
	mustRecord(t, reopened, Entry{KeyID: "k2", Model: "m", Time: at("2026-11-26T10:00:00Z"), Usage: huge})
	if got := reopened.Lifetime(""); got.Usage.PromptTokens != math.MaxInt64 || got.EstimatedTokens != math.MaxInt64 {
		t.Errorf("sum over keys: %+v", got.Usage)
	}
	if got := reopened.Lifetime("").Add(reopened.Lifetime("")); got.Usage.CompletionTokens != math.MaxInt64 || got.Requests != 6 {
		t.Errorf("Totals.Add: %+v", got)
	}
}
