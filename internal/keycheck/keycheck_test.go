package keycheck

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/provider"
	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/vault"
)

// fakeSecret returns a random key-shaped secret made at test time.
func fakeSecret(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "sk-proj-CANARY" + hex.EncodeToString(b)
}

func testKey(t *testing.T, name, provider, baseURL string) vault.Key {
	t.Helper()
	s, err := vault.NewSecret(fakeSecret(t))
	if err != nil {
		t.Fatal(err)
	}
	return vault.Key{ID: "k_" + name, Name: name, Provider: provider, BaseURL: baseURL, Secret: s}
}

// echoHandler answers like a provider would and echoes the credentials it
// received in every error body, as a careless server might.
func echoHandler(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		creds := r.Header.Get("Authorization") + r.Header.Get("api-key")
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "7")
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, body, creds)
	}
}

func TestCheckOutcomes(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		body        string // %s is replaced by the credentials the server saw
		want        Outcome
		wantModels  int
		wantInSum   string
		wantHintSub string
	}{
		{"ok", 200, `{"object":"list","data":[{"id":"gpt-4o"},{"id":"gpt-4o-mini"},{"id":"o3"}]}%.0s`, OK, 3, "ok (3 models)", ""},
		{"ok with no models", 200, `{"object":"list","data":[]}%.0s`, OK, 0, "ok (0 models)", ""},
		{"invalid key", 401, `{"error":{"message":"Incorrect API key provided: %s","type":"invalid_request_error","code":"invalid_api_key"}}`, InvalidKey, 0, "HTTP 401", "keys rotate"},
		{"forbidden", 403, `{"error":{"message":"key %s is disabled"}}`, InvalidKey, 0, "HTTP 403", "keys rotate"},
		{"no quota", 429, `{"error":{"message":"You exceeded your current quota (%s)","type":"insufficient_quota","code":"insufficient_quota"}}`, NoQuota, 0, "insufficient_quota", "billing"},
		{"rate limited", 429, `{"error":{"message":"Rate limit reached for %s","type":"requests","code":"rate_limit_exceeded"}}`, RateLimited, 0, "HTTP 429", "7s"},
		{"server error", 500, `upstream failed for %s`, HTTPError, 0, "HTTP 500", ""},
		{"not found means a wrong base URL", 404, `no route %s`, HTTPError, 0, "HTTP 404", "--base-url"},
		{"bad request", 400, `{"error":{"message":"bad header %s"}}`, HTTPError, 0, "HTTP 400", ""},
		{"html instead of a model list", 200, `<html>login page %s</html>`, BadResponse, 0, "not a model list", "/v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(echoHandler(tt.status, tt.body))
			defer srv.Close()
			k := testKey(t, "work", providers.OpenAI, srv.URL+"/v1")
			c := New(redact.New(k.Secret.Reveal()))
			res := c.Check(context.Background(), k)
			if res.Outcome != tt.want {
				t.Fatalf("Outcome = %q (%s); want %q", res.Outcome, res.Summary(), tt.want)
			}
			if res.OK() != (tt.want == OK) {
				t.Errorf("OK() = %v for outcome %q", res.OK(), res.Outcome)
			}
			if res.Models != tt.wantModels {
				t.Errorf("Models = %d; want %d", res.Models, tt.wantModels)
			}
			if res.Status != tt.status {
				t.Errorf("Status = %d; want %d", res.Status, tt.status)
			}
			if !strings.Contains(res.Summary(), tt.wantInSum) {
				t.Errorf("Summary = %q; want it to contain %q", res.Summary(), tt.wantInSum)
			}
			if !strings.Contains(res.Hint, tt.wantHintSub) {
				t.Errorf("Hint = %q; want it to contain %q", res.Hint, tt.wantHintSub)
			}
			secret := k.Secret.Reveal()
			for _, s := range []string{res.Summary(), res.Detail, res.Hint} {
				if strings.Contains(s, secret) {
					t.Errorf("result text leaks the secret: %q", s)
				}
			}
		})
	}
}

func TestCheckRedactsEchoedSecretAndControls(t *testing.T) {
	srv := httptest.NewServer(echoHandler(401, "{\"error\":{\"message\":\"bad key %s \x1b]52;c;aGk=\x07\"}}"))
	defer srv.Close()
	k := testKey(t, "work", providers.OpenAI, srv.URL)
	other := fakeSecret(t)
	c := New(redact.New(k.Secret.Reveal(), other))
	res := c.Check(context.Background(), k)
	if strings.Contains(res.Detail, k.Secret.Reveal()) {
		t.Fatalf("Detail leaks the secret: %q", res.Detail)
	}
	if !strings.Contains(res.Detail, k.Secret.Masked()) {
		t.Errorf("Detail = %q; want the masked form %q where the server echoed the key", res.Detail, k.Secret.Masked())
	}
	if strings.ContainsAny(res.Detail, "\x1b\x07") {
		t.Errorf("Detail keeps terminal control characters: %q", res.Detail)
	}
}

