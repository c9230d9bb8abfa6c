package redact

import (
	"strings"
	"unicode/utf8"

	"github.com/vaultchat/vaultchat/internal/sanitize"
)

// Bounds of what a DisplayedStream holds back.
const (
	// maxHeldWord is the longest word (text after the last space) held
	// back whole; a longer one is released up to the part that may still
	// be the start of a key. That part, and an unfinished tag, entity or
	// escape sequence at the end, are each held up to this length too.
	maxHeldWord = 4 << 10
	// maxHeld bounds what a DisplayedStream holds between writes, whatever
	// the server sends: an undecided tail and an unfinished construct
	// after it, each shorter than maxHeldWord.
	maxHeld = 2 * maxHeldWord
)

// DisplayedStream is Displayed for text that arrives in pieces and is
// shown as it is, without rendering (ask's plain and --raw output): a key
// disguised with Markdown escapes, entities, emphasis, tags or invisible
// characters is read as the key there too.
//
// A key holds no whitespace, and neither does any disguise of one but an
// HTML tag's attributes (`<span class="x">`), so the stream releases text
// up to the last space that is not inside markup, and holds back the
// word after it and any tag, entity, escape sequence or character that
// is not finished yet. A word of maxHeldWord bytes or more is released
// up to the tail that may still be (the start of) a key as a reader sees
// it: the trailing run of key characters, or the beginning of a
// registered secret. A tail that long is a run String masks whole too:
// it is shown as LongRunMask and the rest of the run is dropped as it
// arrives, so what is held stays under maxHeld.
//
// The concatenated output equals Displayed of the whole text as long as
// no word reaches maxHeldWord bytes.
type DisplayedStream struct {
	r       *Redactor
	pending string
	// scanned and brk carry scanWords over from one Write to the next,
	// so that text arriving a byte at a time is read once: where reading
	// resumes in pending (an unfinished construct or its end), and where
	// the last word in it starts.
	scanned, brk int
	// swallow is set while the rest of a run masked as LongRunMask is
	// being dropped.
	swallow bool
}

// DisplayedStream returns a stream that masks with r.
func (r *Redactor) DisplayedStream() *DisplayedStream { return &DisplayedStream{r: r} }

// Write adds piece and returns the text that can be shown now, masked.
func (d *DisplayedStream) Write(piece string) string {
	s := d.pending + piece
	from, brk := d.scanned, d.brk
	d.pending, d.scanned, d.brk = "", 0, 0
	if d.swallow {
		if s = d.skipRun(s, false); d.swallow {
			return ""
		}
		from, brk = 0, 0
	}
	brk, open := scanWords(s, from, brk)
	keep := brk
	if len(s)-brk >= maxHeldWord {
		keep += d.decided(s[brk:open])
		if open-keep >= maxHeldWord {
			out := d.r.Displayed(s[:keep]) + LongRunMask
			d.swallow = true
			if rest := d.skipRun(s[open:], false); !d.swallow {
				out += d.Write(rest)
			}
			return out
		}
	}
	d.pending, d.scanned, d.brk = s[keep:], open-keep, max(brk-keep, 0)
	return d.r.Displayed(s[:keep])
}

// Flush returns what is held back, masked: the end of the text.
func (d *DisplayedStream) Flush() string {
	s := d.pending
	d.pending, d.scanned, d.brk = "", 0, 0
	if d.swallow {
		s = d.skipRun(s, true)
		d.pending, d.swallow = "", false
	}
	return d.r.Displayed(s)
}

// decided returns how much of word (a word without an unfinished
// construct at its end) can be masked and shown now: everything before
// the tail that may still become a key or a secret as a reader sees it,
// found as Stream finds it in plain text, but in the skeleton.
func (d *DisplayedStream) decided(word string) int {
	sk := newSkeleton(word, true)
	text := string(sk.text)
	runStart := len(text)
	for runStart > 0 && isKeyChar(text[runStart-1]) {
		runStart--
	}
	switch q := (&Stream{r: d.r}).cut(text, runStart); q {
	case len(text):
		return len(word)
	case 0:
		return 0
	default:
		// Markup between the decided text and the tail stays with the
		// tail: it may be what disguises the key.
		return int(sk.to[q-1])
	}
}

