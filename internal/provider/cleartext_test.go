package provider

import (
	"errors"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/providers"
)

// TestNoKeyInClearText: the client is the last gate before a key leaves,
// so it refuses plain http to another host whatever the vault stored,
// unless the key carries the consent, and a header value with a newline.
func TestNoKeyInClearText(t *testing.T) {
	secret := newSecret(t)
	remote := Config{Provider: providers.OpenAICompatible, BaseURL: "http://llm.example.net/v1", Secret: secret}
	if _, err := New(remote); !errors.Is(err, providers.ErrInsecureHTTP) {
		t.Errorf("http to another host: %v, want ErrInsecureHTTP", err)
	}
	remote.AllowInsecureHTTP = true
	if _, err := New(remote); err != nil {
		t.Errorf("http to another host with consent: %v", err)
	}
	for _, base := range []string{"http://127.0.0.1:9/v1", "http://localhost:11434/v1", "http://[::1]:8000/v1"} {
		if _, err := New(Config{Provider: providers.OpenAICompatible, BaseURL: base, Secret: secret}); err != nil {
			t.Errorf("%s: %v", base, err)
		}
	}
	// A keyless key (a LAN Ollama) has nothing to protect: it may use
	// plain http anywhere; the same URL with a real key is refused.
	lan := Config{Provider: providers.Ollama, BaseURL: "http://10.0.0.5:11434/v1", Secret: providers.NoKey}
	if _, err := New(lan); err != nil {
		t.Errorf("a keyless key over http to a LAN host: %v", err)
	}
	lan.Secret = secret
	if _, err := New(lan); !errors.Is(err, providers.ErrInsecureHTTP) {
		t.Errorf("a real key over http to a LAN host: %v, want ErrInsecureHTTP", err)
	}
	_, err := New(Config{Provider: providers.OpenAI, Project: "proj\nX-Evil: 1", Secret: secret})
	if err == nil || !strings.Contains(err.Error(), "project contains a newline") {
		t.Errorf("a newline in the project: %v", err)
	}
	// An Azure deployment goes in the request path: the same rule as the
	// vault's (providers.SentFields), so a record written before the rule
	// cannot send one with a control character either.
	_, err = New(Config{Provider: providers.Azure, BaseURL: "https://r.openai.azure.com", Secret: secret,
		AzureDeployments: map[string]string{"gpt-4o": "prod\r\nX-Evil: 1"}})
	if err == nil || !strings.Contains(err.Error(), "Azure deployment contains a newline") {
		t.Errorf("a newline in an Azure deployment: %v", err)
	}
}