func TestRequestHeaders(t *testing.T) {
	type seen struct {
		path, query, auth, apiKey, org, project string
	}
	tests := []struct {
		name   string
		mod    func(k *vault.Key, base string)
		want   func(secret string) seen
		suffix string
	}{
		{"openai with org and project", func(k *vault.Key, base string) {
			k.Organization, k.Project = "org-123", "proj_456"
		}, func(s string) seen {
			return seen{path: "/v1/models", auth: "Bearer " + s, org: "org-123", project: "proj_456"}
		}, "/v1"},
		{"openai-compatible", func(k *vault.Key, base string) {
			k.Provider = providers.OpenAICompatible
		}, func(s string) seen {
			return seen{path: "/api/v1/models", auth: "Bearer " + s}
		}, "/api/v1/"},
		{"azure classic api with version", func(k *vault.Key, base string) {
			k.Provider, k.AzureAPIVersion = providers.Azure, "2025-01-01-preview"
		}, func(s string) seen {
			return seen{path: "/openai/models", query: "api-version=2025-01-01-preview", apiKey: s}
		}, ""},
		{"azure default version", func(k *vault.Key, base string) {
			k.Provider = providers.Azure
		}, func(s string) seen {
			return seen{path: "/openai/models", query: "api-version=" + provider.DefaultAzureAPIVersion, apiKey: s}
		}, ""},
		{"azure v1 api", func(k *vault.Key, base string) {
			k.Provider = providers.Azure
		}, func(s string) seen {
			return seen{path: "/openai/v1/models", apiKey: s}
		}, "/openai/v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got seen
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = seen{r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"), r.Header.Get("api-key"),
					r.Header.Get("OpenAI-Organization"), r.Header.Get("OpenAI-Project")}
				fmt.Fprint(w, `{"data":[{"id":"m"}]}`)
			}))
			defer srv.Close()
			k := testKey(t, "k", providers.OpenAI, srv.URL+tt.suffix)
			tt.mod(&k, srv.URL)
			res := New(nil).Check(context.Background(), k)
			if !res.OK() {
				t.Fatalf("check failed: %s", res.Summary())
			}
			if want := tt.want(k.Secret.Reveal()); got != want {
				t.Errorf("server saw %+v; want %+v", got, want)
			}
		})
	}
}

func TestRedirectIsNeverFollowed(t *testing.T) {
	var hits atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, `{"data":[]}`)
	}))
	defer elsewhere.Close()
	for _, sameHost := range []bool{false, true} {
		t.Run(fmt.Sprintf("same host %v", sameHost), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/moved/models" {
					hits.Add(1)
					fmt.Fprint(w, `{"data":[]}`)
					return
				}
				target := elsewhere.URL + "/v1/models"
				if sameHost {
					target = "/moved/models"
				}
				http.Redirect(w, r, target, http.StatusFound)
			}))
			defer srv.Close()
			for _, provider := range []string{providers.OpenAI, providers.Azure} {
				k := testKey(t, "k", provider, srv.URL+"/v1")
				res := New(nil).Check(context.Background(), k)
				if res.Outcome != HTTPError || res.Status != http.StatusFound {
					t.Errorf("%s: outcome %q status %d; want a refused redirect", provider, res.Outcome, res.Status)
				}
				if !strings.Contains(res.Detail, "refused") {
					t.Errorf("%s: Detail = %q; want it to say the redirect was refused", provider, res.Detail)
				}
			}
			if n := hits.Load(); n != 0 {
				t.Errorf("the redirect target was requested %d times", n)
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now

	k := testKey(t, "gone", providers.OpenAICompatible, "http://"+addr+"/v1")
	res := New(nil).Check(context.Background(), k)
	if res.Outcome != Unreachable || res.Status != 0 {
		t.Fatalf("Outcome = %q status %d; want unreachable", res.Outcome, res.Status)
	}
	if res.Hint == "" {
		t.Error("unreachable result has no hint")
	}
}

func TestTimeoutIsUnreachable(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	k := testKey(t, "slow", providers.OpenAI, srv.URL)
	c := New(nil)
	c.Timeout = 50 * time.Millisecond
	res := c.Check(context.Background(), k)
	if res.Outcome != Unreachable {
		t.Fatalf("Outcome = %q; want unreachable", res.Outcome)
	}
	if !strings.Contains(res.Detail, "no answer") {
		t.Errorf("Detail = %q; want it to say there was no answer", res.Detail)
	}
}

