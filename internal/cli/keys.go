package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/vault"
)

// keysCmd groups the key management commands.
type keysCmd struct {
	Add    keysAddCmd    `cmd:"" help:"Add a key; secret from a prompt, stdin or --from-env."`
	List   keysListCmd   `cmd:"" aliases:"ls" help:"List keys, flagging old and expired ones."`
	Show   keysShowCmd   `cmd:"" help:"Show a key's metadata (never its secret)."`
	Edit   keysEditCmd   `cmd:"" help:"Change a key's metadata; only flags given change."`
	Rename keysRenameCmd `cmd:"" help:"Rename a key; its ID stays."`
	Rm     keysRmCmd     `cmd:"" help:"Remove a key and purge it from the backups."`
	Rotate keysRotateCmd `cmd:"" help:"Replace a key's secret and purge the old one."`
	Check  keysCheckCmd  `cmd:"" help:"Check that keys work (all keys when none is named)."`
	Mint   keysMintCmd   `cmd:"" help:"Create a key at the provider, secret into the vault."`
	Revoke keysRevokeCmd `cmd:"" help:"Revoke a minted key at the provider and remove it."`
}

// dateLayout is how dates are given (--expires) and shown.
const dateLayout = "2006-01-02"

// keyFlags are the metadata flags shared by "keys add" and "keys edit".
// Pointers tell a flag left out from one set to its zero value, so edit
// changes only what was given.
type keyFlags struct {
	Provider            *string         `name:"provider" placeholder:"KIND" help:"Provider: ${providers} (add: default openai). Each has its default base URL; ollama, lmstudio and vllm need no key."`
	BaseURL             *string         `name:"base-url" placeholder:"URL" help:"API base URL; the key is only ever sent there (openai: ${openai_base_url})."`
	AllowInsecureHTTP   *bool           `name:"allow-insecure-http" negatable:"" help:"Allow a plain http base URL on another host than this one (the key travels in clear text)."`
	PriceFree           *bool           `name:"price-free" negatable:"" help:"The key's server charges nothing (a self-hosted server): its turns cost $$0 (ollama, lmstudio and vllm keys are free anyway)."`
	Org                 *string         `name:"org" placeholder:"ID" help:"OpenAI organization ID."`
	Project             *string         `name:"project" placeholder:"ID" help:"OpenAI project ID."`
	Model               *string         `name:"model" placeholder:"MODEL" help:"Default model."`
	AllowModel          []string        `name:"allow-model" sep:"none" placeholder:"MODEL" help:"Allow only this model (repeatable; replaces the list)."`
	BudgetDailyUSD      *float64        `name:"budget-daily-usd" placeholder:"USD" help:"Daily budget in USD (0: none)."`
	BudgetMonthlyUSD    *float64        `name:"budget-monthly-usd" placeholder:"USD" help:"Monthly budget in USD (0: none)."`
	BudgetMonthlyTokens *int64          `name:"budget-monthly-tokens" placeholder:"N" help:"Monthly budget in tokens (0: none)."`
	Hard                *bool           `name:"hard" negatable:"" help:"Budgets refuse requests instead of warning."`
	Note                *string         `name:"note" placeholder:"TEXT" help:"Who or what the key is for."`
	Expires             *string         `name:"expires" placeholder:"30d|DATE" help:"When the key expires: a number of days (30d) or a date (YYYY-MM-DD), not in the past (empty: never)."`
	AzureAPIVersion     *string         `name:"azure-api-version" placeholder:"VERSION" help:"Azure api-version for the classic API."`
	AzureDeployment     []string        `name:"azure-deployment" sep:"none" placeholder:"MODEL=DEPLOYMENT" help:"Azure deployment for a model (repeatable; replaces the map)."`
	Account             keyAccountFlags `embed:""`
}

