package vault

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/redact"
)

// MaxNameLen is the longest key name accepted, in characters.
const MaxNameLen = 64

// Secret is an API key value. Its String, GoString and Format methods print
// the masked display form, so a Secret that reaches a log line or an error
// message by accident does not leak; Reveal is the only way to read it.
type Secret struct{ value string }

// NewSecret trims surrounding whitespace from s and returns it as a Secret.
// It refuses an empty value and any control character, which is what a
// pasted key with a stray escape sequence or newline in the middle looks
// like.
func NewSecret(s string) (Secret, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Secret{}, errors.New("empty secret")
	}
	if !utf8.ValidString(s) {
		return Secret{}, errors.New("secret is not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return Secret{}, errors.New("secret contains control or space characters")
		}
	}
	return Secret{value: s}, nil
}

// Reveal returns the secret value. Callers must send it only to the key's
// pinned base URL or to a child process environment, never to a terminal,
// log, error, argv or file.
func (s Secret) Reveal() string { return s.value }

// IsZero reports whether s holds no value.
func (s Secret) IsZero() bool { return s.value == "" }

// Masked returns the display form, such as "sk-proj-…wxyz".
func (s Secret) Masked() string {
	if s.value == "" {
		return ""
	}
	return redact.Mask(s.value)
}

// String returns the masked form.
func (s Secret) String() string { return s.Masked() }

// GoString returns the masked form, so %#v does not leak either.
func (s Secret) GoString() string { return fmt.Sprintf("vault.Secret(%q)", s.Masked()) }

// Format prints the masked form for every verb and flag, so even %d or %x
// on a Secret, or on a struct holding one, cannot reach the value: without
// it fmt would print the struct's hidden field for verbs that do not call
// String.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, s.GoString())
		return
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), s.Masked())
}

// MarshalText returns the masked form; secrets are never serialized by
// accident.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.Masked()), nil }

// Budget limits what a key may spend. Zero fields mean no limit. A soft
// budget only warns; a hard one makes the chat engine refuse to send.
type Budget struct {
	DailyUSD      float64 `json:"daily_usd,omitempty"`
	MonthlyUSD    float64 `json:"monthly_usd,omitempty"`
	MonthlyTokens int64   `json:"monthly_tokens,omitempty"`
	Hard          bool    `json:"hard,omitempty"`
}

// IsZero reports whether no budget is set.
func (b Budget) IsZero() bool { return b.DailyUSD == 0 && b.MonthlyUSD == 0 && b.MonthlyTokens == 0 }

// Check records the outcome of the last validation of a key against its
// provider.
type Check struct {
	At     time.Time `json:"at"`
	OK     bool      `json:"ok"`
	Status string    `json:"status"` // short outcome such as "ok", "invalid key"
}

// Key is one API key record. Everything but Secret is metadata that may be
// shown to the user.
type Key struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Provider      string    `json:"provider"`
	BaseURL       string    `json:"base_url"`
	Organization  string    `json:"organization,omitempty"`
	Project       string    `json:"project,omitempty"`
	DefaultModel  string    `json:"default_model,omitempty"`
	AllowedModels []string  `json:"allowed_models,omitempty"`
	Budget        Budget    `json:"budget"`
	Note          string    `json:"note,omitempty"`
	Created       time.Time `json:"created"`
	Rotated       time.Time `json:"rotated,omitzero"`
	LastUsed      time.Time `json:"last_used,omitzero"`
	Expires       time.Time `json:"expires,omitzero"`
	LastCheck     Check     `json:"last_check,omitzero"`
	// AzureAPIVersion and AzureDeployments (model → deployment name) apply
	// to azure keys only.
	AzureAPIVersion  string            `json:"azure_api_version,omitempty"`
	AzureDeployments map[string]string `json:"azure_deployments,omitempty"`
	// AllowInsecureHTTP is the owner's consent to send the key over
	// plain http to a host that is not this machine (see
	// providers.CheckCleartext); without it such a key cannot be stored,
	// and the provider client refuses to send it.
	AllowInsecureHTTP bool `json:"allow_insecure_http,omitempty"`
	// PriceFree is the owner's word that the key's server charges
	// nothing (a self-hosted server): its turns cost $0 rather than an
	// unknown amount (usage.Prices.KeyCost).
	PriceFree bool `json:"price_free,omitempty"`
	// Kind is KindChat (""), KindAdmin or KindManagement (kind.go).
	Kind string `json:"kind,omitempty"`
	// ProviderKeyID is the key's ID at its provider: OpenAI's "key_…"
	// (matched by redacted value or set with keys edit), OpenRouter's
	// hash. ServiceAccountID is the OpenAI service account a minted key
	// belongs to; MintedFrom the ID of the admin or management key that
	// minted it.
	ProviderKeyID    string `json:"provider_key_id,omitempty"`
	ServiceAccountID string `json:"service_account_id,omitempty"`
	MintedFrom       string `json:"minted_from,omitempty"`
	Secret           Secret `json:"secret"`
}

