package ui

import (
	"fmt"
	"github.com/vaultchat/vaultchat/internal/view"
	"math"
	"strconv"
	"strings"
	"time"
)

// formatTokens shows a token count compactly: 999, 12.3k, 1.23M.
func formatTokens(n int64) string {
	switch {
	case n < 0:
		return "-" + formatTokens(-n)
	case n < 1000:
		return strconv.FormatInt(n, 10)
	case n < 10_000:
		return fmt.Sprintf("%.2fk", float64(n)/1000)
	case n < 1_000_000:
		return fmt.Sprintf("%.1fk", float64(n)/1000)
	default:
		return fmt.Sprintf("%.2fM", float64(n)/1_000_000)
	}
}

// formatCompact shows exact counts below 100,000 and compact ones above.
func formatCompact(n int64) string {
	if n < 100_000 {
		return formatCount(n)
	}
	return formatTokens(n)
}

// formatCount shows an integer with thousands separators: 12,345.
func formatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// formatUSD shows a cost: $0.0012, $1.23, $123.
func formatUSD(v float64) string {
	switch {
	case v == 0:
		return "$0"
	case math.Abs(v) < 0.01:
		return fmt.Sprintf("$%.4f", v)
	case math.Abs(v) < 100:
		return fmt.Sprintf("$%.2f", v)
	default:
		return fmt.Sprintf("$%.0f", v)
	}
}

// est prefixes "~" on numbers that were estimated.
func est(s string, estimated bool) string {
	if estimated {
		return "~" + s
	}
	return s
}

// formatTotal shows "tokens · cost" for a view.Total.
func formatTotalCost(t view.Total) string {
	if !t.CostKnown {
		if t.Tokens == 0 {
			return "$0"
		}
		return "—"
	}
	return est(formatUSD(t.CostUSD), t.Estimated)
}

// formatDuration shows a duration briefly: 850ms, 2.3s, 1m05s, 2h10m.
func formatDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}

// formatWait shows a countdown in whole seconds (rounded up): 5s, 1m20s.
func formatWait(d time.Duration) string {
	secs := int(math.Ceil(d.Seconds()))
	if secs < 0 {
		secs = 0
	}
	if secs < 60 {
		return fmt.Sprintf("%ds", secs)
	}
	if secs < 3600 {
		return fmt.Sprintf("%dm%02ds", secs/60, secs%60)
	}
	if secs < 48*3600 {
		return fmt.Sprintf("%dh%02dm", secs/3600, (secs%3600)/60)
	}
	return fmt.Sprintf("%dd%02dh", secs/86400, (secs%86400)/3600)
}

// formatAgo shows how long ago t was: "just now", "5m ago", "3d ago",
// "never" for the zero time.
func formatAgo(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd ago", int(d.Hours()/24))
	}
}

// formatBytes shows a size: 512 B, 12.3 KB, 1.0 MB.
func formatBytes(n int) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1_000_000:
		return fmt.Sprintf("%.1f KB", float64(n)/1000)
	default:
		return fmt.Sprintf("%.1f MB", float64(n)/1_000_000)
	}
}
