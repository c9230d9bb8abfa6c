package redact

import "strings"

// Stream redacts text that arrives in pieces, such as a streamed reply.
// The concatenated results of Write and a final Flush equal String of the
// concatenated pieces, however the text was split (a fuzz test checks
// this): no prefix that could still become part of a secret or a
// key-shaped string is released early.
//
// It holds back the trailing run of key characters (it may be the start
// of a key-shaped string or of a secret) and the longest tail that is a
// prefix of a registered secret, never releasing text up to a point that
// lies inside a run of key characters or inside a secret. A run that grows
// past MaxRun is masked whole, as String masks it: LongRunMask is released
// at once and the rest of the run is dropped as it arrives, so memory
// stays bounded whatever the server sends.
//
// The zero value is not usable; call Redactor.Stream. A Stream is not safe
// for concurrent use.
type Stream struct {
	r       *Redactor
	pending string
	// swallow is set while the rest of a run masked as LongRunMask is
	// being dropped.
	swallow bool
}

// Stream returns a streaming redactor backed by r (r may be nil).
func (r *Redactor) Stream() *Stream { return &Stream{r: r} }

// Write adds a piece of text and returns the redacted text that is safe to
// emit now. The rest is kept until the next Write or Flush.
func (s *Stream) Write(piece string) string {
	if s.swallow {
		i := 0
		for i < len(piece) && isKeyChar(piece[i]) {
			i++
		}
		piece = piece[i:]
		if piece == "" {
			return ""
		}
		s.swallow = false
	}
	text := s.pending + piece
	runStart := len(text)
	for runStart > 0 && isKeyChar(text[runStart-1]) {
		runStart--
	}
	if len(text)-runStart > MaxRun {
		// The trailing run is masked whole whatever follows: String
		// ends a segment where it starts.
		s.pending, s.swallow = "", true
		return s.r.String(text[:runStart]) + LongRunMask
	}
	// A complete long run ends a segment of String: nothing after it can
	// change what comes before, so only the rest needs a cut.
	base := max(longRunEnd(text[:runStart]), 0)
	cut := base + s.cut(text[base:], runStart-base)
	s.pending = text[cut:]
	return s.r.String(text[:cut])
}

// Flush returns whatever is still held back, redacted, and resets the
// Stream.
func (s *Stream) Flush() string {
	out := ""
	if !s.swallow {
		out = s.r.String(s.pending)
	}
	s.pending, s.swallow = "", false
	return out
}

// cut returns how much of text can be released: everything before the
// trailing run of key characters (which starts at runStart) and before the
// longest tail that is a proper prefix of a secret, moved back so that it
// splits neither a run of key characters (a key-shaped match) nor a
// secret found whole in text. text holds no long run but the trailing one.
func (s *Stream) cut(text string, runStart int) int {
	cut := runStart
	secrets := s.r.values()
	for _, secret := range secrets {
		for k := min(len(secret)-1, len(text)); k > len(text)-cut; k-- {
			if strings.HasSuffix(text, secret[:k]) {
				cut = len(text) - k
				break
			}
		}
	}
	for moved := true; moved && cut > 0; {
		moved = false
		if cut < len(text) && isKeyChar(text[cut-1]) && isKeyChar(text[cut]) {
			for cut > 0 && isKeyChar(text[cut-1]) {
				cut--
			}
			moved = true
		}
		if start := geminiDotAt(text, cut); start >= 0 {
			cut, moved = start, true
		}
		for _, secret := range secrets {
			if start := spanning(text, secret, cut); start >= 0 {
				cut, moved = start, true
			}
		}
	}
	return cut
}

// spanning returns the start of an occurrence of secret in text that
// begins before at and ends after it, or -1.
func spanning(text, secret string, at int) int {
	from := max(at-len(secret)+1, 0)
	to := min(at+len(secret)-1, len(text))
	if to-from < len(secret) {
		return -1
	}
	window := text[from:to]
	for off := 0; ; {
		i := strings.Index(window[off:], secret)
		if i < 0 {
			return -1
		}
		start := from + off + i
		if start < at && start+len(secret) > at {
			return start
		}
		off += i + 1
	}
}

// geminiDotAt returns the start of a geminiDot prefix that cut would part
// from the key characters after it, or -1: one that ends at cut before a
// key character (or before the end of text, where one may still come),
// one that cut splits, or the start of one at the end of text.
func geminiDotAt(text string, cut int) int {
	for start := max(cut-len(geminiDot), 0); start < cut; start++ {
		rest := text[start:]
		if n := min(len(rest), len(geminiDot)); rest[:n] != geminiDot[:n] {
			continue
		}
		if start+len(geminiDot) == cut && cut < len(text) && !isKeyChar(text[cut]) {
			continue // "AQ." then no key: nothing to keep together
		}
		return start
	}
	return -1
}
