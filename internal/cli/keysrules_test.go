package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// TestKeysRefuseInsecureHTTP: a base URL of plain http to another host
// used to be stored silently, and the key would have travelled in clear
// text. Loopback stays allowed; elsewhere --allow-insecure-http is the
// owner's consent, stored on the key and shown.
func TestKeysRefuseInsecureHTTP(t *testing.T) {
	e := newVault(t)
	compat := []string{"--provider", "openai-compatible", "--base-url"}
	res := e.run(tty{stdin: "x"}, append([]string{"keys", "add", "remote"}, append(compat, "http://llm.example.net/v1")...)...)
	wantCode(t, res, 2)
	wantContains(t, "stderr", res.stderr, "vaultchat: error: --base-url: plain http to another host would send the key in clear text")
	wantContains(t, "stderr", res.stderr, "vaultchat: hint: use https, or pass --allow-insecure-http")

	for i, base := range []string{"http://127.0.0.1:8080/v1", "http://localhost:11434/v1", "http://[::1]:8000/v1"} {
		e.addKey(fmt.Sprintf("local%d", i), append(compat, base)...)
	}
	e.addKey("remote", append(compat, "http://llm.example.net/v1", "--allow-insecure-http")...)
	if !e.key("remote").AllowInsecureHTTP {
		t.Fatal("the consent was not stored")
	}
	list := e.mustRun(tty{}, "keys", "list")
	var row string
	for _, l := range strings.Split(list.stdout, "\n") {
		if strings.HasPrefix(l, "remote ") {
			row = l
		}
	}
	if !strings.Contains(row, "insecure http") {
		t.Errorf("keys list does not flag the key: %q", row)
	}
	if strings.Contains(list.stdout, "local") && strings.Count(list.stdout, "insecure http") != 1 {
		t.Errorf("keys list flags loopback keys too:\n%s", list.stdout)
	}
	wantContains(t, "keys show", e.mustRun(tty{}, "keys", "show", "remote").stdout, "insecure http")
	wantContains(t, "keys show --json", e.mustRun(tty{}, "keys", "show", "remote", "--json").stdout, `"allow_insecure_http": true`)

	// Taking the consent back while the URL is http is refused; moving
	// to https with it taken back works.
	res = e.run(tty{}, "keys", "edit", "remote", "--no-allow-insecure-http")
	wantCode(t, res, 2)
	wantContains(t, "stderr", res.stderr, "clear text")
	e.mustRun(tty{}, "keys", "edit", "remote", "--base-url", "https://llm.example.net/v1", "--no-allow-insecure-http")
	if e.key("remote").AllowInsecureHTTP {
		t.Error("the consent was not taken back")
	}
	res = e.run(tty{}, "keys", "edit", "remote", "--base-url", "http://llm.example.net/v1")
	wantCode(t, res, 2)
	wantContains(t, "stderr", res.stderr, "--allow-insecure-http")
}

// TestKeysRefuseControlCharactersInHeaders: an --org or --project with a
// newline used to be stored and then failed as "cannot reach".
func TestKeysRefuseControlCharactersInHeaders(t *testing.T) {
	e := newVault(t)
	e.addKey("work")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"keys", "add", "new", "--org", "org-1\nX-Evil: 1"}, "--org contains a newline or another control character"},
		{[]string{"keys", "add", "new", "--project", "proj\t1"}, "--project contains a newline or another control character"},
		{[]string{"keys", "edit", "work", "--project", "p\r"}, "--project contains a newline or another control character"},
		{[]string{"keys", "add", "az", "--provider", "azure", "--base-url", "https://r.openai.azure.com", "--azure-api-version", "2024\n"}, "--azure-api-version contains a newline"},
		{[]string{"keys", "add", "az", "--provider", "azure", "--base-url", "https://r.openai.azure.com", "--azure-deployment", "gpt-4o=prod\x01"}, "--azure-deployment contains a newline"},
	} {
		res := e.run(tty{stdin: "x"}, tc.args...)
		wantCode(t, res, 2)
		wantContains(t, "stderr", res.stderr, "vaultchat: error: "+tc.want)
	}
	if k := e.key("work"); k.Project != "" {
		t.Errorf("the project was changed to %q", k.Project)
	}
}

