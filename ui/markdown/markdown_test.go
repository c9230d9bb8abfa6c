package markdown

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// plain strips styling and trailing padding so renders can be compared as
// text.
func plain(lines []string) string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.TrimRight(ansi.Strip(l), " ")
	}
	return strings.Join(out, "\n")
}

var corpus = map[string]string{
	"paragraphs":  "First paragraph with **bold** and `code`.\n\nSecond paragraph, rather longer, so that it wraps at narrow widths and shows that wrapping is the same.\n\nThird.\n",
	"mixed":       "# Title\n\nIntro text.\n\n- one\n- two\n\n  still two\n\n- three\n\n1. first\n2. second\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```go\nfunc main() {\n\n\tprintln(\"hi\")\n}\n```\n\n> quoted\n> text\n\n---\n\n## Sub\n\nEnd *here*.\n",
	"indented":    "Text.\n\n    code line\n\n    more code\n\nAfter.\n",
	"fence-tilde": "~~~\na\n\nb\n~~~\n\nDone.\n",
	"html":        "Para.\n\n<div>\n\nInside html\n\n</div>\n\nAfter.\n",
	"refdef":      "See [the docs][d].\n\nMore.\n\n[d]: https://example.com\n",
	"definition":  "Term\n\n: its definition\n\nNext paragraph.\n",
	"loose-list":  "1. a\n\n2. b\n\n3. c\n\nAfter list.\n",
	"setext":      "Intro.\n\nHeading\n=======\n\nBody.\n",
	"unclosed":    "Start.\n\n```python\nprint(1)\n\nprint(2)\n",
	// Fences the way CommonMark reads them (internal/mdfence): no
	// backtick in a backtick fence's info string, up to three spaces of
	// indentation, a longer closing fence, a tab or four spaces making
	// indented code instead.
	"fence-tricky": "```foo`bar\n\nNot code.\n\n   ````md\n   ```\n\n   inner\n   ```\n\n   ``` x\n   ``````\n\nAfter.\n\n    ```\n\nProse after indented code.\n\n\t~~~\n\nMore prose.\n\n~~~\nlast\n\n    ~~~\nstill code\n",
}

func TestStreamMatchesFullRender(t *testing.T) {
	for _, width := range []int{40, 80, 150} {
		for name, doc := range corpus {
			t.Run(fmt.Sprintf("%s/%d", name, width), func(t *testing.T) {
				r := New("dark")
				want := plain(r.Render(doc, width))
				for _, step := range []int{1, 7, 64} {
					s := r.NewStream(width)
					for i := 0; i < len(doc); i += step {
						s.Append(doc[i:min(i+step, len(doc))])
						_ = s.Lines() // render the tail on the way, as the TUI does
					}
					if got := plain(s.Lines()); got != want {
						t.Fatalf("step %d: streamed render differs\n--- got\n%s\n--- want\n%s", step, got, want)
					}
				}
			})
		}
	}
}

func TestStreamSplitsCompletedBlocks(t *testing.T) {
	r := New("dark")
	s := r.NewStream(60)
	s.Append("First paragraph.\n\nSecond paragraph.\n\nThird, still streaming")
	if s.StableLines() == 0 {
		t.Fatal("no stable prefix after two finished paragraphs")
	}
	s.Append("\n\n```go\nx := 1\n\ny := 2\n")
	stable := s.StableLines()
	s.Append("z := 3\n")
	if s.StableLines() != stable {
		t.Fatal("a boundary was placed inside an open code fence")
	}
}

func TestTakeStableAndFinishPrintEverythingOnce(t *testing.T) {
	for name, doc := range corpus {
		if name == "refdef" {
			continue // a late reference definition cannot change printed lines
		}
		t.Run(name, func(t *testing.T) {
			r := New("notty")
			s := r.NewStream(70)
			var printed []string
			for i := 0; i < len(doc); i += 5 {
				s.Append(doc[i:min(i+5, len(doc))])
				printed = append(printed, s.TakeStable()...)
			}
			printed = append(printed, s.Finish()...)
			if got, want := plain(printed), plain(r.Render(doc, 70)); got != want {
				t.Fatalf("append-only output differs\n--- got\n%s\n--- want\n%s", got, want)
			}
			if extra := s.TakeStable(); len(extra) != 0 {
				t.Fatalf("TakeStable after Finish returned %d lines", len(extra))
			}
		})
	}
}

