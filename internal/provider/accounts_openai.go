package provider

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// OpenAI's administration API, as described by OpenAI's OpenAPI spec
// (github.com/openai/openai-openapi, openapi.yaml version 2.3.0, commit
// f85dbe2 of 2026-08-21): /organization/usage/completions
// (UsageResponse of UsageCompletionsResult buckets, page → next_page),
// /organization/costs (CostsResult), /organization/projects/{id}/api_keys
// (ProjectApiKeyListResponse, after → last_id), and the service accounts
// (ProjectServiceAccountCreateResponse carries the key once). Every call
// needs an admin key.

// UsageRow is one result of a usage bucket grouped by api_key_id and
// model.
type UsageRow struct {
	Start, End   time.Time // the bucket
	APIKeyID     string
	Model        string
	InputTokens  int64 // cached ones included
	CachedTokens int64
	OutputTokens int64
	Requests     int64
}

// CostRow is one result of a cost bucket grouped by api_key_id.
type CostRow struct {
	Start, End time.Time
	APIKeyID   string
	USD        float64
}

// ProjectKey is one API key of a project (its value redacted).
type ProjectKey struct {
	ID            string
	Name          string
	RedactedValue string
	Created       time.Time
}

type wirePage[T any] struct {
	Object string `json:"object"`
	Data   []struct {
		StartTime int64 `json:"start_time"`
		EndTime   int64 `json:"end_time"`
		Results   []T   `json:"results"`
	} `json:"data"`
	HasMore  bool    `json:"has_more"`
	NextPage *string `json:"next_page"`
}

type wireUsageResult struct {
	InputTokens       int64   `json:"input_tokens"`
	InputCachedTokens int64   `json:"input_cached_tokens"`
	OutputTokens      int64   `json:"output_tokens"`
	NumModelRequests  int64   `json:"num_model_requests"`
	APIKeyID          *string `json:"api_key_id"`
	Model             *string `json:"model"`
}

