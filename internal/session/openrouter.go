package session

import (
	"context"
	"fmt"
	"time"

	"github.com/vaultchat/vaultchat/internal/figures"
	"github.com/vaultchat/vaultchat/vault"
)

// ProviderFiguresCache is how long OpenRouter's figures for a key are
// reused before it is asked again.
const ProviderFiguresCache = 5 * time.Minute

// ProviderFigures is what OpenRouter says of one of its keys.
type ProviderFigures struct {
	Key     string    `json:"key"`
	Fetched time.Time `json:"fetched"`
	// USD spent: ever, today, this week (from Monday), this month (UTC).
	Usage, UsageDaily, UsageWeekly, UsageMonthly float64
	// LimitUSD and RemainingUSD are nil when the key has no limit.
	LimitUSD, RemainingUSD *float64
	LimitReset             string
	ExpiresAt              time.Time
}

// Sentence is the one line every face shows: "provider says: $X this
// month, $Y of $Z limit left".
func (p ProviderFigures) Sentence() string {
	s := "provider says: " + figures.USD(p.UsageMonthly) + " this month"
	if p.LimitUSD != nil && p.RemainingUSD != nil {
		s += ", " + figures.USD(*p.RemainingUSD) + " of " + figures.USD(*p.LimitUSD) + " limit left"
		if p.LimitReset != "" {
			s += " (resets " + p.LimitReset + ")"
		}
	}
	return s
}

func figuresCacheName(keyID string) string { return "provider/openrouter-" + keyID + ".age" }

// ProviderFigures asks OpenRouter what a key (name or ID) spent and may
// still spend (GET /api/v1/key, with the key itself), reusing an answer
// younger than ProviderFiguresCache, kept encrypted in the home. ok is
// false for a key that is not an OpenRouter chat key: nothing is asked.
func (s *Session) ProviderFigures(ctx context.Context, nameOrID string) (p ProviderFigures, ok bool, err error) {
	h, err := s.open()
	if err != nil {
		return ProviderFigures{}, false, err
	}
	k, err := h.vault.Key(nameOrID)
	if err != nil {
		return ProviderFigures{}, false, err
	}
	if !k.ForChat() || accountAPI(k) != apiOpenRouter {
		return ProviderFigures{}, false, nil
	}
	now := s.cfg.Now()
	if h.readCache(figuresCacheName(k.ID), &p) == nil {
		if age := now.Sub(p.Fetched); age >= 0 && age < ProviderFiguresCache {
			p.Key = k.Name
			return p, true, nil
		}
	}
	p, err = h.fetchFigures(ctx, k, now)
	if err != nil {
		return ProviderFigures{}, true, err
	}
	if err := h.writeCache(figuresCacheName(k.ID), p); err != nil {
		return p, true, fmt.Errorf("cache OpenRouter's figures: %w", err)
	}
	return p, true, nil
}

func (h *home) fetchFigures(ctx context.Context, k vault.Key, now time.Time) (ProviderFigures, error) {
	a, err := h.accountsClient(k)
	if err != nil {
		return ProviderFigures{}, err
	}
	info, e := a.OpenRouterKey(ctx)
	if e != nil {
		return ProviderFigures{}, fmt.Errorf("ask OpenRouter about key %s: %w", k.Name, e)
	}
	return ProviderFigures{
		Key: k.Name, Fetched: now,
		Usage: info.Usage, UsageDaily: info.UsageDaily, UsageWeekly: info.UsageWeekly, UsageMonthly: info.UsageMonthly,
		LimitUSD: info.Limit, RemainingUSD: info.LimitRemaining, LimitReset: info.LimitReset, ExpiresAt: info.ExpiresAt,
	}, nil
}

// OpenRouterKeys returns the names of the vault's OpenRouter chat keys,
// whose provider figures usage shows.
func (s *Session) OpenRouterKeys() []string {
	h, err := s.open()
	if err != nil {
		return nil
	}
	var names []string
	for _, k := range chatKeys(h.vault.Keys()) {
		if accountAPI(k) == apiOpenRouter {
			names = append(names, k.Name)
		}
	}
	return names
}
