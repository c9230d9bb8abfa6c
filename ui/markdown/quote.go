package markdown

import (
	"regexp"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// quoteBars matches the start of a rendered block-quote line: the margin
// and one "│ " per level of nesting.
var quoteBars = regexp.MustCompile(`^( *)((?:│ )+)`)

// keepQuoteBars gives back their "│" to block-quote lines that glamour's
// wrapping left bare. Glamour wraps a quote's paragraphs as if its "│ "
// were one column wide, so a line one column too long spills its last
// word onto a line of its own, at the margin and without the bar. Such a
// line (not blank, right under a quote line, at the margin the bar
// starts at) gets the quote line's bars.
func keepQuoteBars(lines []string) []string {
	for i := 1; i < len(lines); i++ {
		prev := ansi.Strip(lines[i-1])
		m := quoteBars.FindStringSubmatch(prev)
		if m == nil || strings.TrimSpace(prev[len(m[0]):]) == "" {
			continue
		}
		cur := ansi.Strip(lines[i])
		text := strings.TrimLeft(cur, " ")
		if text == "" || len(cur)-len(text) != len(m[1]) || strings.HasPrefix(text, "│") {
			continue
		}
		prefix := ansi.Truncate(lines[i-1], ansi.StringWidth(m[0]), "")
		lines[i] = prefix + ansi.TruncateLeft(lines[i], len(m[1]), "")
	}
	return lines
}
