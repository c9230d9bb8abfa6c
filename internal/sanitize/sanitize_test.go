package sanitize

import (
	"flag"
	"fmt"
	"html"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// injectionCorpus is the escape-injection corpus: payloads a model or a
// server could send to take over or spoof a terminal.
var injectionCorpus = []struct {
	name    string
	payload string
}{
	{"osc52 clipboard BEL", "copy this \x1b]52;c;cm0gLXJmIH4K\x07 done"},
	{"osc52 clipboard ST", "\x1b]52;c;cm0gLXJmIH4K\x1b\\"},
	{"osc52 query", "\x1b]52;c;?\x07"},
	{"osc8 hyperlink", "\x1b]8;;https://evil.example/\x1b\\click here\x1b]8;;\x1b\\"},
	{"osc0 title", "\x1b]0;pwned\x07"},
	{"osc2 title ST", "\x1b]2;you have been pwned\x1b\\"},
	{"csi clear screen", "before\x1b[2Jafter"},
	{"csi home", "\x1b[H\x1b[1;1H"},
	{"csi device status report", "\x1b[6n"},
	{"csi cursor up", "line\x1b[10Aoverwritten"},
	{"alternate screen", "\x1b[?1049h"},
	{"bracketed paste", "\x1b[?2004h\x1b[200~rm -rf ~\x1b[201~"},
	{"mouse modes", "\x1b[?1000h\x1b[?1002h\x1b[?1003h\x1b[?1006h"},
	{"sgr colours", "\x1b[31;1mred\x1b[0m"},
	{"dcs", "\x1bP+q544e\x1b\\"},
	{"apc kitty graphics", "\x1b_Gf=100,a=T;iVBORw0KGgo=\x1b\\"},
	{"pm", "\x1b^private message\x1b\\"},
	{"sos", "\x1bXstart of string\x1b\\"},
	{"full reset", "\x1bc"},
	{"save restore cursor", "\x1b7text\x1b8"},
	{"charset switch", "\x1b(0lqk\x1b(B"},
	{"unterminated osc", "\x1b]52;c;aGk="},
	{"unterminated csi", "text\x1b["},
	{"lone esc at end", "text\x1b"},
	{"raw 8-bit csi", "\x9b2J"},
	{"raw 8-bit osc", "\x9d0;title\x9c"},
	{"utf8 c1 csi", "\u009b2J"},
	{"utf8 c1 osc", "\u009d52;c;aGk=\u009c"},
	{"all c1", "\u0080\u0085\u008d\u0090\u0098\u009b\u009c\u009d\u009e\u009f"},
	{"bidi trojan source", "access\u202e\u2066 // check if admin\u2069\u2066 level"},
	{"bidi overrides", "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"},
	{"bidi marks", "a\u200eb\u200fc\u061cd"},
	{"zero width space", "pay\u200bpal.com"},
	{"tag smuggling", "hi\U000E0001\U000E0069\U000E0067\U000E006E\U000E007F"},
	{"hangul filler", "user\u3164name"},
	{"line separator", "a\u2028b\u2029c"},
	{"entities", "&#27;[2J &#x1b;]52;c;aGk=&#7; &#155;2J &#x202e;"},
	{"bel", "ding\a"},
	{"nul", "a\x00b"},
	{"del", "a\x7fb"},
	{"backspace overwrite", "good\b\b\b\bevil"},
	{"cr overwrite", "curl example.com | sh\rls -la                  "},
	{"crlf", "one\r\ntwo\r\n"},
	{"cr cr lf", "one\r\r\ntwo"},
	{"trailing cr", "one\r"},
	{"invalid utf8", "\xff\xfe\xc0\xaf"},
	{"truncated rune", "euro \xe2\x82"},
	{"emoji zwj", "family 👨\u200d👩\u200d👧 ok"},
	{"mixed", "héllo ✓ \x1b[31m🔥\x1b[0m — “quoted”\t\n"},
	{"vertical tab form feed", "a\vb\fc"},
}

// checkSafe fails the test if out contains anything a terminal could act
// on or that could spoof text. It is written independently of the
// implementation's own classification.
func checkSafe(t *testing.T, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("output is not valid UTF-8: %q", out)
	}
	for i, r := range out {
		bad := ""
		switch {
		case r == 0x1b:
			bad = "ESC"
		case r < 0x20 && r != '\n' && r != '\t':
			bad = "C0 control"
		case r == 0x7f:
			bad = "DEL"
		case r >= 0x80 && r <= 0x9f:
			bad = "C1 control"
		case r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069:
			bad = "bidi control"
		case unicode.Is(unicode.Cf, r) && r != 0x200c && r != 0x200d:
			bad = "format character"
		}
		if bad != "" {
			t.Fatalf("output has %s %U at byte %d: %q", bad, r, i, out)
		}
	}
	if strings.IndexByte(out, 0x1b) >= 0 {
		t.Fatalf("output has an ESC byte: %q", out)
	}
}

