package vault

import (
	"crypto/sha256"
	"slices"

	"github.com/vaultchat/vaultchat/internal/redact"
)

// Redactor returns a redactor that masks every secret in the vault by
// value (and key-shaped text, as every Redactor does), for text shown or
// stored. It is built once per set of secrets: the same *redact.Redactor
// comes back until a key is added, rotated or removed, so callers may keep
// what they built on it (the chat engine keys its provider clients on it).
// After Close it masks key-shaped text only.
func (v *Vault) Redactor() *redact.Redactor {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.red != nil && v.redGen == v.state.Generation {
		return v.red
	}
	// Most saves only record a key's last use: the generation moves,
	// the secrets do not, and the redactor stays.
	secrets := make([]string, 0, len(v.state.Keys))
	for _, r := range v.state.Keys {
		secrets = append(secrets, r.Secret)
	}
	digest := secretsDigest(secrets)
	if v.red == nil || digest != v.redDigest {
		v.red, v.redDigest = redact.New(secrets...), digest
	}
	v.redGen = v.state.Generation
	return v.red
}

// secretsDigest identifies a set of secrets without keeping another copy
// of them.
func secretsDigest(secrets []string) [sha256.Size]byte {
	sorted := slices.Sorted(slices.Values(secrets))
	h := sha256.New()
	for _, s := range sorted {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return d
}
