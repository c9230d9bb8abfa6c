package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func get(t *testing.T, url, key string) (*http.Response, map[string]any) {
	t.Helper()
	resp, body, err := do(context.Background(), http.MethodGet, url, nil, bearer(key))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("GET %s: not JSON: %s", url, body)
	}
	return resp, v
}

// The usage endpoint's shape is OpenAI's UsageResponse: a page of
// buckets, has_more and next_page, null when done; results carry the
// grouping fields and null for the others.
func TestUsageCompletionsShapeAndPages(t *testing.T) {
	key, admin := fakeKey(t), fakeKey(t)
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	s, base := start(t, Options{Keys: []string{key}, AdminKeys: []string{admin}, Now: func() time.Time { return now }})
	s.SpendElsewhere(key, "gpt-4o", now.Add(-48*time.Hour), 100, 20, 2)
	url := fmt.Sprintf("%s/organization/usage/completions?start_time=%d&group_by=api_key_id&group_by=model&limit=2", base, now.AddDate(0, 0, -3).Unix())
	pages, buckets, tokens := 0, 0, 0.0
	for url != "" {
		resp, v := get(t, url, admin)
		if resp.StatusCode != 200 || v["object"] != "page" {
			t.Fatalf("HTTP %d %v", resp.StatusCode, v)
		}
		pages++
		for _, b := range v["data"].([]any) {
			buckets++
			bm := b.(map[string]any)
			if bm["object"] != "bucket" || bm["end_time"].(float64)-bm["start_time"].(float64) != 86400 {
				t.Fatalf("bucket %v", bm)
			}
			for _, r := range bm["results"].([]any) {
				rm := r.(map[string]any)
				if rm["object"] != "organization.usage.completions.result" || rm["model"] != "gpt-4o" || !strings.HasPrefix(rm["api_key_id"].(string), "key_") || rm["project_id"] != nil {
					t.Fatalf("result %v", rm)
				}
				tokens += rm["input_tokens"].(float64) + rm["output_tokens"].(float64)
			}
		}
		url = ""
		if next, _ := v["next_page"].(string); next != "" {
			if v["has_more"] != true {
				t.Fatal("next_page without has_more")
			}
			url = fmt.Sprintf("%s/organization/usage/completions?start_time=%d&group_by=api_key_id,model&limit=2&page=%s", base, now.AddDate(0, 0, -3).Unix(), next)
		} else if v["next_page"] != nil || v["has_more"] != false {
			t.Fatalf("last page: %v %v", v["has_more"], v["next_page"])
		}
	}
	if pages != 2 || buckets != 4 || tokens != 120 {
		t.Fatalf("%d pages, %d buckets, %v tokens", pages, buckets, tokens)
	}
	resp, _ := get(t, base+"/organization/usage/completions", admin)
	if resp.StatusCode != 400 {
		t.Fatalf("no start_time: HTTP %d", resp.StatusCode)
	}
	resp, _ = get(t, fmt.Sprintf("%s/organization/usage/completions?start_time=1&limit=32", base), admin)
	if resp.StatusCode != 400 {
		t.Fatalf("limit 32 for 1d: HTTP %d", resp.StatusCode)
	}
}

func TestAdminThrottleAndKinds(t *testing.T) {
	key, admin, mgmt := fakeKey(t), fakeKey(t), fakeKey(t)
	_, base := start(t, Options{Keys: []string{key}, AdminKeys: []string{admin}, ManagementKeys: []string{mgmt}, AdminThrottle: 2})
	url := base + "/organization/costs?start_time=1"
	if resp, _ := get(t, url, admin); resp.StatusCode != 200 {
		t.Fatalf("first: HTTP %d", resp.StatusCode)
	}
	resp, _ := get(t, url, admin)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("second: HTTP %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp, _ := get(t, url, key); resp.StatusCode != 403 {
		t.Fatalf("a project key on the admin API: HTTP %d", resp.StatusCode)
	}
	for _, k := range []string{admin, mgmt} {
		resp, _ := post(t, base+"/chat/completions", chatBody("sim-fast", false, nil, msg{"user", "hi"}), bearer(k))
		if resp.StatusCode != 401 {
			t.Fatalf("chat with an admin key: HTTP %d", resp.StatusCode)
		}
	}
	orBase := strings.TrimSuffix(base, "/v1") + "/api/v1"
	resp, body := post(t, orBase+"/keys", map[string]any{"name": "x"}, bearer(key))
	if resp.StatusCode != 403 {
		t.Fatalf("mint with a chat key: HTTP %d %s", resp.StatusCode, body)
	}
}

