package mdfence

import (
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
)

func TestOpen(t *testing.T) {
	tests := []struct {
		line string
		want Fence
		ok   bool
	}{
		{"```", Fence{Char: '`', Len: 3}, true},
		{"```go", Fence{Char: '`', Len: 3, Info: "go"}, true},
		{"````  python title=x  ", Fence{Char: '`', Len: 4, Info: "python title=x"}, true},
		{"   ~~~", Fence{Indent: 3, Char: '~', Len: 3}, true},
		{"~~~ a`b", Fence{Char: '~', Len: 3, Info: "a`b"}, true},
		{"```\r", Fence{Char: '`', Len: 3}, true},
		{"``", Fence{}, false},
		{"~~", Fence{}, false},
		{"```a`b", Fence{}, false},  // a backtick fence's info has no backtick
		{"``` `", Fence{}, false},   // nor after a space
		{"    ```", Fence{}, false}, // four spaces: indented code
		{"\t```", Fence{}, false},   // a tab is four columns
		{"  \t```", Fence{}, false},
		{"+```", Fence{}, false},
		{"", Fence{}, false},
		{"   ", Fence{}, false},
	}
	for _, tt := range tests {
		got, ok := Open(tt.line)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Open(%q) = %+v, %v; want %+v, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCloses(t *testing.T) {
	backticks := Fence{Char: '`', Len: 4}
	tests := []struct {
		line string
		want bool
	}{
		{"````", true},
		{"``````", true},      // longer closes too
		{"   ````  \t", true}, // indented up to three, trailing blanks
		{"````\r", true},
		{"```", false},      // shorter
		{"    ````", false}, // four spaces
		{"\t````", false},
		{"```` x", false}, // nothing else may follow
		{"~~~~", false},   // the other character
		{"", false},
	}
	for _, tt := range tests {
		if got := backticks.Closes(tt.line); got != tt.want {
			t.Errorf("Closes(%q) = %v, want %v", tt.line, got, tt.want)
		}
	}
}

func TestContent(t *testing.T) {
	tests := []struct {
		indent     int
		line, want string
	}{
		{0, "\tx", "\tx"},
		{2, "    x", "  x"},
		{2, " x", "x"},
		{3, "x", "x"},
		{2, "\tx", "  x"}, // two of the tab's four columns remain
		{3, "  ", ""},
	}
	for _, tt := range tests {
		if got := (Fence{Indent: tt.indent, Char: '`', Len: 3}).Content(tt.line); got != tt.want {
			t.Errorf("Content(indent %d, %q) = %q, want %q", tt.indent, tt.line, got, tt.want)
		}
	}
}

func TestScannerAnyIndent(t *testing.T) {
	s := Scanner{AnyIndent: true}
	lines := []string{"10. step", "", "    ```sh", "    make", "\t```", "after"}
	want := []Kind{Text, Text, Opening, Code, Closing, Text}
	for i, l := range lines {
		if got := s.Next(l); got != want[i] {
			t.Errorf("line %q: kind %d, want %d", l, got, want[i])
		}
	}
	var strict Scanner
	if strict.Next("    ```sh") != Text {
		t.Error("the strict scanner took an indented line for a fence")
	}
}

func TestUnclosed(t *testing.T) {
	if f, ok := Unclosed("Start:\n\n  ~~~~python\nprint(1)"); !ok || f.Indent != 2 || f.Marker() != "~~~~" {
		t.Fatalf("Unclosed = %+v, %v", f, ok)
	}
	if _, ok := Unclosed("```\ncode\n```\n"); ok {
		t.Fatal("a closed block reported open")
	}
}

// fenceDocs are documents with tricky fences, each read the same way by
// this package and by a CommonMark parser.
var fenceDocs = []string{
	"```go\nfmt.Println(1)\n```\n",
	"``` go title=x\ncode\n```",
	"```foo`bar\nnot code\n```\n",
	"~~~foo`bar\ncode\n~~~\n",
	"   ```\n   three\n  two\n    four\n     five\n   ```\n",
	"    ```\nindented code, not a fence\n    ```\n",
	"````md\n```\ninner\n```\n````\n",
	"```\ncode\n`````\nafter\n",
	"```\ncode\n``` x\n```\n",
	"~~~\ncode\n```\n~~~\n",
	"```\nunclosed\n\nstill code",
	"```\nunclosed with newline\n",
	"\t```\ncode\n```\n",
	" \t```\ncode\n",
	"```\n\tcode with a tab\n```\n",
	"  ```\n\tpartly removed tab\n  ```\n",
	"- item\n\n  ```sh\n  ls -l\n  ```\n",
	"1. step\n\n   ```\n   make\n   ```\n",
	"text\n```\ncode right after a paragraph\n```\n",
	"```\n```\n",
	"```\n\n\n```\n",
	"```\ncode\n   ```   \n",
	"```\ncode\n    ```\n",
	"```\nfirst\n```\n\nprose\n\n~~~py\nsecond\n~~~\n",
	"```go\r\ncrlf\r\n```\r\n",
	"a\n\n```\nb\n\nc\n```\n\nd `inline` e ``` f\n",
}

// TestBlocksAgreeWithGoldmark reads fenceDocs with goldmark, the parser
// glamour renders with, and checks Blocks finds the same code blocks with
// the same content and info strings.
func TestBlocksAgreeWithGoldmark(t *testing.T) {
	md := goldmark.New(goldmark.WithExtensions(extension.GFM, extension.DefinitionList))
	for _, doc := range fenceDocs {
		src := []byte(doc)
		var want []Block
		root := md.Parser().Parse(text.NewReader(src))
		ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
			fc, ok := n.(*ast.FencedCodeBlock)
			if !entering || !ok {
				return ast.WalkContinue, nil
			}
			var b strings.Builder
			for i := 0; i < fc.Lines().Len(); i++ {
				seg := fc.Lines().At(i)
				b.Write(seg.Value(src))
			}
			code := strings.ReplaceAll(b.String(), "\r\n", "\n")
			blk := Block{Code: strings.TrimSuffix(code, "\n")}
			if fc.Info != nil {
				blk.Fence.Info = string(fc.Info.Segment.Value(src))
			}
			want = append(want, blk)
			return ast.WalkContinue, nil
		})
		got := Blocks(doc)
		if len(got) != len(want) {
			t.Errorf("%q: %d blocks, goldmark finds %d", doc, len(got), len(want))
			continue
		}
		for i := range got {
			if got[i].Code != want[i].Code || got[i].Fence.Info != want[i].Fence.Info {
				t.Errorf("%q block %d: code %q info %q; goldmark: code %q info %q", doc, i, got[i].Code, got[i].Fence.Info, want[i].Code, want[i].Fence.Info)
			}
		}
	}
}

func TestBlocksOffsets(t *testing.T) {
	doc := "a\n```\nb\n```\nc\n~~~\nd"
	got := Blocks(doc)
	if len(got) != 2 {
		t.Fatalf("%d blocks", len(got))
	}
	if s := doc[got[0].Start:got[0].End]; s != "```\nb\n```\n" || !got[0].Closed {
		t.Errorf("first block spans %q (closed %v)", s, got[0].Closed)
	}
	if s := doc[got[1].Start:got[1].End]; s != "~~~\nd" || got[1].Closed {
		t.Errorf("second block spans %q (closed %v)", s, got[1].Closed)
	}
	if b, ok := Last(doc); !ok || b.Code != "d" {
		t.Errorf("Last = %+v, %v", b, ok)
	}
	if _, ok := Last("no code"); ok {
		t.Error("Last found a block in prose")
	}
}
