package session

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
	"github.com/vaultchat/vaultchat/vault"
)

// benchSession is an unlocked session over a new vault home with the
// keys add makes, on a simulator that is never asked.
func benchSession(b *testing.B, add func(v *vault.Vault, url string)) *Session {
	b.Helper()
	return benchSessionAt(b, time.Time{}, add)
}

// benchSessionAt is benchSession with the session's clock stopped at now
// (the real clock when now is zero).
func benchSessionAt(b *testing.B, now time.Time, add func(v *vault.Vault, url string)) *Session {
	b.Helper()
	h := testkit.NewHome(b)
	v, err := vault.Open(h.Dir, h.Options())
	if err != nil {
		b.Fatal(err)
	}
	_, url := testkit.Sim(b, sim.Options{})
	add(v, url)
	cfg := Config{Home: h.Dir}
	if !now.IsZero() {
		cfg.Now = func() time.Time { return now }
	}
	a, err := Open(cfg, v)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(a.Lock)
	return a
}

// BenchmarkUsageProviderLine is the side pane's snapshot for an
// OpenRouter key whose figures are cached in the home, as the pane asks
// for it on every redraw and turn.
func BenchmarkUsageProviderLine(b *testing.B) {
	var key vault.Key
	a := benchSession(b, func(v *vault.Vault, url string) {
		key, _ = testkit.AddKey(b, v, vault.Key{Name: "router", Provider: providers.OpenRouter, BaseURL: url, DefaultModel: "sim-fast"})
	})
	h, err := a.open()
	if err != nil {
		b.Fatal(err)
	}
	limit, left := 5.0, 3.0
	if err := h.writeCache(figuresCacheName(key.ID), ProviderFigures{Fetched: time.Now(), UsageMonthly: 2, LimitUSD: &limit, RemainingUSD: &left}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if a.Usage(key.ID, "").Provider == "" {
			b.Fatal("no provider line")
		}
	}
}

// BenchmarkKeys is the key list of the pickers and the side pane: 20
// keys with budgets, each used with 3 models on each of the 28 days of
// this month so far (1,680 ledger rows, written whole in internal/usage's
// format, as benchReconcile does).
func BenchmarkKeys(b *testing.B) {
	const keys = 20
	now := time.Date(2026, 12, 28, 12, 0, 0, 0, time.UTC)
	type row struct {
		Key        string  `json:"key"`
		Day        string  `json:"day"`
		Model      string  `json:"model"`
		Requests   int64   `json:"requests"`
		Prompt     int64   `json:"prompt"`
		Completion int64   `json:"completion"`
		CostUSD    float64 `json:"cost_usd"`
		Priced     int64   `json:"priced"`
	}
	a := benchSessionAt(b, now, func(v *vault.Vault, url string) {
		var rows []row
		for i := range keys {
			k, _ := testkit.AddKey(b, v, vault.Key{Name: fmt.Sprintf("key-%02d", i), BaseURL: url, DefaultModel: "sim-fast",
				Budget: vault.Budget{DailyUSD: 1, MonthlyUSD: 20, MonthlyTokens: 1_000_000}})
			for d := 1; d <= now.Day(); d++ {
				for _, model := range []string{"gpt-4o", "gpt-4o-mini", "sim-fast"} {
					rows = append(rows, row{Key: k.ID, Day: fmt.Sprintf("2026-12-%02d", d), Model: model, Requests: 1, Prompt: 1200, Completion: 450, CostUSD: 0.001, Priced: 1})
				}
			}
		}
		data, err := json.Marshal(map[string]any{"schema": 1, "month": "2026-12", "rows": rows})
		if err != nil {
			b.Fatal(err)
		}
		if err := v.Files().WriteFile("usage/2026-12.age", data); err != nil {
			b.Fatal(err)
		}
	})
	if got := a.Keys(); len(got) != keys || got[0].Month.Tokens != 28*3*1650 {
		b.Fatalf("%d keys, the first spent %d tokens", len(got), got[0].Month.Tokens)
	}
	b.ReportAllocs()
	for b.Loop() {
		if len(a.Keys()) != keys {
			b.Fatal("keys missing")
		}
	}
}
