package store

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxTitle is the length, in characters, of a derived title.
const maxTitle = 60

// DefaultTitle is the title of a conversation with no user text yet.
const DefaultTitle = "New conversation"

// Title derives a conversation title from its first user message: the
// first non-blank line, with control characters (ESC, so no escape
// sequence survives), bidirectional overrides and zero-width characters
// replaced by spaces, runs of spaces collapsed, and cut at a word boundary
// to at most 60 characters ending in "…".
// An empty message gives DefaultTitle.
func Title(firstUserMessage string) string {
	if t := cleanTitle(firstUserMessage, maxTitle); t != "" {
		return t
	}
	return DefaultTitle
}

// cleanTitle returns the first non-blank line of s, sanitized and cut to
// at most max characters (the "…" included).
func cleanTitle(s string, max int) string {
	line := ""
	for l := range strings.FieldsFuncSeq(s, isLineBreak) {
		if l = strings.Join(strings.Fields(strings.Map(visible, l)), " "); l != "" {
			line = l
			break
		}
	}
	if utf8.RuneCountInString(line) <= max {
		return line
	}
	runes := []rune(line)[:max-1]
	cut := len(runes)
	// Cut at the last space, unless that would drop more than half.
	for i := len(runes) - 1; i > max/2; i-- {
		if runes[i] == ' ' {
			cut = i
			break
		}
	}
	return strings.TrimRight(string(runes[:cut]), " .,;:-") + "…"
}

func isLineBreak(r rune) bool {
	return r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029' || r == '\v' || r == '\f'
}

// visible maps characters that must not reach a terminal, or that would
// reorder or hide text, to a space.
func visible(r rune) rune {
	switch {
	case r == utf8.RuneError, unicode.IsControl(r):
		return ' '
	case r == '\u061c', r == '\u200e', r == '\u200f', r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
		return ' ' // bidirectional marks and overrides
	case r == '\u200b', r == '\u2060', r == '\ufeff':
		return ' ' // zero-width characters
	}
	return r
}