func TestSetTextRestartsOnNonPrefix(t *testing.T) {
	r := New("dark")
	s := r.NewStream(60)
	s.SetText("Hello world.\n\nMore text.\n")
	s.SetText("Hello world.\n\nMore text.\n\nAnd more.\n")
	if got, want := plain(s.Lines()), plain(r.Render("Hello world.\n\nMore text.\n\nAnd more.\n", 60)); got != want {
		t.Fatalf("extended text: got\n%s\nwant\n%s", got, want)
	}
	s.SetText("Different.\n")
	if got := plain(s.Lines()); !strings.Contains(got, "Different.") || strings.Contains(got, "Hello") {
		t.Fatalf("replaced text not rendered alone: %q", got)
	}
}

func TestSetWidthRerenders(t *testing.T) {
	r := New("dark")
	doc := corpus["paragraphs"]
	s := r.NewStream(100)
	s.Append(doc)
	s.SetWidth(40)
	if got, want := plain(s.Lines()), plain(r.Render(doc, 40)); got != want {
		t.Fatalf("after SetWidth: got\n%s\nwant\n%s", got, want)
	}
}

func TestRenderNeverEmitsForeignEscapes(t *testing.T) {
	cases := []string{
		"osc52 \x1b]52;c;aGVsbG8=\x07 here",
		"entity &#27;]52;c;aGVsbG8=&#7; and &#x1b;[31m red",
		"c1 \u009b31m",
		"bidi \u202e reversed",
	}
	r := New("notty")
	for _, c := range cases {
		for _, l := range r.Render(c, 60) {
			stripped := ansi.Strip(l)
			for _, ch := range stripped {
				if isControl(ch) || ch == 0x1b {
					t.Fatalf("%q rendered a control character %U: %q", c, ch, stripped)
				}
			}
		}
		// The same through a stream split inside the entity.
		s := r.NewStream(60)
		for i := 0; i < len(c); i += 3 {
			s.Append(c[i:min(i+3, len(c))])
		}
		for _, l := range s.Lines() {
			for _, ch := range ansi.Strip(l) {
				if isControl(ch) || ch == 0x1b {
					t.Fatalf("stream of %q rendered control %U", c, ch)
				}
			}
		}
	}
}

func TestRenderRespectsWidth(t *testing.T) {
	r := New("dark")
	doc := corpus["mixed"] + "\n" + strings.Repeat("x", 300) + "\n"
	for _, w := range []int{10, 30, 80} {
		for _, l := range r.Render(doc, w) {
			if ansi.StringWidth(l) > w {
				t.Fatalf("width %d: line of width %d: %q", w, ansi.StringWidth(l), ansi.Strip(l))
			}
		}
	}
}

// reply builds a markdown reply of about n tokens (4 bytes a token) with
// headings, lists, tables and fenced code, like the simulator's.
func reply(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n*4; i++ {
		fmt.Fprintf(&b, "## Part %d\n\nThis is paragraph %d with **bold**, `inline code` and a [link](https://example.com). It goes on long enough to wrap over a couple of lines at eighty columns.\n\n", i, i)
		fmt.Fprintf(&b, "- item one of %d\n- item two\n- item three\n\n| name | value |\n|------|-------|\n| a | %d |\n| b | %d |\n\n", i, i, i*2)
		fmt.Fprintf(&b, "```go\nfunc part%d() int {\n\treturn %d\n}\n```\n\n", i, i)
	}
	return b.String()
}

func benchmarkStream(b *testing.B, tokens int) {
	doc := reply(tokens)
	r := New("dark")
	b.ReportAllocs()
	for b.Loop() {
		s := r.NewStream(80)
		for i := 0; i < len(doc); i += 120 { // ~30 tokens per coalesced delta
			s.Append(doc[i:min(i+120, len(doc))])
			_ = s.TakeStable()
			_ = s.Lines()
		}
		_ = s.Finish()
	}
}

// BenchmarkStream2k and BenchmarkStream20k show the cost of a streamed
// reply grows linearly with its length (target: 20k within 10x of 2k).
func BenchmarkStream2k(b *testing.B)  { benchmarkStream(b, 2000) }
func BenchmarkStream20k(b *testing.B) { benchmarkStream(b, 20000) }

// BenchmarkRenderFull2k is the cost of rendering the 2k reply once.
func BenchmarkRenderFull2k(b *testing.B) {
	doc := reply(2000)
	r := New("dark")
	for b.Loop() {
		_ = r.Render(doc, 80)
	}
}

