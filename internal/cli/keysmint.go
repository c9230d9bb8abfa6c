package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/session"
	"github.com/vaultchat/vaultchat/vault"
)

// The provider account side of keys: admin and management keys (keys add
// --admin / --management), minted child keys (keys mint, keys revoke, keys
// rm of a minted key), and a key's provider ID (--provider-key-id). The
// requests go through the session (internal/session/mint.go).

// keyAccountFlags are the account flags shared by keys add and keys edit.
type keyAccountFlags struct {
	ProviderKeyID *string `name:"provider-key-id" placeholder:"ID" help:"The key's ID at OpenAI (key_…), when usage --reconcile cannot match it by its redacted value."`
}

func (f *keyAccountFlags) apply(k *vault.Key) error {
	if f.ProviderKeyID != nil {
		id := strings.TrimSpace(*f.ProviderKeyID)
		if id != "" && !strings.HasPrefix(id, "key_") {
			return usagef("--provider-key-id %q is not an OpenAI key ID (key_…)", id)
		}
		k.ProviderKeyID = id
	}
	return nil
}

func (f *keyAccountFlags) changed() bool { return f.ProviderKeyID != nil }

// applyKind sets the kind keys add was asked for. An admin key is
// OpenAI's, a management key OpenRouter's.
func (c *keysAddCmd) applyKind(k *vault.Key) error {
	switch {
	case c.Admin && c.Management:
		return usagef("--admin and --management are for different providers; give one")
	case c.Admin:
		k.Kind = vault.KindAdmin
	case c.Management:
		k.Kind = vault.KindManagement
	}
	if err := k.CheckKind(); err != nil {
		return usagef("%v", err)
	}
	return nil
}

// kindNote is said after adding an admin or management key.
func kindNote(k vault.Key) string {
	switch k.Kind {
	case vault.KindAdmin:
		return "it is an admin key: never used for chat, only sent to " + k.Host() + ", used by \"usage --reconcile\" and \"keys mint\""
	case vault.KindManagement:
		return "it is a management key: never used for chat, only sent to " + k.Host() + ", used by \"keys mint\""
	}
	return ""
}

// keysMintCmd creates a key at the provider.
type keysMintCmd struct {
	Name       string  `arg:"" help:"Name of the new key (in the vault and at the provider)."`
	From       string  `name:"from" required:"" placeholder:"KEY" help:"The OpenAI admin key or OpenRouter management key that mints it."`
	LimitUSD   float64 `name:"limit-usd" placeholder:"USD" help:"OpenRouter: what the key may spend (0: no limit)."`
	LimitReset string  `name:"limit-reset" enum:",daily,weekly,monthly" default:"" help:"OpenRouter: when the limit starts again (daily, weekly, monthly; default never)."`
	Expires    string  `name:"expires" placeholder:"30d|DATE" help:"When the key expires: a number of days (30d) or a date (YYYY-MM-DD)."`
	Project    string  `name:"project" placeholder:"ID" help:"OpenAI: the project of the new service account (default: the admin key's)."`
}

// Help is the detail shown by "vaultchat keys mint --help".
func (c *keysMintCmd) Help() string {
	return `Examples:
  vaultchat keys mint ci --from or-mgmt --limit-usd 5 --limit-reset monthly --expires 30d
  vaultchat keys mint ci --from oa-admin --project proj_abc

The new secret goes straight into the vault; it is shown nowhere. OpenAI keys are minted as a service account of the project; "keys revoke NAME" deletes it.`
}

// Run mints the key.
func (c *keysMintCmd) Run(a *app) error {
	if err := vault.ValidateName(c.Name); err != nil {
		return usagef("%v", err)
	}
	if err := vault.ValidateUSD(c.LimitUSD); err != nil {
		return usagef("--limit-usd %v", err)
	}
	expires, err := parseExpiry(c.Expires, a.now())
	if err != nil {
		return err
	}
	sess, err := a.openSession(false)
	if err != nil {
		return err
	}
	defer sess.Close()
	ctx, stopped, stop := signalContext()
	defer stop()
	k, err := sess.MintKey(ctx, session.MintOptions{Name: c.Name, From: c.From, LimitUSD: c.LimitUSD, LimitReset: c.LimitReset, Expires: expires, Project: c.Project})
	if err != nil {
		return stopped(accountKeyHint(err, c.From))
	}
	a.printf("minted key %s at %s (provider ID %s); its secret went straight into the vault\n", a.cell(k.Name), a.cell(k.Host()), a.cell(k.ProviderKeyID))
	return nil
}

// keysRevokeCmd revokes a minted key at the provider and removes it.
type keysRevokeCmd struct {
	Name string `arg:"" help:"Minted key to revoke."`
	Yes  bool   `name:"yes" short:"y" help:"Do not ask for confirmation."`
}

