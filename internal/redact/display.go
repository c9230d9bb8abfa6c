package redact

import (
	"html"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vaultchat/vaultchat/internal/sanitize"
)

// Span is a secret found by DisplayedSpans: the bytes [Start, End) of the
// text, markup included, and the masked form that replaces them.
type Span struct {
	Start, End int
	Mask       string
}

// Displayed returns s with every secret masked that a reader would see
// once s is displayed: rendered as Markdown, HTML or styled terminal
// output (see the package comment for the disguises undone). The whole
// disguised secret, markup included, is replaced by its masked form; then
// String masks whatever else it finds (secrets in HTML attributes, say).
func (r *Redactor) Displayed(s string) string {
	if !disguisable(s) {
		return r.String(s) // nothing to undo: s reads as it is
	}
	spans := r.DisplayedSpans(s)
	if len(spans) == 0 {
		return r.String(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, sp := range spans {
		b.WriteString(s[last:sp.Start])
		b.WriteString(sp.Mask)
		last = sp.End
	}
	b.WriteString(s[last:])
	return r.String(b.String())
}

// DisplayedSpans returns the secrets Displayed masks in s, in order and
// not overlapping, for callers that must edit styled text themselves.
// Secrets written plainly are included.
func (r *Redactor) DisplayedSpans(s string) []Span {
	text := s
	from := func(i int) int { return i }   // the original byte a text byte starts at
	to := func(i int) int { return i + 1 } // the original byte after it
	if disguisable(s) {
		if !r.mayShow(string(newSkeleton(s, false).text)) {
			return nil // the common case, found without building the map
		}
		sk := newSkeleton(s, true)
		text = string(sk.text)
		from = func(i int) int { return int(sk.from[i]) }
		to = func(i int) int { return int(sk.to[i]) }
	}
	found := r.matches(text)
	if len(found) == 0 {
		return nil
	}
	// Merge overlapping matches (a secret that is also key-shaped, say).
	merged := found[:1]
	for _, f := range found[1:] {
		last := &merged[len(merged)-1]
		if f[0] < last[1] {
			last[1] = max(last[1], f[1])
			continue
		}
		merged = append(merged, f)
	}
	spans := make([]Span, len(merged))
	for i, m := range merged {
		spans[i] = Span{Start: from(m[0]), End: to(m[1] - 1), Mask: Mask(text[m[0]:m[1]])}
	}
	return spans
}

// matches returns the [start, end) of every registered secret and every
// key-shaped string in text, sorted by start.
func (r *Redactor) matches(text string) [][2]int {
	var found [][2]int
	for _, secret := range r.values() {
		for off := 0; ; {
			i := strings.Index(text[off:], secret)
			if i < 0 {
				break
			}
			found = append(found, [2]int{off + i, off + i + len(secret)})
			off += i + len(secret)
		}
	}
	if mayHoldKey(text) {
		for _, m := range keyShaped().FindAllStringIndex(text, -1) {
			found = append(found, [2]int{m[0], m[1]})
		}
	}
	sort.Slice(found, func(i, j int) bool { return found[i][0] < found[j][0] })
	return found
}

// mayShow reports whether text holds a registered secret or a key prefix.
func (r *Redactor) mayShow(text string) bool {
	if mayHoldKey(text) {
		return true
	}
	for _, secret := range r.values() {
		if strings.Contains(text, secret) {
			return true
		}
	}
	return false
}

// MayShowKey reports whether s, once displayed, may show a key-shaped
// string: whether it holds a provider key prefix ("sk-", "gsk_", …),
// written plainly or disguised as Displayed understands. False is
// certain, so a renderer can skip looking for keys in its output.
func MayShowKey(s string) bool {
	if mayHoldKey(s) {
		return true
	}
	return disguisable(s) && mayHoldKey(string(newSkeleton(s, false).text))
}

// disguisable reports whether s holds anything the skeleton would undo.
func disguisable(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= utf8.RuneSelf, c == 0x1b, c == '<', c == '&', c == '\\', c == '*', c == '~', c == '`':
			return true
		}
	}
	return false
}

