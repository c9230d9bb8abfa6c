package redact

import (
	"slices"
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
