package ui

import (
	"fmt"
	"hash/fnv"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
)

func TestEditorEdits(t *testing.T) {
	tests := []struct {
		name string
		ops  func(e *editor)
		want string
	}{
		{"insert", func(e *editor) { e.Insert("héllo") }, "héllo"},
		{"multi-line insert in the middle", func(e *editor) {
			e.Insert("ad")
			e.Left()
			e.Insert("b\nc")
		}, "ab\ncd"},
		{"backspace joins lines", func(e *editor) {
			e.Insert("a\nb")
			e.Home()
			e.Backspace()
		}, "ab"},
		{"delete at line end joins", func(e *editor) {
			e.Insert("a\nb")
			e.Up()
			e.End()
			e.Delete()
		}, "ab"},
		{"delete word left", func(e *editor) { e.Insert("one two  "); e.DeleteWordLeft() }, "one "},
		{"delete to line start", func(e *editor) { e.Insert("x\nabc"); e.Left(); e.DeleteToLineStart() }, "x\nc"},
		{"delete to line end", func(e *editor) { e.Insert("abc"); e.Home(); e.Right(); e.DeleteToLineEnd() }, "a"},
		{"word motions", func(e *editor) {
			e.Insert("alpha beta gamma")
			e.WordLeft()
			e.WordLeft()
			e.Insert("X")
			e.WordRight()
			e.Insert("Y")
		}, "alpha XbetaY gamma"},
		{"CRLF and controls cleaned", func(e *editor) { e.Insert("a\r\nb\x1b[31m\u202ec\td") }, "a\nb[31mc\td"},
		{"up down keep column", func(e *editor) {
			e.Insert("abcd\nx\nabcd")
			e.Up()
			e.Up()
			e.Insert("!")
		}, "a!bcd\nx\nabcd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEditor()
			tt.ops(&e)
			if got := e.Value(); got != tt.want {
				t.Fatalf("value %q, want %q", got, tt.want)
			}
			if _, n := e.Size(); n != len(tt.want) {
				t.Fatalf("size %d, want %d", n, len(tt.want))
			}
		})
	}
}

func TestEditorViewKeepsCursorVisible(t *testing.T) {
	e := newEditor()
	e.Insert(strings.Repeat("line\n", 100) + "last")
	e.scrollTo(20, 5)
	lines := e.view(20, 5, true, lipgloss.NewStyle())
	if len(lines) != 5 || !strings.Contains(lines[4], "last") {
		t.Fatalf("view does not end at the cursor: %q", lines)
	}
	for range 100 {
		e.Up()
	}
	e.scrollTo(20, 5)
	lines = e.view(20, 5, true, lipgloss.NewStyle())
	if !strings.HasPrefix(lines[0], "line") || len(lines) != 5 {
		t.Fatalf("view after moving up: %q", lines)
	}
	// A long line wraps; the cursor at its end stays visible.
	e.SetValue(strings.Repeat("x", 95))
	e.scrollTo(20, 3)
	lines = e.view(20, 3, true, lipgloss.NewStyle())
	if len(lines) != 3 || !strings.HasPrefix(lines[2], strings.Repeat("x", 15)) {
		t.Fatalf("wrapped view %q", lines)
	}
}

// state describes everything in the editor (the text by its size and a
// hash) for tests that check that something left it alone.
func (e *editor) state() string {
	h := fnv.New64a()
	for _, l := range e.lines {
		h.Write([]byte(string(l) + "\n"))
	}
	return fmt.Sprintf("lines=%d text=%x row=%d col=%d top=%d/%d bytes=%d",
		len(e.lines), h.Sum64(), e.row, e.col, e.topRow, e.topSeg, e.nbytes)
}
