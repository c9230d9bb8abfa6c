package transcript

import (
	"regexp"
	"strings"
	"sync"

	"github.com/rivo/uniseg"

	"github.com/vaultchat/vaultchat/internal/mdfence"
)

// textWidth is the column at which the plain-text export wraps prose.
const textWidth = 80

// wrapProse wraps the prose lines of Markdown text s at width columns
// (display columns: CJK and emoji count two, combining marks none). Code
// is never wrapped: fenced blocks, indented code blocks and tables are
// copied as they are, as is every line that already fits. Each source
// line is wrapped on its own, never joined with the next, so hard line
// breaks survive. A word longer than the width stays whole on its own
// line. List items and block quotes keep their indentation and marker on
// continuation lines.
func wrapProse(s string, width int) string {
	if s == "" {
		return s
	}
	lines := strings.Split(s, "\n")
	table := tableLines(lines)
	var b strings.Builder
	b.Grow(len(s) + len(s)/16)
	// Fences at any indentation: those of list items are code too, and
	// taking a line for code only leaves it unwrapped.
	fences := mdfence.Scanner{AnyIndent: true}
	inCode, prevBlank := false, true
	for i, line := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		if fences.Next(line) != mdfence.Text {
			b.WriteString(line)
			prevBlank = false
			continue
		}
		blank := strings.TrimSpace(line) == ""
		indented := strings.HasPrefix(line, "    ") || strings.HasPrefix(line, "\t")
		if inCode && (blank || indented) {
			b.WriteString(line)
			continue
		}
		inCode = false
		switch {
		case table[i]:
			b.WriteString(line)
		case blank:
			b.WriteString(line)
			prevBlank = true
			continue
		case indented && prevBlank && !listItem(lines, i):
			// An indented code block: it can only start after a blank
			// line, and not as the continuation of a list item.
			b.WriteString(line)
			inCode = true
		default:
			writeWrapped(&b, line, width)
		}
		prevBlank = false
	}
	return b.String()
}

// listItem reports whether line i continues a list: the nearest earlier
// non-blank line is a list item or is itself indented.
func listItem(lines []string, i int) bool {
	for j := i - 1; j >= 0; j-- {
		if strings.TrimSpace(lines[j]) == "" {
			continue
		}
		return listMarker().MatchString(strings.TrimLeft(lines[j], " \t")) || leadingSpace(lines[j]) != ""
	}
	return false
}

var delimiterRow = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$`)
})

// tableLines marks the lines of Markdown tables: rows starting with a
// pipe, and any run of rows with pipes whose second line is a delimiter
// row (| --- | :-: |).
func tableLines(lines []string) []bool {
	mark := make([]bool, len(lines))
	for i := 0; i < len(lines); i++ {
		if strings.HasPrefix(strings.TrimSpace(lines[i]), "|") {
			mark[i] = true
			continue
		}
		if i+1 < len(lines) && strings.Contains(lines[i], "|") && strings.Contains(lines[i+1], "|") && delimiterRow().MatchString(lines[i+1]) {
			for j := i; j < len(lines) && strings.Contains(lines[j], "|"); j++ {
				mark[j] = true
			}
		}
	}
	return mark
}

var listMarker = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(?:[-*+]|[0-9]{1,9}[.)])(?: \[[ xX]\])? +`)
})

// linePrefixes splits the start of a line into the prefix it has (indent,
// block quote markers, list marker) and the prefix its continuation lines
// get (the same quote markers, spaces under the list marker).
func linePrefixes(line string) (first, cont string) {
	n := len(leadingSpace(line))
	quote := n
	for quote < len(line) && line[quote] == '>' {
		quote++
		for quote < len(line) && line[quote] == ' ' {
			quote++
		}
	}
	first = line[:quote]
	cont = first
	if m := listMarker().FindString(line[quote:]); m != "" && len(m) < len(line)-quote {
		first = line[:quote+len(m)]
		cont += strings.Repeat(" ", len(m))
	}
	return first, cont
}

func leadingSpace(line string) string {
	return line[:len(line)-len(strings.TrimLeft(line, " \t"))]
}

// writeWrapped writes one line, broken at spaces (and between CJK
// characters, which need none) so that no piece is wider than width
// unless it is a single word.
func writeWrapped(b *strings.Builder, line string, width int) {
	if displayWidth(line) <= width {
		b.WriteString(line)
		return
	}
	first, cont := linePrefixes(line)
	rest := line[len(first):]
	contW := displayWidth(cont)
	b.WriteString(first)
	col := displayWidth(first)
	empty := true // nothing after the prefix on the current output line
	for rest != "" {
		sp := len(rest) - len(strings.TrimLeft(rest, " "))
		gap := rest[:sp]
		rest = rest[sp:]
		end := strings.IndexByte(rest, ' ')
		if end < 0 {
			end = len(rest)
		}
		word := rest[:end]
		rest = rest[end:]
		if word == "" {
			break // trailing spaces of a wrapped line are dropped
		}
		for i, piece := range wordPieces(word) {
			if i > 0 {
				gap = ""
			}
			pw := displayWidth(piece)
			switch {
			case empty:
				b.WriteString(piece)
				col += pw
			case col+len(gap)+pw <= width:
				b.WriteString(gap)
				b.WriteString(piece)
				col += len(gap) + pw
			default:
				b.WriteByte('\n')
				b.WriteString(cont)
				b.WriteString(piece)
				col = contW + pw
			}
			empty = false
		}
	}
}

// wordPieces splits a word at the places a line may break without a
// space: before and after a wide (CJK) character, except before closing
// and after opening punctuation. An ASCII word, a URL say, stays whole.
func wordPieces(word string) []string {
	ascii := true
	for i := 0; i < len(word); i++ {
		if word[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return []string{word}
	}
	var pieces []string
	start, prevWide, prev := 0, false, ""
	state := -1
	for pos, rest := 0, word; rest != ""; {
		var cluster string
		var w int
		cluster, rest, w, state = uniseg.FirstGraphemeClusterInString(rest, state)
		wide := w >= 2
		if pos > start && (wide || prevWide) && !noBreakBefore(cluster) && !noBreakAfter(prev) {
			pieces = append(pieces, word[start:pos])
			start = pos
		}
		pos += len(cluster)
		prevWide, prev = wide, cluster
	}
	return append(pieces, word[start:])
}

// noBreakBefore and noBreakAfter hold the punctuation that must not
// start or end a line in CJK text (a small kinsoku rule).
func noBreakBefore(c string) bool {
	return strings.Contains("、。，．・：；？！）」』】〕〉》ー…‥〜ゃゅょっぁぃぅぇぉャュョッァィゥェォ,.!?:;)]}%", c)
}

func noBreakAfter(c string) bool {
	return c != "" && strings.Contains("（「『【〔〈《([{", c)
}

// displayWidth is the number of terminal columns s takes. ASCII text, by
// far the most common, is counted without a grapheme scan; controls such
// as tab count zero either way.
func displayWidth(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return uniseg.StringWidth(s)
		}
		if c >= 0x20 && c != 0x7f {
			n++
		}
	}
	return n
}
