// Package figures is how vaultchat writes its numbers — token counts and
// money — so that the full-screen app, the commands and the exports print
// the same figure the same way, and JSON output rounds money by one rule.
//
// A figure resting on locally estimated tokens carries a leading "~"
// (not an amount of exactly $0, such as a free key's: EstimatedUSD); a
// sum that leaves out requests at an unknown price is a lower bound and
// carries a trailing "+" ("$0.0033+"); a sum of which nothing had a price
// is "—". The package is a leaf: no I/O, nothing but the standard library.
package figures

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Tokens writes a token count compactly: "950", "12.3k", "123k", "1.2M",
// with a leading "~" when it was estimated.
func Tokens(n int64, estimated bool) string {
	return Estimated(compact(n), estimated)
}

func compact(n int64) string {
	if n < 1000 && n > -1000 {
		return strconv.FormatInt(n, 10)
	}
	units := []struct {
		div    float64
		suffix string
	}{{1e3, "k"}, {1e6, "M"}, {1e9, "B"}, {1e12, "T"}}
	for i, u := range units {
		v := float64(n) / u.div
		switch a := math.Abs(v); {
		case a < 99.95:
			return fmt.Sprintf("%.1f%s", v, u.suffix)
		case a < 999.5 || i == len(units)-1:
			return fmt.Sprintf("%.0f%s", v, u.suffix)
		}
	}
	panic("unreachable")
}

// Count writes an exact count with thousands separators: "12,345".
func Count(n int64) string {
	s := strconv.FormatInt(n, 10)
	digits := strings.TrimPrefix(s, "-")
	var b strings.Builder
	if len(digits) < len(s) {
		b.WriteByte('-')
	}
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// USD writes an amount of money: "$0.00" for nothing, "<$0.0001" for
// crumbs, four decimals under a dollar ("$0.0123"), two from a dollar up
// ("$1.20").
func USD(v float64) string {
	switch {
	case v == 0:
		return "$0.00"
	case v < 0:
		return "-" + USD(-v)
	case v < 0.00005:
		return "<$0.0001"
	case v < 0.99995:
		return fmt.Sprintf("$%.4f", v)
	}
	return fmt.Sprintf("$%.2f", v)
}

// BudgetUSD writes a budget, or what was spent of it: in cents while
// the budget is a whole number of cents ("$0.30"), else by USD's rule, so
// that a $0.0001 budget does not read "$0.00".
func BudgetUSD(v float64) string {
	return SpentOfBudget(v, v)
}

// SpentOfBudget writes an amount spent of a budget in the budget's
// precision (BudgetUSD's rule): "$0.24" of a $0.30 budget.
func SpentOfBudget(spent, budget float64) string {
	if cents := budget * 100; budget >= 0.01 && math.Abs(cents-math.Round(cents)) < 1e-6 {
		return fmt.Sprintf("$%.2f", spent)
	}
	return USD(spent)
}

// Estimated puts the "~" of an estimated figure in front of s.
func Estimated(s string, estimated bool) string {
	if estimated {
		return "~" + s
	}
	return s
}

// EstimatedUSD puts the "~" of an estimated figure in front of s, an
// amount of usd dollars, unless the amount is zero: an estimate of tokens
// at a price of nothing is exactly nothing.
func EstimatedUSD(s string, usd float64, estimated bool) string {
	return Estimated(s, estimated && usd != 0)
}

// Cost is a sum of money as vaultchat shows it. What goes into it (which
// requests had a price) is decided where the sum is made; Cost only says
// how to write it.
type Cost struct {
	// USD sums what had a known price.
	USD float64
	// Unknown is set when nothing in the sum had a known price but
	// something was spent: the cost is then unknown ("—"). The zero
	// Cost is nothing spent, "$0.00".
	Unknown bool
	// LowerBound is set when part of the sum had no known price, so USD
	// is less than what was spent ("$0.0033+").
	LowerBound bool
	// Estimated is set when the sum rests on tokens counted locally.
	Estimated bool
}

// String writes the cost: "$0.0123", "~$0.0123" when estimated,
// "$0.0033+" when it is a lower bound, "—" when unknown. Nothing is
// estimated about a priced sum of zero (a free key's, whatever its
// tokens): it is "$0.00", never "~$0.00".
func (c Cost) String() string {
	if c.Unknown {
		return "—"
	}
	s := USD(c.USD)
	if c.LowerBound {
		s += "+"
	}
	return EstimatedUSD(s, c.USD, c.Estimated)
}

// JSON is the cost for JSON output: nil (null) when unknown, else USD
// rounded by RoundUSD. A lower bound says so in a field of its own.
func (c Cost) JSON() *float64 {
	if c.Unknown {
		return nil
	}
	v := RoundUSD(c.USD)
	return &v
}

// USDDecimals is the precision of money in JSON and YAML output: a
// billionth of a dollar. That is finer than any request is priced (the
// cheapest models charge about $0.00000002 a token), so a turn's cost
// survives an export and an import, and coarse enough to drop float
// noise (0.1+0.2, or 0.0000025499999999999997).
const USDDecimals = 9

// RoundUSD rounds an amount to USDDecimals decimal places, for JSON and
// YAML output.
func RoundUSD(v float64) float64 {
	const scale = 1e9 // 10^USDDecimals
	return math.Round(v*scale) / scale
}

// USDNumber writes an amount rounded by RoundUSD as a plain decimal
// number, for YAML and other hand-written number fields: "0.00634".
func USDNumber(v float64) string {
	return strconv.FormatFloat(RoundUSD(v), 'f', -1, 64)
}

// Bytes writes a size: "512 B", "1.5 KiB", "20 MiB" (one decimal below
// ten units, none above).
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, suffix := float64(n)/unit, "KiB"
	for _, s := range []string{"MiB", "GiB", "TiB"} {
		if v < unit {
			break
		}
		v, suffix = v/unit, s
	}
	if v < 10 {
		return strconv.FormatFloat(v, 'f', 1, 64) + " " + suffix
	}
	return strconv.FormatFloat(v, 'f', 0, 64) + " " + suffix
}
