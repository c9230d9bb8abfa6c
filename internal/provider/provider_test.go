package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/redact"

	"github.com/vaultchat/vaultchat/internal/providers"
)

func TestNewValidates(t *testing.T) {
	secret := newSecret(t)
	tests := []struct {
		name string
		cfg  Config
		want string // part of the error; "" for success
	}{
		{"openai default URL", Config{Secret: secret}, ""},
		{"compatible", Config{Provider: providers.OpenAICompatible, BaseURL: "http://127.0.0.1:9/v1/", Secret: secret}, ""},
		{"compatible without key", Config{Provider: providers.OpenAICompatible, BaseURL: "http://127.0.0.1:9/v1"}, ""},
		{"azure", Config{Provider: providers.Azure, BaseURL: "https://acme.openai.azure.com", Secret: secret}, ""},
		{"unknown provider", Config{Provider: "claude", Secret: secret}, "unknown provider"},
		{"azure without URL", Config{Provider: providers.Azure, Secret: secret}, "needs a base URL"},
		{"not http", Config{Provider: providers.OpenAICompatible, BaseURL: "ftp://example.com", Secret: secret}, "not an http(s) URL"},
		{"no host", Config{Provider: providers.OpenAICompatible, BaseURL: "http:///v1", Secret: secret}, "not an http(s) URL"},
		{"credentials", Config{Provider: providers.OpenAICompatible, BaseURL: "https://u:p@example.com/v1", Secret: secret}, "credentials"},
		{"query", Config{Provider: providers.OpenAICompatible, BaseURL: "https://example.com/v1?key=" + secret, Secret: secret}, "query"},
		{"redactor without the key", Config{Secret: "azure0123456789abcdef0123456789ab", Redactor: redact.New("other-secret-value-123456")}, "redactor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg)
			if tt.want == "" {
				if err != nil || c == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: err = %v; want it to mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), tt.cfg.Secret) && tt.cfg.Secret != "" {
				t.Fatalf("error leaks the secret: %v", err)
			}
		})
	}
}

func TestConfigFormatHidesSecret(t *testing.T) {
	secret := newSecret(t)
	cfg := Config{Provider: providers.OpenAI, BaseURL: "https://api.openai.com/v1", Secret: secret, KeyName: "work"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		out := fmt.Sprintf(verb, cfg)
		if strings.Contains(out, secret) || !strings.Contains(out, redact.Mask(secret)) {
			t.Errorf("%s printed %s", verb, out)
		}
	}
}

func TestListModels(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"object":"list","data":[{"id":"gpt-4o-mini"},{"id":"evil\u001b]0;title\u0007"},{"id":"gpt-4.1"}]}`))
	})
	c := newClient(t, s, newSecret(t))
	ids, err := c.ListModels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 3 || ids[1] != "gpt-4.1" || ids[2] != "gpt-4o-mini" {
		t.Fatalf("ids = %q", ids)
	}
	if strings.ContainsAny(ids[0], "\x1b\x07") {
		t.Errorf("model ID not sanitized: %q", ids[0])
	}
	if r := s.requests()[0]; r.Method != "GET" || r.Path != "/v1/models" {
		t.Errorf("request %s %s", r.Method, r.Path)
	}
}

// TestAnthropicSendsItsOwnHeaders: Anthropic's model list is its native
// Models API, which authenticates with x-api-key and wants an
// anthropic-version; its OpenAI-compatible chat takes the bearer token.
// An anthropic key sends both on every request (only to its own host).
func TestAnthropicSendsItsOwnHeaders(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if r.URL.Path == "/v1/models" {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"data":[{"id":"claude-sonnet-4-5","type":"model"}],"has_more":false}`))
			return
		}
		sseReply(w, "from claude")
	})
	secret := "sk-ant-api03-" + strings.TrimPrefix(newSecret(t), "sk-proj-")
	c, err := New(Config{Provider: providers.Anthropic, BaseURL: s.URL + "/v1", Secret: secret, Redactor: redact.New(secret)})
	if err != nil {
		t.Fatal(err)
	}
	if ids, err := c.ListModels(context.Background()); err != nil || len(ids) != 1 {
		t.Fatalf("ListModels = %v, %v", ids, err)
	}
	mustDone(t, collect(t, c.Stream(context.Background(), userTurn, Options{})))
	for _, r := range s.requests() {
		if r.Header.Get("x-api-key") != secret || r.Header.Get("anthropic-version") == "" || r.Header.Get("Authorization") != "Bearer "+secret {
			t.Errorf("%s: x-api-key sent %v, anthropic-version %q, bearer sent %v", r.Path,
				r.Header.Get("x-api-key") == secret, r.Header.Get("anthropic-version"), r.Header.Get("Authorization") != "")
		}
	}
}

func TestListModelsInvalidKey(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		jsonError(w, 401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided: "+r.Header.Get("Authorization"))
	})
	secret := newSecret(t)
	c := newClient(t, s, secret)
	_, err := c.ListModels(context.Background())
	if err == nil || err.Class != chat.ErrInvalidKey || !strings.Contains(err.Hint, "vaultchat keys check work") {
		t.Fatalf("err = %+v", err)
	}
	if strings.Contains(err.Message, secret) || !strings.Contains(err.Message, redact.Mask(secret)) {
		t.Errorf("message %q: want the key masked", err.Message)
	}
}