// streamAll feeds pieces to a fresh Stream and returns the concatenated
// output. It checks on the way that the Stream never holds back more than
// an incomplete rune or a CR, and that what it has emitted so far plus
// what a Flush would add equals String of the input so far.
func streamAll(t *testing.T, pieces []string) string {
	t.Helper()
	var s Stream
	var out, in strings.Builder
	for _, p := range pieces {
		out.WriteString(s.Write(p))
		in.WriteString(p)
		if len(s.pending) > utf8.UTFMax-1 {
			t.Fatalf("stream holds back %d bytes %q after %q", len(s.pending), s.pending, in.String())
		}
		probe := s // a copy: flushing it leaves s alone
		if got, want := out.String()+probe.Flush(), String(in.String()); got != want {
			t.Fatalf("after input %q the stream has emitted %q (with flush), String gives %q", in.String(), got, want)
		}
	}
	out.WriteString(s.Flush())
	if s.pending != "" {
		t.Fatalf("Flush left %q pending", s.pending)
	}
	return out.String()
}

func TestInjectionCorpus(t *testing.T) {
	for _, tc := range injectionCorpus {
		t.Run(tc.name, func(t *testing.T) {
			want := String(tc.payload)
			checkSafe(t, want)
			if again := String(want); again != want {
				t.Fatalf("String is not idempotent: %q then %q", want, again)
			}
			for i := 0; i <= len(tc.payload); i++ {
				got := streamAll(t, []string{tc.payload[:i], tc.payload[i:]})
				if got != want {
					t.Fatalf("split at %d: stream gives %q, String gives %q", i, got, want)
				}
			}
			var bytewise []string
			for i := range len(tc.payload) {
				bytewise = append(bytewise, tc.payload[i:i+1])
			}
			if got := streamAll(t, bytewise); got != want {
				t.Fatalf("byte by byte: stream gives %q, String gives %q", got, want)
			}
			md := Markdown(tc.payload)
			checkSafe(t, md)
			checkSafe(t, html.UnescapeString(md))
		})
	}
}

