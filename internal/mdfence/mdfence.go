// Package mdfence finds fenced code blocks in Markdown text by the rules of
// CommonMark (spec 0.31.2, section 4.5), line by line and without building
// a document tree. It is the one home of those rules in vaultchat: the TUI's
// streaming renderer asks it where a reply may be split, copy-last-code-block
// asks it for the last block, and the transcript writers ask it which lines
// are code (kept byte for byte) and whether a reply ended inside a block.
//
// The rules, in short: a fence is a run of at least three backticks or
// tildes, indented by at most three spaces; a backtick fence's info string
// holds no backtick; the block ends at a line of the same character, at
// least as long, indented by at most three spaces and followed only by
// spaces or tabs, or else at the end of the document; up to the opening
// fence's indentation is removed from each line of the content. A tab
// advances to the next multiple of four columns, so a tab before a fence
// makes it indented code instead.
//
// A line-based reader sees the fences of the document's top level and of
// list items that indent them by at most three spaces, which is how models
// write them. It does not see a fence inside a block quote or one indented
// four or more columns inside a list item; Scanner.AnyIndent accepts the
// latter for callers that only need to leave code alone.
package mdfence

import (
	"math"
	"strings"
)

// Fence is the opening line of a fenced code block.
type Fence struct {
	// Indent is the opening line's indentation in columns (0 to 3,
	// unless found with Scanner.AnyIndent).
	Indent int
	// Char is the fence character, '`' or '~'.
	Char byte
	// Len is the length of the run of Char (at least 3).
	Len int
	// Info is the info string with surrounding spaces removed ("go",
	// "python title=x"), or "".
	Info string
}

// Open reports whether line (without its line ending) opens a fenced code
// block.
func Open(line string) (Fence, bool) { return open(line, 3) }

// open is Open with the indentation allowed up to maxIndent columns.
func open(line string, maxIndent int) (Fence, bool) {
	line = strings.TrimSuffix(line, "\r")
	indent, i := indentation(line)
	if indent > maxIndent || i >= len(line) {
		return Fence{}, false
	}
	c := line[i]
	if c != '`' && c != '~' {
		return Fence{}, false
	}
	n := run(line[i:], c)
	if n < 3 {
		return Fence{}, false
	}
	info := line[i+n:]
	if c == '`' && strings.IndexByte(info, '`') >= 0 {
		return Fence{}, false // an inline code span, not a fence
	}
	return Fence{Indent: indent, Char: c, Len: n, Info: strings.Trim(info, " \t")}, true
}

// Closes reports whether line (without its line ending) closes the block f
// opened.
func (f Fence) Closes(line string) bool { return f.closes(line, 3) }

func (f Fence) closes(line string, maxIndent int) bool {
	line = strings.TrimSuffix(line, "\r")
	indent, i := indentation(line)
	if indent > maxIndent {
		return false
	}
	n := run(line[i:], f.Char)
	return n >= f.Len && strings.Trim(line[i+n:], " \t") == ""
}

// Marker returns the fence's run of characters, such as "```" or "~~~~":
// written on a line of its own, it closes the block.
func (f Fence) Marker() string { return strings.Repeat(string(f.Char), f.Len) }

// Content returns a line of the block's content as CommonMark reads it: up
// to the opening fence's indentation is removed (a tab that is only partly
// removed leaves the rest of its columns as spaces).
func (f Fence) Content(line string) string {
	col := 0
	for i := 0; i < len(line); i++ {
		if col == f.Indent {
			return line[i:]
		}
		switch line[i] {
		case ' ':
			col++
		case '\t':
			next := col + 4 - col%4
			if next > f.Indent {
				return strings.Repeat(" ", next-f.Indent) + line[i+1:]
			}
			col = next
		default:
			return line[i:]
		}
	}
	return "" // nothing but the indentation
}

// indentation returns the width in columns of line's leading spaces and
// tabs, and the index of its first other byte.
func indentation(line string) (cols, i int) {
	for ; i < len(line); i++ {
		switch line[i] {
		case ' ':
			cols++
		case '\t':
			cols += 4 - cols%4
		default:
			return cols, i
		}
	}
	return cols, i
}

// run returns the number of leading bytes of s equal to c.
func run(s string, c byte) int {
	n := 0
	for n < len(s) && s[n] == c {
		n++
	}
	return n
}

// Kind says what a line is to a Scanner.
type Kind int

const (
	// Text is a line outside any fenced code block.
	Text Kind = iota
	// Opening is the opening fence of a block.
	Opening
	// Code is a line of a block's content.
	Code
	// Closing is the closing fence of a block.
	Closing
)

// Scanner follows fenced code blocks through a document fed to it one line
// at a time, for callers that walk the lines themselves (a stream, a
// writer). The zero value starts outside any block.
type Scanner struct {
	// AnyIndent accepts fences at any indentation, as inside list items
	// indented four or more columns. CommonMark reads a fence indented
	// that far at the top level as indented code, so only a caller that
	// must never change code, and errs towards treating lines as code,
	// should set it (the plain-text export's wrapping does).
	AnyIndent bool

	fence Fence
	in    bool
}

// Next reads the next line (without its line ending) and reports what it
// is.
func (s *Scanner) Next(line string) Kind {
	maxIndent := 3
	if s.AnyIndent {
		maxIndent = math.MaxInt
	}
	if s.in {
		if s.fence.closes(line, maxIndent) {
			s.in = false
			return Closing
		}
		return Code
	}
	if f, ok := open(line, maxIndent); ok {
		s.fence, s.in = f, true
		return Opening
	}
	return Text
}

// Open returns the fence of the block the lines read so far leave open.
func (s *Scanner) Open() (Fence, bool) { return s.fence, s.in }

// Block is one fenced code block of a document.
type Block struct {
	Fence Fence
	// Start is the byte offset of the opening fence's line; End is the
	// offset just past the closing fence's line, or the end of the
	// document when the block is not closed.
	Start, End int
	// Code is the content: its lines with the fence's indentation
	// removed, joined by "\n", without a final line ending.
	Code string
	// Closed reports whether a closing fence ended the block (false for
	// a block cut off by the end of the document, such as a reply
	// canceled in the middle of its code).
	Closed bool
}

// Blocks returns the fenced code blocks of src in order.
func Blocks(src string) []Block {
	var out []Block
	var s Scanner
	var cur Block
	var code []string
	pos := 0
	for line := range strings.Lines(src) {
		text := strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		switch s.Next(text) {
		case Opening:
			cur = Block{Fence: s.fence, Start: pos}
			code = code[:0]
		case Code:
			code = append(code, s.fence.Content(text))
		case Closing:
			cur.End, cur.Closed = pos+len(line), true
			cur.Code = strings.Join(code, "\n")
			out = append(out, cur)
		}
		pos += len(line)
	}
	if _, open := s.Open(); open {
		cur.End = len(src)
		cur.Code = strings.Join(code, "\n")
		out = append(out, cur)
	}
	return out
}

// Last returns the last fenced code block of src.
func Last(src string) (Block, bool) {
	blocks := Blocks(src)
	if len(blocks) == 0 {
		return Block{}, false
	}
	return blocks[len(blocks)-1], true
}

// Unclosed returns the fence of a block that is still open at the end of
// src, as in a reply canceled in the middle of its code.
func Unclosed(src string) (Fence, bool) {
	var s Scanner
	for line := range strings.Lines(src) {
		s.Next(strings.TrimSuffix(line, "\n"))
	}
	return s.Open()
}