type wireCostResult struct {
	Amount struct {
		Value    float64 `json:"value"`
		Currency string  `json:"currency"`
	} `json:"amount"`
	APIKeyID *string `json:"api_key_id"`
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// pages walks a paginated bucket listing: query plus page cursors, until
// has_more is false.
func pages[T any](ctx context.Context, a *Accounts, path string, query url.Values, each func(start, end time.Time, r T) *chat.Error) *chat.Error {
	seen := map[string]bool{}
	for range maxPages {
		var p wirePage[T]
		if e := a.do(ctx, "GET", path, query, nil, &p); e != nil {
			return e
		}
		if p.Object != "page" || p.Data == nil {
			return a.badFigure("not a page of buckets")
		}
		for _, b := range p.Data {
			start, end := time.Unix(b.StartTime, 0).UTC(), time.Unix(b.EndTime, 0).UTC()
			for _, r := range b.Results {
				if e := each(start, end, r); e != nil {
					return e
				}
			}
		}
		next := deref(p.NextPage)
		if !p.HasMore || next == "" {
			return nil
		}
		if seen[next] {
			return a.badFigure("a page cursor came back twice")
		}
		seen[next] = true
		query.Set("page", next)
	}
	return a.badFigure(fmt.Sprintf("more than %d pages", maxPages))
}

// maxFigure bounds a token or request count read from a usage answer.
const maxFigure = 1 << 50

func bucketQuery(start, end time.Time, width string, limit int) url.Values {
	q := url.Values{}
	q.Set("start_time", strconv.FormatInt(start.Unix(), 10))
	q.Set("end_time", strconv.FormatInt(end.Unix(), 10))
	q.Set("bucket_width", width)
	q.Set("limit", strconv.Itoa(limit))
	return q
}

// OpenAIUsage returns the completions usage of [start, end) in daily
// ("1d") or hourly ("1h") buckets, grouped by API key and model, every
// page of it.
func (a *Accounts) OpenAIUsage(ctx context.Context, start, end time.Time, width string) ([]UsageRow, *chat.Error) {
	limit := 31
	if width == "1h" {
		limit = 168
	}
	q := bucketQuery(start, end, width, limit)
	q["group_by"] = []string{"api_key_id", "model"}
	var rows []UsageRow
	e := pages(ctx, a, "/organization/usage/completions", q, func(s, en time.Time, r wireUsageResult) *chat.Error {
		for _, n := range []int64{r.InputTokens, r.InputCachedTokens, r.OutputTokens, r.NumModelRequests} {
			if n < 0 || n > maxFigure {
				return a.badFigure(fmt.Sprintf("a usage figure of %d", n))
			}
		}
		rows = append(rows, UsageRow{Start: s, End: en, APIKeyID: a.c.clean(deref(r.APIKeyID)), Model: a.c.clean(deref(r.Model)),
			InputTokens: r.InputTokens, CachedTokens: r.InputCachedTokens, OutputTokens: r.OutputTokens, Requests: r.NumModelRequests})
		return nil
	})
	return rows, e
}

// OpenAICosts returns the daily costs of [start, end) by API key, every
// page of it. Amounts not in USD are refused.
func (a *Accounts) OpenAICosts(ctx context.Context, start, end time.Time) ([]CostRow, *chat.Error) {
	q := bucketQuery(start, end, "1d", 180)
	q["group_by"] = []string{"api_key_id"}
	var rows []CostRow
	e := pages(ctx, a, "/organization/costs", q, func(s, en time.Time, r wireCostResult) *chat.Error {
		v := r.Amount.Value
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > 1e12 {
			return a.badFigure(fmt.Sprintf("a cost of %v", v))
		}
		if r.Amount.Currency != "" && r.Amount.Currency != "usd" {
			return a.badFigure("a cost in " + a.c.clean(r.Amount.Currency))
		}
		rows = append(rows, CostRow{Start: s, End: en, APIKeyID: a.c.clean(deref(r.APIKeyID)), USD: v})
		return nil
	})
	return rows, e
}

// OpenAIProjectKeys lists a project's API keys, every page of it.
func (a *Accounts) OpenAIProjectKeys(ctx context.Context, project string) ([]ProjectKey, *chat.Error) {
	path := "/organization/projects/" + url.PathEscape(project) + "/api_keys"
	q := url.Values{"limit": {"100"}}
	var out []ProjectKey
	seen := map[string]bool{}
	for range maxPages {
		var p struct {
			Object string `json:"object"`
			Data   []struct {
				ID            string `json:"id"`
				Name          string `json:"name"`
				RedactedValue string `json:"redacted_value"`
				CreatedAt     int64  `json:"created_at"`
			} `json:"data"`
			LastID  *string `json:"last_id"`
			HasMore bool    `json:"has_more"`
		}
		if e := a.do(ctx, "GET", path, q, nil, &p); e != nil {
			return nil, e
		}
		if p.Object != "list" {
			return nil, a.badFigure("not a list of API keys")
		}
		for _, k := range p.Data {
			out = append(out, ProjectKey{ID: a.c.clean(k.ID), Name: a.c.clean(k.Name), RedactedValue: k.RedactedValue, Created: time.Unix(k.CreatedAt, 0).UTC()})
		}
		last := deref(p.LastID)
		if !p.HasMore || last == "" {
			return out, nil
		}
		if seen[last] {
			return nil, a.badFigure("a page cursor came back twice")
		}
		seen[last] = true
		q.Set("after", last)
	}
	return nil, a.badFigure(fmt.Sprintf("more than %d pages", maxPages))
}

// Minted is a key created at the provider. Secret is the key's value,
// which the provider shows this once: store it, never show it.
type Minted struct {
	Secret           string
	KeyID            string // OpenAI "key_…", OpenRouter hash
	ServiceAccountID string // OpenAI only
	Project          string // OpenAI only
}

// Format hides the secret whatever the verb.
func (m Minted) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "provider.Minted{KeyID:%q ServiceAccountID:%q Project:%q}", m.KeyID, m.ServiceAccountID, m.Project)
}

// OpenAIMint creates a service account named name in project; its API key
// comes back once.
func (a *Accounts) OpenAIMint(ctx context.Context, project, name string) (Minted, *chat.Error) {
	path := "/organization/projects/" + url.PathEscape(project) + "/service_accounts"
	var resp struct {
		Object string `json:"object"`
		ID     string `json:"id"`
		APIKey *struct {
			Value string `json:"value"`
			ID    string `json:"id"`
		} `json:"api_key"`
	}
	if e := a.do(ctx, "POST", path, nil, map[string]string{"name": name}, &resp); e != nil {
		return Minted{}, e
	}
	m := Minted{ServiceAccountID: resp.ID, Project: project}
	if resp.APIKey != nil {
		m.Secret, m.KeyID = resp.APIKey.Value, resp.APIKey.ID
	}
	if m.ServiceAccountID == "" || m.Secret == "" || m.KeyID == "" {
		// A service account without its key would be left behind: the
		// caller revokes what has an ID.
		return m, a.badFigure("the new service account came without its key")
	}
	return m, nil
}

// OpenAIRevoke deletes the service account, and with it its key.
func (a *Accounts) OpenAIRevoke(ctx context.Context, project, serviceAccountID string) *chat.Error {
	path := "/organization/projects/" + url.PathEscape(project) + "/service_accounts/" + url.PathEscape(serviceAccountID)
	return a.do(ctx, "DELETE", path, nil, nil, nil)
}
