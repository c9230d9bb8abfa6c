package markdown

import (
	"strings"

	gansi "charm.land/glamour/v2/ansi"
)

// Glamour leaves a block quote's indent (Indent columns) out of the
// width its paragraphs wrap at, and writes the indent token once per
// column; the standard styles indent by one column with the two-column
// token "│ ". So a quote line that filled the width was one column too
// wide per level, and the document's wrap cut it before its last
// character or word (the demo's closing `"` stood alone on a line).
//
// countedQuoteIndent makes the width right: a two-column indent of a
// one-column placeholder, which glamour draws twice and counts as two
// columns; drawQuoteBars turns each pair back into the bar and a space.

// quotePlaceholder stands for the two columns of a quote's bar while
// glamour renders. A noncharacter: no text holds one (Render replaces
// any in the source), and it is one column wide.
const quotePlaceholder = "\uFDD0"

// countedQuoteIndent returns a block quote style whose indent glamour
// counts as wide as it draws it, and the bar to draw; a style whose
// token is not a bar and a space is kept, with no bar.
func countedQuoteIndent(b gansi.StyleBlock) (gansi.StyleBlock, string) {
	if b.Indent == nil || *b.Indent != 1 || b.IndentToken == nil {
		return b, ""
	}
	bar, ok := strings.CutSuffix(*b.IndentToken, " ")
	if !ok || (bar != "│" && bar != "|") {
		return b, ""
	}
	two, token := uint(2), quotePlaceholder
	b.Indent, b.IndentToken = &two, &token
	return b, bar
}

// drawQuoteBars draws the placeholders of countedQuoteIndent on the
// rendered lines: the first of each pair as bar, the second as a space.
// Each is styled on its own, so the style stays the bar's.
func drawQuoteBars(lines []string, bar string) []string {
	for i, l := range lines {
		if !strings.Contains(l, quotePlaceholder) {
			continue
		}
		var b strings.Builder
		n := 0
		for {
			before, after, found := strings.Cut(l, quotePlaceholder)
			b.WriteString(before)
			if !found {
				break
			}
			if n%2 == 0 {
				b.WriteString(bar)
			} else {
				b.WriteByte(' ')
			}
			n++
			l = after
		}
		lines[i] = b.String()
	}
	return lines
}
