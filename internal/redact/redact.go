// Package redact replaces API key values in text with their masked display
// form. Redaction is by value: every secret the caller registers is replaced
// wherever it appears, and any string shaped like a provider key is masked
// too, so a server that echoes a key back cannot make us show or store it.
//
// # Which values are masked by value
//
// Only values long and random enough to be secrets (see Maskable): at least
// 20 bytes and at least 64 bits by a Shannon estimate over their own
// characters. Local servers take placeholder keys such as "ollama", "EMPTY"
// or "lm-studio"; masking those by value would rewrite every occurrence of
// the word in prompts, replies and vaultchat's own messages ("how do I run
// ollama serve"), permanently, before anything is sent. Such a value is not
// worth protecting (it guards nothing) and cannot be told apart from
// ordinary text, so it is left alone; "keys add" says so.
//
// # Runs of key characters
//
// A run of more than MaxRun key characters (letters, digits, "-" and "_")
// is masked whole, as LongRunMask. A streaming redactor (Stream) must hold
// back a run until it ends, since the run may still turn out to contain a
// key; the cap bounds that memory, and masking the whole run at the cap is
// what keeps a key hidden inside a long run from being released piecemeal.
// String does the same, so streamed and whole text give the same output.
//
// # Displayed text
//
// Displayed also finds secrets that only appear once text is rendered:
// written with HTML character references ("sk&#45;proj"), Markdown
// backslash escapes ("sk\-proj"), emphasis or code markers splitting them
// ("s**k-proj…**"), inline HTML tags, terminal escape sequences (styled
// output), or invisible format characters (Unicode Cf, such as a
// zero-width joiner, or the "<U+200B>" stand-in package sanitize shows for
// one) inside.
package redact

import (
	"bytes"
	"encoding/binary"
	"math"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode/utf16"
)

