package redact

import (
	"encoding/binary"
	"testing"
	"unicode/utf16"
)

// encodeUTF16 is s in UTF-16 of the given byte order, built with the
// standard library so the test does not share the code it checks.
func encodeUTF16(s string, order binary.AppendByteOrder) []byte {
	var out []byte
	for _, u := range utf16.Encode([]rune(s)) {
		out = order.AppendUint16(out, u)
	}
	return out
}

// TestHoldsSecretBytes: a registered secret is found in a file's bytes as
// UTF-8 and as UTF-16 of either byte order, non-ASCII letters included
// (vault.NewSecret accepts any printable UTF-8), and nothing else is.
func TestHoldsSecretBytes(t *testing.T) {
	for name, secret := range map[string]string{
		"ascii":     fakeKey("Zr8v"),
		"non-ASCII": fakeKey("Zr8v") + "\u00e9\u00df",
	} {
		r := New(secret)
		wrap := func(b []byte) []byte {
			return append(append([]byte("\x89PNG\x00meta:"), b...), "\x00end"...)
		}
		for form, b := range map[string][]byte{
			"utf-8":    wrap([]byte(secret)),
			"utf-16le": wrap(encodeUTF16(secret, binary.LittleEndian)),
			"utf-16be": wrap(encodeUTF16(secret, binary.BigEndian)),
		} {
			if !r.HoldsSecretBytes(b) {
				t.Errorf("%s secret as %s: not found", name, form)
			}
		}
		if r.HoldsSecretBytes(wrap(encodeUTF16(fakeKey("Xx1y"), binary.LittleEndian))) {
			t.Errorf("%s: another key's bytes reported as the secret", name)
		}
	}
}