func TestBadBaseURL(t *testing.T) {
	k := testKey(t, "bad", providers.OpenAI, "ftp://example.invalid")
	res := New(nil).Check(context.Background(), k)
	if res.Outcome != Unreachable || !strings.Contains(res.Detail, "not an http(s) URL") {
		t.Errorf("got %q %q; want an unreachable result about the URL", res.Outcome, res.Detail)
	}
}

func TestCheckAllOrderAndConcurrency(t *testing.T) {
	// Every request waits until all of them have arrived, so the test only
	// finishes if the checks really run at the same time.
	const n = 5
	all := make(chan struct{})
	var count atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if count.Add(1) == n {
			close(all)
		}
		<-all
		if r.URL.Path == "/bad/models" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"data":[{"id":"a"}]}`)
	}))
	defer srv.Close()
	names := []string{"echo", "alpha", "delta", "charlie", "bravo"}
	var keys []vault.Key
	for _, name := range names {
		base := srv.URL
		if name == "charlie" {
			base += "/bad"
		}
		keys = append(keys, testKey(t, name, providers.OpenAI, base))
	}
	c := New(nil)
	c.Concurrency = n
	results := c.CheckAll(context.Background(), keys)
	var got []string
	for _, r := range results {
		got = append(got, r.Name+"="+r.Outcome.String())
	}
	want := "alpha=ok bravo=ok charlie=invalid key delta=ok echo=ok"
	if strings.Join(got, " ") != want {
		t.Errorf("results = %v; want %s", got, want)
	}
}

func TestSummary(t *testing.T) {
	tests := []struct {
		r    Result
		want string
	}{
		{Result{Outcome: OK, Models: 1}, "ok (1 model)"},
		{Result{Outcome: OK, Models: 12}, "ok (12 models)"},
		{Result{Outcome: Unreachable}, "unreachable"},
		{Result{Outcome: InvalidKey, Detail: "invalid API key (HTTP 401)"}, "invalid key: invalid API key (HTTP 401)"},
	}
	for _, tt := range tests {
		if got := tt.r.Summary(); got != tt.want {
			t.Errorf("Summary(%+v) = %q; want %q", tt.r, got, tt.want)
		}
	}
}

// TestAbsurdRetryAfter: a Retry-After too large for a time.Duration is
// capped by the provider's one rule, as a chat turn caps it, instead of
// overflowing into a nonsense wait.
func TestAbsurdRetryAfter(t *testing.T) {
	for _, v := range []string{"99999999999999", "1e300", "Fri, 31 Dec 9999 23:59:59 GMT"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", v)
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}`)
		}))
		k := testKey(t, "k", providers.OpenAI, srv.URL+"/v1")
		res := New(nil).Check(context.Background(), k)
		srv.Close()
		if res.Outcome != RateLimited || !strings.Contains(res.Hint, "retry in 24h0m0s") {
			t.Errorf("Retry-After %s: %s, hint %q; want the wait capped at 24h", v, res.Summary(), res.Hint)
		}
	}
}

// TestRecordedOutcome reads back what the CLI records in the vault.
func TestRecordedOutcome(t *testing.T) {
	now := time.Now()
	for o := OK; o <= Unreachable; o++ {
		if got := Recorded(vault.Check{At: now, Status: o.String()}); got != o {
			t.Errorf("Recorded(%q) = %v", o.String(), got)
		}
	}
	if got := Recorded(vault.Check{Status: InvalidKey.String()}); got != Unknown {
		t.Errorf("a check never made reads as %v", got)
	}
	if got := Recorded(vault.Check{At: now, Status: "something new"}); got != Unknown {
		t.Errorf("an unknown status reads as %v", got)
	}
}

// TestSummarySaysTheOutcomeOnce: a detail that already names the outcome
// (the provider's "unexpected response from HOST: …") is not prefixed
// with it again.
func TestSummarySaysTheOutcomeOnce(t *testing.T) {
	huge := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"object":"list","data":[`)
		entry := `{"id":"sim-model","object":"model","created":0,"owned_by":"x"},`
		for range 9 << 20 / len(entry) {
			fmt.Fprint(w, entry)
		}
		fmt.Fprint(w, `{"id":"last"}]}`)
	}
	for name, h := range map[string]http.HandlerFunc{
		"oversized model list": huge,
		"html page":            echoHandler(200, `<html>login page%.0s</html>`),
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(h)
			defer srv.Close()
			k := testKey(t, "mh", providers.OpenAI, srv.URL+"/v1")
			res := New(redact.New(k.Secret.Reveal())).Check(context.Background(), k)
			sum := res.Summary()
			if res.Outcome != BadResponse || !strings.HasPrefix(sum, "unexpected response from 127.0.0.1:") || strings.Count(sum, "unexpected response") != 1 {
				t.Fatalf("Summary = %q (outcome %s); want one \"unexpected response from 127.0.0.1:…\"", sum, res.Outcome)
			}
		})
	}
}