// skeleton is text as a reader sees it, with every disguise undone, and
// for each of its bytes the bytes of the original it came from.
type skeleton struct {
	text     []byte
	from, to []int32
}

// newSkeleton builds the skeleton of s; without withMap, only its text.
func newSkeleton(s string, withMap bool) *skeleton {
	sk := &skeleton{text: make([]byte, 0, len(s))}
	if withMap {
		sk.from, sk.to = make([]int32, 0, len(s)), make([]int32, 0, len(s))
	}
	emit := func(b []byte, from, to int) {
		sk.text = append(sk.text, b...)
		if withMap {
			for range b {
				sk.from = append(sk.from, int32(from))
				sk.to = append(sk.to, int32(to))
			}
		}
	}
	var one [utf8.UTFMax]byte
	for i := 0; i < len(s); {
		if !withMap {
			// Copy a run of bytes that need no attention in one go.
			j := i
			for j < len(s) && plainByte[s[j]] {
				j++
			}
			if j > i {
				sk.text = append(sk.text, s[i:j]...)
				i = j
				continue
			}
		}
		c := s[i]
		switch c {
		case 0x1b:
			i += sanitize.EscapeLen(s[i:])
			continue
		case '*', '~', '`':
			i++
			continue
		case '\\':
			if n, r := codeEscape(s[i:]); n > 0 {
				if !invisible(r) {
					emit(one[:utf8.EncodeRune(one[:], r)], i, i+n)
				}
				i += n
				continue
			}
			if i+1 < len(s) && isASCIIPunct(s[i+1]) {
				emit([]byte{s[i+1]}, i, i+2)
				i += 2
				continue
			}
		case '&':
			if n, r := entity(s[i:]); n > 0 {
				if !invisible(r) {
					emit(one[:utf8.EncodeRune(one[:], r)], i, i+n)
				}
				i += n
				continue
			}
		case '<':
			if n, r := standIn(s[i:]); n > 0 && invisible(r) {
				i += n
				continue
			}
			if n := tag(s[i:]); n > 0 {
				i += n
				continue
			}
		}
		if c < utf8.RuneSelf {
			emit([]byte{c}, i, i+1)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !invisible(r) {
			emit([]byte(s[i:i+size]), i, i+size)
		}
		i += size
	}
	return sk
}

// plainByte[c] is true for ASCII bytes the skeleton copies unchanged.
var plainByte = func() (t [256]bool) {
	for c := 0; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	for _, c := range []byte{0x1b, '*', '~', '`', '\\', '&', '<'} {
		t[c] = false
	}
	return t
}()

// invisible reports whether r is a format character (Unicode Cf: zero-width
// joiners and spaces, bidi controls, soft hyphen, …), which shows nothing.
func invisible(r rune) bool { return r > 0x7f && unicode.Is(unicode.Cf, r) }

func isASCIIPunct(c byte) bool {
	return c > ' ' && c < 0x7f && !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z')
}

// entity returns the length of the HTML character reference at the start
// of s and the character it stands for, or 0 if there is none. Numeric
// references may lack the ";" (HTML decodes them anyway).
func entity(s string) (int, rune) {
	n := 1
	if n < len(s) && s[n] == '#' {
		n++
		hex := n < len(s) && (s[n] == 'x' || s[n] == 'X')
		if hex {
			n++
		}
		digits := n
		for n < len(s) && n-digits < 8 && (s[n] >= '0' && s[n] <= '9' || hex && isHexLetter(s[n])) {
			n++
		}
		if n == digits {
			return 0, 0
		}
		if n < len(s) && s[n] == ';' {
			n++
		}
	} else {
		for n < len(s) && n < 40 && (s[n] >= 'a' && s[n] <= 'z' || s[n] >= 'A' && s[n] <= 'Z' || s[n] >= '0' && s[n] <= '9') {
			n++
		}
		if n == 1 || n >= len(s) || s[n] != ';' {
			return 0, 0
		}
		n++
	}
	dec := html.UnescapeString(s[:n])
	r, size := utf8.DecodeRuneInString(dec)
	if dec == s[:n] || size != len(dec) {
		return 0, 0 // not a reference, or one that stands for two characters
	}
	return n, r
}

// codeEscape returns the length of the programming-language character
// escape at the start of s ("\u002d" of JSON and JavaScript, "\u{2d}",
// "\x2d", "\U0000002d") and the character it stands for, or 0: a key
// written that way in a JSON or source file reads as the key wherever
// the file is read.
func codeEscape(s string) (int, rune) {
	if len(s) < 3 || s[0] != '\\' {
		return 0, 0
	}
	start, digits := 2, 0
	switch s[1] {
	case 'x':
		digits = 2
	case 'U':
		digits = 8
	case 'u':
		digits = 4
		if s[2] == '{' {
			end := strings.IndexByte(s[3:min(len(s), 3+7)], '}')
			if end < 1 {
				return 0, 0
			}
			start, digits = 3, end
		}
	default:
		return 0, 0
	}
	if len(s) < start+digits {
		return 0, 0
	}
	v := rune(0)
	for _, c := range []byte(s[start : start+digits]) {
		d, ok := hexDigit(c)
		if !ok {
			return 0, 0
		}
		v = v<<4 | d
	}
	if !utf8.ValidRune(v) {
		return 0, 0
	}
	n := start + digits
	if start == 3 {
		n++ // the closing brace
	}
	return n, v
}

// mayBecomeCodeEscape reports whether rest, a backslash and what follows
// it so far, is the start of a codeEscape that has not fully arrived.
func mayBecomeCodeEscape(rest string) bool {
	if len(rest) < 2 {
		return true
	}
	var want int // the escape's whole length
	switch rest[1] {
	case 'x':
		want = 4
	case 'u':
		want = 6
	case 'U':
		want = 10
	default:
		return false
	}
	body := rest[2:]
	if rest[1] == 'u' && strings.HasPrefix(body, "{") {
		want, body = 10, body[1:]
	}
	for i := range len(body) {
		if _, ok := hexDigit(body[i]); !ok {
			return false
		}
	}
	return len(rest) < want
}

func hexDigit(c byte) (rune, bool) {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0'), true
	case c >= 'a' && c <= 'f':
		return rune(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return rune(c-'A') + 10, true
	}
	return 0, false
}

func isHexLetter(c byte) bool { return c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// standIn returns the length of a "<U+XXXX>" stand-in (what package
// sanitize shows for an invisible character) at the start of s, and its
// code point.
func standIn(s string) (int, rune) {
	if !strings.HasPrefix(s, "<U+") {
		return 0, 0
	}
	v := rune(0)
	n := 3
	for n < len(s) && n < 3+6 && isUpperHex(s[n]) {
		d := rune(s[n] - '0')
		if s[n] >= 'A' {
			d = rune(s[n]-'A') + 10
		}
		v = v<<4 | d
		n++
	}
	if n-3 < 4 || n >= len(s) || s[n] != '>' {
		return 0, 0
	}
	return n + 1, v
}

func isUpperHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' }

// tagName returns where the name of the tag at the start of s ("<b",
// "</b") starts and ends: letters, then letters, digits and '-'.
func tagName(s string) (start, end int) {
	i := 1
	if i < len(s) && s[i] == '/' {
		i++
	}
	start = i
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || i > start && (s[i] >= '0' && s[i] <= '9' || s[i] == '-')) {
		i++
	}
	return start, i
}

// tag returns the length of the HTML tag at the start of s (which starts
// with "<"), or 0. Every tag counts as showing nothing: a Markdown renderer
// drops inline HTML, so "s<b>k-…" reads as one word on screen, and in an
// HTML page the text on both sides of an inline element does too. (Text
// on both sides of a block element, rarely written without a line break
// between, is then masked as one word: harmless.)
func tag(s string) int {
	nameStart, i := tagName(s)
	if i == nameStart {
		return 0
	}
	end := strings.IndexAny(s[i:], "<>")
	if end < 0 || s[i+end] != '>' {
		return 0
	}
	if end > 0 && s[i] != ' ' && s[i] != '/' && s[i] != '\t' && s[i] != '\n' {
		return 0 // "<abc.def>" is not a tag
	}
	return i + end + 1
}
