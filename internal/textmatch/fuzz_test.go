package textmatch

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzSnippet checks that a match is always found again in its snippet
// and that cutting never panics or splits a rune.
func FuzzSnippet(f *testing.F) {
	for _, seed := range [][2]string{{"Straße", "ss"}, {"ΣΊΣΥΦΟΣ", "σ"}, {"ﬁle ﬁle", "fi"}, {"e\u0301e", "é"}, {"℃", "c"}} {
		f.Add(seed[0], seed[1], 10)
	}
	f.Fuzz(func(t *testing.T, text, query string, width int) {
		if !utf8.ValidString(text) || !utf8.ValidString(query) {
			return
		}
		q := Parse(query)
		sn, ok := q.Snippet(text, width%200)
		if ok != q.Match(text) {
			t.Fatalf("Snippet ok=%t, Match=%t", ok, q.Match(text))
		}
		if !ok {
			return
		}
		if !utf8.ValidString(sn.Text) || sn.Start > sn.End || sn.End > len(sn.Text) {
			t.Fatalf("snippet %+v", sn)
		}
		if strings.ContainsAny(sn.Text, "\n\r\t") {
			t.Fatalf("snippet on several lines: %q", sn.Text)
		}
	})
}
