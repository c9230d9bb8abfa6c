package sim

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The provider-side bookkeeping the usage and key management endpoints
// serve (openaiadmin.go, openrouter.go): which keys are admin or
// management keys, which belong to which project, which were minted and
// revoked, and what each key spent, hour by hour.

// SimProject is the OpenAI project the keys of Options.Keys belong to.
const SimProject = "proj_sim"

// spendKey is one row of the spend table: a key, a model, an hour.
type spendKey struct {
	key   string
	model string
	hour  int64 // Unix seconds at the start of the hour (UTC)
}

type spendRow struct {
	input, cached, output, requests int64
}

// keyInfo is what the simulated provider knows of a chat key.
type keyInfo struct {
	id         string // OpenAI "key_…" and OpenRouter hash
	name       string
	project    string
	service    string // the service account ID of a minted OpenAI key
	created    time.Time
	minted     bool
	disabled   bool     // revoked: disabled (OpenRouter) or deleted
	deleted    bool     // OpenRouter: deleted, gone from the management API
	limit      *float64 // OpenRouter USD limit, nil for none
	limitReset string   // OpenRouter: daily, weekly, monthly or ""
	expires    *time.Time
}

// accounts is the provider's side of keys and spend. It has its own lock:
// chat handlers record spend while holding nothing else.
type accounts struct {
	mu       sync.Mutex
	admin    map[string]bool
	mgmt     map[string]bool
	keys     map[string]*keyInfo // by secret: Options.Keys and minted keys
	order    []string            // secrets in creation order, for lists
	spend    map[spendKey]*spendRow
	calls    int // requests to the admin endpoints, for Options.AdminThrottle
	throttle int
	anyKey   bool // Options.AnyAccountKey
}

func newAccounts(opts Options, now time.Time) *accounts {
	a := &accounts{admin: map[string]bool{}, mgmt: map[string]bool{}, keys: map[string]*keyInfo{}, spend: map[spendKey]*spendRow{}, throttle: opts.AdminThrottle, anyKey: opts.AnyAccountKey}
	for _, k := range opts.AdminKeys {
		a.admin[k] = true
	}
	for _, k := range opts.ManagementKeys {
		a.mgmt[k] = true
	}
	for i, k := range opts.Keys {
		a.add(k, &keyInfo{name: "sim key " + strconv.Itoa(i+1), project: SimProject, created: now})
	}
	return a
}

// add registers a chat key; its ID is derived from the secret, so the same
// key has the same ID on every run.
func (a *accounts) add(secret string, info *keyInfo) {
	sum := sha256.Sum256([]byte(secret))
	info.id = hex.EncodeToString(sum[:])
	a.keys[secret] = info
	a.order = append(a.order, secret)
}

// openAIKeyID is a key's ID as OpenAI shows it.
func (k *keyInfo) openAIKeyID() string { return "key_" + k.id[:16] }

// isAdminKey reports whether key is an admin or management key, which the
// chat endpoints refuse.
func (a *accounts) isAdminKey(key string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.isAdmin(key) || a.mgmt[key]
}

// adminPrefix starts every OpenAI admin key.
const adminPrefix = "sk-admin-"

// isAdmin reports whether key is an OpenAI admin key: listed, or shaped
// like one under Options.AnyAccountKey. The caller holds a.mu.
func (a *accounts) isAdmin(key string) bool {
	return a.admin[key] || a.anyKey && strings.HasPrefix(key, adminPrefix)
}

// isManagement reports whether key may use OpenRouter's management
// endpoints: listed, or any key but a chat or admin one under
// Options.AnyAccountKey. The caller holds a.mu.
func (a *accounts) isManagement(key string) bool {
	return a.mgmt[key] || a.anyKey && key != "" && a.keys[key] == nil && !strings.HasPrefix(key, adminPrefix)
}

// chatKey reports whether key is a live chat key the provider issued
// (Options.Keys or minted), and whether it was minted and then disabled or
// deleted.
func (a *accounts) chatKey(key string) (known, revoked bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	info, ok := a.keys[key]
	if !ok {
		return false, false
	}
	return !info.disabled, info.disabled
}

// record adds a request's usage to the spend table.
func (a *accounts) record(key, model string, at time.Time, input, cached, output, requests int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	sk := spendKey{key: key, model: model, hour: at.UTC().Truncate(time.Hour).Unix()}
	r := a.spend[sk]
	if r == nil {
		r = &spendRow{}
		a.spend[sk] = r
	}
	r.input += input
	r.cached += cached
	r.output += output
	r.requests += requests
}

// throttled counts an admin request and reports whether it must get a 429.
func (a *accounts) throttled() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
	return a.throttle > 0 && a.calls%a.throttle == 0
}

// SpendElsewhere records usage of key that did not go through this
// server's chat endpoint: "another program" (a CI job, a leaked copy)
// spending tokens with the same key. The usage and cost endpoints and
// OpenRouter's key info count it; vaultchat's ledger does not.
func (s *Server) SpendElsewhere(key, model string, at time.Time, input, output, requests int64) {
	s.accounts.record(key, model, at, input, 0, output, requests)
}

// simPrices are the simulated provider's prices in USD per million tokens
// (input, cached input, output): OpenAI's list prices for the real model
// names, the made-up sim-* prices of vaultchat's price table.
var simPrices = map[string][3]float64{
	"gpt-4o":      {2.50, 1.25, 10.00},
	"gpt-4o-mini": {0.15, 0.075, 0.60},
	"sim-fast":    {0.20, 0.10, 0.80},
	"sim-smart":   {3.00, 0.75, 12.00},
}

// cost is what the provider charges for a spend row.
func (r spendRow) cost(model string) float64 {
	p, ok := simPrices[model]
	if !ok {
		p = [3]float64{1, 0.5, 2}
	}
	return (float64(r.input-r.cached)*p[0] + float64(r.cached)*p[1] + float64(r.output)*p[2]) / 1e6
}

// spentUSD sums a key's cost since from (zero: ever).
func (a *accounts) spentUSD(key string, from time.Time) float64 {
	var sum float64
	for sk, r := range a.spend {
		if sk.key == key && (from.IsZero() || sk.hour >= from.Unix()) {
			sum += r.cost(sk.model)
		}
	}
	return sum
}

// newSecret makes a key value with the provider's prefix.
func newSecret(prefix string) string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return prefix + hex.EncodeToString(b)
}

// sortedSecrets returns the keys in creation order that pass keep.
func (a *accounts) sortedSecrets(keep func(*keyInfo) bool) []string {
	return slices.DeleteFunc(slices.Clone(a.order), func(s string) bool {
		info, ok := a.keys[s]
		return !ok || !keep(info)
	})
}

// tooManyRequests is the 429 of a throttled admin request: Retry-After in
// seconds (what every client reads) and milliseconds (what OpenAI adds).
func tooManyRequests(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "1")
	w.Header().Set("Retry-After-Ms", "20")
	writeError(w, http.StatusTooManyRequests, apiError{Message: "Rate limit reached for organization requests. Please try again in 20ms.", Type: "requests", Code: str("rate_limit_exceeded")})
}
