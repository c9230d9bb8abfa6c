package session

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/vaultchat/vaultchat/internal/figures"
	"github.com/vaultchat/vaultchat/internal/provider"
	"github.com/vaultchat/vaultchat/vault"
)

// DefaultReconcileCache is how long a provider's usage answer is reused
// before it is asked again; OpenAI's usage data lags by minutes anyway.
const DefaultReconcileCache = time.Hour

// DefaultReconcileThreshold is the token difference, per key, above
// which a key is flagged.
const DefaultReconcileThreshold = 1000

// ReconcileOptions select the days reconciled and the flagging threshold.
type ReconcileOptions struct {
	From, To time.Time // UTC days overlapping [From, To)
	// ThresholdTokens flags a key whose provider saw more tokens than
	// the ledger by more than this (0: DefaultReconcileThreshold).
	ThresholdTokens int64
	// CacheLifetime is how long a fetched answer is reused (0:
	// DefaultReconcileCache; negative: always ask).
	CacheLifetime time.Duration
}

// ReconcileRow is one key, model and day: what this machine's ledger
// recorded and what the provider reports. Provider cost is reported per
// key and day only (OpenAI's costs cannot be grouped by model), so it is
// on the row whose Model is "".
type ReconcileRow struct {
	Key, Model, Day                    string
	LocalTokens, ProviderTokens        int64
	LocalRequests, ProviderRequests    int64
	LocalCostUSD, ProviderCostUSD      float64
	TokenDifference, RequestDifference int64
}

// ReconcileKey sums one key over the period.
type ReconcileKey struct {
	Key                             string
	KeyID                           string // the vault's ID of the key
	ProviderKeyID                   string // "" when no provider key matched
	LocalTokens, ProviderTokens     int64
	LocalRequests, ProviderRequests int64
	LocalCostUSD, ProviderCostUSD   float64
	// Flag is a sentence when the difference is above the threshold.
	Flag string
}

// ReconcileReport is the outcome of Reconcile.
type ReconcileReport struct {
	Fetched  time.Time // when the provider's figures were fetched
	Cached   bool      // they came from the encrypted cache
	Requests int64     // HTTP requests made for this report
	Rows     []ReconcileRow
	Keys     []ReconcileKey
	// Hint is set instead of an error when there is nothing to ask with
	// (no admin key).
	Hint string
}

// reconcileCache is what is stored, encrypted, per admin key.
type reconcileCache struct {
	Fetched time.Time           `json:"fetched"`
	From    time.Time           `json:"from"`
	To      time.Time           `json:"to"`
	Usage   []provider.UsageRow `json:"usage"`
	Costs   []provider.CostRow  `json:"costs"`
	KeyIDs  map[string]string   `json:"key_ids"` // vault key ID → provider key ID
	Checked []string            `json:"checked"` // the vault keys matched at fetch time
}

func cacheName(adminID string) string { return "provider/reconcile-" + adminID + ".age" }

