package sim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// OpenAI's administration endpoints, with the shapes of OpenAI's OpenAPI
// spec (github.com/openai/openai-openapi, openapi.yaml version 2.3.0,
// commit f85dbe2 of 2026-08-21): UsageResponse / UsageTimeBucket /
// UsageCompletionsResult for /organization/usage/completions, CostsResult
// for /organization/costs, ProjectApiKeyListResponse for
// /organization/projects/{project_id}/api_keys,
// ProjectServiceAccountCreateResponse and ProjectServiceAccountDeleteResponse
// for the service accounts. They need an admin key (Options.AdminKeys).

// adminAuth checks an OpenAI admin request: 401 for an unknown key, 403
// for a project key, 429 when Options.AdminThrottle says so.
func (s *Server) adminAuth(w http.ResponseWriter, r *http.Request) bool {
	key, _, _ := credentials(r)
	s.update(callOf(r), func(rec *Request) { rec.Auth, rec.APIKey = key != "", key })
	a := s.accounts
	a.mu.Lock()
	admin, chat := a.isAdmin(key), a.keys[key] != nil
	a.mu.Unlock()
	switch {
	case chat:
		writeError(w, http.StatusForbidden, apiError{Message: "You have insufficient permissions for this operation. Missing scopes: api.usage.read. An admin key is required.", Type: "invalid_request_error"})
		return false
	case !admin:
		writeError(w, http.StatusUnauthorized, invalidKey)
		return false
	case a.throttled():
		tooManyRequests(w)
		return false
	}
	return true
}

// bucketQuery is the query of the usage and cost endpoints.
type bucketQuery struct {
	start, end time.Time
	width      time.Duration
	limit      int
	page       int // index of the first bucket
	groupBy    []string
	keyIDs     []string
	models     []string
	projects   []string
}

// queryList reads an array parameter in each form clients send:
// repeated (a=1&a=2), with brackets (a[]=1), or comma-separated.
func queryList(q url.Values, name string) []string {
	var out []string
	for _, v := range append(q[name], q[name+"[]"]...) {
		for p := range strings.SplitSeq(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func (s *Server) parseBucketQuery(w http.ResponseWriter, r *http.Request, costs bool) (bucketQuery, bool) {
	q := r.URL.Query()
	bad := func(msg string) (bucketQuery, bool) {
		writeError(w, http.StatusBadRequest, apiError{Message: msg, Type: "invalid_request_error"})
		return bucketQuery{}, false
	}
	start, err := strconv.ParseInt(q.Get("start_time"), 10, 64)
	if err != nil {
		return bad("start_time is required (Unix seconds)")
	}
	bq := bucketQuery{start: time.Unix(start, 0).UTC(), end: s.opts.Now().UTC()}
	if e := q.Get("end_time"); e != "" {
		n, err := strconv.ParseInt(e, 10, 64)
		if err != nil {
			return bad("end_time must be Unix seconds")
		}
		bq.end = time.Unix(n, 0).UTC()
	}
	width, maxLimit, defLimit := q.Get("bucket_width"), 31, 7
	switch {
	case width == "" || width == "1d":
		bq.width = 24 * time.Hour
		if costs {
			maxLimit = 180
		}
	case width == "1h" && !costs:
		bq.width, maxLimit, defLimit = time.Hour, 168, 24
	default:
		return bad(fmt.Sprintf("bucket_width %q is not supported here (the simulator serves 1d%s)", width, map[bool]string{false: " and 1h", true: ""}[costs]))
	}
	bq.limit = defLimit
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxLimit {
			return bad(fmt.Sprintf("limit must be between 1 and %d", maxLimit))
		}
		bq.limit = n
	}
	if p := q.Get("page"); p != "" {
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(p, "page_"))
		n, err2 := strconv.Atoi(string(raw))
		if err != nil || err2 != nil || n < 0 {
			return bad("invalid page cursor")
		}
		bq.page = n
	}
	allowed := []string{"project_id", "user_id", "api_key_id", "model", "batch", "service_tier"}
	if costs {
		allowed = []string{"project_id", "line_item", "api_key_id"}
	}
	bq.groupBy = queryList(q, "group_by")
	for _, g := range bq.groupBy {
		if !slices.Contains(allowed, g) {
			return bad(fmt.Sprintf("group_by %q is not one of %s", g, strings.Join(allowed, ", ")))
		}
	}
	bq.keyIDs, bq.models, bq.projects = queryList(q, "api_key_ids"), queryList(q, "models"), queryList(q, "project_ids")
	return bq, true
}

// bucketRange returns the buckets of this page and the next page's cursor.
func (bq bucketQuery) bucketRange() (starts []time.Time, next *string) {
	first := bq.start.Truncate(bq.width)
	total := int((bq.end.Sub(first) + bq.width - 1) / bq.width)
	for i := bq.page; i < total && i < bq.page+bq.limit; i++ {
		starts = append(starts, first.Add(time.Duration(i)*bq.width))
	}
	if bq.page+bq.limit < total {
		c := "page_" + base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(bq.page+bq.limit)))
		next = &c
	}
	return starts, next
}

