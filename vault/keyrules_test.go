package vault

import (
	"errors"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/providers"
)

// TestHeaderFieldsRefuseControlCharacters: an organization or project with
// a newline used to be stored, and every request then failed as "cannot
// reach".
func TestHeaderFieldsRefuseControlCharacters(t *testing.T) {
	home, opts, _ := newIdentityVault(t)
	v := mustOpen(t, home, opts)
	for _, tc := range []struct {
		field string
		set   func(k *Key)
	}{
		{"organization", func(k *Key) { k.Organization = "org-1\nX-Evil: 1" }},
		{"project", func(k *Key) { k.Project = "proj\t1" }},
		{"Azure API version", func(k *Key) {
			k.Provider, k.BaseURL, k.AzureAPIVersion = providers.Azure, "https://r.openai.azure.com", "2024\r"
		}},
		{"Azure deployment", func(k *Key) {
			k.Provider, k.BaseURL, k.AzureDeployments = providers.Azure, "https://r.openai.azure.com", map[string]string{"gpt-4o": "prod\n"}
		}},
	} {
		k := testKey(t, "k")
		tc.set(&k)
		err := v.Update(func(tx *Tx) error { _, err := tx.Add(k); return err })
		if err == nil || !strings.Contains(err.Error(), tc.field+" contains a newline") {
			t.Errorf("Add with a control character in the %s: %v", tc.field, err)
		}
	}
	addKeys(t, v, "ok", 1)
	err := v.Update(func(tx *Tx) error {
		_, err := tx.Edit("ok-0", func(k *Key) error { k.Project = "p\n"; return nil })
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "project contains a newline") {
		t.Errorf("Edit with a newline in the project: %v", err)
	}
}

// TestInsecureHTTPNeedsConsent: a base URL of plain http to another host
// used to be stored silently, and the key would travel in clear text.
func TestInsecureHTTPNeedsConsent(t *testing.T) {
	home, opts, _ := newIdentityVault(t)
	v := mustOpen(t, home, opts)
	add := func(name, base string, allow bool) error {
		k := testKey(t, name)
		k.Provider, k.BaseURL, k.AllowInsecureHTTP = providers.OpenAICompatible, base, allow
		return v.Update(func(tx *Tx) error { _, err := tx.Add(k); return err })
	}
	if err := add("remote", "http://llm.example.net/v1", false); !errors.Is(err, providers.ErrInsecureHTTP) {
		t.Errorf("http to another host without consent: %v, want ErrInsecureHTTP", err)
	}
	for i, base := range []string{"http://127.0.0.1:8080/v1", "http://localhost:11434/v1", "http://[::1]:8000/v1", "https://llm.example.net/v1"} {
		if err := add("local"+string(rune('a'+i)), base, false); err != nil {
			t.Errorf("%s: %v", base, err)
		}
	}
	if err := add("remote", "http://llm.example.net/v1", true); err != nil {
		t.Fatalf("http with consent: %v", err)
	}
	k, _ := v.Key("remote")
	if !k.AllowInsecureHTTP {
		t.Error("the consent was not stored")
	}
	// Taking the consent back while the URL is still http is refused.
	err := v.Update(func(tx *Tx) error {
		_, err := tx.Edit("remote", func(k *Key) error { k.AllowInsecureHTTP = false; return nil })
		return err
	})
	if !errors.Is(err, providers.ErrInsecureHTTP) {
		t.Errorf("dropping the consent of an http key: %v", err)
	}

	// A vault written before the rule still opens: the rule guards what
	// is added or edited, and the provider refuses to send.
	legacy := testKey(t, "legacy")
	legacy.Provider, legacy.BaseURL = providers.OpenAICompatible, "http://old.example.net/v1"
	if err := v.Update(func(tx *Tx) error {
		tx.v.state.Keys = append(tx.v.state.Keys, toRecord(legacy))
		tx.v.state.Keys[len(tx.v.state.Keys)-1].ID = "k_legacy"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(home, opts); err != nil {
		t.Fatalf("a vault holding a legacy http key does not open: %v", err)
	}
}