// apply copies the flags that were given onto k. Bad values are usage
// errors; the vault validates the result again when it is stored.
func (f *keyFlags) apply(k *vault.Key, now time.Time) error {
	if f.Provider != nil {
		if _, err := providers.Lookup(*f.Provider); err != nil {
			return usagef("--provider must be %s, not %q", providers.NameList(), *f.Provider)
		}
		k.Provider = *f.Provider
	}
	if f.BaseURL != nil {
		base := strings.TrimRight(*f.BaseURL, "/")
		if _, err := providers.ParseBaseURL(base); err != nil {
			// Not quoted: the URL refused may hold a key (credentials, a
			// query) that no mask recognises.
			return usagef("--base-url%s", strings.TrimPrefix(err.Error(), "base URL"))
		}
		k.BaseURL = base
	}
	if f.AllowInsecureHTTP != nil {
		k.AllowInsecureHTTP = *f.AllowInsecureHTTP
	}
	if f.PriceFree != nil {
		k.PriceFree = *f.PriceFree
	}
	for _, h := range []struct {
		flag  string
		value *string
	}{{"--org", f.Org}, {"--project", f.Project}, {"--azure-api-version", f.AzureAPIVersion}} {
		if h.value != nil {
			if err := providers.CheckHeaderValue(h.flag, *h.value); err != nil {
				return usagef("%v", err)
			}
		}
	}
	setString(&k.Organization, f.Org)
	setString(&k.Project, f.Project)
	setString(&k.DefaultModel, f.Model)
	setString(&k.Note, f.Note)
	setString(&k.AzureAPIVersion, f.AzureAPIVersion)
	if len(f.AllowModel) > 0 {
		var models []string
		for _, m := range f.AllowModel {
			m = strings.TrimSpace(m)
			if m == "" {
				return usagef("--allow-model needs a model name")
			}
			if !slices.Contains(models, m) {
				models = append(models, m)
			}
		}
		k.AllowedModels = models
	}
	for _, b := range []struct {
		flag string
		v    *float64
		dst  *float64
	}{
		{"--budget-daily-usd", f.BudgetDailyUSD, &k.Budget.DailyUSD},
		{"--budget-monthly-usd", f.BudgetMonthlyUSD, &k.Budget.MonthlyUSD},
	} {
		if b.v != nil {
			if err := vault.ValidateUSD(*b.v); err != nil {
				return usagef("%s %v", b.flag, err)
			}
			*b.dst = *b.v
		}
	}
	if f.BudgetMonthlyTokens != nil {
		if *f.BudgetMonthlyTokens < 0 {
			return usagef("--budget-monthly-tokens cannot be negative")
		}
		k.Budget.MonthlyTokens = *f.BudgetMonthlyTokens
	}
	if f.Hard != nil {
		k.Budget.Hard = *f.Hard
	}
	if f.Expires != nil {
		t, err := parseExpiry(*f.Expires, now)
		if err != nil {
			return err
		}
		k.Expires = time.Time{}
		if !t.IsZero() {
			k.Expires = expiryDay(t)
		}
	}
	if len(f.AzureDeployment) > 0 {
		m := map[string]string{}
		for _, d := range f.AzureDeployment {
			model, deployment, ok := strings.Cut(d, "=")
			model, deployment = strings.TrimSpace(model), strings.TrimSpace(deployment)
			if !ok || model == "" || deployment == "" {
				return usagef("--azure-deployment %q is not MODEL=DEPLOYMENT", d)
			}
			if err := providers.CheckHeaderValue("--azure-deployment", d); err != nil {
				return usagef("%v", err)
			}
			m[model] = deployment
		}
		k.AzureDeployments = m
	}
	if k.Provider != providers.Azure && (f.AzureAPIVersion != nil || len(f.AzureDeployment) > 0) {
		return usagef("--azure-api-version and --azure-deployment apply to azure keys only")
	}
	return f.Account.apply(k)
}

// validate checks the flag values that do not depend on the key being
// edited, so a typo fails before the vault is unlocked. Whether azure-only
// flags fit is checked against the real key by apply.
func (f *keyFlags) validate(now time.Time) error {
	scratch := vault.Key{Provider: providers.Azure}
	return f.apply(&scratch, now)
}

func setString(dst *string, v *string) {
	if v != nil {
		*dst = strings.TrimSpace(*v)
	}
}

