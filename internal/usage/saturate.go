package usage

import (
	"math"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// Every count in the ledger saturates: a sum that would pass the largest
// int64 (or the largest finite float, for money) stays there instead of
// wrapping to a negative number that would make the month file
// unreadable. A server once reported 2⁶³−1 tokens twice; the provider now
// refuses such figures, and the ledger no longer depends on it.

// addCount returns a+b for counts that are never negative, saturating at
// math.MaxInt64. A negative operand counts as zero.
func addCount(a, b int64) int64 {
	a, b = max(a, 0), max(b, 0)
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// addUSD returns a+b, saturating at the largest finite float64.
func addUSD(a, b float64) float64 {
	s := a + b
	if math.IsInf(s, 1) || s > math.MaxFloat64 {
		return math.MaxFloat64
	}
	if s < 0 || math.IsNaN(s) {
		return 0
	}
	return s
}

// addUsage is chat.Usage.Add with saturating counts.
func addUsage(u, o chat.Usage) chat.Usage {
	return chat.Usage{
		PromptTokens:       addCount(u.PromptTokens, o.PromptTokens),
		CachedPromptTokens: addCount(u.CachedPromptTokens, o.CachedPromptTokens),
		CompletionTokens:   addCount(u.CompletionTokens, o.CompletionTokens),
		ReasoningTokens:    addCount(u.ReasoningTokens, o.ReasoningTokens),
		Estimated:          u.Estimated || o.Estimated,
	}
}

// usageTotal is chat.Usage.Total, saturating.
func usageTotal(u chat.Usage) int64 { return addCount(u.PromptTokens, u.CompletionTokens) }
