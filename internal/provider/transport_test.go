package provider

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"

	"github.com/vaultchat/vaultchat/internal/providers"
)

func TestParseRateLimits(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		headers map[string]string
		want    chat.RateLimits
	}{
		{
			name: "openai",
			headers: map[string]string{
				"x-ratelimit-limit-requests":     "5000",
				"x-ratelimit-limit-tokens":       "800000",
				"x-ratelimit-remaining-requests": "4999",
				"x-ratelimit-remaining-tokens":   "799975",
				"x-ratelimit-reset-requests":     "12ms",
				"x-ratelimit-reset-tokens":       "6m0s",
			},
			want: chat.RateLimits{
				LimitRequests: 5000, LimitTokens: 800000, RemainingRequests: 4999, RemainingTokens: 799975,
				ResetRequests: now.Add(12 * time.Millisecond), ResetTokens: now.Add(6 * time.Minute), Observed: now,
			},
		},
		{
			name:    "retry-after seconds, partial limits",
			headers: map[string]string{"retry-after": "20", "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1s"},
			want: chat.RateLimits{
				LimitRequests: -1, LimitTokens: -1, RemainingRequests: 0, RemainingTokens: -1,
				ResetRequests: now.Add(time.Second), RetryAfter: 20 * time.Second, Observed: now,
			},
		},
		{
			name:    "retry-after date",
			headers: map[string]string{"Retry-After": now.Add(45 * time.Second).Format(http.TimeFormat)},
			want: chat.RateLimits{
				LimitRequests: -1, LimitTokens: -1, RemainingRequests: -1, RemainingTokens: -1,
				RetryAfter: 45 * time.Second, Observed: now,
			},
		},
		{
			name:    "retry-after-ms wins",
			headers: map[string]string{"retry-after": "2", "retry-after-ms": "1500"},
			want: chat.RateLimits{
				LimitRequests: -1, LimitTokens: -1, RemainingRequests: -1, RemainingTokens: -1,
				RetryAfter: 1500 * time.Millisecond, Observed: now,
			},
		},
		{
			name:    "plain-second reset and absurd values",
			headers: map[string]string{"x-ratelimit-reset-tokens": "30", "retry-after": "99999999999"},
			want: chat.RateLimits{
				LimitRequests: -1, LimitTokens: -1, RemainingRequests: -1, RemainingTokens: -1,
				ResetTokens: now.Add(30 * time.Second), RetryAfter: maxHeaderWait, Observed: now,
			},
		},
		{
			name:    "garbage",
			headers: map[string]string{"x-ratelimit-limit-requests": "lots", "x-ratelimit-reset-tokens": "soon", "retry-after": "-3"},
			want:    chat.RateLimits{LimitRequests: -1, LimitTokens: -1, RemainingRequests: -1, RemainingTokens: -1},
		},
		{
			name:    "none",
			headers: map[string]string{"content-type": "application/json"},
			want:    chat.RateLimits{LimitRequests: -1, LimitTokens: -1, RemainingRequests: -1, RemainingTokens: -1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.headers {
				h.Set(k, v)
			}
			got := parseRateLimits(h, now)
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if got.Known() != !tt.want.Observed.IsZero() {
				t.Errorf("Known() = %v", got.Known())
			}
		})
	}
}

func setRateLimitHeaders(w http.ResponseWriter, remaining string) {
	w.Header().Set("x-ratelimit-limit-requests", "500")
	w.Header().Set("x-ratelimit-remaining-requests", remaining)
	w.Header().Set("x-ratelimit-limit-tokens", "30000")
	w.Header().Set("x-ratelimit-remaining-tokens", "29000")
	w.Header().Set("x-ratelimit-reset-requests", "6m0s")
	w.Header().Set("x-ratelimit-reset-tokens", "20ms")
}