func TestStringVisibleForms(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain ascii", "hello, world", "hello, world"},
		{"newline and tab kept", "a\tb\nc\n", "a\tb\nc\n"},
		{"unicode kept", "héllo — 🔥 中文 ✓", "héllo — 🔥 中文 ✓"},
		{"zwj and zwnj kept", "👨\u200d👩 می\u200cخواهم", "👨\u200d👩 می\u200cخواهم"},
		{"osc52 bel", "\x1b]52;c;aGk=\x07", "␛]52;c;aGk=␇"},
		{"osc52 st", "\x1b]52;c;aGk=\x1b\\", "␛]52;c;aGk=␛\\"},
		{"csi", "\x1b[2J\x1b[?1049h", "␛[2J␛[?1049h"},
		{"esc c", "\x1bc", "␛c"},
		{"c0 pictures", "\x00\x01\x07\x08\x0b\x0c\x1f", "␀␁␇␈␋␌␟"},
		{"del", "\x7f", "␡"},
		{"crlf to lf", "a\r\nb\r\n", "a\nb\n"},
		{"lone cr", "a\rb", "a␍b"},
		{"cr before crlf", "a\r\r\nb", "a␍\nb"},
		{"trailing cr", "a\r", "a␍"},
		{"lf cr", "a\n\rb", "a\n␍b"},
		{"utf8 c1", "\u009b2J\u0085", "<U+009B>2J<U+0085>"},
		{"raw c1 byte", "\x9b2J", "\uFFFD2J"},
		{"invalid bytes one replacement each", "a\xff\xfeb", "a\uFFFD\uFFFDb"},
		{"truncated rune", "a\xe2\x82", "a\uFFFD\uFFFD"},
		{"overlong encoding", "\xc0\xaf", "\uFFFD\uFFFD"},
		{"encoded surrogate", "\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"},
		{"replacement char kept", "\uFFFD", "\uFFFD"},
		{"bidi override", "x\u202ey", "x<U+202E>y"},
		{"bidi isolate", "\u2066a\u2069", "<U+2066>a<U+2069>"},
		{"rlm", "\u200f", "<U+200F>"},
		{"zero width space", "a\u200bb", "a<U+200B>b"},
		{"bom", "\ufeffhi", "<U+FEFF>hi"},
		{"soft hyphen", "co\u00adop", "co<U+00AD>op"},
		{"tag character", "\U000E0041", "<U+E0041>"},
		{"line separator", "\u2028", "<U+2028>"},
		{"hangul filler", "\u3164", "<U+3164>"},
		{"visible forms are stable", "␛]0;x␇ <U+202E>", "␛]0;x␇ <U+202E>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := String(tc.in); got != tc.want {
				t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestStreamDoesNotHoldBackText(t *testing.T) {
	tests := []struct {
		name    string
		pieces  []string
		outputs []string // what each Write returns, then Flush
	}{
		{"plain text passes at once", []string{"hello ", "world"}, []string{"hello ", "world", ""}},
		{"escape split after esc", []string{"a\x1b", "]52;c;aGk=\a"}, []string{"a␛", "]52;c;aGk=␇", ""}},
		{"escape split inside", []string{"\x1b]5", "2;c;", "aGk=\x07b"}, []string{"␛]5", "2;c;", "aGk=␇b", ""}},
		{"trailing cr waits for lf", []string{"a\r", "\nb"}, []string{"a", "\nb", ""}},
		{"trailing cr then text", []string{"a\r", "b"}, []string{"a", "␍b", ""}},
		{"trailing cr at end", []string{"a\r"}, []string{"a", "␍"}},
		{"split rune completes", []string{"x\xe2\x82", "\xac y"}, []string{"x", "€ y", ""}},
		{"split rune never completes", []string{"x\xe2\x82", "y"}, []string{"x", "\uFFFD\uFFFDy", ""}},
		{"split rune at end", []string{"x\xf0\x9f\x94"}, []string{"x", "\uFFFD\uFFFD\uFFFD"}},
		{"split c1", []string{"\xc2", "\x9b2J"}, []string{"", "<U+009B>2J", ""}},
		{"split bidi", []string{"a\xe2\x80", "\xaeb"}, []string{"a", "<U+202E>b", ""}},
		{"empty pieces", []string{"", "a\r", "", "\n"}, []string{"", "a", "", "\n", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &Stream{}
			for i, p := range tc.pieces {
				if got := s.Write(p); got != tc.outputs[i] {
					t.Errorf("Write #%d (%q) = %q, want %q", i+1, p, got, tc.outputs[i])
				}
			}
			if got := s.Flush(); got != tc.outputs[len(tc.pieces)] {
				t.Errorf("Flush = %q, want %q", got, tc.outputs[len(tc.pieces)])
			}
		})
	}
}

func TestStreamReusableAfterFlush(t *testing.T) {
	var s Stream
	s.Write("a\r")
	if got := s.Flush(); got != "␍" {
		t.Fatalf("Flush = %q, want %q", got, "␍")
	}
	if got := s.Write("\nb"); got != "\nb" {
		t.Fatalf("Write after Flush = %q, want %q: the CR must not leak into the next text", got, "\nb")
	}
}

func TestStringCleanInputDoesNotAllocate(t *testing.T) {
	clean := strings.Repeat("## Heading\n\n- item with ünïcode — and `code`\n\t1. step\n", 50)
	allocs := testing.AllocsPerRun(10, func() {
		if String(clean) != clean {
			t.Fatal("clean input changed")
		}
	})
	if allocs != 0 {
		t.Errorf("String on clean input allocates %v times, want 0", allocs)
	}
	var s Stream
	allocs = testing.AllocsPerRun(10, func() { s.Write(clean) })
	if allocs != 0 {
		t.Errorf("Stream.Write on clean input allocates %v times, want 0", allocs)
	}
}

func TestMarkdown(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"decimal esc", "&#27;[2J", "&amp;#27;[2J"},
		{"hex esc lower", "&#x1b;]52;c;aGk=&#7;", "&amp;#x1b;]52;c;aGk=&amp;#7;"},
		{"hex esc upper", "&#x1B;", "&amp;#x1B;"},
		{"capital X", "&#X1b;", "&amp;#X1b;"},
		{"no semicolon", "&#27[2J &#x1b]0;t", "&amp;#27[2J &amp;#x1b]0;t"},
		{"leading zeros", "&#0000027; &#x00000001b;", "&amp;#0000027; &amp;#x00000001b;"},
		{"decimal c1", "&#155;", "&amp;#155;"},
		{"hex c1", "&#x9b;", "&amp;#x9b;"},
		{"bidi decimal", "&#8238;", "&amp;#8238;"},
		{"bidi hex", "&#x202e; &#x202E &#x2066;", "&amp;#x202e; &amp;#x202E &amp;#x2066;"},
		{"cr", "&#13;", "&amp;#13;"},
		{"del", "&#127;", "&amp;#127;"},
		{"nul", "&#0;", "&amp;#0;"},
		{"surrogate", "&#xD800;", "&amp;#xD800;"},
		{"out of range", "&#1114112; &#99999999999999999999999;", "&amp;#1114112; &amp;#99999999999999999999999;"},
		{"named lrm rlm", "&lrm;&rlm;", "&amp;lrm;&amp;rlm;"},
		{"named case-insensitive", "&RLM;", "&amp;RLM;"},
		{"named zero width", "&ZeroWidthSpace;&NegativeThinSpace;&NoBreak;", "&amp;ZeroWidthSpace;&amp;NegativeThinSpace;&amp;NoBreak;"},
		{"named shy without semicolon", "&shyness", "&amp;shyness"},
		{"named invisible operators", "&it;&ic;&af;&InvisibleTimes;", "&amp;it;&amp;ic;&amp;af;&amp;InvisibleTimes;"},
		{"raw controls too", "\x1b[2J&#27;", "␛[2J&amp;#27;"},
		{"amp kept", "&amp;#27;", "&amp;#27;"},
		{"harmless entities kept", "&lt;b&gt; &copy; &#65; &#x1F600; &nbsp;", "&lt;b&gt; &copy; &#65; &#x1F600; &nbsp;"},
		{"newline and tab entities kept", "&#10;&#9;&#x0a;", "&#10;&#9;&#x0a;"},
		{"not references", "AT&T & co &# &#x; &#;", "AT&T & co &# &#x; &#;"},
		{"ampersand at end", "a &", "a &"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Markdown(tc.in)
			if got != tc.want {
				t.Fatalf("Markdown(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if again := Markdown(got); again != got {
				t.Errorf("Markdown is not idempotent: %q then %q", got, again)
			}
			// What an HTML-decoding renderer would show must be safe.
			checkSafe(t, html.UnescapeString(got))
		})
	}
}