// usageResult is UsageCompletionsResult; costsResult is CostsResult.
type usageResult struct {
	Object            string  `json:"object"`
	InputTokens       int64   `json:"input_tokens"`
	InputCachedTokens int64   `json:"input_cached_tokens"`
	OutputTokens      int64   `json:"output_tokens"`
	InputAudioTokens  int64   `json:"input_audio_tokens"`
	OutputAudioTokens int64   `json:"output_audio_tokens"`
	NumModelRequests  int64   `json:"num_model_requests"`
	ProjectID         *string `json:"project_id"`
	UserID            *string `json:"user_id"`
	APIKeyID          *string `json:"api_key_id"`
	Model             *string `json:"model"`
	Batch             *bool   `json:"batch"`
	ServiceTier       *string `json:"service_tier"`
}

type costAmount struct {
	Value    float64 `json:"value"`
	Currency string  `json:"currency"`
}

type costsResult struct {
	Object       string     `json:"object"`
	Amount       costAmount `json:"amount"`
	LineItem     *string    `json:"line_item"`
	ProjectID    *string    `json:"project_id"`
	APIKeyID     *string    `json:"api_key_id"`
	Quantity     *float64   `json:"quantity"`
	QuantityUnit *string    `json:"quantity_unit"`
}

type usageBucket struct {
	Object    string `json:"object"`
	StartTime int64  `json:"start_time"`
	EndTime   int64  `json:"end_time"`
	Results   []any  `json:"results"`
}

type usagePage struct {
	Object   string        `json:"object"`
	Data     []usageBucket `json:"data"`
	HasMore  bool          `json:"has_more"`
	NextPage *string       `json:"next_page"`
}

// group is one result of a bucket: the grouping fields and the sums.
type group struct {
	project, keyID, model, lineItem string
	row                             spendRow
	cost                            float64
}

