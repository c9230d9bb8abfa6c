package keycheck

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/vault"
)

// keylessKey is a local server's key stored without a secret (the
// placeholder "keys add" stores).
func keylessKey(t *testing.T, name, provider, baseURL string) vault.Key {
	t.Helper()
	s, err := vault.NewSecret(providers.NoKey)
	if err != nil {
		t.Fatal(err)
	}
	return vault.Key{ID: "k_" + name, Name: name, Provider: provider, BaseURL: baseURL, Secret: s}
}

// TestCheckLocalPresets checks keys of the local presets the way they
// differ: no key needed (a model list is enough), a hint that says how
// to start the server when it is not running, and a hint to store a key
// when the server was started with one.
func TestCheckLocalPresets(t *testing.T) {
	models := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/models" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"object":"list","data":[{"id":"llama3.2","object":"model"}]}`))
	}))
	defer models.Close()
	c := New(redact.New())

	for _, kind := range []string{providers.Ollama, providers.LMStudio, providers.VLLM} {
		res := c.Check(context.Background(), keylessKey(t, kind, kind, models.URL+"/v1"))
		if !res.OK() || res.Models != 1 {
			t.Errorf("%s without a key: %s", kind, res.Summary())
		}
	}

	// Nothing listens on a port just closed.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/v1"
	l.Close()
	res := c.Check(context.Background(), keylessKey(t, "local", providers.Ollama, closed))
	if res.Outcome != Unreachable || !strings.Contains(res.Hint, `start it with "ollama serve"`) || !strings.Contains(res.Hint, "keys edit local --base-url") {
		t.Errorf("ollama not running: %s; hint %q", res.Summary(), res.Hint)
	}
	res = c.Check(context.Background(), testKey(t, "hosted", providers.Groq, closed))
	if res.Outcome != Unreachable || strings.Contains(res.Hint, "serve") {
		t.Errorf("hosted provider unreachable: %s; hint %q", res.Summary(), res.Hint)
	}

	wantsKey := httptest.NewServer(echoHandler(http.StatusUnauthorized, `{"error":{"message":"bad key %s"}}`))
	defer wantsKey.Close()
	res = c.Check(context.Background(), keylessKey(t, "gpu", providers.VLLM, wantsKey.URL+"/v1"))
	if res.Outcome != InvalidKey || !strings.Contains(res.Hint, "the server wants a key") || !strings.Contains(res.Hint, "keys rotate gpu") {
		t.Errorf("vllm started with --api-key: %s; hint %q", res.Summary(), res.Hint)
	}
}
