package session

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/vaultchat/vaultchat/internal/provider"
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
// its host). It moves to the provider presets table once that exists.
func accountAPI(k vault.Key) string {
	switch k.Provider {
	case vault.ProviderOpenAI:
		return apiOpenAI
	case vault.ProviderOpenRouter:
		return apiOpenRouter
	case vault.ProviderOpenAICompatible:
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
		kind = provider.OpenRouter
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
