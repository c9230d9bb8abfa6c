package session

import (
	"fmt"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
	"github.com/vaultchat/vaultchat/vault"
)

// benchSession is an unlocked session over a new vault home with the
// keys add makes, on a simulator that is never asked.
func benchSession(b *testing.B, add func(v *vault.Vault, url string)) *Session {
	b.Helper()
	h := testkit.NewHome(b)
	v, err := vault.Open(h.Dir, h.Options())
	if err != nil {
		b.Fatal(err)
	}
	_, url := testkit.Sim(b, sim.Options{})
	add(v, url)
	a, err := Open(Config{Home: h.Dir}, v)
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
// keys with monthly budgets, each with 10 requests this month.
func BenchmarkKeys(b *testing.B) {
	const keys = 20
	var ids []string
	a := benchSession(b, func(v *vault.Vault, url string) {
		for i := range keys {
			k, _ := testkit.AddKey(b, v, vault.Key{Name: fmt.Sprintf("key-%02d", i), BaseURL: url, DefaultModel: "sim-fast",
				Budget: vault.Budget{DailyUSD: 1, MonthlyUSD: 20, MonthlyTokens: 1_000_000}})
			ids = append(ids, k.ID)
		}
	})
	now := time.Now()
	for _, id := range ids {
		for j := range 10 {
			if err := a.RecordUsage(id, "gpt-4o", now.Add(-time.Duration(j)*time.Minute), chat.Usage{PromptTokens: 1000, CompletionTokens: 500}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if len(a.Keys()) != keys {
			b.Fatal("keys missing")
		}
	}
}
