package ui

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"charm.land/lipgloss/v2"
	"github.com/mattn/go-runewidth"
)

// editor is the multi-line message input. It is written for large drafts:
// text is kept as lines of runes, a paste is one splice, and View wraps
// only the lines it shows, so a 1 MB paste stays responsive (bubbles'
// textarea re-wraps and restyles every line on every View).
type editor struct {
	lines [][]rune
	row   int
	col   int
	// top anchors the first visible visual line: a logical row and a
	// wrapped segment within it.
	topRow, topSeg int
	// nbytes is the draft's size in bytes, kept up to date by every edit
	// so the size label costs nothing with a 1 MB draft.
	nbytes int
	// edits counts the changes to the text, so that wrap knows when it
	// is stale.
	edits int
	// wrap is the cursor row's wrapping, kept by scrollTo (Update) for
	// view: a long line is wrapped once per key, not once more per frame.
	wrap wrapCache
}

// wrapCache is the segment starts of one row at one width, as they were
// after a given number of edits.
type wrapCache struct {
	edits, row, w int
	segs          []int
}

func newEditor() editor { return editor{lines: [][]rune{nil}} }

// Value returns the draft.
func (e *editor) Value() string {
	if len(e.lines) == 1 {
		return string(e.lines[0])
	}
	var b strings.Builder
	for i, l := range e.lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(string(l))
	}
	return b.String()
}

// Empty reports whether the draft has no text.
func (e *editor) Empty() bool { return len(e.lines) == 1 && len(e.lines[0]) == 0 }

// SetValue replaces the draft and puts the cursor at its end.
func (e *editor) SetValue(s string) {
	*e = newEditor()
	e.Insert(s)
}

// Reset clears the draft.
func (e *editor) Reset() { *e = newEditor() }

// Size returns the number of lines and bytes of the draft.
func (e *editor) Size() (lines, bytes int) { return len(e.lines), e.nbytes }

func runesLen(rs []rune) int {
	n := 0
	for _, r := range rs {
		n += utf8.RuneLen(r)
	}
	return n
}

// cleanInput drops control characters from typed or pasted text, keeping
// newlines and tabs, and turns CRLF and CR into LF.
func cleanInput(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			return -1
		}
		return r
	}, s)
}

// Insert inserts text at the cursor as one edit.
func (e *editor) Insert(s string) {
	s = cleanInput(s)
	if s == "" {
		return
	}
	e.nbytes += len(s)
	e.edits++
	parts := strings.Split(s, "\n")
	cur := e.lines[e.row]
	tail := append([]rune(nil), cur[e.col:]...)
	first := []rune(parts[0])
	if len(parts) == 1 {
		nl := make([]rune, 0, len(cur)+len(first))
		nl = append(nl, cur[:e.col]...)
		nl = append(nl, first...)
		nl = append(nl, tail...)
		e.lines[e.row] = nl
		e.col += len(first)
		return
	}
	newLines := make([][]rune, 0, len(e.lines)+len(parts)-1)
	newLines = append(newLines, e.lines[:e.row]...)
	newLines = append(newLines, append(append([]rune(nil), cur[:e.col]...), first...))
	for _, p := range parts[1 : len(parts)-1] {
		newLines = append(newLines, []rune(p))
	}
	last := []rune(parts[len(parts)-1])
	e.col = len(last)
	newLines = append(newLines, append(last, tail...))
	newLines = append(newLines, e.lines[e.row+1:]...)
	e.row += len(parts) - 1
	e.lines = newLines
}

func (e *editor) Backspace() {
	if e.col > 0 {
		l := e.lines[e.row]
		e.nbytes -= utf8.RuneLen(l[e.col-1])
		e.edits++
		e.lines[e.row] = append(l[:e.col-1:e.col-1], l[e.col:]...)
		e.col--
		return
	}
	if e.row == 0 {
		return
	}
	prev := e.lines[e.row-1]
	e.nbytes--
	e.edits++
	e.col = len(prev)
	e.lines[e.row-1] = append(prev[:len(prev):len(prev)], e.lines[e.row]...)
	e.lines = append(e.lines[:e.row], e.lines[e.row+1:]...)
	e.row--
}

