package cli

// keys list and keys show, and the key views (table and JSON) they print.

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vaultchat/vaultchat/internal/figures"
	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/session"
	"github.com/vaultchat/vaultchat/vault"
)

// keysListCmd lists keys.
type keysListCmd struct {
	JSON bool `name:"json" help:"Print JSON."`
}

// Run prints the table (or JSON).
func (c *keysListCmd) Run(a *app) error {
	cfg, err := a.config("rotation_warning_days")
	if err != nil {
		return err
	}
	v, err := a.open()
	if err != nil {
		return err
	}
	defer v.Close()
	keys := v.Keys()
	now := a.now()
	views := make([]keyView, 0, len(keys))
	for _, k := range keys {
		views = append(views, newKeyView(k, now, cfg.RotationWarningDays))
	}
	if c.JSON {
		return a.printJSON(views)
	}
	if len(keys) == 0 {
		a.printf("no keys yet; add one with: vaultchat keys add NAME\n")
		return nil
	}
	tw := tabwriter.NewWriter(a.io.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPROVIDER\tHOST\tMODEL\tKEY\tCREATED\tROTATED\tLAST USED\tSTATUS\tNOTE")
	for i, k := range keys {
		vw := views[i]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			a.cell(k.Name), k.Provider, a.cell(k.Host()), a.cell(k.DefaultModel), k.Fingerprint(),
			formatDate(k.Created), formatDate(k.Rotated), formatDate(k.LastUsed),
			a.cell(strings.Join(vw.flags(), ", ")), a.cellMax(k.Note, 40))
	}
	return tw.Flush()
}

// keysShowCmd shows one key.
type keysShowCmd struct {
	Name string `arg:"" help:"Key to show."`
	JSON bool   `name:"json" help:"Print JSON."`
}

