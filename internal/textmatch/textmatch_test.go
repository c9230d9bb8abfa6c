package textmatch

import (
	"slices"
	"strings"
	"testing"
)

func TestMatchFoldsCaseAndUnicode(t *testing.T) {
	cases := []struct {
		query, text string
		want        bool
	}{
		{"flock", "Use FLOCK(2) here", true},
		{"STRASSE", "die Straße ist lang", true},
		{"straße", "STRASSE", true},
		{"σίσυφος", "ΣΊΣΥΦΟΣ rolls", true},
		{"file", "the ﬁle is open", true},
		{"abc", "ＡＢＣ full width", true},
		{"café", "CAFE\u0301 au lait", true}, // decomposed accent in the text
		{"cafe\u0301", "un café", true},      // decomposed accent in the query
		{"°c", "it is 20℃", true},
		{"café", "cafe", true}, // accents ignored, both ways
		{"cafe", "Café crème", true},
		{"unicode", "Ünïcode — Straße", true},
		{"cafe", "cave", false},
		{"vault age", "an age-encrypted VAULT", true},
		{"vault bolt", "an age-encrypted vault", false},
		{"", "anything", false},
	}
	for _, c := range cases {
		if got := Parse(c.query).Match(c.text); got != c.want {
			t.Errorf("Parse(%q).Match(%q) = %t, want %t", c.query, c.text, got, c.want)
		}
	}
}

func TestFoldASCIIFastPathAgrees(t *testing.T) {
	for _, s := range []string{"Hello, World!", "already lower", "MiXeD 123 _-"} {
		slow, _ := foldMapped(s, false)
		if Fold(s) != slow {
			t.Errorf("Fold(%q) = %q, slow path %q", s, Fold(s), slow)
		}
	}
}

// TestSnippetCutsAtWords: a snippet never starts or ends inside a word
// ("…age 0 of conv" for "message 0 of conv") when a space is near.
func TestSnippetCutsAtWords(t *testing.T) {
	text := strings.Repeat("message number one of conversation ", 6) + "about flock " + strings.Repeat("and then something entirely else ", 6)
	for width := 20; width <= 70; width += 7 {
		s, ok := Parse("flock").Snippet(text, width)
		if !ok {
			t.Fatal("no snippet")
		}
		inner := strings.TrimSuffix(strings.TrimPrefix(s.Text, "…"), "…")
		first, last := strings.Fields(inner)[0], strings.Fields(inner)[len(strings.Fields(inner))-1]
		for _, w := range []string{first, last} {
			if !slices.Contains(strings.Fields(text), w) {
				t.Errorf("width %d: snippet %q cuts the word %q", width, s.Text, w)
			}
		}
		if s.Text[s.Start:s.End] != "flock" {
			t.Errorf("width %d: match %q", width, s.Text[s.Start:s.End])
		}
	}
}

func TestSnippet(t *testing.T) {
	text := strings.Repeat("lorem ipsum ", 20) + "the Straße\nnear the station" + strings.Repeat(" dolor sit", 20)
	s, ok := Parse("strasse").Snippet(text, 40)
	if !ok {
		t.Fatal("no snippet")
	}
	if got := s.Text[s.Start:s.End]; got != "Straße" {
		t.Errorf("match = %q in %q; want Straße", got, s.Text)
	}
	if !strings.HasPrefix(s.Text, "…") || !strings.HasSuffix(s.Text, "…") || strings.Contains(s.Text, "\n") {
		t.Errorf("snippet %q: want cut on both sides, one line", s.Text)
	}
	if n := len([]rune(s.Text)); n > 44 {
		t.Errorf("snippet of %d runes for width 40: %q", n, s.Text)
	}
	short, ok := Parse("HELLO").Snippet("say hello", 40)
	if !ok || short.Text != "say hello" || short.Text[short.Start:short.End] != "hello" {
		t.Errorf("short snippet = %+v", short)
	}
	if _, ok := Parse("absent").Snippet("say hello", 40); ok {
		t.Error("snippet for a text that does not match")
	}
}

func BenchmarkMatchASCII(b *testing.B) {
	q := Parse("needle")
	text := strings.Repeat("Some ordinary English text about vaults and keys. ", 8)
	for b.Loop() {
		q.Match(text)
	}
}

// TestSnippetDropsQuoteMarkers: a snippet of quoted Markdown (a
// simulator reply quotes the message) reads as text, not "> >" (#22);
// a search for ">" itself still finds its snippet.
func TestSnippetDropsQuoteMarkers(t *testing.T) {
	text := "Simulated reply.\n\n> **Your message:** \"cafe\"\n>\n> > **Before that you said:** \"tea\"\n\nDone."
	s, ok := Parse("cafe").Snippet(text, 200)
	if !ok {
		t.Fatal("no snippet")
	}
	if strings.Contains(s.Text, ">") || strings.Contains(s.Text, "  ") {
		t.Errorf("snippet %q keeps quote markers or doubled spaces", s.Text)
	}
	if want := `Simulated reply. **Your message:** "cafe" **Before that you said:** "tea" Done.`; s.Text != want {
		t.Errorf("snippet %q, want %q", s.Text, want)
	}
	if s.Text[s.Start:s.End] != "cafe" {
		t.Errorf("match %q", s.Text[s.Start:s.End])
	}
	if s, ok := Parse(">").Snippet("a > b", 40); !ok || s.Text[s.Start:s.End] != ">" {
		t.Errorf("snippet for \">\" = %+v, %v", s, ok)
	}
}
