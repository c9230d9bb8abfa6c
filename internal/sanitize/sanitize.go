// Package sanitize makes model and server text safe to show in a terminal
// or write to an export. Every path that displays or stores text we did not
// write ourselves passes it through String (or a Stream, for text that
// arrives in pieces), so that our own styling is the only source of escape
// sequences on screen.
//
// # What is neutralised, and how it is shown
//
// Nothing is silently dropped: a neutralised character is replaced by a
// visible stand-in, so a user can see that a reply tried something.
//
//   - C0 controls (U+0000–U+001F) other than newline and tab become their
//     Unicode control pictures (U+2400–U+241F): NUL is "␀", BEL "␇",
//     backspace "␈", ESC "␛". DEL (U+007F) becomes "␡".
//   - Escape sequences are not parsed: their ESC becomes "␛" and the rest of
//     the sequence is already plain printable text, so an OSC 52 clipboard
//     write "\x1b]52;c;aGk=\x07" is shown as "␛]52;c;aGk=␇". This covers
//     CSI, OSC (52 clipboard, 8 hyperlinks, 0/2 title), DCS, APC, PM, SOS,
//     "ESC c" and every other ESC form, terminated or not, and it is what
//     lets a Stream work without holding back text: the output for a byte
//     never depends on what follows it (see Stream).
//   - A carriage return followed by a line feed is dropped (CRLF becomes LF).
//     A lone CR, which would let a reply overwrite the start of its line,
//     becomes "␍".
//   - C1 controls (U+0080–U+009F, 8-bit CSI, OSC, DCS, ... in their UTF-8
//     form) have no control picture; they become the ASCII text "<U+009B>".
//     Raw 8-bit C1 bytes (0x80–0x9F on their own) are invalid UTF-8 and,
//     like every invalid byte, become U+FFFD "�", one per byte.
//   - Format characters (Unicode category Cf) become "<U+XXXX>" as well:
//     the bidi embeddings, overrides and isolates (U+202A–U+202E,
//     U+2066–U+2069) and marks (U+200E, U+200F, U+061C) that can reorder a
//     line ("Trojan Source"), zero-width space, word joiner, invisible
//     operators, soft hyphen, byte order mark and the tag characters
//     (U+E0000–U+E007F) used to smuggle invisible ASCII. Zero-width joiner
//     and non-joiner (U+200D, U+200C) are kept, because emoji sequences and
//     several scripts need them; they cannot reorder or hide text.
//   - The line and paragraph separators U+2028 and U+2029 and the invisible
//     Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), which render as
//     blanks and are used to spoof text, become "<U+XXXX>" too.
//
// Newline and tab are kept. The output is valid UTF-8, contains no control
// character other than newline and tab, and String is idempotent:
// String(String(x)) == String(x).
//
// Markdown additionally neutralises HTML character references that a
// markdown renderer would decode into such characters. Prose, for the
// Markdown outside code that is displayed, drops invisible format
// characters instead of showing them: there they only hide things.
package sanitize

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Stand-ins for characters that have a control picture.
const (
	controlPictures = 0x2400   // U+2400 "␀" is the picture of U+0000
	delPicture      = '\u2421' // "␡"
	crPicture       = '\u240d' // "␍"
)

// safeASCII[c] is true for the ASCII bytes that are copied unchanged.
var safeASCII = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = true
	}
	t['\n'] = true
	t['\t'] = true
	return t
}()

// String returns s with every control character, escape sequence, invalid
// UTF-8 byte and text-spoofing format character neutralised, as described
// in the package comment. Text that needs no change is returned as is,
// without allocating.
func String(s string) string {
	i := safePrefix(s)
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	rewrite(&b, s[i:], true)
	return b.String()
}

// Stream sanitizes text that arrives in pieces, such as a streamed reply.
// The concatenated results of Write and a final Flush equal String of the
// concatenated pieces, however the text was split.
//
// A Stream holds back at most an incomplete UTF-8 encoding at the end of a
// piece (up to three bytes) or a trailing carriage return waiting to see
// whether a line feed follows; ordinary text is returned at once. An escape
// sequence split across pieces needs no holding back because each of its
// bytes is neutralised on its own.
//
// The zero value is ready to use. A Stream is not safe for concurrent use.
type Stream struct {
	pending string
}

