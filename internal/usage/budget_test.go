package usage

import (
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
)

func spent(usdAmount float64) Totals { return Totals{CostUSD: usdAmount} }

func TestCheckBudget(t *testing.T) {
	now := at("2026-11-26T15:04:05Z")
	tests := []struct {
		name         string
		b            Budget
		now          time.Time
		today, month Totals
		warnings     []string
		refuse       string // message, "" for none
	}{
		{"no budget", Budget{Key: "work"}, now, spent(100), spent(1000), nil, ""},
		{"daily at 79%", Budget{Key: "work", DailyUSD: 1}, now, spent(0.79), spent(0.79), nil, ""},
		{"daily at 80%", Budget{Key: "work", DailyUSD: 1}, now, spent(0.80), spent(0.80),
			[]string{"daily budget of key work at 80% ($0.80 of $1.00)"}, ""},
		{"a budget under a cent is not $0.00", Budget{Key: "work", DailyUSD: 0.0001}, now, spent(0.000097), spent(0.000097),
			[]string{"daily budget of key work at 97% ($0.0001 of $0.0001)"}, ""},
		{"80% despite float rounding", Budget{Key: "work", DailyUSD: 0.3}, now, spent(0.24), spent(0.24),
			[]string{"daily budget of key work at 80% ($0.24 of $0.30)"}, ""},
		{"daily at 85%", Budget{Key: "work", DailyUSD: 1}, now, spent(0.85), spent(0.85),
			[]string{"daily budget of key work at 85% ($0.85 of $1.00)"}, ""},
		{"soft daily at 100% warns", Budget{Key: "work", DailyUSD: 1}, now, spent(1), spent(1),
			[]string{"daily budget of key work exceeded: 100% ($1.00 of $1.00)"}, ""},
		{"soft daily over 100% warns", Budget{Key: "work", DailyUSD: 1}, now, spent(1.5), spent(1.5),
			[]string{"daily budget of key work exceeded: 150% ($1.50 of $1.00)"}, ""},
		{"hard daily at 99% warns", Budget{Key: "work", DailyUSD: 1, Hard: true}, now, spent(0.99), spent(0.99),
			[]string{"daily budget of key work at 99% ($0.99 of $1.00)"}, ""},
		{"hard daily at 100% refuses until tomorrow", Budget{Key: "work", DailyUSD: 1, Hard: true}, now, spent(1), spent(1),
			nil, "daily budget of key work is used up ($1.00 of $1.00); it resets 2026-11-27 00:00 UTC"},
		{"hard daily on the last day of the month", Budget{Key: "work", DailyUSD: 1, Hard: true}, at("2026-11-30T23:59:59Z"), spent(2), spent(2),
			nil, "daily budget of key work is used up ($2.00 of $1.00); it resets 2026-12-01 00:00 UTC"},
		{"hard monthly refuses until the 1st", Budget{Key: "work", MonthlyUSD: 10, Hard: true}, now, spent(0), spent(10.02),
			nil, "monthly budget of key work is used up ($10.02 of $10.00); it resets 2026-12-01 00:00 UTC"},
		{"hard monthly at year end", Budget{Key: "work", MonthlyUSD: 10, Hard: true}, at("2026-12-31T23:00:00Z"), spent(0), spent(11),
			nil, "monthly budget of key work is used up ($11.00 of $10.00); it resets 2027-01-01 00:00 UTC"},
		{"hard daily at year end", Budget{Key: "work", DailyUSD: 1, Hard: true}, at("2026-12-31T23:00:00-05:00"), spent(1), spent(1),
			nil, "daily budget of key work is used up ($1.00 of $1.00); it resets 2027-01-02 00:00 UTC"},
		{"hard tokens", Budget{Key: "work", MonthlyTokens: 1_000_000, Hard: true}, now, Totals{},
			Totals{Usage: chat.Usage{PromptTokens: 900_000, CompletionTokens: 100_000}},
			nil, "monthly token budget of key work is used up (1.0M of 1.0M tokens); it resets 2026-12-01 00:00 UTC"},
		{"soft tokens at 85%, estimated", Budget{Key: "work", MonthlyTokens: 1_000_000}, now, Totals{},
			Totals{Usage: chat.Usage{PromptTokens: 800_000, CompletionTokens: 50_000, Estimated: true}},
			[]string{"monthly token budget of key work at 85% (~850k of 1.0M tokens)"}, ""},
		{"both exhausted: the later reset is named, nothing else warns", Budget{Key: "work", DailyUSD: 1, MonthlyUSD: 5, Hard: true}, now, spent(1.2), spent(5),
			nil, "monthly budget of key work is used up ($5.00 of $5.00); it resets 2026-12-01 00:00 UTC"},
		{"daily refuses, monthly warns", Budget{Key: "work", DailyUSD: 1, MonthlyUSD: 10, Hard: true}, now, spent(1.2), spent(9),
			[]string{"monthly budget of key work at 90% ($9.00 of $10.00)"}, "daily budget of key work is used up ($1.20 of $1.00); it resets 2026-11-27 00:00 UTC"},
		{"unknown costs are said", Budget{Key: "work", DailyUSD: 1}, now, Totals{CostUSD: 0.9, Priced: 1, Unpriced: 1}, spent(0.9),
			[]string{"daily budget of key work at 90% ($0.90 of $1.00, not counting models without a known price)"}, ""},
		{"no key name", Budget{DailyUSD: 1}, now, spent(0.9), spent(0.9),
			[]string{"daily budget at 90% ($0.90 of $1.00)"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := CheckBudget(tt.b, tt.now, tt.today, tt.month)
			if strings.Join(v.Warnings, "\n") != strings.Join(tt.warnings, "\n") {
				t.Errorf("warnings:\n got %q\nwant %q", v.Warnings, tt.warnings)
			}
			switch {
			case tt.refuse == "" && v.Refuse != nil:
				t.Errorf("refused: %v", v.Refuse)
			case tt.refuse != "" && v.Refuse == nil:
				t.Errorf("not refused, want %q", tt.refuse)
			case tt.refuse != "":
				if v.Refuse.Class != chat.ErrBudgetExceeded || v.Refuse.Message != tt.refuse || v.Refuse.Hint == "" {
					t.Errorf("refusal = %+v\nwant message %q", v.Refuse, tt.refuse)
				}
			}
		})
	}
}

