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

// TestVisualCountMatchesSegments checks the counting shortcut against
// the wrapping it stands for, with wide runes and tabs at the edges.
func TestVisualCountMatchesSegments(t *testing.T) {
	for _, l := range []string{"", "short", strings.Repeat("abcdefghij", 9), strings.Repeat("界", 31), "\t" + strings.Repeat("x\t界", 17), strings.Repeat("y", 40)} {
		for _, w := range []int{2, 3, 7, 10, 20} {
			if got, want := visualCount([]rune(l), w), len(segments([]rune(l), w)); got != want {
				t.Errorf("visualCount(%q, %d) = %d, want %d", l, w, got, want)
			}
		}
	}
}

// TestEditorWrapCacheFollowsEdits draws after edits that Update has not
// seen yet: the cursor row's cached wrapping is not used once stale.
func TestEditorWrapCacheFollowsEdits(t *testing.T) {
	for name, edit := range map[string]func(e *editor){
		"insert":      func(e *editor) { e.Home(); e.Insert("界界界") },
		"backspace":   func(e *editor) { e.Backspace(); e.Backspace() },
		"delete word": func(e *editor) { e.DeleteWordLeft() },
		"to start":    func(e *editor) { e.DeleteToLineStart() },
		"join lines":  func(e *editor) { e.Home(); e.Backspace() },
	} {
		t.Run(name, func(t *testing.T) {
			e := newEditor()
			e.SetValue("top\n" + strings.Repeat("abcdefgh ", 5))
			e.scrollTo(20, 4)
			edit(&e)
			fresh := newEditor()
			fresh.SetValue(e.Value())
			fresh.row, fresh.col = e.row, e.col
			got := e.view(20, 4, true, lipgloss.NewStyle())
			want := fresh.view(20, 4, true, lipgloss.NewStyle())
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("drawn with a stale wrapping:\n%q\nwant\n%q", got, want)
			}
		})
	}
}