// TestRateLimitHeadersCaptured checks the headers are read from a plain
// request, a stream, and a failed stream (whose headers go-openai drops).
func TestRateLimitHeadersCaptured(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch {
		case r.URL.Path == "/v1/models":
			setRateLimitHeaders(w, "499")
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"object":"list","data":[{"id":"gpt-4o","object":"model"}]}`))
		case n == 2:
			setRateLimitHeaders(w, "498")
			sseReply(w, "hi")
		default:
			setRateLimitHeaders(w, "0")
			w.Header().Set("Retry-After", "3")
			jsonError(w, 429, "requests", "rate_limit_exceeded", "Rate limit reached.")
		}
	})
	c := newClient(t, s, newSecret(t))
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c.tr.now = func() time.Time { return now }
	want := func(remaining int, retryAfter time.Duration) chat.RateLimits {
		return chat.RateLimits{
			LimitRequests: 500, RemainingRequests: remaining, LimitTokens: 30000, RemainingTokens: 29000,
			ResetRequests: now.Add(6 * time.Minute), ResetTokens: now.Add(20 * time.Millisecond),
			RetryAfter: retryAfter, Observed: now,
		}
	}
	if c.RateLimits().Known() {
		t.Fatal("rate limits known before any request")
	}

	if _, err := c.ListModels(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := c.RateLimits(); got != want(499, 0) {
		t.Errorf("after ListModels: %+v", got)
	}

	d := mustDone(t, collect(t, c.Stream(context.Background(), userTurn, Options{})))
	if d.RateLimits != want(498, 0) || c.RateLimits() != want(498, 0) {
		t.Errorf("after a stream: Done has %+v, client has %+v", d.RateLimits, c.RateLimits())
	}

	f := mustFail(t, collect(t, c.Stream(context.Background(), userTurn, Options{MaxRetries: -1})))
	if f.RateLimits != want(0, 3*time.Second) || c.RateLimits() != want(0, 3*time.Second) {
		t.Errorf("after a 429: Failed has %+v, client has %+v", f.RateLimits, c.RateLimits())
	}
	if f.Err.RetryAfter != 3*time.Second || !strings.Contains(f.Err.Hint, "retry in 3s") {
		t.Errorf("429 error %+v", f.Err)
	}
}

func TestOrganizationAndProjectHeaders(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if r.URL.Path == "/v1/models" {
			w.Write([]byte(`{"data":[]}`))
			return
		}
		sseReply(w, "ok")
	})
	secret := newSecret(t)
	c, err := New(Config{BaseURL: s.URL + "/v1", Secret: secret, Organization: "org-acme", Project: "proj_chat"})
	if err != nil {
		t.Fatal(err)
	}
	mustDone(t, collect(t, c.Stream(context.Background(), userTurn, Options{})))
	if _, err := c.ListModels(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, r := range s.requests() {
		if r.Header.Get("OpenAI-Organization") != "org-acme" || r.Header.Get("OpenAI-Project") != "proj_chat" {
			t.Errorf("%s %s: organization %q project %q", r.Method, r.Path, r.Header.Get("OpenAI-Organization"), r.Header.Get("OpenAI-Project"))
		}
		if r.Header.Get("Authorization") != "Bearer "+secret {
			t.Errorf("%s %s: no bearer key", r.Method, r.Path)
		}
	}
	if len(s.requests()) != 2 {
		t.Errorf("%d requests", len(s.requests()))
	}
}

func TestNoOrganizationHeadersUnlessSet(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { sseReply(w, "ok") })
	c := newClient(t, s, newSecret(t))
	mustDone(t, collect(t, c.Stream(context.Background(), userTurn, Options{})))
	h := s.requests()[0].Header
	if _, ok := h["Openai-Organization"]; ok {
		t.Error("OpenAI-Organization sent without an organization")
	}
	if _, ok := h["Openai-Project"]; ok {
		t.Error("OpenAI-Project sent without a project")
	}
}

// TestKeyPinning: a server that redirects elsewhere must not get the key
// sent there, whether the key travels as a bearer token or as Azure's
// api-key header (which net/http would forward on a redirect).
func TestKeyPinning(t *testing.T) {
	for _, provider := range []string{providers.OpenAI, providers.Azure} {
		t.Run(provider, func(t *testing.T) {
			secret := newSecret(t)
			other := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { sseReply(w, "stolen") })
			s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
			})
			c, err := New(Config{Provider: provider, BaseURL: s.URL + "/v1", Secret: secret, KeyName: "work"})
			if err != nil {
				t.Fatal(err)
			}
			f := mustFail(t, collect(t, c.Stream(context.Background(), userTurn, Options{})))
			if f.Err.Class != chat.ErrOther || f.Err.Retryable() || !strings.Contains(f.Err.Message, "pinned to "+strings.TrimPrefix(s.URL, "http://")) {
				t.Errorf("error = %+v", f.Err)
			}
			if _, err := c.ListModels(context.Background()); err == nil || !strings.Contains(err.Message, "refused to send the key") {
				t.Errorf("ListModels after a redirect: %v", err)
			}
			if n := len(other.requests()); n != 0 {
				t.Fatalf("the other host received %d requests", n)
			}
			if len(s.requests()) != 2 {
				t.Errorf("pinned host got %d requests; want 2 (no retries)", len(s.requests()))
			}
		})
	}
}

// TestTransportRefusesOtherHosts drives the transport directly, without
// the redirect check in front of it.
func TestTransportRefusesOtherHosts(t *testing.T) {
	pinned := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {})
	other := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {})
	c := newClient(t, pinned, newSecret(t))
	tests := []struct {
		url string
		ok  bool
	}{
		{pinned.URL + "/v1/models", true},
		{other.URL + "/v1/models", false},
		{strings.Replace(pinned.URL, "http://", "https://", 1) + "/v1/models", false}, // same host, other scheme
	}
	for _, tt := range tests {
		req, err := http.NewRequest("GET", tt.url, strings.NewReader("body"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.tr.RoundTrip(req)
		if resp != nil {
			resp.Body.Close()
		}
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v; want ok=%v", tt.url, err, tt.ok)
		}
	}
	if n := len(other.requests()); n != 0 {
		t.Errorf("the other host received %d requests", n)
	}
	if n := len(pinned.requests()); n != 1 {
		t.Errorf("the pinned host received %d requests; want 1", n)
	}
}

func TestSameHostRedirectIsFollowed(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if r.URL.Path == "/old/chat/completions" {
			http.Redirect(w, r, "/v1/chat/completions", http.StatusPermanentRedirect)
			return
		}
		sseReply(w, "moved")
	})
	c, err := New(Config{Provider: providers.OpenAICompatible, BaseURL: s.URL + "/old", Secret: newSecret(t)})
	if err != nil {
		t.Fatal(err)
	}
	evs := collect(t, c.Stream(context.Background(), userTurn, Options{}))
	mustDone(t, evs)
	if textOf(evs) != "moved" {
		t.Errorf("text %q", textOf(evs))
	}
}

func TestTransportLimitsErrorBodies(t *testing.T) {
	big := strings.Repeat("e", 3*maxErrorBody)
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if r.URL.Path == "/v1/ok" {
			w.Write([]byte(big))
			return
		}
		http.Error(w, big, http.StatusInternalServerError)
	})
	c := newClient(t, s, newSecret(t))
	for path, want := range map[string]int{"/v1/ok": len(big), "/v1/fail": maxErrorBody} {
		req, _ := http.NewRequest("GET", s.URL+path, nil)
		resp, err := c.tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if int(n) != want {
			t.Errorf("%s: read %d bytes; want %d", path, n, want)
		}
	}
}
