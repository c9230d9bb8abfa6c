package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/vaultchat/vaultchat/internal/redact"
)

// OpenRouter's key endpoints, with the shapes of OpenRouter's API
// reference (openrouter.ai/docs/api/api-reference/api-keys, OpenAPI 3.1
// "OpenRouter API" 1.0.0, as published in 2026): GET /api/v1/key
// (get-current-key), POST /api/v1/keys (create-keys, 201, the key value
// returned once beside data), PATCH and DELETE /api/v1/keys/{hash}. Chat
// goes to /api/v1/chat/completions, so an OpenRouter key's base URL is
// the server's address plus /api/v1.

// orKeyData is the data object of the key endpoints (usage in USD).
type orKeyData struct {
	Hash               string   `json:"hash,omitempty"`
	Name               string   `json:"name,omitempty"`
	Label              string   `json:"label"`
	Disabled           *bool    `json:"disabled,omitempty"`
	Limit              *float64 `json:"limit"`
	LimitRemaining     *float64 `json:"limit_remaining"`
	LimitReset         *string  `json:"limit_reset"`
	IncludeBYOKInLimit bool     `json:"include_byok_in_limit"`
	Usage              float64  `json:"usage"`
	UsageDaily         float64  `json:"usage_daily"`
	UsageWeekly        float64  `json:"usage_weekly"`
	UsageMonthly       float64  `json:"usage_monthly"`
	BYOKUsage          float64  `json:"byok_usage"`
	BYOKUsageDaily     float64  `json:"byok_usage_daily"`
	BYOKUsageWeekly    float64  `json:"byok_usage_weekly"`
	BYOKUsageMonthly   float64  `json:"byok_usage_monthly"`
	IsFreeTier         *bool    `json:"is_free_tier,omitempty"`
	IsManagementKey    *bool    `json:"is_management_key,omitempty"`
	CreatedAt          string   `json:"created_at,omitempty"`
	UpdatedAt          *string  `json:"updated_at,omitempty"`
	ExpiresAt          *string  `json:"expires_at"`
}

func boolPtr(b bool) *bool { return &b }

// keyData describes a chat key as OpenRouter does; the caller holds a.mu.
func (s *Server) keyData(secret string, info *keyInfo) orKeyData {
	if info == nil {
		info = &keyInfo{} // a key with no record: no limit, no expiry
	}
	now := s.opts.Now().UTC()
	day := now.Truncate(24 * time.Hour)
	week := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7)) // weeks start on Monday
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	a := s.accounts
	d := orKeyData{
		Label: redact.Mask(secret), Limit: info.limit, IncludeBYOKInLimit: false,
		Usage: a.spentUSD(secret, time.Time{}), UsageDaily: a.spentUSD(secret, day),
		UsageWeekly: a.spentUSD(secret, week), UsageMonthly: a.spentUSD(secret, month),
	}
	if info.limitReset != "" {
		d.LimitReset = &info.limitReset
	}
	if info.limit != nil {
		spent := d.Usage
		switch info.limitReset {
		case "daily":
			spent = d.UsageDaily
		case "weekly":
			spent = d.UsageWeekly
		case "monthly":
			spent = d.UsageMonthly
		}
		left := max(0, *info.limit-spent)
		d.LimitRemaining = &left
	}
	if info.expires != nil {
		e := info.expires.Format(time.RFC3339)
		d.ExpiresAt = &e
	}
	return d
}

// openRouterAuth reads the key of an OpenRouter request and answers 401
// for an unknown one, 429 when throttled. mgmt says whether the key may
// use the management endpoints (isManagement).
func (s *Server) openRouterAuth(w http.ResponseWriter, r *http.Request) (key string, mgmt, ok bool) {
	key, _, _ = credentials(r)
	s.update(callOf(r), func(rec *Request) { rec.Auth, rec.APIKey = key != "", key })
	a := s.accounts
	a.mu.Lock()
	info, mgmt := a.keys[key], a.isManagement(key)
	a.mu.Unlock()
	switch {
	case !mgmt && (info == nil || info.disabled):
		writeORError(w, http.StatusUnauthorized, "User not found.")
		return "", false, false
	case a.throttled():
		tooManyRequests(w)
		return "", false, false
	}
	return key, mgmt, true
}

// currentKey serves GET /api/v1/key.
func (s *Server) currentKey(w http.ResponseWriter, r *http.Request) {
	key, mgmt, ok := s.openRouterAuth(w, r)
	if !ok {
		return
	}
	a := s.accounts
	a.mu.Lock()
	var d orKeyData
	if mgmt {
		// Configured, or accepted as one by "simulate --accounts".
		d = orKeyData{Label: redact.Mask(key)}
	} else {
		d = s.keyData(key, a.keys[key])
	}
	d.IsManagementKey, d.IsFreeTier = boolPtr(mgmt), boolPtr(false)
	a.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": d})
}