// knownPrefixes are provider key prefixes kept in the masked form, longest
// first so that "sk-proj-" wins over "sk-".
var knownPrefixes = []string{
	"sk-svcacct-", "sk-admin-", "sk-proj-", "sk-ant-", "sk-or-v1-", "sk-",
	"gsk_", "xai-", "pplx-", "AIza", "AQ.",
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

// Thresholds of Maskable.
const (
	// MinSecretLen is the shortest value masked by value. Provider keys
	// are 32 to 200 characters; placeholders for local servers are words.
	MinSecretLen = 20
	// minSecretBits is the least estimated randomness of a value masked
	// by value: 20 random hexadecimal digits carry about 70 bits, while
	// "aaaaaaaaaaaaaaaaaaaaaaaa" or "abababababababababababab" carry far
	// less.
	minSecretBits = 64
)

// Maskable reports whether masking by value protects secret: whether it is
// long and random enough (see the package comment) that Redactor masks
// it. A key that is not maskable is still never shown by vaultchat itself,
// but a server or a model that repeats it is not caught.
func Maskable(secret string) bool {
	return len(secret) >= MinSecretLen && entropyBits(secret) >= minSecretBits
}

// entropyBits estimates the randomness of s: the Shannon entropy of its
// byte distribution times its length.
func entropyBits(s string) float64 {
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	n := float64(len(s))
	h := 0.0
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h * n
}

// keyShaped matches strings that look like provider API keys even when they
// are not in the vault (a teammate's key pasted into a prompt, say). Every
// prefix of the providers table is here (TestEveryPresetPrefixIsKeyShaped);
// Gemini's "AQ." is the one whose prefix holds a byte that is no key
// character, which Stream minds (geminiDot).
var keyShaped = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?:sk-(?:proj-|svcacct-|admin-|ant-|or-v1-)?|gsk_|xai-|pplx-|AIza|AQ\.)[A-Za-z0-9_\-]{16,}`)
})

// geminiDot is Gemini's newer key prefix: unlike every other prefix it
// ends in a byte that is no key character, so a stream must not release
// text between it and the run of key characters that follows it.
const geminiDot = "AQ."

// MaxRun is the longest run of key characters that is not masked whole.
const MaxRun = 512

// LongRunMask replaces a run of more than MaxRun key characters.
const LongRunMask = "[masked]"

// Redactor masks a fixed set of secrets. The zero value (and a nil
// *Redactor) masks only key-shaped strings. A Redactor is safe for
// concurrent use.
type Redactor struct {
	secrets []string // longest first, so a secret containing another wins
}

// New returns a Redactor for the given secret values. Values that are not
// Maskable (empty, short, or too regular) are left out.
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	for _, s := range secrets {
		if Maskable(s) && !contains(r.secrets, s) {
			r.secrets = append(r.secrets, s)
		}
	}
	sort.SliceStable(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
	return r
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// values returns the registered secrets; r may be nil.
func (r *Redactor) values() []string {
	if r == nil {
		return nil
	}
	return r.secrets
}

// String returns s with every registered secret and every key-shaped string
// replaced by its masked form, and every run of more than MaxRun key
// characters replaced by LongRunMask.
func (r *Redactor) String(s string) string {
	if longRunEnd(s) < 0 {
		return r.mask(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for s != "" {
		start, end := firstLongRun(s)
		if start < 0 {
			b.WriteString(r.mask(s))
			break
		}
		b.WriteString(r.mask(s[:start]))
		b.WriteString(LongRunMask)
		s = s[end:]
	}
	return b.String()
}

// mask masks secrets and key-shaped strings in s, which holds no long run.
func (r *Redactor) mask(s string) string {
	for _, secret := range r.values() {
		if strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, Mask(secret))
		}
	}
	if !mayHoldKey(s) {
		return s
	}
	return keyShaped().ReplaceAllStringFunc(s, Mask)
}

// mayHoldKey reports whether s contains the start of a key-shaped string;
// every match of keyShaped contains one of these prefixes. A few substring
// scans are far faster than the regexp, which matters when a whole
// 10,000-message conversation is exported.
func mayHoldKey(s string) bool {
	// Gemini's prefixes end in neither "-" nor "_".
	if strings.Contains(s, "AIza") || strings.Contains(s, geminiDot) {
		return true
	}
	// Every other prefix ends in "-" or "_", which are rarer than its
	// first letter: look for those and check what comes before.
	for rest, off := s, 0; ; {
		i := strings.IndexByte(rest, '-')
		if i < 0 {
			break
		}
		head := s[:off+i]
		if strings.HasSuffix(head, "sk") || strings.HasSuffix(head, "xai") || strings.HasSuffix(head, "pplx") {
			return true
		}
		rest, off = rest[i+1:], off+i+1
	}
	for rest, off := s, 0; ; {
		i := strings.IndexByte(rest, '_')
		if i < 0 {
			return false
		}
		if strings.HasSuffix(s[:off+i], "gsk") {
			return true
		}
		rest, off = rest[i+1:], off+i+1
	}
}

// firstLongRun returns the bounds of the first run of more than MaxRun key
// characters in s, or -1, -1.
func firstLongRun(s string) (start, end int) {
	run := 0
	for i := 0; i < len(s); i++ {
		if isKeyChar(s[i]) {
			run++
			continue
		}
		if run > MaxRun {
			return i - run, i
		}
		run = 0
	}
	if run > MaxRun {
		return len(s) - run, len(s)
	}
	return -1, -1
}

// longRunEnd returns the end of the last run of more than MaxRun key
// characters in s, or -1 if there is none.
func longRunEnd(s string) int {
	end := -1
	run := 0
	for i := 0; i < len(s); i++ {
		if isKeyChar(s[i]) {
			run++
			continue
		}
		if run > MaxRun {
			end = i
		}
		run = 0
	}
	if run > MaxRun {
		end = len(s)
	}
	return end
}

func isKeyChar(c byte) bool {
	return keyChar[c]
}

var keyChar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	t['-'], t['_'] = true, true
	return t
}()

// HoldsSecret reports whether s contains one of the registered secrets
// as it is (not merely a key-shaped string): text that must not be sent
// at all, such as an attached file.
func (r *Redactor) HoldsSecret(s string) bool {
	for _, secret := range r.values() {
		if strings.Contains(s, secret) {
			return true
		}
	}
	return false
}

// HoldsSecretBytes is HoldsSecret for a file's bytes (an image, whose
// metadata is text too): a registered secret written in them as UTF-8 or
// as UTF-16 of either byte order.
func (r *Redactor) HoldsSecretBytes(b []byte) bool {
	for _, secret := range r.values() {
		if bytes.Contains(b, []byte(secret)) || bytes.Contains(b, utf16Bytes(secret, false)) || bytes.Contains(b, utf16Bytes(secret, true)) {
			return true
		}
	}
	return false
}

// utf16Bytes is s in UTF-16, little- or big-endian: secrets are
// printable UTF-8 (vault.NewSecret), not only ASCII.
func utf16Bytes(s string, bigEndian bool) []byte {
	var order binary.AppendByteOrder = binary.LittleEndian
	if bigEndian {
		order = binary.BigEndian
	}
	out := make([]byte, 0, 2*len(s))
	for _, u := range utf16.Encode([]rune(s)) {
		out = order.AppendUint16(out, u)
	}
	return out
}