// changed reports whether any flag was given.
func (f *keyFlags) changed() bool {
	return f.Provider != nil || f.BaseURL != nil || f.Org != nil || f.Project != nil || f.Model != nil ||
		len(f.AllowModel) > 0 || f.BudgetDailyUSD != nil || f.BudgetMonthlyUSD != nil ||
		f.BudgetMonthlyTokens != nil || f.Hard != nil || f.Note != nil || f.Expires != nil ||
		f.AzureAPIVersion != nil || len(f.AzureDeployment) > 0 || f.AllowInsecureHTTP != nil || f.PriceFree != nil ||
		f.Account.changed()
}

// keysAddCmd adds a key.
type keysAddCmd struct {
	Name    string   `arg:"" help:"Name of the key, such as work or personal."`
	FromEnv string   `name:"from-env" placeholder:"VAR" help:"Read the secret from environment variable VAR instead of the prompt or stdin."`
	Meta    keyFlags `embed:""`
	// Admin and Management add keys of another kind (keysmint.go).
	Admin      bool `name:"admin" help:"An OpenAI admin key: reads usage and mints keys, never used for chat."`
	Management bool `name:"management" help:"An OpenRouter management key: mints keys, never used for chat."`
}

// Run adds the key.
func (c *keysAddCmd) Run(a *app) error {
	if err := vault.ValidateName(c.Name); err != nil {
		return usagef("%v", err)
	}
	k := vault.Key{Name: c.Name, Provider: providers.OpenAI}
	if err := c.Meta.apply(&k, a.now()); err != nil {
		return err
	}
	if err := c.applyKind(&k); err != nil {
		return err
	}
	kind, _ := providers.Lookup(k.Provider)
	if kind.DefaultBaseURL == "" && k.BaseURL == "" {
		return usagef("--provider %s needs --base-url URL", k.Provider)
	}
	if !kind.KeyOptional {
		// This kind needs a key: refuse plain http now rather than
		// after it was typed. A keyless kind is checked once its secret
		// (or the placeholder) is known.
		if err := c.Meta.checkCleartext(k, "a key"); err != nil {
			return err
		}
	}
	v, err := a.open()
	if err != nil {
		return err
	}
	defer v.Close()
	if _, err := v.Key(c.Name); err == nil {
		return fmt.Errorf("%q: %w", c.Name, vault.ErrDuplicateName)
	}
	placeholder := ""
	if kind.KeyOptional && k.ForChat() {
		placeholder = providers.NoKey
	}
	secret, err := a.readOptionalKeySecret(c.Name, c.FromEnv, placeholder)
	if err != nil {
		return err
	}
	noKey := placeholder != "" && secret.Reveal() == placeholder
	if err := c.Meta.checkCleartext(k, secret.Reveal()); err != nil {
		return err
	}
	warnWrongProvider(a, c.Name, k.Provider, k.BaseURL, secret)
	for _, other := range v.Keys() {
		if noKey {
			break // every keyless key stores the same placeholder
		}
		if other.Secret.Reveal() == secret.Reveal() {
			a.warn("the same secret is already stored as key %q", other.Name)
		}
	}
	k.Secret = secret
	var added vault.Key
	err = v.Update(func(tx *vault.Tx) error {
		var err error
		added, err = tx.Add(k)
		return err
	})
	if err != nil {
		return fmt.Errorf("add key: %w", err)
	}
	a.refreshRedactor(v)
	if noKey {
		a.printf("added key %s: %s at %s, no key (the server needs none)\n", a.cell(added.Name), added.Provider, a.cell(added.Host()))
	} else {
		a.printf("added key %s: %s at %s, %s\n", a.cell(added.Name), added.Provider, a.cell(added.Host()), added.Secret.Masked())
	}
	if !noKey && !redact.Maskable(secret.Reveal()) {
		a.warn("key %q is too short to be protected by masking: if a server or a model repeats it, it is shown as is (normal for a local server's placeholder key)", added.Name)
	}
	if note := kindNote(added); note != "" {
		a.printf("%s\n", note)
	}
	return nil
}