func (e *editor) Delete() {
	l := e.lines[e.row]
	if e.col < len(l) {
		e.nbytes -= utf8.RuneLen(l[e.col])
		e.edits++
		e.lines[e.row] = append(l[:e.col:e.col], l[e.col+1:]...)
		return
	}
	if e.row+1 < len(e.lines) {
		e.nbytes--
		e.edits++
		e.lines[e.row] = append(l[:len(l):len(l)], e.lines[e.row+1]...)
		e.lines = append(e.lines[:e.row+1], e.lines[e.row+2:]...)
	}
}

func (e *editor) Left() {
	if e.col > 0 {
		e.col--
	} else if e.row > 0 {
		e.row--
		e.col = len(e.lines[e.row])
	}
}

func (e *editor) Right() {
	if e.col < len(e.lines[e.row]) {
		e.col++
	} else if e.row+1 < len(e.lines) {
		e.row++
		e.col = 0
	}
}

// Up moves one line up; it reports false on the first line.
func (e *editor) Up() bool {
	if e.row == 0 {
		return false
	}
	e.row--
	e.col = min(e.col, len(e.lines[e.row]))
	return true
}

// Down moves one line down; it reports false on the last line.
func (e *editor) Down() bool {
	if e.row+1 >= len(e.lines) {
		return false
	}
	e.row++
	e.col = min(e.col, len(e.lines[e.row]))
	return true
}

func (e *editor) Home() { e.col = 0 }
func (e *editor) End()  { e.col = len(e.lines[e.row]) }

func (e *editor) WordLeft() {
	l := e.lines[e.row]
	if e.col == 0 {
		e.Left()
		return
	}
	i := e.col
	for i > 0 && unicode.IsSpace(l[i-1]) {
		i--
	}
	for i > 0 && !unicode.IsSpace(l[i-1]) {
		i--
	}
	e.col = i
}

func (e *editor) WordRight() {
	l := e.lines[e.row]
	if e.col == len(l) {
		e.Right()
		return
	}
	i := e.col
	for i < len(l) && unicode.IsSpace(l[i]) {
		i++
	}
	for i < len(l) && !unicode.IsSpace(l[i]) {
		i++
	}
	e.col = i
}

func (e *editor) DeleteWordLeft() {
	if e.col == 0 {
		e.Backspace()
		return
	}
	end := e.col
	e.WordLeft()
	l := e.lines[e.row]
	e.nbytes -= runesLen(l[e.col:end])
	e.edits++
	e.lines[e.row] = append(l[:e.col:e.col], l[end:]...)
}

func (e *editor) DeleteToLineStart() {
	l := e.lines[e.row]
	e.nbytes -= runesLen(l[:e.col])
	e.edits++
	e.lines[e.row] = append([]rune(nil), l[e.col:]...)
	e.col = 0
}

func (e *editor) DeleteToLineEnd() {
	e.nbytes -= runesLen(e.lines[e.row][e.col:])
	e.edits++
	e.lines[e.row] = e.lines[e.row][:e.col:e.col]
}

func runeWidth(r rune) int {
	if r == '\t' {
		return 4
	}
	return max(runewidth.RuneWidth(r), 0)
}

// segments returns the start offsets of the wrapped segments of a line at
// width w (hard wrap by display width; at least one segment).
func segments(l []rune, w int) []int {
	starts := []int{0}
	col := 0
	for i, r := range l {
		rw := runeWidth(r)
		if col+rw > w && col > 0 {
			starts = append(starts, i)
			col = 0
		}
		col += rw
	}
	return starts
}

// cursorSeg returns the segment index of the cursor within its line and
// the segment start offsets. A cursor at the exact end of a full segment
// moves to a new (empty) visual line.
func (e *editor) cursorSeg(w int) (int, []int) {
	segs := e.rowSegments(w)
	i := len(segs) - 1
	for i > 0 && segs[i] > e.col {
		i--
	}
	return i, segs
}