// skipRun drops the rest of a run masked as LongRunMask: s up to the first
// character a reader sees that is no key character. It returns the rest
// of s and clears swallow; when the run goes on to the end of s, it holds
// an unfinished construct at the end (unless final) and returns "".
func (d *DisplayedStream) skipRun(s string, final bool) string {
	open := len(s)
	if !final {
		_, open = scanWords(s, 0, 0)
	}
	sk := newSkeleton(s[:open], true)
	for j := range sk.text {
		if !isKeyChar(sk.text[j]) {
			d.swallow = false
			return s[sk.from[j]:]
		}
	}
	d.pending = s[open:]
	return ""
}

// scanWords reads s as the skeleton does, from from (where a construct
// starts; brk is where the last word starts before it), and returns where
// its last word starts (after the last space outside markup) and where an
// unfinished construct at its end starts (len(s) if there is none);
// brk <= open.
func scanWords(s string, from, brk int) (int, int) {
	for i := from; i < len(s); {
		if plainByte[s[i]] && s[i] > ' ' {
			i++ // the common case: a byte that is no markup nor space
			continue
		}
		n := 1
		switch c := s[i]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			brk = i + 1
		case c == 0x1b:
			n = sanitize.EscapeLen(s[i:])
		case c == '\\':
			if i+1 < len(s) && isASCIIPunct(s[i+1]) {
				n = 2
			}
		case c == '&':
			n = max(n, entityLen(s[i:]))
		case c == '<':
			if m, r := standIn(s[i:]); m > 0 && invisible(r) {
				n = m
			} else if m := tag(s[i:]); m > 0 {
				n = m
			}
		case c >= utf8.RuneSelf:
			_, n = utf8.DecodeRuneInString(s[i:])
		}
		if len(s)-i < maxHeldWord && unfinished(s[i:], n) {
			return brk, i
		}
		i += n
	}
	return brk, len(s)
}

func entityLen(s string) int {
	n, _ := entity(s)
	return n
}

// unfinished reports whether the construct at the start of rest, n bytes
// as read now, may read differently once more text arrives after rest:
// an escape sequence or a numeric reference running to the end, a
// trailing backslash, the beginning of a reference, of a tag or of a
// stand-in, or of a UTF-8 character.
func unfinished(rest string, n int) bool {
	switch c := rest[0]; {
	case c == 0x1b:
		return n == len(rest)
	case c == '\\':
		return len(rest) == 1
	case c == '&':
		if n > 1 {
			return n == len(rest) && rest[n-1] != ';'
		}
		return len(rest) <= 42 && !strings.ContainsFunc(rest[1:], func(r rune) bool {
			return !(r == '#' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
		})
	case c == '<':
		return n == 1 && mayBecomeTag(rest)
	case c >= utf8.RuneSelf:
		return !utf8.FullRuneInString(rest)
	}
	return false
}

// mayBecomeTag reports whether rest, which starts with "<" and is no tag
// or stand-in yet, may become one (tag, standIn) once more text arrives:
// nothing that ends or rules it out has arrived.
func mayBecomeTag(rest string) bool {
	if strings.ContainsAny(rest[1:], "<>") {
		return false // tag and standIn decide at the first of these
	}
	if i := 3; strings.HasPrefix("<U+", rest[:min(len(rest), 3)]) {
		for i < len(rest) && i < 3+6 && isUpperHex(rest[i]) {
			i++
		}
		if i == len(rest) {
			return true
		}
	}
	i := 1
	if i < len(rest) && rest[i] == '/' {
		i++
	}
	nameStart := i
	for i < len(rest) && (rest[i] >= 'a' && rest[i] <= 'z' || rest[i] >= 'A' && rest[i] <= 'Z' || i > nameStart && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '-')) {
		i++
	}
	switch {
	case i == len(rest):
		return true
	case i == nameStart:
		return false
	}
	return rest[i] == ' ' || rest[i] == '/' || rest[i] == '\t' || rest[i] == '\n'
}