func TestBudgetStates(t *testing.T) {
	now := at("2026-02-10T12:00:00Z")
	v := CheckBudget(Budget{Key: "k", DailyUSD: 2, MonthlyUSD: 20, MonthlyTokens: 1000, Hard: true}, now,
		Totals{CostUSD: 0.5, Usage: chat.Usage{Estimated: true}},
		Totals{CostUSD: 5, Priced: 1, Unpriced: 1, Usage: chat.Usage{PromptTokens: 100, CompletionTokens: 150}})
	want := []BudgetState{
		{Name: "daily", Spent: 0.5, Limit: 2, Fraction: 0.25, Unit: "USD", Hard: true, ResetAt: at("2026-02-11T00:00:00Z"), Estimated: true},
		{Name: "monthly", Spent: 5, Limit: 20, Fraction: 0.25, Unit: "USD", Hard: true, ResetAt: at("2026-03-01T00:00:00Z"), CostUnknown: true},
		{Name: "monthly tokens", Spent: 250, Limit: 1000, Fraction: 0.25, Unit: "tokens", Hard: true, ResetAt: at("2026-03-01T00:00:00Z")},
	}
	if len(v.States) != len(want) {
		t.Fatalf("States = %+v", v.States)
	}
	for i := range want {
		if v.States[i] != want[i] {
			t.Errorf("state %d:\n got %+v\nwant %+v", i, v.States[i], want[i])
		}
	}
	if v.Refuse != nil || len(v.Warnings) != 0 {
		t.Errorf("at 25%%: refuse %v, warnings %v", v.Refuse, v.Warnings)
	}
}

// TestBudgetHintNamesTheCommand: the refusal's hint says how to raise
// the budget that is used up.
func TestBudgetHintNamesTheCommand(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	v := CheckBudget(Budget{Key: "work", MonthlyUSD: 5, Hard: true}, now, Totals{CostUSD: 1, Priced: 1}, Totals{CostUSD: 6, Priced: 1})
	if v.Refuse == nil || !strings.Contains(v.Refuse.Hint, "vaultchat keys edit work --budget-monthly-usd USD") {
		t.Fatalf("refuse = %+v", v.Refuse)
	}
}
