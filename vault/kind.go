package vault

import (
	"errors"
	"fmt"

	"github.com/vaultchat/vaultchat/internal/providers"
)

// Kinds of key. A chat key (the default, stored as "") is what turns use.
// An admin key (OpenAI) or a management key (OpenRouter) is a different
// kind of secret: it reads usage and mints or revokes keys at its
// provider. It is never used for chat, never handed to exec unless named
// explicitly, and only ever sent to its own provider.
const (
	KindChat       = ""
	KindAdmin      = "admin"
	KindManagement = "management"
)

// ForChat reports whether turns may use the key: only chat keys.
func (k Key) ForChat() bool { return k.Kind == KindChat }

// CheckChat returns an error that says why the key may not chat, nil for
// a chat key.
func (k Key) CheckChat() error {
	if k.ForChat() {
		return nil
	}
	return fmt.Errorf("key %q is not a chat key (kind %s): it reads usage and mints keys, and is never used for chat", k.Name, k.Kind)
}

// Minted reports whether vaultchat created the key at its provider (keys
// mint), so that it can be revoked there.
func (k Key) Minted() bool { return k.ProviderKeyID != "" && k.MintedFrom != "" }

// validateKind checks the fields of kind.go's concern: a known kind and
// provider IDs in plain text. Which provider offers which kind is the
// commands' rule (keys add), so that a vault written by a later version
// still opens.
func (k *Key) validateKind() error {
	switch k.Kind {
	case KindChat, KindAdmin, KindManagement:
	default:
		return fmt.Errorf("unknown key kind %q (want admin, management or none)", k.Kind)
	}
	for _, s := range []string{k.ProviderKeyID, k.ServiceAccountID, k.MintedFrom} {
		if hasControl(s) || len(s) > 256 {
			return errors.New("provider IDs contain control characters or are too long")
		}
	}
	return nil
}

// CheckKind is the rule of which provider offers which kind of key: an
// admin key is an OpenAI key, a management key an OpenRouter one. Keys
// are checked on add and on every edit (a provider changed under an
// admin key left a key nothing could use); stored records are not
// (validateKind), so a vault a later version wrote still opens.
func (k Key) CheckKind() error {
	switch {
	case k.Kind == KindAdmin && k.Provider != providers.OpenAI:
		return fmt.Errorf("an admin key is an OpenAI key (provider openai), not %s", k.Provider)
	case k.Kind == KindManagement && k.Provider != providers.OpenRouter:
		return fmt.Errorf("a management key is an OpenRouter key (provider openrouter), not %s", k.Provider)
	}
	return nil
}
