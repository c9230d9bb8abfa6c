package provider

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// OpenRouter's key API, as OpenRouter's API reference describes it
// (openrouter.ai/docs/api/api-reference/api-keys, OpenAPI 3.1 "OpenRouter
// API" 1.0.0, 2026): GET /key (get-current-key) with any key, POST /keys
// (create-keys: the key value is returned once, beside data.hash), PATCH
// and DELETE /keys/{hash} with a management key. Amounts are USD.

// KeyInfo is what OpenRouter says of a key (GET /api/v1/key).
type KeyInfo struct {
	Label string
	// Limit and LimitRemaining are nil when the key has no limit.
	Limit, LimitRemaining *float64
	LimitReset            string // daily, weekly, monthly or ""
	Usage                 float64
	UsageDaily            float64
	UsageWeekly           float64
	UsageMonthly          float64
	IsManagementKey       bool
	ExpiresAt             time.Time // zero: never
}

// OpenRouterKey asks OpenRouter about the client's own key.
func (a *Accounts) OpenRouterKey(ctx context.Context) (KeyInfo, *chat.Error) {
	var resp struct {
		Data *struct {
			Label           string   `json:"label"`
			Limit           *float64 `json:"limit"`
			LimitRemaining  *float64 `json:"limit_remaining"`
			LimitReset      *string  `json:"limit_reset"`
			Usage           float64  `json:"usage"`
			UsageDaily      float64  `json:"usage_daily"`
			UsageWeekly     float64  `json:"usage_weekly"`
			UsageMonthly    float64  `json:"usage_monthly"`
			IsManagementKey bool     `json:"is_management_key"`
			ExpiresAt       *string  `json:"expires_at"`
		} `json:"data"`
	}
	if e := a.do(ctx, "GET", "/key", nil, nil, &resp); e != nil {
		return KeyInfo{}, e
	}
	d := resp.Data
	if d == nil {
		return KeyInfo{}, a.badFigure("no key data")
	}
	for _, v := range []float64{d.Usage, d.UsageDaily, d.UsageWeekly, d.UsageMonthly} {
		if !sane(v) {
			return KeyInfo{}, a.badFigure(fmt.Sprintf("a usage of %v", v))
		}
	}
	for _, p := range []*float64{d.Limit, d.LimitRemaining} {
		if p != nil && !sane(*p) {
			return KeyInfo{}, a.badFigure(fmt.Sprintf("a limit of %v", *p))
		}
	}
	info := KeyInfo{
		Label: a.c.clean(d.Label), Limit: d.Limit, LimitRemaining: d.LimitRemaining, LimitReset: a.c.clean(deref(d.LimitReset)),
		Usage: d.Usage, UsageDaily: d.UsageDaily, UsageWeekly: d.UsageWeekly, UsageMonthly: d.UsageMonthly,
		IsManagementKey: d.IsManagementKey,
	}
	if d.ExpiresAt != nil {
		if t, err := time.Parse(time.RFC3339, *d.ExpiresAt); err == nil {
			info.ExpiresAt = t.UTC()
		}
	}
	return info, nil
}

func sane(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) && v >= 0 && v < 1e12 }

// MintRequest is what a minted OpenRouter key may spend and how long it
// lives.
type MintRequest struct {
	Name       string
	LimitUSD   float64   // 0: no limit
	LimitReset string    // daily, weekly, monthly or "" (never)
	ExpiresAt  time.Time // zero: never
}

// OpenRouterMint creates a key with a management key.
func (a *Accounts) OpenRouterMint(ctx context.Context, r MintRequest) (Minted, *chat.Error) {
	body := map[string]any{"name": r.Name}
	if r.LimitUSD > 0 {
		body["limit"] = r.LimitUSD
	}
	if r.LimitReset != "" {
		body["limit_reset"] = r.LimitReset
	}
	if !r.ExpiresAt.IsZero() {
		body["expires_at"] = r.ExpiresAt.UTC().Format(time.RFC3339)
	}
	var resp struct {
		Data *struct {
			Hash string `json:"hash"`
		} `json:"data"`
		Key string `json:"key"`
	}
	if e := a.do(ctx, "POST", "/keys", nil, body, &resp); e != nil {
		return Minted{}, e
	}
	m := Minted{Secret: resp.Key}
	if resp.Data != nil {
		m.KeyID = resp.Data.Hash
	}
	if m.Secret == "" || m.KeyID == "" {
		return m, a.badFigure("the new key came without its value or hash")
	}
	return m, nil
}

// OpenRouterRevoke deletes a key by its hash.
func (a *Accounts) OpenRouterRevoke(ctx context.Context, hash string) *chat.Error {
	return a.do(ctx, "DELETE", "/keys/"+url.PathEscape(hash), nil, nil, nil)
}

// OpenRouterDisable disables a key by its hash, keeping it at OpenRouter.
func (a *Accounts) OpenRouterDisable(ctx context.Context, hash string) *chat.Error {
	return a.do(ctx, "PATCH", "/keys/"+url.PathEscape(hash), nil, map[string]any{"disabled": true}, nil)
}
