package cli

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// providerServer answers GET /v1/models like a provider in the given
// state, echoing the credentials it received in error bodies as a careless
// server might.
func providerServer(t *testing.T, status int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/models" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, body, r.Header.Get("Authorization"))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

// deadURL returns a loopback URL nothing listens on.
func deadURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/v1"
}

// checkFixtures adds one key per outcome, each pointing at its own local
// server, and returns the secrets.
func checkFixtures(t *testing.T, e *env) []string {
	t.Helper()
	fixtures := []struct{ name, url string }{
		{"a-ok", providerServer(t, 200, `{"object":"list","data":[{"id":"m1"},{"id":"m2"}]}%.0s`)},
		{"b-invalid", providerServer(t, 401, `{"error":{"message":"Incorrect API key provided: %s","code":"invalid_api_key"}}`)},
		{"c-quota", providerServer(t, 429, `{"error":{"message":"quota exceeded for %s","type":"insufficient_quota","code":"insufficient_quota"}}`)},
		{"d-ratelimited", providerServer(t, 429, `{"error":{"message":"slow down %s","code":"rate_limit_exceeded"}}`)},
		{"e-server", providerServer(t, 503, `overloaded, key was %s`)},
		{"f-unreachable", deadURL(t)},
	}
	var secrets []string
	for _, f := range fixtures {
		secrets = append(secrets, e.addKey(f.name, "--provider", "openai-compatible", "--base-url", f.url))
	}
	return secrets
}

func TestKeysCheck(t *testing.T) {
	e := newVault(t)
	secrets := checkFixtures(t, e)

	res := e.run(tty{}, "keys", "check")
	wantCode(t, res, 1)
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	want := []string{
		"a-ok ok (2 models)",
		"b-invalid invalid key: invalid API key (HTTP 401)",
		"c-quota no quota:",
		"d-ratelimited rate limited (HTTP 429)", // said once
		"e-server http error: server error (HTTP 503)",
		"f-unreachable unreachable:",
	}
	if len(lines) != len(want) {
		t.Fatalf("stdout has %d lines; want %d:\n%s", len(lines), len(want), res.stdout)
	}
	for i, w := range want {
		if got := strings.Join(strings.Fields(lines[i]), " "); !strings.HasPrefix(got, w) {
			t.Errorf("line %d = %q; want it to start with %q", i, got, w)
		}
	}
	wantContains(t, "stderr", res.stderr, "vaultchat: error: 5 of 6 keys failed the check", "vaultchat: hint: b-invalid: ")
	for _, s := range secrets {
		if strings.Contains(res.stdout+res.stderr, s) {
			t.Fatalf("keys check printed a secret:\n%s\n%s", res.stdout, res.stderr)
		}
	}

	// Outcomes are recorded in the vault.
	for name, status := range map[string]string{"a-ok": "ok", "b-invalid": "invalid key", "f-unreachable": "unreachable"} {
		lc := e.key(name).LastCheck
		if lc.Status != status || lc.OK != (status == "ok") || lc.At.IsZero() {
			t.Errorf("%s: LastCheck = %+v; want status %q", name, lc, status)
		}
	}
	list := e.mustRun(tty{}, "keys", "list").stdout
	wantContains(t, "keys list", list, "check: invalid key")

	// Only the named keys; all fine → exit 0.
	res = e.mustRun(tty{}, "keys", "check", "a-ok")
	if strings.TrimSpace(res.stdout) != "a-ok  ok (2 models)" {
		t.Errorf("stdout = %q", res.stdout)
	}

	// JSON.
	res = e.run(tty{}, "keys", "check", "--json", "b-invalid", "a-ok")
	wantCode(t, res, 1)
	var views []checkView
	if err := json.Unmarshal([]byte(res.stdout), &views); err != nil {
		t.Fatalf("%v\n%s", err, res.stdout)
	}
	if len(views) != 2 || views[0].Name != "a-ok" || !views[0].OK || views[0].Models != 2 ||
		views[1].Outcome != "invalid key" || views[1].Status != 401 || views[1].OK {
		t.Errorf("JSON views = %+v", views)
	}

	res = e.run(tty{}, "keys", "check", "nope")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "no such key")
}

