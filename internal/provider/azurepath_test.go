package provider

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/vaultchat/vaultchat/internal/redact"

	"github.com/vaultchat/vaultchat/internal/providers"
)

// TestAzureDeploymentStaysOneSegment checks that a model or deployment
// name cannot change the request path or its query: Azure puts the
// deployment in the URL path, and a model name can come from an imported
// conversation or a server's model list. Unescaped, "../../x" would climb
// out of /openai/deployments/ and "?" or "#" would drop the api-version.
func TestAzureDeploymentStaysOneSegment(t *testing.T) {
	secret := "azure" + strings.TrimPrefix(newSecret(t), "sk-proj-")
	var (
		mu   sync.Mutex
		uris []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		uris = append(uris, r.RequestURI)
		mu.Unlock()
		sseReply(w, "ok")
	}))
	defer srv.Close()
	c, err := New(Config{
		Provider:         providers.Azure,
		BaseURL:          srv.URL,
		Secret:           secret,
		Redactor:         redact.New(secret),
		AzureDeployments: map[string]string{"mapped": "team/../../admin"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ model, deployment string }{
		{"gpt-4o", "gpt-4o"},
		{"../../v1/evil", "../../v1/evil"},
		{"x?api-version=2000-01-01&", "x?api-version=2000-01-01&"},
		{"a#frag", "a#frag"},
		{"a b%2F", "a b%2F"},
		{"mapped", "team/../../admin"},
		{"..", ".."},
	}
	for i, tt := range tests {
		req := userTurn
		req.Model = tt.model
		mustDone(t, collect(t, c.Stream(context.Background(), req, Options{MaxRetries: -1})))
		mu.Lock()
		got := uris[i]
		mu.Unlock()
		segment := url.PathEscape(tt.deployment)
		if tt.deployment == ".." {
			segment = "%2E%2E"
		}
		want := "/openai/deployments/" + segment + "/chat/completions?api-version=" + DefaultAzureAPIVersion
		if got != want {
			t.Errorf("model %q: request URI %q, want %q", tt.model, got, want)
		}
	}
}
