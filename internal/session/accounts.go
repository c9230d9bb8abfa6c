package session

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/vaultchat/vaultchat/internal/provider"
	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/vault"
)

// chatKeys leaves out admin and management keys, which turns never use.
func chatKeys(keys []vault.Key) []vault.Key {
	return slices.DeleteFunc(keys, func(k vault.Key) bool { return !k.ForChat() })
}

// Provider APIs a key's account can be reached through.
const (
	apiOpenAI     = "openai"
	apiOpenRouter = "openrouter"
)

// accountAPI says which provider account API a key belongs to: the one
// place that decides it, from the key's provider (and, for OpenRouter
// keys stored as openai-compatible before the openrouter kind existed,
// its host); the kinds' account APIs are rows of the providers table.
func accountAPI(k vault.Key) string {
	kind, err := providers.Lookup(k.Provider)
	if err != nil {
		return ""
	}
	switch kind.Accounts {
	case providers.AccountOpenAI:
		return apiOpenAI
	case providers.AccountOpenRouter:
		return apiOpenRouter
	}
	if k.Provider == providers.OpenAICompatible {
		if u, err := url.Parse(k.BaseURL); err == nil && strings.EqualFold(u.Hostname(), "openrouter.ai") {
			return apiOpenRouter
		}
	}
	return ""
}

// accountsClient returns the account API client of k, pinned to k's base
// URL like every client of the key.
func (h *home) accountsClient(k vault.Key) (*provider.Accounts, error) {
	kind := k.Provider
	if accountAPI(k) == apiOpenRouter {
		kind = providers.OpenRouter
	}
	a, err := provider.NewAccounts(provider.Config{
		Provider: kind, BaseURL: k.BaseURL, Secret: k.Secret.Reveal(), KeyName: k.Name,
		Organization: k.Organization, Transport: h.cfg.Transport, Redactor: h.redactor(),
	})
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", k.Name, err)
	}
	return a, nil
}