// Write adds a piece of text and returns its sanitized form, minus the few
// bytes that must wait for the next piece.
func (s *Stream) Write(piece string) string {
	text := piece
	if s.pending != "" {
		text = s.pending + piece
		s.pending = ""
	}
	i := safePrefix(text)
	if i == len(text) {
		return text
	}
	var b strings.Builder
	b.Grow(len(text) + 16)
	b.WriteString(text[:i])
	s.pending = rewrite(&b, text[i:], false)
	return b.String()
}

// Flush returns the sanitized form of whatever Write held back and resets
// the Stream. Call it when the text ends.
func (s *Stream) Flush() string {
	p := s.pending
	s.pending = ""
	return String(p)
}

// safePrefix returns the length of the longest prefix of s that String
// leaves unchanged. It is the fast path: most text is copied in one piece.
func safePrefix(s string) int {
	i := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if !safeASCII[c] {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || neutralised(r) {
			return i
		}
		i += size
	}
	return i
}

// rewrite appends the sanitized form of s to b. Unless final is set, it
// stops before a tail whose treatment depends on bytes not yet seen (an
// incomplete UTF-8 encoding, or a CR that may be followed by LF) and
// returns that tail unprocessed.
func rewrite(b *strings.Builder, s string, final bool) (rest string) {
	for i := 0; i < len(s); {
		j := i + safePrefix(s[i:])
		b.WriteString(s[i:j])
		i = j
		if i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\r' && i+1 < len(s) && s[i+1] == '\n':
				// CRLF: drop the CR; the LF is copied next round.
			case c == '\r' && i+1 == len(s) && !final:
				return s[i:]
			case c == '\r':
				b.WriteRune(crPicture)
			case c == 0x7f:
				b.WriteRune(delPicture)
			default:
				b.WriteRune(controlPictures + rune(c))
			}
			i++
			continue
		}
		if !final && !utf8.FullRuneInString(s[i:]) {
			return s[i:]
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			writeCodePoint(b, r)
		}
		i += size
	}
	return ""
}

// writeCodePoint appends the visible form of a neutralised character that
// has no control picture: "<U+" and at least four uppercase hex digits.
func writeCodePoint(b *strings.Builder, r rune) {
	const hex = "0123456789ABCDEF"
	b.WriteString("<U+")
	digits := 4
	for r>>(4*digits) != 0 {
		digits++
	}
	for d := digits - 1; d >= 0; d-- {
		b.WriteByte(hex[(r>>(4*d))&0xf])
	}
	b.WriteByte('>')
}

// neutralised reports whether a valid non-ASCII rune is replaced: C1
// controls, format characters other than ZWJ and ZWNJ, the line and
// paragraph separators and the invisible Hangul fillers.
func neutralised(r rune) bool {
	switch {
	case r < 0xa0:
		return r >= 0x80
	case r == '\u200c' || r == '\u200d':
		return false
	case r == '\u2028' || r == '\u2029':
		return true
	case r == '\u115f' || r == '\u1160' || r == '\u3164' || r == '\uffa0':
		return true
	}
	return unicode.Is(unicode.Cf, r)
}

// kept reports whether String leaves the code point v unchanged.
func kept(v int) bool {
	switch {
	case v < 0 || v > unicode.MaxRune || v >= 0xd800 && v <= 0xdfff:
		return false
	case v < utf8.RuneSelf:
		return safeASCII[v]
	}
	return !neutralised(rune(v))
}

