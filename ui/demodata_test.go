package ui

import (
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/figures"
	"github.com/vaultchat/vaultchat/internal/view"
)

// demoKeys are keys like the ones "vaultchat --demo" makes (sorted by
// name, as the session lists them), plus one whose check failed. A key
// with usage was used, as in the demo: its "last used" is never "never".
func demoKeys(now time.Time) []view.Key {
	key := func(id, name, provider, host, fp, model string) view.Key {
		return view.Key{KeyRef: chat.KeyRef{ID: id, Name: name, Provider: provider, Host: host, Fingerprint: fp}, DefaultModel: model}
	}
	minted := key("d1", "minted-ci", "openrouter", "127.0.0.1:33205", "sk-…7hq2", "")
	personal := key("d2", "personal", "openai", "127.0.0.1:45915", "sk-…bi4p", "sim-fast")
	personal.Month = view.Total{Tokens: 6_500, Cost: figures.Cost{USD: 0.0025}}
	personal.LastUsed = now.Add(-3 * time.Hour)
	side := key("d3", "side-project", "openai-compatible", "127.0.0.1:41187", "sk-…x3mf", "sim-429")
	side.Month = view.Total{Tokens: 1_500, Cost: figures.Cost{Unknown: true}}
	side.Budget = view.BudgetOK
	side.LastUsed = now.Add(-26 * time.Hour)
	team := key("d4", "team-openai", "openai", "127.0.0.1:33205", "sk-…q8re", "gpt-4o-mini")
	team.Month = view.Total{Tokens: 4_100, Cost: figures.Cost{USD: 0.001}}
	team.CheckFailed = true
	team.LastUsed = now.Add(-26 * time.Hour)
	work := key("d5", "work", "azure", "127.0.0.1:45555", "sk-…c2ad", "gpt-4o-mini")
	work.Month = view.Total{Tokens: 1_220_000, Cost: figures.Cost{USD: 4.70}}
	work.Budget = view.BudgetWarn
	work.LastUsed = now.Add(-30 * time.Hour)
	work.AllowedModels = []string{"gpt-4o-mini", "gpt-4o"}
	return []view.Key{minted, personal, side, team, work}
}

// demoUsage is the usage of the demo's work key at its worst for the
// pane: two budgets, a provider line, a ledger note, rate limits seen,
// a context in use and two weeks of history.
func demoUsage(now time.Time) view.Usage {
	u := richUsage(now)
	u.Month = view.Total{Tokens: 1_220_000, Cost: figures.Cost{USD: 4.70}}
	u.Budgets = []view.Budget{
		{Name: "daily USD", Spent: 0.01, Limit: 0.05, USD: true, Hard: true, ResetsAt: now.Add(9 * time.Hour)},
		{Name: "monthly USD", Spent: 4.70, Limit: 5, USD: true, Hard: true, ResetsAt: now.Add(17 * 24 * time.Hour)},
	}
	u.Provider = "provider saw 41.0k more tokens than this machine sent with key work (reconciled 2d ago)"
	u.Ledger = "ledger damaged: usage --repair"
	return u
}

// withDemoData gives the harness the demo's keys and usage, the work key
// active.
func withDemoData(h *harness) {
	h.b.keys = demoKeys(testNow)
	h.b.usage = demoUsage(testNow)
	if h.b.choices == nil {
		h.b.choices = map[string]view.Choice{}
	}
	h.b.choices[""] = view.Choice{Key: h.b.keys[4].KeyRef, Model: "gpt-4o-mini"}
}
