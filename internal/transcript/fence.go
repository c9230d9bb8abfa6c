package transcript

import "strings"

// fence is the opening line of a fenced code block: its indentation and
// its run of backticks or tildes.
type fence struct {
	indent string
	marker string
}

// openFence reports whether line opens a fenced code block. It accepts any
// indentation, not only CommonMark's three spaces, because fences inside
// list items are indented further and must not be wrapped either.
func openFence(line string) (fence, bool) {
	rest := strings.TrimLeft(line, " \t")
	if len(rest) < 3 || rest[0] != '`' && rest[0] != '~' {
		return fence{}, false
	}
	n := 0
	for n < len(rest) && rest[n] == rest[0] {
		n++
	}
	if n < 3 {
		return fence{}, false
	}
	if rest[0] == '`' && strings.Contains(rest[n:], "`") {
		return fence{}, false // an inline code span, not a fence
	}
	return fence{indent: line[:len(line)-len(rest)], marker: rest[:n]}, true
}

// closedBy reports whether line closes the block f opened: the same
// character, at least as many of it, and nothing else but spaces.
func (f fence) closedBy(line string) bool {
	rest := strings.TrimLeft(line, " \t")
	n := 0
	for n < len(rest) && rest[n] == f.marker[0] {
		n++
	}
	return n >= len(f.marker) && strings.TrimRight(rest[n:], " \t\r") == ""
}

// unclosedFence returns the fence of a code block that is still open at
// the end of s, as in a reply canceled in the middle of a code block.
func unclosedFence(s string) (fence, bool) {
	var open fence
	inside := false
	for line := range strings.Lines(s) {
		line = strings.TrimSuffix(line, "\n")
		switch {
		case inside && open.closedBy(line):
			inside = false
		case !inside:
			if f, ok := openFence(line); ok {
				open, inside = f, true
			}
		}
	}
	return open, inside
}