// BenchmarkRenderWideTable is the cost of rendering a reply whose
// 9-column table is too wide for 45 columns: glamour renders the table
// shrunk, which fails the cell check, then whole (narrowTableSegments).
func BenchmarkRenderWideTable(b *testing.B) {
	doc := "Tokens by day:\n\n| Key | Mon | Tue | Wed | Thu | Fri | Sat | Sun | Total |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n" +
		"| work | 12,400 | 9,800 | 15,100 | 7,300 | 11,000 | 0 | 2,100 | 57,700 |\n| personal | 1,200 | 0 | 3,400 | 800 | 0 | 5,600 | 0 | 11,000 |\n\nMost of it is the work key.\n"
	r := New("dark")
	for b.Loop() {
		_ = r.Render(doc, 45)
	}
}

// fencedDoc is about n bytes of Go code in one open fence: Append scans
// every line but finds no block boundary, so it renders nothing and its
// cost is the scan alone.
func fencedDoc(n int) string {
	var b strings.Builder
	b.WriteString("```go\n")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "\tx%d := compute(%d) // line %d of a long listing\n", i, i, i)
	}
	return b.String()
}

// TestLargeAppendAllocatesLinearly appends 200 KB in one call and checks
// the bytes allocated are a small multiple of the input. Scanning must
// not copy the unscanned rest for every line: that made one large Append
// quadratic (about 4,000 lines here, so hundreds of megabytes).
func TestLargeAppendAllocatesLinearly(t *testing.T) {
	doc := fencedDoc(200 << 10)
	r := New("dark")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := r.NewStream(80)
	s.Append(doc)
	runtime.ReadMemStats(&after)
	if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(16*len(doc)); got > limit {
		t.Fatalf("one Append of %d bytes allocated %d bytes, want at most %d", len(doc), got, limit)
	}
	if s.Text() != doc {
		t.Fatal("the stream does not hold the appended text")
	}
}

func benchmarkLargeAppend(b *testing.B, size int) {
	doc := fencedDoc(size)
	r := New("dark")
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		s := r.NewStream(80)
		s.Append(doc)
	}
}

// BenchmarkLargeAppend20KB and BenchmarkLargeAppend200KB time one Append
// of a whole document (a pasted or non-streamed reply). The cost must
// grow linearly: 200 KB within about 10x of 20 KB (MB/s about equal).
func BenchmarkLargeAppend20KB(b *testing.B)  { benchmarkLargeAppend(b, 20<<10) }
func BenchmarkLargeAppend200KB(b *testing.B) { benchmarkLargeAppend(b, 200<<10) }

// TestDefinitionListGlyph checks a definition is drawn with "→", not
// glamour's "🠶", which terminal fonts (JetBrains Mono among them) lack.
func TestDefinitionListGlyph(t *testing.T) {
	for _, style := range []string{"dark", "light"} {
		got := plain(New(style).Render(corpus["definition"], 60))
		if !strings.Contains(got, "→ its definition") || strings.ContainsRune(got, '\U0001F836') {
			t.Errorf("%s: definition rendered as:\n%s", style, got)
		}
	}
}

// TestRenderNeutralisesCharacterReferences: the Markdown parser decodes
// named and numeric references after the sanitizer ran; none may come out
// as an invisible or bidi character.
func TestRenderNeutralisesCharacterReferences(t *testing.T) {
	r := New("dark")
	out := strings.Join(r.Render("a &lrm; b &ZeroWidthSpace; c &#8232; d &#xE0041; e &shy; f &#xFEFF; g &#27;[2J h &#x202e;", 80), "\n")
	for _, bad := range []rune{'\u200e', '\u200b', '\u2028', '\U000E0041', '\u00ad', '\ufeff', '\u202e'} {
		if strings.ContainsRune(out, bad) {
			t.Errorf("rendered output holds %U", bad)
		}
	}
	if strings.Contains(out, "\x1b[2J") {
		t.Error("a decoded ESC reached the output")
	}
}

// isControl reports characters that must never reach the terminal from
// model text: C0 and C1 controls (but newline and tab) and bidi controls.
func isControl(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return false
}

