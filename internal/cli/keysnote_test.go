package cli

import (
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/testkit"
)

// TestKeysListNoteQuotingAPlainSecret: the NOTE column is cut to 40
// characters after masking. A note quoting a secret the vault knows only
// by value (no provider prefix) across that point would, cut first,
// show the secret's beginning, which no mask recognises.
func TestKeysListNoteQuotingAPlainSecret(t *testing.T) {
	e := newVault(t)
	secret := testkit.RandomHex(t, 16)
	e.addSecretKey("ci", secret, "--provider", "openai-compatible", "--base-url", "https://llm.example.com/v1")
	for _, note := range []string{"rotated; the old one was " + secret, "old " + secret + " (revoked)"} {
		e.mustRun(tty{}, "keys", "edit", "ci", "--note", note)
		list := e.mustRun(tty{}, "keys", "list").stdout
		// The masked form shows the last four characters; no run of six
		// may show.
		for i := 0; i+6 <= len(secret); i++ {
			if strings.Contains(list, secret[i:i+6]) {
				t.Fatalf("keys list shows part of the secret:\n%s", list)
			}
		}
	}
}
