package usage

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/config"
	"github.com/vaultchat/vaultchat/internal/providers"
)

//go:embed prices.json
var pricesJSON []byte

// Price is what a model costs, in USD per million tokens.
type Price struct {
	Input float64 `json:"input" toml:"input"`
	// CachedInput is the rate for prompt tokens served from the
	// provider's prompt cache. Zero means no cache discount: cached
	// tokens are billed at Input.
	CachedInput float64 `json:"cached_input" toml:"cached_input"`
	Output      float64 `json:"output" toml:"output"`
}

// Validate checks model's price against the one price rule,
// config.Price.Validate: every rate finite, from 0 to config.MaxPrice USD
// per million tokens.
func (p Price) Validate(model string) error {
	return config.Price(p).Validate(model)
}

// Cost returns the cost of u in USD: cached prompt tokens at CachedInput,
// the rest of the prompt at Input, and completion tokens (reasoning tokens
// are part of them) at Output.
func (p Price) Cost(u chat.Usage) float64 {
	cached := min(max(u.CachedPromptTokens, 0), u.PromptTokens)
	cachedRate := p.CachedInput
	if cachedRate == 0 {
		cachedRate = p.Input
	}
	return (float64(u.PromptTokens-cached)*p.Input + float64(cached)*cachedRate + float64(u.CompletionTokens)*p.Output) / 1e6
}

// Prices is a price table: the prices shipped in the binary, possibly with
// the user's overrides. A Prices is immutable and safe for concurrent use.
type Prices struct {
	taken  string
	models map[string]Price // by lower-case model name
}

type pricesFile struct {
	Taken  string           `json:"taken"`
	Models map[string]Price `json:"models"`
}

var (
	defaultOnce   sync.Once
	defaultPrices *Prices
)

// DefaultPrices returns the price table shipped in the binary
// (prices.json).
func DefaultPrices() *Prices {
	defaultOnce.Do(func() {
		p, err := parsePrices(pricesJSON)
		if err != nil {
			panic("usage: embedded prices.json: " + err.Error())
		}
		defaultPrices = p
	})
	return defaultPrices
}

func parsePrices(b []byte) (*Prices, error) {
	var f pricesFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	if f.Taken == "" || len(f.Models) == 0 {
		return nil, fmt.Errorf("no date or no models")
	}
	p := &Prices{taken: f.Taken, models: make(map[string]Price, len(f.Models))}
	for name, pr := range f.Models {
		if err := pr.Validate(name); err != nil {
			return nil, err
		}
		p.models[normalize(name)] = pr
	}
	return p, nil
}

// Taken is the date ("2026-11-26") the shipped prices were taken.
func (p *Prices) Taken() string { return p.taken }

// Models returns the model names with a price, sorted.
func (p *Prices) Models() []string {
	return slices.Sorted(maps.Keys(p.models))
}

// WithOverrides returns a copy of p in which the given models' prices
// replace (or add to) the table, as config.toml asks. Names match like
// Lookup's. Entries that fail Price.Validate are left out; callers that
// want to report them validate first.
func (p *Prices) WithOverrides(overrides map[string]Price) *Prices {
	out := &Prices{taken: p.taken, models: maps.Clone(p.models)}
	for name, pr := range overrides {
		if name = normalize(name); name != "" && pr.Validate(name) == nil {
			out.models[name] = pr
		}
	}
	return out
}

// Lookup returns the price of model. An exact (case-insensitive) match
// wins; otherwise a dated or versioned variant of a known model matches it
// by prefix, the longest prefix winning: "gpt-4o-2024-08-06" and
// "gpt-4o-mini-2024-07-18" cost what "gpt-4o" and "gpt-4o-mini" cost. Only
// a suffix of digits and dashes counts as a version, so "o1-pro" or
// "gpt-4o-audio-preview", priced differently, are unknown rather than
// wrongly cheap.
func (p *Prices) Lookup(model string) (Price, bool) {
	model = normalize(model)
	if pr, ok := p.models[model]; ok {
		return pr, true
	}
	best, found := "", false
	for name := range p.models {
		rest, ok := strings.CutPrefix(model, name+"-")
		if ok && isVersion(rest) && len(name) > len(best) {
			best, found = name, true
		}
	}
	if !found {
		return Price{}, false
	}
	return p.models[best], true
}

// Cost returns the cost of u on model in USD, and false when the model's
// price is unknown (show tokens, no cost).
func (p *Prices) Cost(model string, u chat.Usage) (usd float64, known bool) {
	pr, ok := p.Lookup(model)
	if !ok {
		return 0, false
	}
	return pr.Cost(u), true
}

// KeyPrice is the price of model on a key of the named provider kind
// (providers table) that its owner may have marked free (priceFree,
// "keys add --price-free"): the one rule for what a key's turn costs. A
// free key, or a key of a free kind (a local server), costs 0 whatever
// the model; any other takes the table's price of the model.
func (p *Prices) KeyPrice(provider string, priceFree bool, model string) (Price, bool) {
	if KeyFree(provider, priceFree) {
		return Price{}, true
	}
	return p.Lookup(model)
}

// KeyFree reports whether every turn on a key of the named provider kind,
// marked free by its owner or not (priceFree), costs 0: the half of
// KeyPrice that does not depend on the model, for the views that say
// "free".
func KeyFree(provider string, priceFree bool) bool {
	if priceFree {
		return true
	}
	k, err := providers.Lookup(provider)
	return err == nil && k.Free
}

// KeyCost returns the cost of u on model with a key (see KeyPrice), and
// false when it is unknown.
func (p *Prices) KeyCost(provider string, priceFree bool, model string, u chat.Usage) (usd float64, known bool) {
	pr, ok := p.KeyPrice(provider, priceFree, model)
	if !ok {
		return 0, false
	}
	return pr.Cost(u), true
}

func normalize(model string) string { return strings.ToLower(strings.TrimSpace(model)) }

// isVersion reports whether s is a date or version suffix such as
// "2024-08-06" or "0613".
func isVersion(s string) bool {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}