// TestBlockQuoteKeepsItsBarWhenWrapped: every line of a wrapped block
// quote starts with its "│", at every width (glamour wraps a quote's
// paragraphs one column too wide, and the word that spills over lost
// the bar).
func TestBlockQuoteKeepsItsBarWhenWrapped(t *testing.T) {
	src := "Before.\n\n> This is a long block quote that goes on and on well past the width of the pane, so it wraps over several lines.\n>\n> Second paragraph of the quote, also long enough to wrap at forty columns, and then some more words.\n\nAfter.\n"
	for w := 30; w <= 80; w++ {
		lines := New("dark").Render(src, w)
		in := false
		for _, l := range lines {
			s := strings.TrimSpace(ansi.Strip(l))
			switch {
			case strings.HasPrefix(s, "│"):
				in = true
			case s == "" || s == "After.":
				in = false
			case in:
				t.Fatalf("width %d: a quote line lost its bar: %q\n%s", w, s, ansi.Strip(strings.Join(lines, "\n")))
			}
			if ansi.StringWidth(l) > w {
				t.Fatalf("width %d: line wider than the pane: %q", w, ansi.Strip(l))
			}
		}
	}
}

// TestBlockQuoteWrapsBetweenWords: a wrapped block quote breaks only
// between words, at every width and nesting depth. Glamour counts a
// quote's "│ " as one column, so a quote line that filled the width was
// cut one column early and its last character (the demo's closing `"`)
// went to a line of its own.
func TestBlockQuoteWrapsBetweenWords(t *testing.T) {
	quote := `Your message: "Suggest a name for a terminal app that keeps API keys encrypted."`
	srcs := map[string]string{
		"demo":   "Intro.\n\n> **Your message:** \"Suggest a name for a terminal app that keeps API keys encrypted.\"\n>\n> **Before that:** nothing; this is the first turn.\n\nAfter.\n",
		"nested": "Intro.\n\n> > **Your message:** \"Suggest a name for a terminal app that keeps API keys encrypted.\"\n\nAfter.\n",
	}
	for name, src := range srcs {
		for w := 30; w <= 120; w++ {
			lines := New("dark").Render(src, w)
			var words []string
			for _, l := range lines {
				s := strings.TrimSpace(ansi.Strip(l))
				if !strings.HasPrefix(s, "│") {
					continue
				}
				words = append(words, strings.Fields(strings.ReplaceAll(s, "│", ""))...)
				if ansi.StringWidth(l) > w {
					t.Fatalf("%s, width %d: line wider than the pane: %q", name, w, ansi.Strip(l))
				}
			}
			got := strings.Join(words, " ")
			if !strings.HasPrefix(got, quote) {
				t.Fatalf("%s, width %d: the quote reads %q, want it to start %q\n%s", name, w, got, quote, ansi.Strip(strings.Join(lines, "\n")))
			}
		}
	}
}

// TestWideTableIsCutWithEllipsis: a table with more columns than fit
// shows its first columns, every cell at least a character and "…", and
// each row it cuts at the edge ends with "…" (glamour drew such cells
// empty, the text gone without a mark).
func TestWideTableIsCutWithEllipsis(t *testing.T) {
	src := "Before.\n\n| a | b | c | d | e | f | g | h | i | j |\n|---|---|---|---|---|---|---|---|---|---|\n" +
		"| alpha | beta | gamma | delta | epsilon | zeta | eta | theta | iota | kappa |\n\nAfter the table.\n"
	for w := 24; w <= 80; w++ {
		lines := New("dark").Render(src, w)
		plain := ansi.Strip(strings.Join(lines, "\n"))
		var header, row string
		for _, l := range lines {
			s := strings.TrimSpace(ansi.Strip(l))
			switch {
			case strings.HasPrefix(s, "a "):
				header = s
			case strings.HasPrefix(s, "al"), strings.HasPrefix(s, "a…"):
				row = s
			}
			if ansi.StringWidth(l) > w {
				t.Fatalf("width %d: line wider than the pane: %q", w, ansi.Strip(l))
			}
		}
		if header == "" || row == "" || !strings.Contains(plain, "Before.") || !strings.Contains(plain, "After the table.") {
			t.Fatalf("width %d: the table's first cells or the text around it are missing:\n%s", w, plain)
		}
		for _, r := range []struct{ line, last string }{{header, "j"}, {row, "kappa"}} {
			if !strings.HasSuffix(r.line, r.last) && !strings.HasSuffix(r.line, "…") {
				t.Fatalf("width %d: a cut row does not end with \"…\": %q\n%s", w, r.line, plain)
			}
		}
	}
}