// Markdown returns String(s) with every HTML character reference that could
// decode to a neutralised character made undecodable, for text that is
// about to go through a markdown renderer (which decodes references after
// String has run). The "&" of such a reference becomes "&amp;", so the
// renderer shows the reference as the literal text the model wrote
// ("&#27;") instead of decoding it to ESC.
//
// Covered: every numeric reference, decimal or hex ("&#27;", "&#x1B;",
// "&#X9b", with or without the ";", with any number of leading zeros),
// whose value is not a character String keeps, including out-of-range
// values; and the named references that decode to a neutralised character
// (&lrm; &rlm; &shy; &ZeroWidthSpace; &NoBreak; &it; ...), matched as a
// case-insensitive prefix because HTML decodes some names without ";".
// Rewriting a harmless "&" is invisible after rendering, so matching errs
// on the wide side. The one visible cost: inside fenced and indented code
// blocks, where renderers do not decode references, a rewritten reference
// shows as "&amp;#27;". Telling code blocks apart would need a markdown
// parser, and a mistake there would let ESC through, so we accept it.
func Markdown(s string) string {
	s = String(s)
	i := strings.IndexByte(s, '&')
	if i < 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for ; i >= 0; i = next(s, i) {
		if decodesToNeutralised(s[i+1:]) {
			if last == 0 {
				b.Grow(len(s) + 32)
			}
			b.WriteString(s[last:i])
			b.WriteString("&amp;")
			last = i + 1
		}
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// Prose is Markdown for displayed text outside code: it first drops every
// format character (Unicode Cf: zero-width space and joiners, word joiner,
// soft hyphen, bidi controls, tag characters, …), which would show nothing
// or reorder the line, and which could split a key so that it escapes
// masking while it reads whole. A zero-width joiner or non-joiner that
// follows a non-ASCII character is kept: emoji sequences and several
// scripts need it, and it cannot hide anything there. Inside code, call
// Markdown, which shows such characters as "<U+XXXX>".
func Prose(s string) string {
	return Markdown(dropInvisible(s))
}

// dropInvisible removes the format characters Prose drops.
func dropInvisible(s string) string {
	var b strings.Builder
	last := 0
	prev := rune(0)
	for i, r := range s {
		if r >= utf8.RuneSelf && unicode.Is(unicode.Cf, r) &&
			!((r == '\u200c' || r == '\u200d') && prev >= utf8.RuneSelf) {
			if last == 0 && b.Len() == 0 {
				b.Grow(len(s))
			}
			b.WriteString(s[last:i])
			last = i + utf8.RuneLen(r)
			continue
		}
		prev = r
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// next returns the index of the next "&" in s after index i, or -1.
func next(s string, i int) int {
	j := strings.IndexByte(s[i+1:], '&')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// dangerousNames are the HTML named character references whose value
// String would neutralise (U+200B, U+200E, U+200F, U+00AD, U+2060–U+2063).
var dangerousNames = []string{
	"ApplyFunction", "InvisibleComma", "InvisibleTimes",
	"NegativeMediumSpace", "NegativeThickSpace", "NegativeThinSpace", "NegativeVeryThinSpace",
	"NoBreak", "ZeroWidthSpace",
	"af", "ic", "it", "lrm", "rlm", "shy",
}

// decodesToNeutralised reports whether the text after an "&" is a
// character reference that may decode to a character String neutralises.
func decodesToNeutralised(t string) bool {
	if t == "" {
		return false
	}
	if t[0] != '#' {
		for _, name := range dangerousNames {
			if len(t) >= len(name) && strings.EqualFold(t[:len(name)], name) {
				return true
			}
		}
		return false
	}
	t = t[1:]
	base := 10
	if t != "" && (t[0] == 'x' || t[0] == 'X') {
		base = 16
		t = t[1:]
	}
	v, n := 0, 0
	for ; n < len(t); n++ {
		d := digitValue(t[n], base)
		if d < 0 {
			break
		}
		if v <= unicode.MaxRune { // saturate rather than overflow
			v = v*base + d
		}
	}
	return n > 0 && !kept(v)
}

// digitValue returns the value of c as a digit in base 10 or 16, or -1.
func digitValue(c byte, base int) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case base == 16 && c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case base == 16 && c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// EscapeLen returns the length of the terminal escape sequence at the
// start of s (which starts with ESC): CSI up to its final byte, OSC, DCS, SOS, PM
// and APC up to their terminator (BEL or ST), else ESC and one byte;
// the rest of s when the sequence is not terminated. The maskers that
// read styled text (redact.Displayed, ui/markdown) skip escapes with it.
func EscapeLen(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	switch s[1] {
	case '[':
		for i := 2; i < len(s); i++ {
			if s[i] >= 0x40 && s[i] <= 0x7e {
				return i + 1
			}
		}
		return len(s)
	case ']', 'P', 'X', '^', '_':
		for i := 2; i < len(s); i++ {
			if s[i] == 0x07 {
				return i + 1
			}
			if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
		}
		return len(s)
	}
	return 2
}