// Run asks (on a terminal, as keys rm does: revoking cannot be undone at
// the provider) and revokes the key.
func (c *keysRevokeCmd) Run(a *app) error {
	if !c.Yes && !a.io.IsStdinTTY {
		return withHint(errors.New("refusing to revoke a key without confirmation: stdin is not a terminal"),
			"pass --yes to revoke it without asking")
	}
	v, err := a.open()
	if err != nil {
		return err
	}
	defer v.Close() // again after the session's Close: harmless
	k, err := v.Key(c.Name)
	if err != nil {
		return err
	}
	if !c.Yes && k.Minted() { // a key not minted here: RevokeKey says what to do instead
		ok, err := a.confirm(fmt.Sprintf("revoke key %s at %s and remove it?", a.cell(k.Name), a.cell(k.Host())))
		if err != nil {
			return err
		}
		if !ok {
			a.printf("kept key %s\n", a.cell(k.Name))
			return nil
		}
	}
	sess, err := a.sessionOn(v)
	if err != nil {
		return err
	}
	defer sess.Close()
	return revoke1(a, sess, k.ID)
}

func revoke1(a *app, sess *session.Session, name string) error {
	ctx, stopped, stop := signalContext()
	defer stop()
	k, err := sess.RevokeKey(ctx, name)
	if err != nil {
		return stopped(accountKeyHint(err, ""))
	}
	a.printf("revoked key %s at %s and removed it from the vault\n", a.cell(k.Name), a.cell(k.Host()))
	return nil
}

// revokeOnRemove handles "keys rm" of a minted key: it asks (or reads
// --revoke / --no-revoke) whether to revoke it at the provider too, and
// if so revokes and removes it. done is true when the key is gone.
func (c *keysRmCmd) revokeOnRemove(a *app, v *vault.Vault, k vault.Key) (done bool, err error) {
	if !k.Minted() {
		return false, nil
	}
	revoke := c.Revoke
	if revoke == nil {
		if !a.io.IsStdinTTY {
			return false, withHint(fmt.Errorf("key %s was minted at its provider: say whether to revoke it there too", k.Name),
				"pass --revoke to revoke it at the provider and remove it, or --no-revoke to remove it here only")
		}
		ok, err := a.confirm(fmt.Sprintf("key %s was minted at its provider; revoke it there too?", a.cell(k.Name)))
		if err != nil {
			return false, err
		}
		revoke = &ok
	}
	if !*revoke {
		a.warn("key %s stays valid at its provider (ID %s)", k.Name, k.ProviderKeyID)
		return false, nil
	}
	sess, err := a.sessionOn(v)
	if err != nil {
		return true, err
	}
	defer sess.Close()
	return true, revoke1(a, sess, k.ID)
}

// sessionOn opens the session layer on a vault the command already
// unlocked, so that nothing asks for the passphrase twice. Closing the
// session closes v.
func (a *app) sessionOn(v *vault.Vault) (*session.Session, error) {
	cfg, err := a.sessionConfig(false)
	if err != nil {
		return nil, err
	}
	return session.Open(cfg, v)
}

// showAccount adds the account rows to "keys show": the kind, the
// provider ID, who minted it, and OpenRouter's own figures.
func showAccount(ctx context.Context, a *app, v *vault.Vault, k vault.Key, row func(label, value string)) {
	if k.Kind != vault.KindChat {
		row("kind", k.Kind+" (never used for chat)")
	}
	if k.ProviderKeyID != "" {
		row("provider key id", a.cell(k.ProviderKeyID))
	}
	if k.MintedFrom != "" {
		row("minted by", a.cell(mintedBy(v, k)))
	}
	if !k.ForChat() || k.Provider != providers.OpenRouter && !strings.EqualFold(k.Host(), "openrouter.ai") {
		return
	}
	row("provider says", a.cell(providerSays(ctx, a, v, k.ID)))
}

// mintedBy is the name of the key that minted k, "(removed)" when that
// key is gone. It matches the ID only (MintedFrom is one): a key named
// like another's ID must not pass for its parent.
func mintedBy(v *vault.Vault, k vault.Key) string {
	for _, p := range v.Keys() {
		if p.ID == k.MintedFrom {
			return p.Name
		}
	}
	return "(removed)"
}

// providerSays is OpenRouter's sentence for a key, or why there is none.
// It closes v.
func providerSays(ctx context.Context, a *app, v *vault.Vault, keyID string) string {
	sess, err := a.sessionOn(v)
	if err != nil {
		return "unavailable: " + err.Error()
	}
	defer sess.Close()
	p, ok, err := sess.ProviderFigures(ctx, keyID)
	switch {
	case err != nil:
		return "unavailable: " + err.Error()
	case !ok:
		return "-"
	}
	return strings.TrimPrefix(p.Sentence(), "provider says: ")
}

// accountKeyHint adds, to an admin or management key refused by the
// provider (401/403), which key that is and what to do; name is the key
// when the command knows it.
func accountKeyHint(err error, name string) error {
	var ce *chat.Error
	if !errors.As(err, &ce) || ce.Class != chat.ErrInvalidKey {
		return err
	}
	if name != "" {
		return withHint(err, fmt.Sprintf("the provider refused the admin key %s: check that it is an admin (OpenAI) or management (OpenRouter) key of this account, or replace its secret with \"vaultchat keys rotate %s\"", name, name))
	}
	return withHint(err, "the provider refused the OpenAI admin key (or OpenRouter management key) used: check it, or replace its secret with \"vaultchat keys rotate NAME\" (\"vaultchat keys list\" shows it)")
}
