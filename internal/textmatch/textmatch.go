// Package textmatch finds words in text the way a person searching
// expects: case-insensitive with Unicode case folding ("STRASSE" finds
// "Straße", "ΣΊΣΥΦΟΣ" finds "σίσυφος"), compatibility forms folded
// ("ﬁle" finds "file", a full-width "Ａ" finds "a"), and accents ignored,
// composed or decomposed ("cafe" finds "Café", "unicode" finds "Ünïcode"). It also cuts the snippet around a match.
//
// It is pure computation: the session's search and, later, the TUI's
// list filter use it on text they already hold.
package textmatch

import (
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Fold returns s folded for matching: NFC, then every rune case-folded
// (full folding), put in NFKC form and stripped of its accents (the
// nonspacing marks of its decomposition). ASCII text takes a fast path with
// the same result.
func Fold(s string) string {
	if isASCII(s) {
		return asciiLower(s)
	}
	f, _ := foldMapped(s, false)
	return f
}

// foldMapped folds s rune by rune. With mapped, offs[i] is the byte
// offset in s of the rune folded byte i came from (and offs[len] is
// len(s)), so a match in the folded text maps back to s. Folding rune by
// rune (after NFC, which composes accents) makes Fold(query) a substring
// of Fold(text) whenever the text contains the query.
func foldMapped(s string, mapped bool) (string, []int) {
	nfc := norm.NFC.String(s)
	var b strings.Builder
	b.Grow(len(nfc))
	var offs []int
	if mapped {
		offs = make([]int, 0, len(nfc)+1)
	}
	for i, r := range nfc {
		n := b.Len()
		if r < utf8.RuneSelf {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteByte(byte(r))
		} else {
			b.WriteString(foldRune(r))
		}
		if mapped {
			for range b.Len() - n {
				offs = append(offs, i)
			}
		}
	}
	if mapped {
		offs = append(offs, len(nfc))
	}
	return b.String(), offs
}

// folded caches foldRune: text in one script repeats few runes.
var folded sync.Map // rune → string

// foldRune is one non-ASCII rune case-folded, in NFKC form, without
// accents.
func foldRune(r rune) string {
	if f, ok := folded.Load(r); ok {
		return f.(string)
	}
	// Folded again after NFKC: a compatibility form can bring back a
	// capital ("℃" is "°C").
	f := cases.Fold().String(norm.NFKC.String(cases.Fold().String(string(r))))
	f = norm.NFC.String(strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) {
			return -1
		}
		return r
	}, norm.NFD.String(f)))
	folded.Store(r, f)
	return f
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func asciiLower(s string) string {
	hasUpper := false
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			hasUpper = true
			break
		}
	}
	if !hasUpper {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// Query is a parsed search: every term must appear, in any order.
type Query struct {
	terms []string // folded, longest first
}

// Parse splits q into terms at white space and folds them; an empty
// query has no terms.
func Parse(q string) Query {
	var terms []string
	for _, f := range strings.Fields(q) {
		if t := Fold(f); t != "" {
			terms = append(terms, t)
		}
	}
	// The longest term is the rarest, usually: checking it first
	// rejects most texts sooner.
	for i := 1; i < len(terms); i++ {
		for j := i; j > 0 && len(terms[j]) > len(terms[j-1]); j-- {
			terms[j], terms[j-1] = terms[j-1], terms[j]
		}
	}
	return Query{terms: terms}
}

// Empty reports whether the query has no terms.
func (q Query) Empty() bool { return len(q.terms) == 0 }

// MatchFolded reports whether folded (a Fold result) contains every
// term.
func (q Query) MatchFolded(folded string) bool {
	if len(q.terms) == 0 {
		return false
	}
	for _, t := range q.terms {
		if !strings.Contains(folded, t) {
			return false
		}
	}
	return true
}

// Match reports whether text contains every term.
func (q Query) Match(text string) bool { return q.MatchFolded(Fold(text)) }

// Snippet is a piece of text around a match, on one line.
type Snippet struct {
	Text string
	// Start and End are the byte offsets in Text of the match shown:
	// the earliest of any term.
	Start, End int
}

// Snippet cuts about width runes of text around the earliest match of
// any of the query's terms, when text holds them all, on one line (line breaks and tabs as
// spaces), with "…" where it was cut. ok is false when text does not
// match. The caller sanitizes and masks what it shows.
func (q Query) Snippet(text string, width int) (Snippet, bool) {
	if len(q.terms) == 0 {
		return Snippet{}, false
	}
	// A snippet reads as text: quoted Markdown ("> …") on one line is
	// a string of stray "> >" otherwise. Unless the markers are what
	// the query looks for.
	if plain := unquote(text); plain != text && q.Match(plain) {
		text = plain
	}
	folded, offs := foldMapped(text, true)
	if !q.MatchFolded(folded) {
		return Snippet{}, false
	}
	if nfc := norm.NFC.String(text); nfc != text {
		text = nfc
	}
	// The earliest match of any term is where the eye goes first.
	at, end := -1, -1
	for _, t := range q.terms {
		if i := strings.Index(folded, t); i >= 0 && (at < 0 || i < at) {
			at, end = i, i+len(t)
		}
	}
	if at < 0 {
		return Snippet{}, false
	}
	ms, me := offs[at], offs[end]
	if me < len(text) && end < len(offs)-1 && offs[end] == offs[end-1] {
		// The match ends inside a rune's folding ("ß" → "ss"): take
		// the whole rune.
		_, size := utf8.DecodeRuneInString(text[me:])
		me += size
	}
	before := max(width/3, 1)
	after := max(width-before-utf8.RuneCountInString(text[ms:me]), 1)
	start := ms
	for n := 0; start > 0 && n < before; n++ {
		_, size := utf8.DecodeLastRuneInString(text[:start])
		start -= size
	}
	stop := me
	for n := 0; stop < len(text) && n < after; n++ {
		_, size := utf8.DecodeRuneInString(text[stop:])
		stop += size
	}
	// Cut at a word boundary where one is near: a snippet reads
	// "…message of conv…" as "…age of conv…" otherwise.
	if start > 0 && !isSpaceBefore(text, start) {
		if i := strings.IndexFunc(text[start:ms], unicode.IsSpace); i >= 0 {
			start += i + 1
		}
	}
	if stop < len(text) && !isSpaceAt(text, stop) {
		if i := strings.LastIndexFunc(text[me:stop], unicode.IsSpace); i >= 0 {
			stop = me + i
		}
	}
	var b strings.Builder
	if start > 0 {
		b.WriteString("…")
	}
	head := oneLine(text[start:ms])
	b.WriteString(head)
	s := Snippet{Start: b.Len()}
	b.WriteString(oneLine(text[ms:me]))
	s.End = b.Len()
	b.WriteString(oneLine(text[me:stop]))
	if stop < len(text) {
		b.WriteString("…")
	}
	s.Text = b.String()
	return s, true
}

// isSpaceBefore reports whether the rune before text[i:] is a space.
func isSpaceBefore(text string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(text[:i])
	return unicode.IsSpace(r)
}

// isSpaceAt reports whether text[i:] starts with a space.
func isSpaceAt(text string, i int) bool {
	r, _ := utf8.DecodeRuneInString(text[i:])
	return unicode.IsSpace(r)
}

// quoteMarkers are the block-quote markers that start a Markdown line
// (up to three spaces of indent, then ">" with an optional space, nested).
var quoteMarkers = regexp.MustCompile(`(?m)^[ \t]{0,3}(?:>[ \t]?)+`)

// unquote drops the block-quote markers at the start of text's lines.
func unquote(text string) string {
	if !strings.Contains(text, ">") {
		return text
	}
	return quoteMarkers.ReplaceAllString(text, "")
}

// oneLine turns line breaks and tabs into spaces, and a run of spaces
// into one, so a snippet is one line without the gaps of blank lines.
func oneLine(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch r {
		case '\n', '\r', '\t', '\v', '\f', '\u2028', '\u2029', '\u0085', ' ':
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}
