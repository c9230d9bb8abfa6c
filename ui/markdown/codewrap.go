package markdown

import (
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/vaultchat/vaultchat/internal/mdfence"
)

// Code lines too long for the screen are wrapped here, before glamour
// sees them: glamour's own wrapping starts every continuation at the
// block's left edge, which loses the code's indentation. A continuation
// keeps the line's indentation plus two columns, so it reads as the same
// line. Only the rendering changes; copying uses the source text.

// codeMargin is what glamour's code blocks take of the render width: the
// document margin and the block's indentation on the left, and its
// padding on the right (measured: 6 columns in the standard styles).
const codeMargin = 6

// codeContinuation is the extra indentation of a wrapped code line.
const codeContinuation = "  "

// wrapCode returns src with the content lines of its fenced code blocks
// wrapped to fit a render width of width columns.
func wrapCode(src string, width int) string {
	codeW := max(width, minWidth) - codeMargin
	if !strings.Contains(src, "```") && !strings.Contains(src, "~~~") {
		return src
	}
	var b strings.Builder
	b.Grow(len(src) + len(src)/8)
	var fences mdfence.Scanner
	for line := range strings.Lines(src) {
		text := strings.TrimRight(line, "\n")
		if fences.Next(text) != mdfence.Code || ansi.StringWidth(text) <= codeW {
			b.WriteString(line)
			continue
		}
		for i, part := range wrapCodeLine(text, codeW) {
			if i > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(part)
		}
		if strings.HasSuffix(line, "\n") {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// wrapCodeLine splits one code line into pieces at most w columns wide.
// Each piece after the first starts with the line's indentation (at most
// half of w) and codeContinuation; a piece breaks after a space when one
// is in its second half, else at w.
func wrapCodeLine(line string, w int) []string {
	indent := line[:len(line)-len(strings.TrimLeft(line, " "))]
	prefix := indent
	if len(prefix) > w/2 {
		prefix = prefix[:w/2]
	}
	prefix += codeContinuation
	var out []string
	rest, lead := line, ""
	for {
		avail := w - len(lead)
		if ansi.StringWidth(rest) <= avail {
			return append(out, lead+rest)
		}
		piece := ansi.Truncate(rest, avail, "")
		if cut := strings.LastIndexByte(piece, ' '); cut >= len(piece)/2 && strings.TrimSpace(piece[:cut]) != "" {
			piece = piece[:cut+1]
		}
		if piece == "" { // a character wider than the room left
			piece = string([]rune(rest)[:1])
		}
		out = append(out, lead+strings.TrimRight(piece, " "))
		rest = strings.TrimLeft(rest[len(piece):], " ")
		if rest == "" {
			return out
		}
		lead = prefix
	}
}
