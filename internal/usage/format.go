package usage

import (
	"fmt"
	"strconv"
)

// FormatTokens renders a token count compactly: "950", "12.3k", "123k",
// "1.2M", with a leading "~" when the count was estimated.
func FormatTokens(n int64, estimated bool) string {
	s := compact(n)
	if estimated {
		return "~" + s
	}
	return s
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
		a := v
		if a < 0 {
			a = -a
		}
		switch {
		case a < 99.95:
			return fmt.Sprintf("%.1f%s", v, u.suffix)
		case a < 999.5 || i == len(units)-1:
			return fmt.Sprintf("%.0f%s", v, u.suffix)
		}
	}
	panic("unreachable")
}

// FormatUSD renders a cost: "—" when it is not known, "$0.00" for nothing,
// four decimals under a dollar ("$0.0123"), two from a dollar up
// ("$1.20"), "<$0.0001" for crumbs, with a leading "~" when it rests on
// estimated tokens.
func FormatUSD(v float64, known, estimated bool) string {
	if !known {
		return "—"
	}
	var s string
	switch {
	case v == 0:
		s = "$0.00"
	case v < 0:
		s = "-" + FormatUSD(-v, true, false)
	case v < 0.00005:
		s = "<$0.0001"
	case v < 0.99995:
		s = fmt.Sprintf("$%.4f", v)
	default:
		s = fmt.Sprintf("$%.2f", v)
	}
	if estimated {
		return "~" + s
	}
	return s
}
