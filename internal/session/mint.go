package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/provider"
	"github.com/vaultchat/vaultchat/vault"
)

// MintOptions describe a key to mint at the provider of an admin or
// management key.
type MintOptions struct {
	Name string // the new key's name, in the vault and at the provider
	From string // the admin (OpenAI) or management (OpenRouter) key, name or ID
	// LimitUSD and LimitReset ("daily", "weekly", "monthly" or "") are
	// OpenRouter's spending limit; OpenAI keys have none.
	LimitUSD   float64
	LimitReset string
	Expires    time.Time // zero: never
	// Project is the OpenAI project of the service account (default: the
	// admin key's project).
	Project string
}

// revokeTimeout bounds the revocation of a key that could not be saved:
// it runs even when the caller's context is already canceled.
const revokeTimeout = 30 * time.Second

// afterMint, when set by a test, runs between minting and saving; an
// error it returns is a failed save.
var afterMint func() error

// MintKey creates a key at the provider of o.From and stores its secret
// straight into the vault (it is returned nowhere), with the provider's
// ID of it. Everything that can be checked is checked before any request;
// if the key cannot be saved once minted, it is revoked at the provider
// again, and if that fails too the error says exactly what to revoke.
func (s *Session) MintKey(ctx context.Context, o MintOptions) (vault.Key, error) {
	h, err := s.open()
	if err != nil {
		return vault.Key{}, err
	}
	parent, err := h.mintingKey(o.From)
	if err != nil {
		return vault.Key{}, err
	}
	if err := vault.ValidateName(o.Name); err != nil {
		return vault.Key{}, err
	}
	if _, err := h.vault.Key(o.Name); err == nil {
		return vault.Key{}, fmt.Errorf("%q: %w", o.Name, vault.ErrDuplicateName)
	}
	api := accountAPI(parent)
	project := o.Project
	if project == "" {
		project = parent.Project
	}
	switch {
	case api == apiOpenAI && project == "":
		return vault.Key{}, fmt.Errorf("minting an OpenAI key needs a project: give --project, or set the admin key's with \"vaultchat keys edit %s --project proj_…\"", parent.Name)
	case api == apiOpenAI && (o.LimitUSD > 0 || o.LimitReset != ""):
		return vault.Key{}, errors.New("OpenAI keys have no spending limit of their own; leave out --limit-usd and --limit-reset, and give the key a budget with \"vaultchat keys edit NAME --budget-monthly-usd N --hard\"")
	case o.LimitReset != "" && o.LimitUSD <= 0:
		return vault.Key{}, errors.New("--limit-reset needs --limit-usd")
	}
	a, err := h.accountsClient(parent)
	if err != nil {
		return vault.Key{}, err
	}
	var m provider.Minted
	var ce *chat.Error
	if api == apiOpenAI {
		m, ce = a.OpenAIMint(ctx, project, o.Name)
	} else {
		m, ce = a.OpenRouterMint(ctx, provider.MintRequest{Name: o.Name, LimitUSD: o.LimitUSD, LimitReset: o.LimitReset, ExpiresAt: o.Expires})
	}
	k := vault.Key{
		Name: o.Name, Provider: parent.Provider, BaseURL: parent.BaseURL, Organization: parent.Organization,
		ProviderKeyID: m.KeyID, ServiceAccountID: m.ServiceAccountID, MintedFrom: parent.ID,
		Note: "minted from " + parent.Name,
	}
	if api == apiOpenAI {
		k.Project = project
	}
	if !o.Expires.IsZero() {
		k.Expires = o.Expires.UTC().Truncate(24 * time.Hour)
	}
	if ce != nil {
		if m.KeyID != "" || m.ServiceAccountID != "" {
			return vault.Key{}, h.undoMint(a, k, fmt.Errorf("mint key %s: %w", o.Name, ce))
		}
		return vault.Key{}, fmt.Errorf("mint key %s: %w", o.Name, ce)
	}
	secret, err := vault.NewSecret(m.Secret)
	if err == nil && afterMint != nil {
		err = afterMint()
	}
	if err == nil {
		k.Secret = secret
		err = h.vault.Update(func(tx *vault.Tx) error {
			var err error
			k, err = tx.Add(k)
			return err
		})
	}
	if err != nil {
		return vault.Key{}, h.undoMint(a, k, fmt.Errorf("save the minted key %s: %w", o.Name, err))
	}
	return k, nil
}

