package usage

import (
	"cmp"
	"fmt"
	"math"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/figures"
)

// Budget limits what one key may spend. It mirrors vault.Budget (the
// engine converts) so that this package does not depend on the vault.
// Zero limits are not set.
type Budget struct {
	// Key is the key's name, used in messages.
	Key           string
	DailyUSD      float64
	MonthlyUSD    float64
	MonthlyTokens int64
	// Hard makes an exhausted budget refuse requests; a soft one only
	// warns.
	Hard bool
}

// WarnFraction is the share of a budget from which CheckBudget warns.
const WarnFraction = 0.8

// fractionSlack absorbs float rounding, so that $0.24 of $0.30 counts as
// 80%.
const fractionSlack = 1e-9

// BudgetState is how far one budget is used, for the UI's bars.
type BudgetState struct {
	Name     string // "daily", "monthly", "monthly tokens"
	Spent    float64
	Limit    float64
	Fraction float64 // Spent / Limit; may exceed 1
	Unit     string  // "USD" or "tokens"
	Hard     bool
	// ResetAt is when the budget starts again: the next midnight UTC for
	// the daily budget, the 1st of next month for monthly ones.
	ResetAt time.Time
	// Estimated is set when Spent includes locally estimated tokens;
	// CostUnknown when some spending had no known price, so Spent is a
	// lower bound.
	Estimated   bool
	CostUnknown bool
}

// Verdict is the outcome of CheckBudget.
type Verdict struct {
	// Refuse is set when a hard budget is exhausted: the request must not
	// be sent. Its class is chat.ErrBudgetExceeded.
	Refuse *chat.Error
	// Warnings are texts for budgets at or over 80% and over 100% (hard
	// budgets over 100% refuse instead).
	Warnings []string
	// States has one entry per budget that is set, daily first.
	States []BudgetState
}

// CheckBudget checks b against a key's usage today and this month (both
// UTC) before a request is sent. A hard budget that is used up refuses,
// naming the budget, what was spent against the limit, and when it resets;
// when several are used up it names the one that resets last, since that
// one decides when the key works again.
func CheckBudget(b Budget, now time.Time, today, month Totals) Verdict {
	var v Verdict
	day := startOfDay(now)
	if b.DailyUSD > 0 {
		v.States = append(v.States, usdState("daily", today, b.DailyUSD, b.Hard, day.AddDate(0, 0, 1)))
	}
	nextMonth := startOfMonth(now).AddDate(0, 1, 0)
	if b.MonthlyUSD > 0 {
		v.States = append(v.States, usdState("monthly", month, b.MonthlyUSD, b.Hard, nextMonth))
	}
	if b.MonthlyTokens > 0 {
		v.States = append(v.States, BudgetState{
			Name: "monthly tokens", Spent: float64(month.Usage.Total()), Limit: float64(b.MonthlyTokens),
			Unit: "tokens", Hard: b.Hard, ResetAt: nextMonth, Estimated: month.Usage.Estimated,
		})
	}
	var refuse *BudgetState
	for i := range v.States {
		s := &v.States[i]
		s.Fraction = s.Spent / s.Limit
		switch {
		case s.Hard && s.Fraction >= 1-fractionSlack:
			if refuse == nil || s.ResetAt.After(refuse.ResetAt) {
				refuse = s
			}
		case s.Fraction >= 1-fractionSlack:
			v.Warnings = append(v.Warnings, fmt.Sprintf("%s exceeded: %d%% (%s)", budgetName(b.Key, s), percent(s.Fraction), spentOf(s)))
		case s.Fraction >= WarnFraction-fractionSlack:
			v.Warnings = append(v.Warnings, fmt.Sprintf("%s at %d%% (%s)", budgetName(b.Key, s), percent(s.Fraction), spentOf(s)))
		}
	}
	if refuse != nil {
		v.Refuse = &chat.Error{
			Class: chat.ErrBudgetExceeded,
			Message: fmt.Sprintf("%s is used up (%s); it resets %s",
				budgetName(b.Key, refuse), spentOf(refuse), refuse.ResetAt.Format("2006-01-02 15:04 MST")),
			Hint: fmt.Sprintf("wait for the reset, switch to another key, or raise the budget: vaultchat keys edit %s %s", cmp.Or(b.Key, "NAME"), budgetFlag(refuse)),
		}
	}
	return v
}

func usdState(name string, t Totals, limit float64, hard bool, reset time.Time) BudgetState {
	return BudgetState{
		Name: name, Spent: t.CostUSD, Limit: limit, Unit: "USD", Hard: hard, ResetAt: reset,
		Estimated: t.Usage.Estimated, CostUnknown: t.Unpriced > 0,
	}
}

// budgetName is "daily budget of key work", "monthly token budget of key
// work", and so on.
func budgetName(key string, s *BudgetState) string {
	name := s.Name + " budget"
	if s.Unit == "tokens" {
		name = "monthly token budget"
	}
	if key != "" {
		name += " of key " + key
	}
	return name
}

// budgetFlag is the "keys edit" flag that sets budget s.
func budgetFlag(s *BudgetState) string {
	switch s.Name {
	case "daily":
		return "--budget-daily-usd USD"
	case "monthly tokens":
		return "--budget-monthly-tokens N"
	}
	return "--budget-monthly-usd USD"
}

// spentOf is "$0.85 of $1.00" or "850k of 1.0M tokens".
func spentOf(s *BudgetState) string {
	if s.Unit == "tokens" {
		return fmt.Sprintf("%s of %s tokens", figures.Tokens(int64(s.Spent), s.Estimated), figures.Tokens(int64(s.Limit), false))
	}
	out := fmt.Sprintf("%s of %s", figures.EstimatedUSD(figures.SpentOfBudget(s.Spent, s.Limit), s.Spent, s.Estimated), figures.BudgetUSD(s.Limit))
	if s.CostUnknown {
		out += ", not counting models without a known price"
	}
	return out
}

func percent(f float64) int { return int(math.Floor(f*100 + fractionSlack*100)) }