// TestMarkdownNamedReferences decodes every name in dangerousNames with
// the standard library's HTML5 decoder, proving each one is a real
// reference to a character String neutralises.
func TestMarkdownNamedReferences(t *testing.T) {
	for _, name := range dangerousNames {
		decoded := html.UnescapeString("&" + name + ";")
		if String(decoded) == decoded {
			t.Errorf("&%s; decodes to %q, which String keeps: remove it from the list", name, decoded)
		}
		if got := Markdown("&" + name + ";"); got != "&amp;"+name+";" {
			t.Errorf("Markdown(&%s;) = %q", name, got)
		}
	}
}

// checkProperties asserts everything that must hold for any input.
func checkProperties(t *testing.T, data string) string {
	t.Helper()
	out := String(data)
	checkSafe(t, out)
	if again := String(out); again != out {
		t.Fatalf("String is not idempotent on %q: %q then %q", data, out, again)
	}
	md := Markdown(data)
	checkSafe(t, md)
	checkSafe(t, html.UnescapeString(md))
	if again := Markdown(md); again != md {
		t.Fatalf("Markdown is not idempotent on %q: %q then %q", data, md, again)
	}
	return out
}

// The seed corpus of both fuzz targets is testdata/fuzz/<target>/, made
// from injectionCorpus by TestSeedCorpus.

func FuzzString(f *testing.F) {
	f.Fuzz(func(t *testing.T, data string) {
		checkProperties(t, data)
	})
}

func FuzzStream(f *testing.F) {
	f.Fuzz(func(t *testing.T, data string, seed uint64) {
		want := checkProperties(t, data)
		// Split at random points; about one byte in three starts a piece,
		// and empty pieces happen too.
		rng := rand.New(rand.NewPCG(seed, seed>>32))
		var pieces []string
		start := 0
		for i := 0; i <= len(data); i++ {
			if i == len(data) || rng.IntN(3) == 0 {
				pieces = append(pieces, data[start:i])
				start = i
			}
		}
		if got := streamAll(t, pieces); got != want {
			t.Fatalf("pieces %q: stream gives %q, String gives %q", pieces, got, want)
		}
	})
}