// Run prints every field but the secret, which appears masked.
func (c *keysShowCmd) Run(a *app) error {
	cfg, err := a.config("rotation_warning_days")
	if err != nil {
		return err
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
	vw := newKeyView(k, a.now(), cfg.RotationWarningDays)
	if c.JSON {
		return a.printJSON(vw)
	}
	tw := tabwriter.NewWriter(a.io.Out, 0, 0, 2, ' ', 0)
	row := func(label, value string) { fmt.Fprintf(tw, "%s:\t%s\n", label, value) }
	row("name", a.cell(k.Name))
	row("id", k.ID)
	row("provider", k.Provider)
	row("base url", a.cell(k.BaseURL))
	if k.Organization != "" {
		row("organization", a.cell(k.Organization))
	}
	if k.Project != "" {
		row("project", a.cell(k.Project))
	}
	row("default model", a.cell(k.DefaultModel))
	allowed := "any"
	if len(k.AllowedModels) > 0 {
		allowed = strings.Join(k.AllowedModels, ", ")
	}
	row("allowed models", a.cell(allowed))
	row("budget", formatBudget(k.Budget))
	if vw.Free {
		row("price", "free (turns cost $0)")
	}
	if k.Provider == providers.Azure {
		row("azure api version", a.cell(k.AzureAPIVersion))
		var deps []string
		for m, d := range k.AzureDeployments {
			deps = append(deps, m+"="+d)
		}
		sort.Strings(deps)
		row("azure deployments", a.cell(strings.Join(deps, ", ")))
	}
	row("key", k.Fingerprint())
	row("created", formatDate(k.Created))
	row("rotated", formatDate(k.Rotated))
	row("last used", formatDate(k.LastUsed))
	expires := "-"
	if !k.Expires.IsZero() {
		expires = k.Expires.UTC().Format(dateLayout)
	}
	row("expires", expires)
	check := "never"
	if !k.LastCheck.At.IsZero() {
		check = fmt.Sprintf("%s on %s", a.cell(k.LastCheck.Status), k.LastCheck.At.Local().Format("2006-01-02 15:04"))
	}
	row("last check", check)
	row("note", a.cell(k.Note))
	// Only OpenRouter's figures wait on the network; Ctrl+C stops them
	// and the command (exit 130) after the rows already known.
	ctx, stopped, stop := signalContext()
	defer stop()
	showAccount(ctx, a, v, k, row)
	if f := vw.flags(); len(f) > 0 {
		row("status", a.cell(strings.Join(f, ", ")))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return stopped(errors.New("interrupted before the provider answered"))
	}
	return nil
}

// keyView is a key as "keys list --json" and "keys show --json" print it.
// It has no secret field at all: only the masked fingerprint.
type keyView struct {
	ID               string            `json:"id"`
	Name             string            `json:"name"`
	Provider         string            `json:"provider"`
	BaseURL          string            `json:"base_url"`
	Host             string            `json:"host"`
	Organization     string            `json:"organization,omitempty"`
	Project          string            `json:"project,omitempty"`
	DefaultModel     string            `json:"default_model,omitempty"`
	AllowedModels    []string          `json:"allowed_models,omitempty"`
	Budget           vault.Budget      `json:"budget,omitzero"`
	Note             string            `json:"note,omitempty"`
	Fingerprint      string            `json:"fingerprint"`
	Created          time.Time         `json:"created"`
	Rotated          time.Time         `json:"rotated,omitzero"`
	LastUsed         time.Time         `json:"last_used,omitzero"`
	Expires          string            `json:"expires,omitempty"`
	LastCheck        *vault.Check      `json:"last_check,omitempty"`
	AzureAPIVersion  string            `json:"azure_api_version,omitempty"`
	AzureDeployments map[string]string `json:"azure_deployments,omitempty"`
	// AllowInsecureHTTP: the key may travel over plain http to its host.
	AllowInsecureHTTP bool `json:"allow_insecure_http,omitempty"`
	// PriceFree: the owner marked the key's server free (--price-free).
	PriceFree bool `json:"price_free,omitempty"`
	// Free: every turn on the key costs 0 (a local server's kind, or
	// PriceFree), as the session prices turns (session.KeyFree).
	Free        bool `json:"free"`
	RotationDue bool `json:"rotation_due"`
	Expired     bool `json:"expired"`
	// Kind, ProviderKeyID and MintedFrom: see vault/kind.go.
	Kind          string `json:"kind,omitempty"`
	ProviderKeyID string `json:"provider_key_id,omitempty"`
	MintedFrom    string `json:"minted_from,omitempty"`
}

func newKeyView(k vault.Key, now time.Time, rotationDays int) keyView {
	vw := keyView{
		ID: k.ID, Name: k.Name, Provider: k.Provider, BaseURL: k.BaseURL, Host: k.Host(),
		Organization: k.Organization, Project: k.Project, DefaultModel: k.DefaultModel,
		AllowedModels: k.AllowedModels, Budget: k.Budget, Note: k.Note, Fingerprint: k.Fingerprint(),
		Created: k.Created, Rotated: k.Rotated, LastUsed: k.LastUsed,
		AzureAPIVersion: k.AzureAPIVersion, AzureDeployments: k.AzureDeployments,
		AllowInsecureHTTP: k.AllowInsecureHTTP, PriceFree: k.PriceFree, Free: session.KeyFree(k),
		RotationDue: k.RotationDue(now, rotationDays), Expired: k.Expired(now),
		Kind: k.Kind, ProviderKeyID: k.ProviderKeyID, MintedFrom: k.MintedFrom,
	}
	if !k.Expires.IsZero() {
		vw.Expires = k.Expires.UTC().Format(dateLayout)
	}
	if !k.LastCheck.At.IsZero() {
		c := k.LastCheck
		vw.LastCheck = &c
	}
	return vw
}

// flags returns the warnings shown in the STATUS column.
func (vw keyView) flags() []string {
	var f []string
	if vw.Kind != "" {
		f = append(f, vw.Kind)
	}
	if vw.MintedFrom != "" {
		f = append(f, "minted")
	}
	if vw.Expired {
		f = append(f, "expired")
	}
	if vw.RotationDue {
		f = append(f, "rotate?")
	}
	if vw.LastCheck != nil && !vw.LastCheck.OK {
		f = append(f, "check: "+vw.LastCheck.Status)
	}
	if vw.AllowInsecureHTTP && strings.HasPrefix(vw.BaseURL, "http:") {
		f = append(f, "insecure http")
	}
	if vw.Free {
		f = append(f, "free")
	}
	return f
}

func formatDate(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format(dateLayout)
}

func formatBudget(b vault.Budget) string {
	if b.IsZero() {
		return "none"
	}
	var parts []string
	if b.DailyUSD > 0 {
		parts = append(parts, figures.BudgetUSD(b.DailyUSD)+"/day")
	}
	if b.MonthlyUSD > 0 {
		parts = append(parts, figures.BudgetUSD(b.MonthlyUSD)+"/month")
	}
	if b.MonthlyTokens > 0 {
		parts = append(parts, fmt.Sprintf("%d tokens/month", b.MonthlyTokens))
	}
	mode := "soft: warns"
	if b.Hard {
		mode = "hard: refuses"
	}
	return strings.Join(parts, ", ") + " (" + mode + ")"
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// printJSON writes v as indented JSON. Key views hold no secrets, and the
// text is redacted anyway in case a note quotes a key.
func (a *app) printJSON(v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	a.printf("%s\n", a.redactor.String(string(b)))
	return nil
}