// buckets sums the spend table into the page's buckets, grouped by bq.
func (s *Server) buckets(bq bucketQuery, costs bool, result func(g group) any) usagePage {
	starts, next := bq.bucketRange()
	page := usagePage{Object: "page", Data: []usageBucket{}, HasMore: next != nil, NextPage: next}
	a := s.accounts
	a.mu.Lock()
	defer a.mu.Unlock()
	has := func(g string) bool { return slices.Contains(bq.groupBy, g) }
	// One pass over the spend table per page, each row into its bucket.
	perBucket := make([]map[group]*group, len(starts))
	for i := range perBucket {
		perBucket[i] = map[group]*group{}
	}
	var first int64
	if len(starts) > 0 {
		first = starts[0].Unix()
	}
	width := int64(bq.width / time.Second)
	for sk, r := range a.spend {
		if len(starts) == 0 || sk.hour < first {
			continue
		}
		bi := int((sk.hour - first) / width)
		if bi >= len(starts) || sk.hour >= bq.end.Unix() {
			continue
		}
		info := a.keys[sk.key]
		if info == nil {
			continue
		}
		keyID := info.openAIKeyID()
		if len(bq.keyIDs) > 0 && !slices.Contains(bq.keyIDs, keyID) ||
			len(bq.models) > 0 && !slices.Contains(bq.models, sk.model) ||
			len(bq.projects) > 0 && !slices.Contains(bq.projects, info.project) {
			continue
		}
		items := []string{""}
		if costs && has("line_item") {
			items = []string{sk.model + ", input", sk.model + ", output"}
		}
		groups := perBucket[bi]
		for _, item := range items {
			var id group
			if has("project_id") {
				id.project = info.project
			}
			if has("api_key_id") {
				id.keyID = keyID
			}
			if has("model") {
				id.model = sk.model
			}
			id.lineItem = item
			g := groups[id]
			if g == nil {
				g = &group{project: id.project, keyID: id.keyID, model: id.model, lineItem: item}
				groups[id] = g
			}
			part := *r
			switch {
			case strings.HasSuffix(item, ", input"):
				part.output = 0
			case strings.HasSuffix(item, ", output"):
				part.input, part.cached = 0, 0
			}
			g.row.input += part.input
			g.row.cached += part.cached
			g.row.output += part.output
			g.row.requests += part.requests
			g.cost += part.cost(sk.model)
		}
	}
	for bi, st := range starts {
		end := st.Add(bq.width)
		groups := perBucket[bi]
		list := make([]*group, 0, len(groups))
		for _, g := range groups {
			list = append(list, g)
		}
		sort.Slice(list, func(i, j int) bool {
			x, y := list[i], list[j]
			return x.project+"\x00"+x.keyID+"\x00"+x.model+"\x00"+x.lineItem < y.project+"\x00"+y.keyID+"\x00"+y.model+"\x00"+y.lineItem
		})
		b := usageBucket{Object: "bucket", StartTime: st.Unix(), EndTime: end.Unix(), Results: []any{}}
		for _, g := range list {
			b.Results = append(b.Results, result(*g))
		}
		page.Data = append(page.Data, b)
	}
	return page
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// usageCompletions serves GET /v1/organization/usage/completions.
func (s *Server) usageCompletions(w http.ResponseWriter, r *http.Request) {
	if !s.adminAuth(w, r) {
		return
	}
	bq, ok := s.parseBucketQuery(w, r, false)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, s.buckets(bq, false, func(g group) any {
		return usageResult{
			Object: "organization.usage.completions.result", InputTokens: g.row.input, InputCachedTokens: g.row.cached,
			OutputTokens: g.row.output, NumModelRequests: g.row.requests,
			ProjectID: optional(g.project), APIKeyID: optional(g.keyID), Model: optional(g.model),
		}
	}))
}

// organizationCosts serves GET /v1/organization/costs.
func (s *Server) organizationCosts(w http.ResponseWriter, r *http.Request) {
	if !s.adminAuth(w, r) {
		return
	}
	bq, ok := s.parseBucketQuery(w, r, true)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, s.buckets(bq, true, func(g group) any {
		return costsResult{
			Object: "organization.costs.result", Amount: costAmount{Value: g.cost, Currency: "usd"},
			LineItem: optional(g.lineItem), ProjectID: optional(g.project), APIKeyID: optional(g.keyID),
		}
	}))
}

// projectAPIKey is ProjectApiKey.
type projectAPIKey struct {
	Object             string         `json:"object"`
	RedactedValue      string         `json:"redacted_value"`
	Name               string         `json:"name"`
	CreatedAt          int64          `json:"created_at"`
	LastUsedAt         *int64         `json:"last_used_at"`
	ID                 string         `json:"id"`
	OwnerProjectAccess string         `json:"owner_project_access"`
	Owner              map[string]any `json:"owner"`
}

// redacted is a key's redacted_value: its first 8 and last 4 characters.
func redacted(secret string) string {
	if len(secret) < 16 {
		return "sk-...****"
	}
	return secret[:8] + "..." + secret[len(secret)-4:]
}