// Reconcile compares the ledger with what OpenAI reports for the vault's
// openai keys, per key, model and day, through the vault's first OpenAI
// admin key. The provider's answer is cached encrypted in the home with
// its fetch time, and not asked again within the cache lifetime for the
// same days.
func (s *Session) Reconcile(ctx context.Context, o ReconcileOptions) (ReconcileReport, error) {
	h, err := s.open()
	if err != nil {
		return ReconcileReport{}, err
	}
	if o.ThresholdTokens == 0 {
		o.ThresholdTokens = DefaultReconcileThreshold
	}
	if o.CacheLifetime == 0 {
		o.CacheLifetime = DefaultReconcileCache
	}
	from, to := o.From.UTC().Truncate(24*time.Hour), o.To.UTC().Truncate(24*time.Hour).Add(24*time.Hour)
	var admin *vault.Key
	all := h.vault.Keys()
	for _, k := range all {
		if k.Kind == vault.KindAdmin && accountAPI(k) == apiOpenAI {
			admin = &k
			break
		}
	}
	if admin == nil {
		return ReconcileReport{Hint: "OpenAI reports usage only to an admin key: add one with \"vaultchat keys add NAME --provider openai --admin\" (it is never used for chat)"}, nil
	}
	// The admin key sees its own organization only: the keys sent to
	// the same API, and of the same organization when both name one.
	var chatKeysOpenAI []vault.Key
	for _, k := range all {
		if k.ForChat() && accountAPI(k) == apiOpenAI && strings.EqualFold(k.Host(), admin.Host()) &&
			(k.Organization == "" || admin.Organization == "" || k.Organization == admin.Organization) {
			chatKeysOpenAI = append(chatKeysOpenAI, k)
		}
	}
	now := s.cfg.Now()
	rep := ReconcileReport{}
	var c reconcileCache
	if h.readCache(cacheName(admin.ID), &c) == nil &&
		c.From.Equal(from) && c.To.Equal(to) && o.CacheLifetime > 0 && now.Sub(c.Fetched) < o.CacheLifetime && now.Sub(c.Fetched) >= 0 &&
		covers(c.Checked, chatKeysOpenAI) {
		rep.Cached = true
	} else {
		c, err = h.fetchReconcile(ctx, *admin, chatKeysOpenAI, from, to, now, &rep)
		if err != nil {
			return rep, err
		}
		if err := h.writeCache(cacheName(admin.ID), c); err != nil {
			return rep, fmt.Errorf("cache the provider's usage: %w", err)
		}
	}
	rep.Fetched = c.Fetched
	h.compare(&rep, c, chatKeysOpenAI, from, to, o.ThresholdTokens)
	if err := h.saveVerdicts(rep, from, to); err != nil {
		return rep, err
	}
	return rep, nil
}

// covers reports whether a cached answer considered every key: a key
// added since is matched (and its usage read) by a new fetch.
func covers(checked []string, keys []vault.Key) bool {
	for _, k := range keys {
		if !slices.Contains(checked, k.ID) {
			return false
		}
	}
	return true
}

// fetchReconcile asks the provider: which provider key each vault key is
// (the key's recorded ID, else its project's key list matched by redacted
// value), then usage and costs of the days.
func (h *home) fetchReconcile(ctx context.Context, admin vault.Key, keys []vault.Key, from, to, now time.Time, rep *ReconcileReport) (reconcileCache, error) {
	a, err := h.accountsClient(admin)
	if err != nil {
		return reconcileCache{}, err
	}
	defer func() { rep.Requests += a.Requests() }()
	c := reconcileCache{Fetched: now, From: from, To: to, KeyIDs: map[string]string{}}
	listed := map[string][]provider.ProjectKey{}
	for _, k := range keys {
		c.Checked = append(c.Checked, k.ID)
		if k.ProviderKeyID != "" {
			c.KeyIDs[k.ID] = k.ProviderKeyID
			continue
		}
		project := k.Project
		if project == "" {
			project = admin.Project
		}
		if project == "" {
			continue // no project to list: only an explicit --provider-key-id matches
		}
		if _, ok := listed[project]; !ok {
			list, e := a.OpenAIProjectKeys(ctx, project)
			if e != nil {
				return c, fmt.Errorf("list the keys of project %s: %w", project, e)
			}
			listed[project] = list
		}
		var match []string
		for _, pk := range listed[project] {
			if provider.MatchRedacted(pk.RedactedValue, k.Secret.Reveal()) {
				match = append(match, pk.ID)
			}
		}
		if len(match) == 1 {
			c.KeyIDs[k.ID] = match[0]
		}
	}
	usage, ue := a.OpenAIUsage(ctx, from, to, "1d")
	if ue != nil {
		return c, fmt.Errorf("read the organization's usage: %w", ue)
	}
	costs, ce := a.OpenAICosts(ctx, from, to)
	if ce != nil {
		return c, fmt.Errorf("read the organization's costs: %w", ce)
	}
	c.Usage, c.Costs = usage, costs
	return c, nil
}