// checkCleartext is providers.CheckCleartext for k holding secret, as a
// usage error on the flags.
func (f *keyFlags) checkCleartext(k vault.Key, secret string) error {
	u, err := providers.ParseBaseURL(k.BaseURL)
	if err != nil {
		return nil // ParseBaseURL's error is reported where the URL is set
	}
	if err := providers.CheckCleartext(u, k.AllowInsecureHTTP, secret); err != nil {
		hint := "use https, or pass --allow-insecure-http if the key may travel in clear text to that host"
		if f.AllowInsecureHTTP != nil && !*f.AllowInsecureHTTP {
			hint = "to turn --allow-insecure-http off, give an https URL in the same command: --base-url https://…"
		}
		return withHint(usagef("--base-url%s", strings.TrimPrefix(err.Error(), "base URL")), hint)
	}
	return nil
}

// keysEditCmd changes metadata.
type keysEditCmd struct {
	Name                  string   `arg:"" help:"Key to change."`
	ClearAllowModels      bool     `name:"clear-allow-models" help:"Allow every model again."`
	ClearAzureDeployments bool     `name:"clear-azure-deployments" help:"Forget every Azure deployment mapping."`
	ClearBudget           bool     `name:"clear-budget" help:"Remove every budget."`
	Meta                  keyFlags `embed:""`
}

