// Package redact replaces API key values in text with their masked display
// form. Redaction is by value: every secret the caller registers is replaced
// wherever it appears, and any string shaped like a provider key is masked
// too, so a server that echoes a key back cannot make us show or store it.
package redact

import (
	"regexp"
	"sort"
	"strings"
)

// knownPrefixes are provider key prefixes kept in the masked form, longest
// first so that "sk-proj-" wins over "sk-".
var knownPrefixes = []string{
	"sk-svcacct-", "sk-admin-", "sk-proj-", "sk-ant-", "sk-or-v1-", "sk-",
	"gsk_", "xai-", "pplx-", "AIza",
}

// minTailLen is the shortest secret whose last four characters are shown;
// for shorter values even four characters would give away too much.
const minTailLen = 16

// Mask returns the display form of a secret: its provider prefix, an
// ellipsis and its last four characters ("sk-proj-…wxyz"). Short or
// prefix-less secrets show less. Mask never returns the secret itself.
func Mask(secret string) string {
	prefix := ""
	for _, p := range knownPrefixes {
		if strings.HasPrefix(secret, p) && len(secret) > len(p)+8 {
			prefix = p
			break
		}
	}
	if len(secret) < minTailLen {
		return prefix + "…"
	}
	return prefix + "…" + secret[len(secret)-4:]
}

// keyShaped matches strings that look like provider API keys even when they
// are not in the vault (a teammate's key pasted into a prompt, say).
var keyShaped = regexp.MustCompile(`(?:sk-(?:proj-|svcacct-|admin-|ant-|or-v1-)?|gsk_|xai-|pplx-)[A-Za-z0-9_\-]{16,}`)

// Redactor masks a fixed set of secrets. The zero value masks only
// key-shaped strings. A Redactor is safe for concurrent use.
type Redactor struct {
	secrets []string // longest first, so a secret containing another wins
	maxLen  int
}

// New returns a Redactor for the given secret values. Empty values are
// ignored.
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		r.secrets = append(r.secrets, s)
		r.maxLen = max(r.maxLen, len(s))
	}
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
	return r
}

// String returns s with every registered secret and every key-shaped string
// replaced by its masked form.
func (r *Redactor) String(s string) string {
	if r != nil {
		for _, secret := range r.secrets {
			if strings.Contains(s, secret) {
				s = strings.ReplaceAll(s, secret, Mask(secret))
			}
		}
	}
	if !mayHoldKey(s) {
		return s
	}
	return keyShaped.ReplaceAllStringFunc(s, Mask)
}

// mayHoldKey reports whether s contains the start of a key-shaped string;
// every match of keyShaped contains one of these prefixes. A few substring
// scans are far faster than the regexp, which matters when a whole
// 10,000-message conversation is exported.
func mayHoldKey(s string) bool {
	return strings.Contains(s, "sk-") || strings.Contains(s, "gsk_") ||
		strings.Contains(s, "xai-") || strings.Contains(s, "pplx-")
}

// Stream redacts text that arrives in pieces, such as a streamed reply, so
// that a secret split across two pieces is still caught. It holds back the
// shortest tail that could still grow into a secret or a key-shaped string.
// The zero value is not usable; call Redactor.Stream.
type Stream struct {
	r       *Redactor
	pending string
}

// Stream returns a streaming redactor backed by r (r may be nil).
func (r *Redactor) Stream() *Stream { return &Stream{r: r} }

// maxHoldBack bounds how much text a Stream keeps back while waiting to
// see whether a run of key characters ends.
const maxHoldBack = 512

// Write adds a piece of text and returns the redacted text that is safe to
// emit now. The rest is kept until the next Write or Flush.
func (s *Stream) Write(piece string) string {
	text := s.pending + piece
	cut := len(text) - s.holdBack(text)
	s.pending = text[cut:]
	return s.r.String(text[:cut])
}

// Flush returns whatever is still held back, redacted.
func (s *Stream) Flush() string {
	out := s.r.String(s.pending)
	s.pending = ""
	return out
}

// holdBack returns how many trailing bytes of text must wait: the trailing
// run of key characters (it may be the start of a key-shaped string or of a
// secret), or the longest tail that is a prefix of a registered secret.
func (s *Stream) holdBack(text string) int {
	n := 0
	for i := len(text) - 1; i >= 0 && isKeyChar(text[i]) && n < maxHoldBack; i-- {
		n++
	}
	if s.r != nil {
		for _, secret := range s.r.secrets {
			for k := min(len(secret)-1, len(text)); k > n; k-- {
				if strings.HasSuffix(text, secret[:k]) {
					n = k
					break
				}
			}
		}
	}
	return n
}

func isKeyChar(c byte) bool {
	return c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