type rowKey struct{ key, model, day string }

// compare joins the ledger and the provider's figures.
func (h *home) compare(rep *ReconcileReport, c reconcileCache, keys []vault.Key, from, to time.Time, threshold int64) {
	rows := map[rowKey]*ReconcileRow{}
	get := func(k rowKey) *ReconcileRow {
		r := rows[k]
		if r == nil {
			r = &ReconcileRow{Key: k.key, Model: k.model, Day: k.day}
			rows[k] = r
		}
		return r
	}
	byProviderID := map[string]vault.Key{}
	byID := map[string]vault.Key{}
	for _, k := range keys {
		byID[k.ID] = k
		if k.ProviderKeyID != "" {
			// Set since the answer was cached (keys edit
			// --provider-key-id): the vault's word wins.
			c.KeyIDs[k.ID] = k.ProviderKeyID
		}
		if id := c.KeyIDs[k.ID]; id != "" {
			byProviderID[id] = k
		}
	}
	for _, cell := range h.usageLedger().Cells(from, to) {
		k, ok := byID[cell.KeyID]
		if !ok || cell.Requests == 0 {
			continue
		}
		r := get(rowKey{k.Name, cell.Model, cell.Day})
		r.LocalTokens += cell.Usage.Total()
		r.LocalRequests += cell.Requests - cell.Errors
		r.LocalCostUSD += cell.CostUSD
	}
	for _, u := range c.Usage {
		k, ok := byProviderID[u.APIKeyID]
		if !ok {
			continue
		}
		r := get(rowKey{k.Name, u.Model, u.Start.Format("2006-01-02")})
		r.ProviderTokens += u.InputTokens + u.OutputTokens
		r.ProviderRequests += u.Requests
	}
	for _, co := range c.Costs {
		if k, ok := byProviderID[co.APIKeyID]; ok {
			get(rowKey{k.Name, "", co.Start.Format("2006-01-02")}).ProviderCostUSD += co.USD
		}
	}
	sums := map[string]*ReconcileKey{}
	for _, k := range keys {
		sums[k.Name] = &ReconcileKey{Key: k.Name, KeyID: k.ID, ProviderKeyID: c.KeyIDs[k.ID]}
	}
	for _, r := range rows {
		r.TokenDifference = r.ProviderTokens - r.LocalTokens
		r.RequestDifference = r.ProviderRequests - r.LocalRequests
		s := sums[r.Key]
		s.LocalTokens += r.LocalTokens
		s.ProviderTokens += r.ProviderTokens
		s.LocalRequests += r.LocalRequests
		s.ProviderRequests += r.ProviderRequests
		s.LocalCostUSD += r.LocalCostUSD
		s.ProviderCostUSD += r.ProviderCostUSD
		rep.Rows = append(rep.Rows, *r)
	}
	sort.Slice(rep.Rows, func(i, j int) bool {
		a, b := rep.Rows[i], rep.Rows[j]
		if a.Key != b.Key {
			return a.Key < b.Key
		}
		if a.Day != b.Day {
			return a.Day < b.Day
		}
		return a.Model < b.Model
	})
	for _, k := range keys {
		s := sums[k.Name]
		diff := s.ProviderTokens - s.LocalTokens
		switch {
		case s.ProviderKeyID == "":
			s.Flag = fmt.Sprintf("key %s matched no key at OpenAI: set its ID with \"vaultchat keys edit %s --provider-key-id key_…\" or its project with --project", k.Name, k.Name)
		case diff > threshold:
			s.Flag = fmt.Sprintf("provider saw %s more tokens than this machine sent with key %s — another program uses this key", figures.Tokens(diff, false), k.Name)
		case -diff > threshold:
			s.Flag = fmt.Sprintf("provider reports %s fewer tokens than this machine sent with key %s; its figures may lag", figures.Tokens(-diff, false), k.Name)
		}
		rep.Keys = append(rep.Keys, *s)
	}
}