func TestKeysCheckEmptyVault(t *testing.T) {
	e := newVault(t)
	res := e.mustRun(tty{}, "keys", "check")
	wantContains(t, "stdout", res.stdout, "no keys to check")
}

// TestKeysCheckAccountKeys: admin and management keys are checked
// against their own account API (OpenAI's organization costs,
// OpenRouter's key endpoint), never by listing models: ok, refused
// (401, with a hint), or unreachable; by name too. Their results are
// recorded like a chat key's.
func TestKeysCheckAccountKeys(t *testing.T) {
	admin, mgmt, chatKey := "sk-admin-"+testkit.RandomHex(t, 24), testkit.Canary(t), testkit.Canary(t)
	s, url := testkit.Sim(t, sim.Options{Keys: []string{chatKey}, AdminKeys: []string{admin}, ManagementKeys: []string{mgmt}})
	orURL := strings.TrimSuffix(url, "/v1") + "/api/v1"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/v1"
	ln.Close() // nothing listens there any more

	e := newVault(t)
	e.addSecretKey("org-admin", admin, "--provider", "openai", "--admin", "--base-url", url)
	e.addSecretKey("or-mgmt", mgmt, "--provider", "openrouter", "--management", "--base-url", orURL)
	e.addSecretKey("revoked-admin", "sk-admin-"+testkit.RandomHex(t, 24), "--provider", "openai", "--admin", "--base-url", url)
	// A chat key stored as a management key: OpenRouter answers for it,
	// but says it is not one (is_management_key), so it cannot mint.
	e.addSecretKey("chat-as-mgmt", chatKey, "--provider", "openrouter", "--management", "--base-url", orURL)
	e.addSecretKey("gone-admin", "sk-admin-"+testkit.RandomHex(t, 24), "--provider", "openai", "--admin", "--base-url", closed, "--allow-insecure-http")

	res := e.run(tty{}, "keys", "check", "--json")
	wantCode(t, res, 1)
	var views []checkView
	if err := json.Unmarshal([]byte(res.stdout), &views); err != nil {
		t.Fatalf("%v\n%s", err, res.stdout)
	}
	got := map[string]checkView{}
	for _, v := range views {
		got[v.Name] = v
	}
	want := map[string]string{"org-admin": "ok", "or-mgmt": "ok", "revoked-admin": "invalid key", "gone-admin": "unreachable", "chat-as-mgmt": "not a management key"}
	for name, outcome := range want {
		if got[name].Outcome != outcome {
			t.Errorf("%s: outcome %q, want %q (%+v)", name, got[name].Outcome, outcome, got[name])
		}
	}
	if v := got["revoked-admin"]; v.Status != 401 || !strings.Contains(v.Hint, "vaultchat keys rotate revoked-admin") {
		t.Errorf("revoked-admin: %+v, want 401 and a hint to rotate", v)
	}
	for _, r := range s.Requests() {
		if strings.HasSuffix(r.Path, "/models") {
			t.Errorf("an account key listed models: %s", r.Path)
		}
	}

	res = e.run(tty{}, "keys", "check", "org-admin", "revoked-admin")
	wantCode(t, res, 1)
	wantContains(t, "keys check by name", res.stdout, "org-admin", "ok", "revoked-admin", "invalid key")
	wantContains(t, "keys check by name", res.stderr, "vaultchat: hint: revoked-admin:")
	if list := e.mustRun(tty{}, "keys", "list").stdout; !strings.Contains(list, "check: invalid key") {
		t.Errorf("the failed check was not recorded:\n%s", list)
	}
	noSecrets(t, e, res, admin, mgmt)
}