// rowSegments returns the cursor row's segment starts at width w: the
// cached ones when still true, else new ones (not stored: only scrollTo
// stores them, so view only reads).
func (e *editor) rowSegments(w int) []int {
	if c := e.wrap; c.segs != nil && c.edits == e.edits && c.row == e.row && c.w == w {
		return c.segs
	}
	return segments(e.lines[e.row], w)
}

// visualLines counts visual lines up to limit (bounded work).
func (e *editor) visualLines(w, limit int) int {
	n := 0
	for _, l := range e.lines {
		n += visualCount(l, w)
		if n >= limit {
			return limit
		}
	}
	return n
}

func visualCount(l []rune, w int) int {
	// Cheap bound first: a line of n runes needs at most ceil(n*4/w)
	// rows; short lines need exactly one.
	if len(l)*4 <= w {
		return 1
	}
	// As len(segments(l, w)), without building the slice: Update and
	// View both count the lines of the draft.
	n, col := 1, 0
	for _, r := range l {
		rw := runeWidth(r)
		if col+rw > w && col > 0 {
			n++
			col = 0
		}
		col += rw
	}
	return n
}

// scrollTo moves the scroll anchor so that the cursor is inside a
// window of h visual lines at width w: above the anchor moves the anchor
// up; too far below puts the cursor on the last row. Update calls it
// after every message (the draft or the box's size may have changed), so
// that view only reads.
func (e *editor) scrollTo(w, h int) {
	w, h = max(w, 2), max(h, 1)
	cseg, segs := e.cursorSeg(w)
	e.wrap = wrapCache{edits: e.edits, row: e.row, w: w, segs: segs}
	if e.row < e.topRow || (e.row == e.topRow && cseg < e.topSeg) {
		e.topRow, e.topSeg = e.row, cseg
	} else {
		n := 0
		r, s := e.topRow, e.topSeg
		for {
			if r == e.row {
				n += cseg - s
				break
			}
			n += visualCount(e.lines[r], w) - s
			r, s = r+1, 0
			if n >= h {
				break
			}
		}
		if n >= h {
			// walk back h-1 visual lines from the cursor
			r, s := e.row, cseg
			need := h - 1
			for need > 0 {
				if s >= need {
					s -= need
					break
				}
				need -= s + 1
				if r == 0 {
					s = 0
					break
				}
				r--
				s = visualCount(e.lines[r], w) - 1
			}
			e.topRow, e.topSeg = r, s
		}
	}
	if e.topRow >= len(e.lines) {
		e.topRow, e.topSeg = len(e.lines)-1, 0
	}
}

// view renders h visual lines of the draft at width w from the scroll
// anchor, with a virtual cursor when focused. Only the shown lines are
// wrapped. It only reads: scrollTo, called by Update, keeps the cursor
// inside the window.
func (e *editor) view(w, h int, focused bool, cursor lipgloss.Style) []string {
	w = max(w, 2)
	cseg, csegs := e.cursorSeg(w)
	topRow := min(e.topRow, len(e.lines)-1)
	out := make([]string, 0, h)
	for r := topRow; r < len(e.lines) && len(out) < h; r++ {
		l := e.lines[r]
		var segs []int
		if r == e.row {
			segs = csegs
		} else {
			segs = segments(l, w)
		}
		first := 0
		if r == topRow {
			first = min(e.topSeg, len(segs)-1)
		}
		for si := first; si < len(segs) && len(out) < h; si++ {
			start := segs[si]
			end := len(l)
			if si+1 < len(segs) {
				end = segs[si+1]
			}
			seg := l[start:end]
			if focused && r == e.row && si == cseg {
				c := e.col - start
				out = append(out, renderRunes(seg[:c])+cursor.Render(cursorChar(seg, c))+renderRunes(seg[min(c+1, len(seg)):]))
			} else {
				out = append(out, renderRunes(seg))
			}
		}
	}
	return out
}

func cursorChar(seg []rune, c int) string {
	if c >= len(seg) {
		return " "
	}
	if seg[c] == '\t' {
		return "    "
	}
	return string(seg[c])
}

func renderRunes(rs []rune) string {
	s := string(rs)
	if strings.IndexByte(s, '\t') >= 0 {
		s = strings.ReplaceAll(s, "\t", "    ")
	}
	return s
}