// Fingerprint is the key as lists show it: the masked secret, or "none"
// for a key of a kind that needs none stored without one (the
// providers.NoKey placeholder).
func (k Key) Fingerprint() string {
	if kind, err := providers.Lookup(k.Provider); err == nil && kind.KeyOptional && k.Secret.Reveal() == providers.NoKey {
		return "none"
	}
	return k.Secret.Masked()
}

// Host returns the host of the key's base URL, for display.
func (k Key) Host() string {
	u, err := url.Parse(k.BaseURL)
	if err != nil || u.Host == "" {
		return k.BaseURL
	}
	return u.Host
}

// AllowsModel reports whether the key may be used with model. A key with
// no allowed-model list allows every model.
func (k Key) AllowsModel(model string) bool {
	if len(k.AllowedModels) == 0 {
		return true
	}
	for _, m := range k.AllowedModels {
		if m == model {
			return true
		}
	}
	return false
}

// RotationDue reports whether the key's secret was set (created or last
// rotated) more than days days before now. days <= 0 turns the warning
// off.
func (k Key) RotationDue(now time.Time, days int) bool {
	if days <= 0 {
		return false
	}
	last := k.Rotated
	if last.IsZero() {
		last = k.Created
	}
	return now.Sub(last) > time.Duration(days)*24*time.Hour
}

// Expired reports whether the key's expiry date has passed. A key
// expiring on a date is still valid during that day (UTC).
func (k Key) Expired(now time.Time) bool {
	return !k.Expires.IsZero() && !now.Before(k.Expires.AddDate(0, 0, 1))
}

// clone returns a deep copy, so callers cannot alter the vault's state
// through slices or maps they were handed.
func (k Key) clone() Key {
	k.AllowedModels = append([]string(nil), k.AllowedModels...)
	if k.AzureDeployments != nil {
		m := make(map[string]string, len(k.AzureDeployments))
		for a, b := range k.AzureDeployments {
			m[a] = b
		}
		k.AzureDeployments = m
	}
	return k
}

