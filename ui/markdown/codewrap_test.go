package markdown

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestWrappedCodeKeepsIndentation renders a code block whose indented
// line is longer than the screen at several widths: every piece of that
// line stays right of its indentation, no word is lost, and the line's
// first piece keeps its place.
func TestWrappedCodeKeepsIndentation(t *testing.T) {
	long := `return fmt.Sprintf("%s has %d items, which is more than one, so the plural is used here", name, count)`
	src := "Some code:\n\n```go\nfunc describe() string {\n        " + long + "\n}\n```\n"
	r := New("dark")
	for _, w := range []int{40, 60, 78, 100} {
		lines := r.Render(src, w)
		start, end := -1, -1
		for i, l := range lines {
			p := ansi.Strip(l)
			if strings.Contains(p, "func describe") {
				start = i
			}
			if strings.TrimSpace(p) == "}" {
				end = i
			}
		}
		if start < 0 || end <= start+1 {
			t.Fatalf("width %d: code block not found:\n%s", w, strings.Join(lines, "\n"))
		}
		base := indentOf(ansi.Strip(lines[start]))
		var words []string
		for _, l := range lines[start+1 : end] {
			p := ansi.Strip(l)
			if got := indentOf(p); got < base+8 {
				t.Errorf("width %d: a piece of the indented line starts at column %d, left of its indentation (%d):\n%s",
					w, got, base+8, strings.Join(lines, "\n"))
			}
			if ansi.StringWidth(l) > w {
				t.Errorf("width %d: a line is %d wide", w, ansi.StringWidth(l))
			}
			words = append(words, strings.Fields(p)...)
		}
		if got := strings.Join(words, " "); got != strings.Join(strings.Fields(long), " ") {
			t.Errorf("width %d: the code reads %q", w, got)
		}
	}
}

func indentOf(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }

// TestWrapCodeLeavesProseAndShortCode checks only code lines that do not
// fit are changed.
func TestWrapCodeLeavesProseAndShortCode(t *testing.T) {
	prose := strings.Repeat("word ", 40)
	src := prose + "\n\n```\nshort\n```\n"
	if got := wrapCode(src, 40); got != src {
		t.Fatalf("changed:\n%s", got)
	}
}