// mintingKey returns the admin or management key named from.
func (h *home) mintingKey(from string) (vault.Key, error) {
	parent, err := h.vault.Key(from)
	if err != nil {
		return vault.Key{}, fmt.Errorf("%w; add an OpenAI admin key with \"vaultchat keys add NAME --provider openai --admin\" or an OpenRouter management key with \"--provider openrouter --management\"", err)
	}
	switch {
	case parent.Kind == vault.KindAdmin && accountAPI(parent) == apiOpenAI,
		parent.Kind == vault.KindManagement && accountAPI(parent) == apiOpenRouter:
		return parent, nil
	}
	return vault.Key{}, fmt.Errorf("key %s is not an OpenAI admin key nor an OpenRouter management key; only those can mint and revoke keys", parent.Name)
}

// undoMint revokes a key minted but not saved, and says what happened.
func (h *home) undoMint(a *provider.Accounts, k vault.Key, cause error) error {
	ctx, cancel := context.WithTimeout(context.Background(), revokeTimeout)
	defer cancel()
	if e := revokeAt(ctx, a, k); e != nil {
		return fmt.Errorf("%w; revoking it at the provider failed too (%v): %s", cause, e, manualRevoke(k))
	}
	return fmt.Errorf("%w; it was revoked at the provider again, so nothing is left behind", cause)
}

// revokeAt revokes k at its provider; a key already gone counts as done.
func revokeAt(ctx context.Context, a *provider.Accounts, k vault.Key) *chat.Error {
	var e *chat.Error
	if k.ServiceAccountID != "" {
		e = a.OpenAIRevoke(ctx, k.Project, k.ServiceAccountID)
	} else {
		e = a.OpenRouterRevoke(ctx, k.ProviderKeyID)
	}
	if e != nil && e.Status == 404 {
		return nil
	}
	return e
}

// manualRevoke says how to revoke k by hand.
func manualRevoke(k vault.Key) string {
	if k.ServiceAccountID != "" {
		return fmt.Sprintf("delete service account %s of project %s at https://platform.openai.com/settings/organization/projects", k.ServiceAccountID, k.Project)
	}
	return fmt.Sprintf("delete the key with hash %s at https://openrouter.ai/settings/keys", k.ProviderKeyID)
}

// RevokeKey revokes a minted key at its provider (OpenRouter: deleted;
// OpenAI: its service account deleted) and then removes it from the
// vault. A key vaultchat did not mint, or whose minting key is gone, is
// refused before any request.
func (s *Session) RevokeKey(ctx context.Context, name string) (vault.Key, error) {
	h, err := s.open()
	if err != nil {
		return vault.Key{}, err
	}
	k, err := h.vault.Key(name)
	if err != nil {
		return vault.Key{}, err
	}
	if !k.Minted() {
		return vault.Key{}, fmt.Errorf("key %s was not minted by vaultchat: revoke it in the provider's dashboard, then \"vaultchat keys rm %s\"", k.Name, k.Name)
	}
	parent, err := h.mintingKey(k.MintedFrom)
	if err != nil {
		return vault.Key{}, fmt.Errorf("the key that minted %s is not in the vault (%v): %s, then \"vaultchat keys rm %s\"", k.Name, err, manualRevoke(k), k.Name)
	}
	a, err := h.accountsClient(parent)
	if err != nil {
		return vault.Key{}, err
	}
	if e := revokeAt(ctx, a, k); e != nil {
		return vault.Key{}, fmt.Errorf("revoke key %s at the provider: %w", k.Name, e)
	}
	err = h.vault.Update(func(tx *vault.Tx) error {
		_, err := tx.Remove(k.ID)
		return err
	})
	if err != nil {
		return vault.Key{}, fmt.Errorf("key %s is revoked at the provider but still in the vault: %w; remove it with \"vaultchat keys rm %s\"", k.Name, err, k.Name)
	}
	return k, nil
}