func TestAzure(t *testing.T) {
	secret := "azure" + strings.TrimPrefix(newSecret(t), "sk-proj-") // Azure keys have no prefix
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { sseReply(w, "from azure") })
	c, err := New(Config{
		Provider:         providers.Azure,
		BaseURL:          s.URL,
		Secret:           secret,
		Redactor:         redact.New(secret),
		AzureDeployments: map[string]string{"gpt-4o-mini": "chat-small"},
	})
	if err != nil {
		t.Fatal(err)
	}
	evs := collect(t, c.Stream(context.Background(), userTurn, Options{}))
	mustDone(t, evs)
	other := userTurn
	other.Model = "gpt-4.1"
	mustDone(t, collect(t, c.Stream(context.Background(), other, Options{})))

	reqs := s.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	wantPaths := []string{"/openai/deployments/chat-small/chat/completions", "/openai/deployments/gpt-4.1/chat/completions"}
	for i, r := range reqs {
		if r.Path != wantPaths[i] || r.Query != "api-version="+DefaultAzureAPIVersion {
			t.Errorf("request %d: %s?%s", i, r.Path, r.Query)
		}
		if r.Header.Get("api-key") != secret || r.Header.Get("Authorization") != "" {
			t.Errorf("request %d: api-key sent %v, authorization sent %v", i, r.Header.Get("api-key") != "", r.Header.Get("Authorization") != "")
		}
	}
	if textOf(evs) != "from azure" {
		t.Errorf("text %q", textOf(evs))
	}

	c2, err := New(Config{Provider: providers.Azure, BaseURL: s.URL + "/", Secret: secret, AzureAPIVersion: "2025-01-01-preview"})
	if err != nil {
		t.Fatal(err)
	}
	mustDone(t, collect(t, c2.Stream(context.Background(), userTurn, Options{})))
	if r := s.requests()[2]; r.Path != "/openai/deployments/gpt-4o-mini/chat/completions" || r.Query != "api-version=2025-01-01-preview" {
		t.Errorf("explicit version: %s?%s", r.Path, r.Query)
	}
}

// eventText renders every field of every event, so that a secret anywhere
// in them is found.
func eventText(evs []chat.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		fmt.Fprintf(&b, "%#v\n", ev)
		if f, ok := ev.(chat.Failed); ok {
			j, _ := json.Marshal(f.Err)
			b.Write(j)
		}
		if r, ok := ev.(chat.Retrying); ok {
			j, _ := json.Marshal(r.Err)
			b.Write(j)
		}
	}
	return b.String()
}

// TestSecretNeverInEvents uses servers that echo the key back in every
// place a server can put text: a JSON error message, a plain error body,
// an error event mid-stream, and the streamed reply itself, split across
// chunks at every possible point.
func TestSecretNeverInEvents(t *testing.T) {
	authOf := func(r *http.Request) string {
		if k := r.Header.Get("api-key"); k != "" {
			return k
		}
		return r.Header.Get("Authorization")
	}
	split := func(s string, n int) []string {
		var out []string
		for i := 0; i < len(s); i += n {
			out = append(out, s[i:min(i+n, len(s))])
		}
		return out
	}
	tests := []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request)
	}{
		{"401 JSON message", func(w http.ResponseWriter, r *http.Request) {
			jsonError(w, 401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided: "+authOf(r)+".")
		}},
		{"500 plain body", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "debug dump: headers="+authOf(r)+" end", 500)
		}},
		{"400 body with key at the cut", func(w http.ResponseWriter, r *http.Request) {
			// chat.ClassifyHTTP shortens details to 300 bytes; put the
			// key across that point.
			http.Error(w, strings.Repeat("x", 276)+" "+authOf(r), http.StatusTeapot)
		}},
		{"error event", func(w http.ResponseWriter, r *http.Request) {
			startSSE(w)
			sseEvent(w, map[string]any{"error": map[string]any{"message": "bad key " + authOf(r), "type": "server_error"}})
		}},
		{"streamed reply, 1-byte chunks", func(w http.ResponseWriter, r *http.Request) {
			sseReply(w, split("Your key is "+authOf(r)+", keep it safe.", 1)...)
		}},
		{"streamed reply, 5-byte chunks", func(w http.ResponseWriter, r *http.Request) {
			sseReply(w, split("Key="+authOf(r)+"\x1b[0m", 5)...)
		}},
		{"streamed reply, then cut", func(w http.ResponseWriter, r *http.Request) {
			startSSE(w)
			for _, p := range split("leak "+authOf(r), 7) {
				sseText(w, p)
			}
		}},
		{"finish reason", func(w http.ResponseWriter, r *http.Request) {
			startSSE(w)
			sseText(w, "hi")
			sseFinish(w, authOf(r))
			sseDone(w)
		}},
	}
	for _, provider := range []string{providers.OpenAICompatible, providers.Azure} {
		for _, tt := range tests {
			t.Run(provider+"/"+tt.name, func(t *testing.T) {
				secret := newSecret(t)
				s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { tt.handler(w, r) })
				base := s.URL + "/v1"
				if provider == providers.Azure {
					base = s.URL
				}
				c, err := New(Config{Provider: provider, BaseURL: base, Secret: secret, KeyName: "work", Redactor: redact.New(secret)})
				if err != nil {
					t.Fatal(err)
				}
				evs := collect(t, c.Stream(context.Background(), userTurn, Options{MaxRetries: -1}))
				checkShape(t, evs)
				all := eventText(evs)
				// No part of the secret may show: the masked form keeps
				// only its prefix and last four characters, and
				// "CANARY" is in the middle.
				if strings.Contains(all, secret[:len(secret)-4]) || strings.Contains(all, "CANARY") {
					t.Fatalf("secret in events:\n%s", all)
				}
				if len(s.requests()) == 0 || authOf(&http.Request{Header: s.requests()[0].Header}) == "" {
					t.Fatal("the server never saw the key; the test proves nothing")
				}
			})
		}
	}
}