// projectAPIKeys serves GET /v1/organization/projects/{project_id}/api_keys
// (cursor pagination: limit, after, first_id, last_id, has_more).
func (s *Server) projectAPIKeys(w http.ResponseWriter, r *http.Request) {
	if !s.adminAuth(w, r) {
		return
	}
	project := r.PathValue("project_id")
	q := r.URL.Query()
	limit := 20
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			writeError(w, http.StatusBadRequest, apiError{Message: "limit must be between 1 and 100", Type: "invalid_request_error"})
			return
		}
		limit = n
	}
	a := s.accounts
	a.mu.Lock()
	secrets := a.sortedSecrets(func(k *keyInfo) bool { return k.project == project && !k.disabled })
	var list []projectAPIKey
	for _, sec := range secrets {
		info := a.keys[sec]
		owner := map[string]any{"type": "user", "user": map[string]any{"id": "user_sim", "name": "Sim User", "email": "sim@example.com", "role": "owner", "created_at": modelsCreated}}
		if info.service != "" {
			owner = map[string]any{"type": "service_account", "service_account": map[string]any{"id": info.service, "name": info.name, "role": "member", "created_at": info.created.Unix()}}
		}
		list = append(list, projectAPIKey{Object: "organization.project.api_key", RedactedValue: redacted(sec), Name: info.name,
			CreatedAt: info.created.Unix(), ID: info.openAIKeyID(), OwnerProjectAccess: "active", Owner: owner})
	}
	a.mu.Unlock()
	if project != SimProject && len(list) == 0 {
		writeError(w, http.StatusNotFound, apiError{Message: "No such project: " + project, Type: "invalid_request_error"})
		return
	}
	if after := q.Get("after"); after != "" {
		i := slices.IndexFunc(list, func(k projectAPIKey) bool { return k.ID == after })
		list = list[i+1:] // -1 (unknown cursor) starts from the beginning
	}
	more := len(list) > limit
	list = list[:min(limit, len(list))]
	out := struct {
		Object  string          `json:"object"`
		Data    []projectAPIKey `json:"data"`
		FirstID *string         `json:"first_id"`
		LastID  *string         `json:"last_id"`
		HasMore bool            `json:"has_more"`
	}{Object: "list", Data: append([]projectAPIKey{}, list...), HasMore: more}
	if len(list) > 0 {
		out.FirstID, out.LastID = &list[0].ID, &list[len(list)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
}

// createServiceAccount serves POST
// /v1/organization/projects/{project_id}/service_accounts: a service
// account with an API key whose value this response carries, once.
func (s *Server) createServiceAccount(w http.ResponseWriter, r *http.Request) {
	if !s.adminAuth(w, r) {
		return
	}
	var req struct {
		Name string `json:"name"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if json.Unmarshal(body, &req) != nil || strings.TrimSpace(req.Name) == "" {
		writeError(w, http.StatusBadRequest, apiError{Message: "name is required", Type: "invalid_request_error", Param: str("name")})
		return
	}
	now := s.opts.Now().UTC()
	secret := newSecret("sk-svcacct-")
	info := &keyInfo{name: req.Name, project: r.PathValue("project_id"), created: now, minted: true}
	a := s.accounts
	a.mu.Lock()
	a.add(secret, info)
	info.service = "svc_acct_" + info.id[16:32]
	a.mu.Unlock()
	type apiKey struct {
		Object    string `json:"object"`
		Value     string `json:"value"`
		Name      string `json:"name"`
		CreatedAt int64  `json:"created_at"`
		ID        string `json:"id"`
	}
	writeJSON(w, http.StatusOK, struct {
		Object    string `json:"object"`
		ID        string `json:"id"`
		Name      string `json:"name"`
		Role      string `json:"role"`
		CreatedAt int64  `json:"created_at"`
		APIKey    apiKey `json:"api_key"`
	}{"organization.project.service_account", info.service, req.Name, "member", now.Unix(),
		apiKey{"organization.project.service_account.api_key", secret, "Secret Key", now.Unix(), info.openAIKeyID()}})
}

// deleteServiceAccount serves DELETE
// /v1/organization/projects/{project_id}/service_accounts/{service_account_id};
// the account's key stops working.
func (s *Server) deleteServiceAccount(w http.ResponseWriter, r *http.Request) {
	if !s.adminAuth(w, r) {
		return
	}
	id, project := r.PathValue("service_account_id"), r.PathValue("project_id")
	a := s.accounts
	a.mu.Lock()
	found := false
	for _, info := range a.keys {
		if info.service == id && info.project == project && !info.disabled {
			info.disabled, found = true, true
		}
	}
	a.mu.Unlock()
	if !found {
		writeError(w, http.StatusNotFound, apiError{Message: "No such service account: " + id, Type: "invalid_request_error"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "organization.project.service_account.deleted", "id": id, "deleted": true})
}