// ValidateName reports whether name is acceptable as a key name: 1 to 64
// characters, valid UTF-8, no control characters and no surrounding spaces.
func ValidateName(name string) error {
	if name == "" {
		return errors.New("key name is empty")
	}
	if !utf8.ValidString(name) {
		return errors.New("key name is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(name); n > MaxNameLen {
		return fmt.Errorf("key name is %d characters; the limit is %d", n, MaxNameLen)
	}
	for _, r := range name {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || isBidiControl(r) {
			return errors.New("key name contains control characters")
		}
	}
	if strings.TrimSpace(name) != name {
		return errors.New("key name has leading or trailing spaces")
	}
	return nil
}

func isBidiControl(r rune) bool {
	return r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069' || r == '\u200e' || r == '\u200f'
}

// validate checks a record before it is added or edited: everything
// validateStored checks, and the rules on how the key may travel (plain
// http only to this machine unless AllowInsecureHTTP, no control
// character in a field sent in a header, query or path).
func (k *Key) validate() error {
	sent := providers.SentFields{Organization: k.Organization, Project: k.Project, AzureAPIVersion: k.AzureAPIVersion, AzureDeployments: k.AzureDeployments}
	if err := sent.Check(); err != nil {
		return err
	}
	if err := k.validateStored(); err != nil {
		return err
	}
	for _, b := range k.budgetAmounts() {
		if err := ValidateUSD(b.usd); err != nil {
			return fmt.Errorf("%s %w", b.name, err)
		}
	}
	if err := k.CheckKind(); err != nil {
		return err
	}
	u, err := providers.ParseBaseURL(k.BaseURL)
	if err != nil {
		return err
	}
	if err := providers.CheckCleartext(u, k.AllowInsecureHTTP, k.Secret.Reveal()); err != nil {
		return err
	}
	return nil
}

// validateStored checks a record as read from vault.age. Rules added since
// keys were first stored (plain http, control characters in header-bound
// fields) are left to validate and to the provider client, which checks
// them again before sending, so a vault written earlier still opens.
func (k *Key) validateStored() error {
	if err := ValidateName(k.Name); err != nil {
		return err
	}
	kind, err := providers.Lookup(k.Provider)
	if err != nil {
		return err
	}
	if k.BaseURL, err = kind.BaseURL(k.BaseURL); err != nil {
		return err
	}
	// Spaces inside a URL are never meant; refusing them also keeps the
	// trimming stable ("http://h/ /" would otherwise shrink on every
	// load).
	if _, err := providers.ParseBaseURL(k.BaseURL); err != nil {
		return err
	}
	for _, s := range []string{k.Organization, k.Project, k.DefaultModel, k.Note, k.AzureAPIVersion} {
		if hasControl(s) {
			return errors.New("metadata contains control characters")
		}
	}
	for _, m := range k.AllowedModels {
		if m == "" || hasControl(m) {
			return fmt.Errorf("allowed model %q is empty or has control characters", m)
		}
	}
	// A record stored before MaxUSD (any finite amount) still opens;
	// validate holds new ones to ValidateUSD.
	for _, b := range k.budgetAmounts() {
		if math.IsNaN(b.usd) || math.IsInf(b.usd, 0) || b.usd < 0 {
			return fmt.Errorf("%s must be a number of dollars, 0 or more", b.name)
		}
	}
	if k.Budget.MonthlyTokens < 0 {
		return errors.New("budgets cannot be negative")
	}
	if k.Secret.IsZero() {
		return errors.New("key has no secret")
	}
	return k.validateKind()
}

// budgetAmounts are the key's budgets in dollars, by the name errors use.
func (k *Key) budgetAmounts() []struct {
	name string
	usd  float64
} {
	return []struct {
		name string
		usd  float64
	}{{"daily budget", k.Budget.DailyUSD}, {"monthly budget", k.Budget.MonthlyUSD}}
}

func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' || isBidiControl(r) {
			return true
		}
	}
	return false
}

// ValidateUSD checks an amount of dollars a key record holds (a budget):
// a finite number from 0 to MaxUSD. Its error reads after the amount's name:
// "daily budget must be a number of dollars from 0 to 1,000,000".
func ValidateUSD(usd float64) error {
	if math.IsNaN(usd) || math.IsInf(usd, 0) || usd < 0 || usd > MaxUSD {
		return errors.New("must be a number of dollars from 0 to 1,000,000")
	}
	return nil
}

// MaxUSD is the most a budget or a minted key's limit may be: a million
// dollars is past any key's real spending, and a larger figure is a typo
// (1e308 was sent to OpenRouter as a limit, and its answer broke the
// key's provider figures for good).
const MaxUSD = 1_000_000

// setting is one of a key's settings, by the name its errors use.
type setting struct{ name, value string }

// settings lists the key's free-text settings that are sent or shown
// unmasked: what checkFields keeps secrets out of. The note is neither
// (it is never sent and always shown masked), and may quote a secret.
func (k Key) settings() []setting {
	out := []setting{{"base URL", k.BaseURL}, {"default model", k.DefaultModel}, {"organization", k.Organization}, {"project", k.Project},
		{"Azure API version", k.AzureAPIVersion}, {"provider key ID", k.ProviderKeyID}}
	for _, m := range k.AllowedModels {
		out = append(out, setting{"allowed model", m})
	}
	for m, d := range k.AzureDeployments {
		out = append(out, setting{"Azure deployment model", m}, setting{"Azure deployment", d})
	}
	return out
}

// followPreset moves a key whose provider changed, and whose base URL was
// left as it was, from the old provider's default URL to the new one's:
// a key on a preset's default URL follows its preset. Otherwise changing
// a Groq key's provider to OpenRouter would send it on to Groq's host.
// A base URL the user chose (not the old default) stays.
func followPreset(old Key, k *Key) {
	if k.Provider == old.Provider || k.BaseURL != old.BaseURL {
		return
	}
	if oldKind, err := providers.Lookup(old.Provider); err == nil && k.BaseURL == oldKind.DefaultBaseURL {
		k.BaseURL = "" // validateStored fills in the new provider's default
	}
}
