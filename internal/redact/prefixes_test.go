package redact

import (
	"slices"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/providers"
)

// TestKnownPrefixesCoverThePresets: every key prefix a provider preset
// issues keeps its prefix in the masked form. The providers table is
// where prefixes are decided; this list must follow it (it has generic
// ones too, such as "sk-").
func TestKnownPrefixesCoverThePresets(t *testing.T) {
	for _, k := range providers.Kinds() {
		for _, p := range k.KeyPrefixes {
			if !slices.Contains(knownPrefixes, p) {
				t.Errorf("%s's key prefix %q is not in knownPrefixes", k.Name, p)
			}
		}
	}
}

// TestEveryPresetPrefixIsKeyShaped: a key of every prefix in the
// providers table is masked as key-shaped, with no vault secret
// registered (a teammate's key pasted into a prompt), by every way text
// is masked: whole, streamed in small pieces, and displayed; and
// MayShowKey, which lets renderers skip the search, sees it.
func TestEveryPresetPrefixIsKeyShaped(t *testing.T) {
	var r *Redactor // masks key shapes only
	for _, k := range providers.Kinds() {
		for _, p := range k.KeyPrefixes {
			key := p + strings.Repeat("Zr8vK2", 6)
			text := "use " + key + " here"
			want := "use " + Mask(key) + " here"
			if !strings.HasPrefix(Mask(key), p+"…") {
				t.Errorf("%s: Mask(%s…) = %q, want the prefix kept", k.Name, p, Mask(key))
			}
			if got := r.String(text); got != want {
				t.Errorf("%s: String(…%s…) = %q, want %q", k.Name, p, got, want)
			}
			if got := r.Displayed(text); got != want {
				t.Errorf("%s: Displayed(…%s…) = %q, want %q", k.Name, p, got, want)
			}
			for step := 1; step <= 5; step++ {
				if got := streamAll(r, text, step); got != want {
					t.Errorf("%s: Stream by %d (…%s…) = %q, want %q", k.Name, step, p, got, want)
				}
			}
			if !MayShowKey(text) {
				t.Errorf("%s: MayShowKey(…%s…) = false", k.Name, p)
			}
		}
	}
}