var update = flag.Bool("update", false, "rewrite the fuzz seed corpus in testdata")

// seedFiles returns the fuzz seed corpus files, path to content, made from
// injectionCorpus: one per payload for each target, with a fixed split seed
// for FuzzStream.
func seedFiles() map[string]string {
	files := map[string]string{}
	for i, tc := range injectionCorpus {
		name := strings.ReplaceAll(tc.name, " ", "-")
		files[filepath.Join("testdata", "fuzz", "FuzzString", name)] = fmt.Sprintf("go test fuzz v1\nstring(%q)\n", tc.payload)
		files[filepath.Join("testdata", "fuzz", "FuzzStream", name)] = fmt.Sprintf("go test fuzz v1\nstring(%q)\nuint64(%d)\n", tc.payload, uint64(i)*0x9e3779b97f4a7c15)
	}
	return files
}

// TestSeedCorpus keeps testdata/fuzz in step with injectionCorpus; run it
// with -update after changing the corpus.
func TestSeedCorpus(t *testing.T) {
	for path, want := range seedFiles() {
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("seed corpus out of date (run go test -run TestSeedCorpus -update): %v", err)
		}
		if string(got) != want {
			t.Errorf("%s is out of date (run go test -run TestSeedCorpus -update)", path)
		}
	}
}

// typicalMarkdown returns about n bytes of the kind of markdown a model
// replies with: headings, lists, a table, code, some non-ASCII.
func typicalMarkdown(n int) string {
	const block = "## Setting up the project\n\n" +
		"Here is how to configure the client. It’s straightforward — just follow these steps:\n\n" +
		"1. Install the package with `go get example.com/client@latest`.\n" +
		"2. Create a config file at `~/.config/client/config.toml`.\n" +
		"3. Run the **server** and check the *logs*.\n\n" +
		"- Fast: ~15 ms per request\n- Safe: no secrets in logs ✓\n- Naïve café résumé 🔥\n\n" +
		"| option | default | meaning |\n|---|---|---|\n| `timeout` | 30s | how long to wait |\n| `retries` | 3 | attempts on 5xx |\n\n" +
		"```go\nfunc main() {\n\tfmt.Println(\"hello, world\")\n\tif err := run(); err != nil {\n\t\tlog.Fatal(err)\n\t}\n}\n```\n\n" +
		"> Note: the “quoted” text & entities like &lt;b&gt; are fine.\n\n"
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(block)
	}
	s := b.String()[:n]
	for !utf8.ValidString(s) { // do not end inside a rune
		s = s[:len(s)-1]
	}
	return s
}

func BenchmarkString(b *testing.B) {
	in := typicalMarkdown(64 << 10)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		String(in)
	}
}

// BenchmarkStringDirty measures the slow path: the same text with an
// escape sequence and a CRLF in every block.
func BenchmarkStringDirty(b *testing.B) {
	in := strings.ReplaceAll(typicalMarkdown(64<<10), "\n\n", "\x1b[0m\r\n\n")
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		String(in)
	}
}

// BenchmarkStream feeds the same markdown in pieces of about 16 bytes,
// the size of a streamed delta.
func BenchmarkStream(b *testing.B) {
	in := typicalMarkdown(64 << 10)
	var pieces []string
	for i := 0; i < len(in); i += 16 {
		pieces = append(pieces, in[i:min(i+16, len(in))])
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		var s Stream
		for _, p := range pieces {
			s.Write(p)
		}
		s.Flush()
	}
}

func BenchmarkMarkdown(b *testing.B) {
	in := typicalMarkdown(64 << 10)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		Markdown(in)
	}
}

func TestProseDropsInvisibleCharacters(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a\u200bb\u2060c\ufeffd\u00ade", "abcde"},
		{"sk-pr\u200doj\u200c-x", "sk-proj-x"},               // joiners after ASCII hide things
		{"👩\u200d💻 می\u200cخواهم", "👩\u200d💻 می\u200cخواهم"}, // after other characters they join
		{"\u202eevil", "evil"},
		{"&#x200B; stays literal", "&amp;#x200B; stays literal"},
	}
	for _, tt := range tests {
		if got := Prose(tt.in); got != tt.want {
			t.Errorf("Prose(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