// plantLegacyBaseURL rewrites key name's base URL inside vault.age, as a
// vault written before the plain-http rule may hold it.
func plantLegacyBaseURL(t *testing.T, e *env, name, base string) {
	t.Helper()
	path := filepath.Join(e.home, "vault.age")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := age.Decrypt(bytes.NewReader(raw), e.id)
	if err != nil {
		t.Fatal(err)
	}
	var payload map[string]any
	if err := json.NewDecoder(r).Decode(&payload); err != nil {
		t.Fatal(err)
	}
	for _, k := range payload["keys"].([]any) {
		if rec := k.(map[string]any); rec["name"] == name {
			rec["base_url"] = base
		}
	}
	var out bytes.Buffer
	w, err := age.Encrypt(&out, e.id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewEncoder(w).Encode(payload); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestLegacyInsecureKeyIsNotSent: a key stored with a plain http base URL
// on another host before the rule existed still opens, but neither exec
// nor keys check hands it over (192.0.2.1 is a documentation address: the
// refusal comes before any connection).
func TestLegacyInsecureKeyIsNotSent(t *testing.T) {
	e := newVault(t)
	e.addKey("legacy", "--provider", "openai-compatible", "--base-url", "https://192.0.2.1/v1")
	plantLegacyBaseURL(t, e, "legacy", "http://192.0.2.1/v1")
	wantContains(t, "keys show", e.mustRun(tty{}, "keys", "show", "legacy").stdout, "http://192.0.2.1/v1")

	res := e.run(tty{}, "exec", "legacy", "--", "true")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "clear text")
	wantContains(t, "stderr", res.stderr, "--allow-insecure-http")

	res = e.run(tty{}, "keys", "check", "legacy")
	wantCode(t, res, 1)
	wantContains(t, "stdout", res.stdout+res.stderr, "clear text")

	// With consent the rule lets it go (exec runs the command).
	e.mustRun(tty{}, "keys", "edit", "legacy", "--allow-insecure-http")
	e.mustRun(tty{}, "exec", "legacy", "--", "true")
}

// TestKeylessKeyOverLANHTTP: a local preset's key stored without a key
// (the placeholder) may use plain http to a LAN host: there is no key to
// protect. The same URL with a real key is still refused, at add, at
// edit and at rotate.
func TestKeylessKeyOverLANHTTP(t *testing.T) {
	e := newVault(t)
	lan := "http://10.0.0.5:11434/v1"
	res := e.mustRun(tty{}, "keys", "add", "remote-ollama", "--provider", "ollama", "--base-url", lan)
	wantContains(t, "stdout", res.stdout, "no key (the server needs none)")
	e.mustRun(tty{}, "keys", "add", "local-vllm", "--provider", "vllm")
	e.mustRun(tty{}, "keys", "edit", "local-vllm", "--base-url", "http://192.168.1.20:8000/v1")

	res = e.run(tty{stdin: testkit.Canary(t) + "\n"}, "keys", "add", "keyed-ollama", "--provider", "ollama", "--base-url", lan)
	wantCode(t, res, 2)
	wantContains(t, "stderr", res.stderr, "plain http to another host would send the key in clear text")
	if strings.Contains(e.mustRun(tty{}, "keys", "list").stdout, "keyed-ollama") {
		t.Error("the real key was stored")
	}
	res = e.run(tty{stdin: testkit.Canary(t) + "\n"}, "keys", "rotate", "remote-ollama")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "clear text")
	if e.key("remote-ollama").Secret.Reveal() != providers.NoKey {
		t.Error("the rotation to a real key over plain http was stored")
	}
	e.mustRun(tty{stdin: testkit.Canary(t) + "\n"}, "keys", "add", "keyed-local", "--provider", "ollama")
	res = e.run(tty{}, "keys", "edit", "keyed-local", "--base-url", lan)
	wantCode(t, res, 2)
	wantContains(t, "stderr", res.stderr, "clear text")
}