// Run applies the flags that were given.
func (c *keysEditCmd) Run(a *app) error {
	if !c.Meta.changed() && !c.ClearAllowModels && !c.ClearAzureDeployments && !c.ClearBudget {
		return usagef("nothing to change: give at least one flag")
	}
	if err := c.Meta.validate(a.now()); err != nil {
		return err
	}
	v, err := a.open()
	if err != nil {
		return err
	}
	defer v.Close()
	var edited vault.Key
	err = v.Update(func(tx *vault.Tx) error {
		var err error
		edited, err = tx.Edit(c.Name, func(k *vault.Key) error {
			if c.ClearAllowModels {
				k.AllowedModels = nil
			}
			if c.ClearAzureDeployments {
				k.AzureDeployments = nil
			}
			if c.ClearBudget {
				k.Budget = vault.Budget{}
			}
			if err := c.Meta.apply(k, a.now()); err != nil {
				return err
			}
			return c.Meta.checkCleartext(*k, k.Secret.Reveal())
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("edit key: %w", err)
	}
	if c.Meta.Provider != nil || c.Meta.BaseURL != nil {
		// Where the key goes now, said once, and checked against what
		// the key looks like.
		a.printf("updated key %s: %s at %s\n", a.cell(edited.Name), edited.Provider, a.cell(edited.Host()))
		warnWrongProvider(a, edited.Name, edited.Provider, edited.BaseURL, edited.Secret)
	} else {
		a.printf("updated key %s\n", a.cell(edited.Name))
	}
	return nil
}

// keysRenameCmd renames a key.
type keysRenameCmd struct {
	Old string `arg:"" help:"Current name."`
	New string `arg:"" help:"New name."`
}

// Run renames the key.
func (c *keysRenameCmd) Run(a *app) error {
	if err := vault.ValidateName(c.New); err != nil {
		return usagef("%v", err)
	}
	v, err := a.open()
	if err != nil {
		return err
	}
	defer v.Close()
	if err := v.Update(func(tx *vault.Tx) error { return tx.Rename(c.Old, c.New) }); err != nil {
		return fmt.Errorf("rename key: %w", err)
	}
	a.printf("renamed key %s to %s\n", a.cell(c.Old), a.cell(c.New))
	return nil
}

// keysRmCmd removes a key.
type keysRmCmd struct {
	Name string `arg:"" help:"Key to remove."`
	Yes  bool   `name:"yes" short:"y" help:"Do not ask for confirmation."`
	// Revoke says whether a minted key is revoked at the provider too
	// (keysmint.go); nil asks.
	Revoke *bool `name:"revoke" negatable:"" help:"For a minted key: revoke it at the provider too (--no-revoke: remove it here only)."`
}

// Run asks (on a terminal) and removes the key from the vault and its
// backups.
func (c *keysRmCmd) Run(a *app) error {
	if !c.Yes && !a.io.IsStdinTTY {
		return withHint(errors.New("refusing to remove a key without confirmation: stdin is not a terminal"),
			"pass --yes to remove it without asking")
	}
	v, err := a.open()
	if err != nil {
		return err
	}
	defer v.Close()
	k, err := v.Key(c.Name)
	if err != nil {
		return err
	}
	if !c.Yes {
		ok, err := a.confirm(fmt.Sprintf("remove key %s (%s)?", a.cell(k.Name), k.Secret.Masked()))
		if err != nil {
			return err
		}
		if !ok {
			a.printf("kept key %s\n", a.cell(k.Name))
			return nil
		}
	}
	if done, err := c.revokeOnRemove(a, v, k); done || err != nil {
		return err
	}
	err = v.Update(func(tx *vault.Tx) error { _, err := tx.Remove(k.ID); return err })
	if errors.Is(err, vault.ErrPurgePending) {
		a.printf("removed key %s\n", a.cell(k.Name))
		return purgePending(err)
	}
	if err != nil {
		return fmt.Errorf("remove key: %w", err)
	}
	a.printf("removed key %s and purged it from the backups\n", a.cell(k.Name))
	return nil
}

// keysRotateCmd replaces a key's secret.
type keysRotateCmd struct {
	Name    string `arg:"" help:"Key to rotate."`
	FromEnv string `name:"from-env" placeholder:"VAR" help:"Read the new secret from environment variable VAR instead of the prompt or stdin."`
}

// Run stores the new secret under the same ID; the vault purges the old
// one from its backups.
func (c *keysRotateCmd) Run(a *app) error {
	v, err := a.open()
	if err != nil {
		return err
	}
	defer v.Close()
	old, err := v.Key(c.Name)
	if err != nil {
		return err
	}
	secret, err := a.readKeySecret(old.Name, c.FromEnv)
	if err != nil {
		return err
	}
	warnWrongProvider(a, old.Name, old.Provider, old.BaseURL, secret)
	if secret.Reveal() == old.Secret.Reveal() {
		return withHint(fmt.Errorf("rotate key %s: %w", a.cell(old.Name), vault.ErrSameSecret),
			"paste the new secret your provider issued; nothing was changed")
	}
	var rotated vault.Key
	err = v.Update(func(tx *vault.Tx) error {
		var err error
		rotated, err = tx.Rotate(old.ID, secret)
		return err
	})
	if errors.Is(err, vault.ErrPurgePending) {
		a.refreshRedactor(v)
		a.printf("rotated key %s: %s replaces %s\n", a.cell(rotated.Name), rotated.Secret.Masked(), old.Secret.Masked())
		return purgePending(err)
	}
	if err != nil {
		return fmt.Errorf("rotate key: %w", err)
	}
	a.refreshRedactor(v)
	a.printf("rotated key %s: %s replaces %s, which was purged from the vault and its backups\n",
		a.cell(rotated.Name), rotated.Secret.Masked(), old.Secret.Masked())
	return nil
}

// warnWrongProvider warns when a key pasted for provider looks like
// another provider's (providers.WrongProvider): it would be sent to the
// wrong host. The warning names the likely provider and the prefix that
// says so, never the key.
func warnWrongProvider(a *app, name, provider, baseURL string, secret vault.Secret) {
	m, ok := providers.WrongProvider(provider, baseURL, secret.Reveal())
	if !ok {
		return
	}
	a.warn("key %q starts with %q as %s keys do, but it is stored for %s and will be sent to %s; if it is a %s key, run: vaultchat keys edit %s --provider %s",
		name, m.Prefix, m.Likely.Name, provider, m.Host, m.Likely.Name, name, m.Likely.Name)
}

// purgePending reports a change that is saved while the old secret it
// replaced is still in the backups: not a failed change (the key is in
// effect), but not done either.
func purgePending(err error) error {
	return withHint(err, "the change is in effect; the vault retries the purge every time it opens, so free some disk space and run any vaultchat command (such as \"vaultchat keys list\")")
}