// management checks that the request's key is a management key.
func (s *Server) management(w http.ResponseWriter, r *http.Request) bool {
	_, mgmt, ok := s.openRouterAuth(w, r)
	if !ok {
		return false
	}
	if !mgmt {
		writeORError(w, http.StatusForbidden, "Only management keys can perform this operation")
		return false
	}
	return true
}

type orKeyRequest struct {
	Name       *string  `json:"name"`
	Limit      *float64 `json:"limit"`
	LimitReset *string  `json:"limit_reset"`
	ExpiresAt  *string  `json:"expires_at"`
	Disabled   *bool    `json:"disabled"`
}

func readKeyRequest(w http.ResponseWriter, r *http.Request) (orKeyRequest, bool) {
	var req orKeyRequest
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	bad := func(msg string) (orKeyRequest, bool) {
		writeORError(w, http.StatusBadRequest, msg)
		return req, false
	}
	if json.Unmarshal(body, &req) != nil {
		return bad("Invalid JSON body")
	}
	if req.LimitReset != nil && *req.LimitReset != "daily" && *req.LimitReset != "weekly" && *req.LimitReset != "monthly" {
		return bad("limit_reset must be daily, weekly, monthly or null")
	}
	if req.Limit != nil && *req.Limit < 0 {
		return bad("limit must not be negative")
	}
	if req.ExpiresAt != nil && !strings.HasSuffix(*req.ExpiresAt, "Z") {
		return bad("expires_at must be an ISO 8601 timestamp in UTC")
	}
	return req, true
}

// createKey serves POST /api/v1/keys.
func (s *Server) createKey(w http.ResponseWriter, r *http.Request) {
	if !s.management(w, r) {
		return
	}
	req, ok := readKeyRequest(w, r)
	if !ok {
		return
	}
	if req.Name == nil || strings.TrimSpace(*req.Name) == "" {
		writeORError(w, http.StatusBadRequest, "name is required")
		return
	}
	now := s.opts.Now().UTC()
	info := &keyInfo{name: *req.Name, created: now, minted: true, limit: req.Limit}
	if req.LimitReset != nil {
		info.limitReset = *req.LimitReset
	}
	if req.ExpiresAt != nil {
		t, err := time.Parse(time.RFC3339, *req.ExpiresAt)
		if err != nil {
			writeORError(w, http.StatusBadRequest, "expires_at is not an ISO 8601 timestamp")
			return
		}
		info.expires = &t
	}
	secret := newSecret("sk-or-v1-")
	a := s.accounts
	a.mu.Lock()
	a.add(secret, info)
	d := s.fullKeyData(secret, info)
	a.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"data": d, "key": secret})
}

// fullKeyData is keyData with the management fields; the caller holds a.mu.
func (s *Server) fullKeyData(secret string, info *keyInfo) orKeyData {
	d := s.keyData(secret, info)
	d.Hash, d.Name, d.Disabled = info.id, info.name, boolPtr(info.disabled)
	d.CreatedAt = info.created.Format(time.RFC3339)
	return d
}

// keyByHash finds a chat key by its hash; the caller holds a.mu.
func (a *accounts) keyByHash(hash string) (string, *keyInfo) {
	for secret, info := range a.keys {
		if info.id == hash && !info.deleted {
			return secret, info
		}
	}
	return "", nil
}

// updateKey serves PATCH /api/v1/keys/{hash}.
func (s *Server) updateKey(w http.ResponseWriter, r *http.Request) {
	if !s.management(w, r) {
		return
	}
	req, ok := readKeyRequest(w, r)
	if !ok {
		return
	}
	a := s.accounts
	a.mu.Lock()
	defer a.mu.Unlock()
	secret, info := a.keyByHash(r.PathValue("hash"))
	if info == nil {
		writeORError(w, http.StatusNotFound, "API key not found")
		return
	}
	if req.Disabled != nil {
		info.disabled = *req.Disabled
	}
	if req.Name != nil {
		info.name = *req.Name
	}
	if req.Limit != nil {
		info.limit = req.Limit
	}
	if req.LimitReset != nil {
		info.limitReset = *req.LimitReset
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": s.fullKeyData(secret, info)})
}

// deleteKey serves DELETE /api/v1/keys/{hash}.
func (s *Server) deleteKey(w http.ResponseWriter, r *http.Request) {
	if !s.management(w, r) {
		return
	}
	a := s.accounts
	a.mu.Lock()
	_, info := a.keyByHash(r.PathValue("hash"))
	if info != nil {
		info.disabled, info.deleted = true, true
	}
	a.mu.Unlock()
	if info == nil {
		writeORError(w, http.StatusNotFound, "API key not found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"deleted": true})
}

// writeORError writes an OpenRouter error body: {"error": {"code":
// status, "message": msg}}.
func writeORError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": status, "message": msg}})
}