// OpenRouter: create (201, the key once beside data.hash), the key's own
// view, disable, delete.
func TestOpenRouterKeyLifecycle(t *testing.T) {
	mgmt := fakeKey(t)
	s, base := start(t, Options{Keys: []string{fakeKey(t)}, ManagementKeys: []string{mgmt}})
	orBase := strings.TrimSuffix(base, "/v1") + "/api/v1"
	resp, body := post(t, orBase+"/keys", map[string]any{"name": "ci", "limit": 5, "limit_reset": "weekly", "expires_at": "2030-01-01T00:00:00+02:00"}, bearer(mgmt))
	if resp.StatusCode != 400 {
		t.Fatalf("expires_at not in UTC: HTTP %d %s", resp.StatusCode, body)
	}
	resp, body = post(t, orBase+"/keys", map[string]any{"name": "ci", "limit": 5, "limit_reset": "weekly"}, bearer(mgmt))
	var created struct {
		Data map[string]any `json:"data"`
		Key  string         `json:"key"`
	}
	if resp.StatusCode != 201 || json.Unmarshal(body, &created) != nil || created.Key == "" || created.Data["hash"] == "" || created.Data["limit_remaining"] != 5.0 {
		t.Fatalf("create: HTTP %d %s", resp.StatusCode, body)
	}
	s.SpendElsewhere(created.Key, "gpt-4o", time.Now(), 1_000_000, 0, 1) // $2.50
	_, v := get(t, orBase+"/key", created.Key)
	d := v["data"].(map[string]any)
	if d["usage"] != 2.5 || d["usage_weekly"] != 2.5 || d["limit_remaining"] != 2.5 || d["limit_reset"] != "weekly" || d["is_management_key"] != false {
		t.Fatalf("key info %v", d)
	}
	if strings.Contains(fmt.Sprint(d), created.Key) {
		t.Fatal("the key's label is the whole key")
	}
	hash := created.Data["hash"].(string)
	resp, _, _ = do(context.Background(), http.MethodPatch, orBase+"/keys/"+hash, map[string]any{"disabled": true}, bearer(mgmt))
	if resp.StatusCode != 200 {
		t.Fatalf("disable: HTTP %d", resp.StatusCode)
	}
	if resp, _ := get(t, orBase+"/key", created.Key); resp.StatusCode != 401 {
		t.Fatalf("a disabled key: HTTP %d", resp.StatusCode)
	}
	resp, body, _ = do(context.Background(), http.MethodDelete, orBase+"/keys/"+hash, nil, bearer(mgmt))
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"deleted":true`) {
		t.Fatalf("delete: HTTP %d %s", resp.StatusCode, body)
	}
	resp, _, _ = do(context.Background(), http.MethodDelete, orBase+"/keys/"+hash, nil, bearer(mgmt))
	if resp.StatusCode != 404 {
		t.Fatalf("delete again: HTTP %d", resp.StatusCode)
	}
}

// TestAnyAccountKey is "vaultchat simulate --accounts": with no keys
// listed, any sk-admin-… key reads the OpenAI admin API (and cannot
// chat), and any key may use OpenRouter's management API; without the
// option both are refused.
func TestAnyAccountKey(t *testing.T) {
	admin := "sk-admin-" + strings.TrimPrefix(fakeKey(t), "sk-")
	mgmt := "sk-or-v1-" + strings.TrimPrefix(fakeKey(t), "sk-")
	for _, anyKey := range []bool{false, true} {
		_, base := start(t, Options{AnyAccountKey: anyKey})
		orBase := strings.TrimSuffix(base, "/v1") + "/api/v1"
		want, wantMint := 401, 401
		if anyKey {
			want, wantMint = 200, 201
		}
		if resp, _ := get(t, base+"/organization/costs?start_time=1", admin); resp.StatusCode != want {
			t.Errorf("AnyAccountKey %v: admin API: HTTP %d; want %d", anyKey, resp.StatusCode, want)
		}
		if resp, body := post(t, orBase+"/keys", map[string]any{"name": "x"}, bearer(mgmt)); resp.StatusCode != wantMint {
			t.Errorf("AnyAccountKey %v: mint: HTTP %d %s; want %d", anyKey, resp.StatusCode, body, wantMint)
		}
		if anyKey {
			if resp, _ := post(t, base+"/chat/completions", chatBody("sim-fast", false, nil, msg{"user", "hi"}), bearer(admin)); resp.StatusCode != 401 {
				t.Errorf("chat with an admin key: HTTP %d", resp.StatusCode)
			}
		}
	}
}

// TestAnyAccountKeyAsksAboutItself: with AnyAccountKey ("simulate
// --accounts"), a management key nobody configured asks GET /api/v1/key
// about itself; the handler read it as a chat key with no record and
// panicked, and the simulator then hung for every client.
func TestAnyAccountKeyAsksAboutItself(t *testing.T) {
	_, base := start(t, Options{AnyAccountKey: true})
	orBase := strings.TrimSuffix(base, "/v1") + "/api/v1"
	resp, v := get(t, orBase+"/key", fakeKey(t))
	if resp.StatusCode != 200 {
		t.Fatalf("HTTP %d %v", resp.StatusCode, v)
	}
	if d, _ := v["data"].(map[string]any); d["is_management_key"] != true {
		t.Errorf("data %v; want a management key", v["data"])
	}
}
