package cli

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// addSecretKey adds a key whose secret the test made (the simulator must
// know it beforehand), piped on stdin: never in argv.
func (e *env) addSecretKey(name, secret string, flags ...string) {
	e.t.Helper()
	e.mustRun(tty{stdin: secret + "\n"}, append([]string{"keys", "add", name}, flags...)...)
}

// noSecrets fails if any secret shows in the output or sits in clear in
// a file of the home.
func noSecrets(t *testing.T, e *env, res result, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(res.stdout+res.stderr, s) {
			t.Fatalf("output shows a secret:\n%s\n%s", res.stdout, res.stderr)
		}
	}
	testkit.AssertNoSecretOnDisk(t, e.dir, secrets...)
}

func TestUsageReconcileFlagsAnotherProgram(t *testing.T) {
	work, admin := testkit.Canary(t), testkit.Canary(t)
	s, url := testkit.Sim(t, sim.Options{Keys: []string{work}, AdminKeys: []string{admin}})
	e := newVault(t)
	// Without an admin key nothing can be compared: an error, not 0.
	res := e.run(tty{}, "usage", "--reconcile")
	wantCode(t, res, 1)
	wantContains(t, "stderr without an admin key", res.stderr, "vaultchat: error: nothing to reconcile", "vaultchat: hint: OpenAI reports usage only to an admin key", "keys add NAME --provider openai --admin")
	res = e.run(tty{}, "usage", "--reconcile", "--json")
	wantCode(t, res, 1)
	wantContains(t, "JSON without an admin key", res.stdout, `"hint"`)

	e.addSecretKey("work", work, "--provider", "openai", "--base-url", url, "--model", "gpt-4o-mini")
	e.addSecretKey("org-admin", admin, "--provider", "openai", "--admin", "--base-url", url, "--project", sim.SimProject)
	e.mustRun(tty{}, "ask", "--key", "work", "hello")
	s.SpendElsewhere(work, "gpt-4o-mini", time.Now(), 50_000, 500, 4)

	res = e.mustRun(tty{}, "usage", "--reconcile")
	wantContains(t, "reconcile", res.stdout, "provider saw 50.5k more tokens than this machine sent with key work — another program uses this key", "gpt-4o-mini")
	noSecrets(t, e, res, work, admin)

	before := len(s.Requests())
	res = e.mustRun(tty{}, "usage", "--reconcile", "--json")
	var out reconcileJSON
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		t.Fatal(err)
	}
	if !out.Cached || out.Requests != 0 || len(s.Requests()) != before {
		t.Fatalf("second run asked again: cached %v, %d requests", out.Cached, out.Requests)
	}
	if len(out.Keys) != 1 || out.Keys[0].TokenDifference != 50_500 || !strings.HasPrefix(out.Keys[0].ProviderKeyID, "key_") {
		t.Fatalf("keys %+v", out.Keys)
	}
	// The admin key never chatted and never went elsewhere.
	for _, r := range s.Requests() {
		if r.APIKey == admin && !strings.HasPrefix(r.Path, "/v1/organization/") {
			t.Fatalf("the admin key was sent to %s", r.Path)
		}
	}
	res = e.run(tty{}, "ask", "--key", "org-admin", "hello")
	if res.code == 0 {
		t.Fatal("asked with the admin key")
	}
	noSecrets(t, e, res, work, admin)
}

func TestKeysMintShowRemoveOpenRouter(t *testing.T) {
	mgmt := testkit.Canary(t)
	s, url := testkit.Sim(t, sim.Options{Keys: []string{testkit.Canary(t)}, ManagementKeys: []string{mgmt}})
	orURL := strings.TrimSuffix(url, "/v1") + "/api/v1"
	e := newVault(t)

	res := e.run(tty{}, "keys", "mint", "child", "--from", "or-mgmt")
	if res.code == 0 || len(s.Requests()) != 0 {
		t.Fatalf("minted without a management key: exit %d, %d requests", res.code, len(s.Requests()))
	}
	res = e.run(tty{stdin: mgmt + "\n"}, "keys", "add", "or-mgmt", "--provider", "openai", "--management")
	wantCode(t, res, ExitUsage)
	e.addSecretKey("or-mgmt", mgmt, "--provider", "openrouter", "--management", "--base-url", orURL)

	res = e.mustRun(tty{}, "keys", "mint", "child", "--from", "or-mgmt", "--limit-usd", "5", "--limit-reset", "monthly", "--expires", "30d")
	wantContains(t, "mint", res.stdout, "minted key child", "straight into the vault")
	e.mustRun(tty{}, "ask", "--key", "child", "--model", "gpt-4o-mini", "hello")

	res = e.mustRun(tty{}, "keys", "show", "child")
	wantContains(t, "keys show", res.stdout, "provider says:", "this month", "of $5.00 limit left (resets monthly)", "minted by:")
	res = e.mustRun(tty{}, "keys", "list")
	wantContains(t, "keys list", res.stdout, "management", "minted")

	var minted string
	for _, r := range s.Requests() {
		if r.Path == "/api/v1/chat/completions" {
			minted = r.APIKey
		}
	}
	if minted == "" || minted == mgmt {
		t.Fatal("the chat did not use the minted key")
	}
	res = e.run(tty{}, "keys", "rm", "child", "--yes")
	wantContains(t, "rm without --revoke", res.stderr, "--revoke", "--no-revoke")
	res = e.mustRun(tty{}, "keys", "rm", "child", "--yes", "--revoke")
	wantContains(t, "rm --revoke", res.stdout, "revoked key child")
	noSecrets(t, e, res, mgmt, minted)

	req, _ := http.NewRequest("GET", orURL+"/models", nil)
	req.Header.Set("Authorization", "Bearer "+minted)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the revoked key still works: HTTP %d", resp.StatusCode)
	}
	for _, r := range s.Requests() {
		if r.APIKey == mgmt && (r.Path == "/api/v1/chat/completions" || !strings.HasPrefix(r.Path, "/api/v1/key")) {
			t.Fatalf("the management key was sent to %s", r.Path)
		}
	}
}

func TestKeysEditProviderKeyID(t *testing.T) {
	e := newVault(t)
	e.addKey("work")
	wantCode(t, e.run(tty{}, "keys", "edit", "work", "--provider-key-id", "not-an-id"), ExitUsage)
	e.mustRun(tty{}, "keys", "edit", "work", "--provider-key-id", "key_abc123")
	res := e.mustRun(tty{}, "keys", "show", "work")
	wantContains(t, "keys show", res.stdout, "provider key id:", "key_abc123")
	res = e.mustRun(tty{}, "keys", "show", "work", "--json")
	wantContains(t, "keys show --json", res.stdout, `"provider_key_id": "key_abc123"`)
	// keys check of an admin key by name asks its account API:
	// TestKeysCheckAccountKeys, against the simulator.
}

// TestAdminKey401Hint: an admin or management key the provider refuses
// gets a hint about that key, for usage --reconcile and keys mint.
func TestAdminKey401Hint(t *testing.T) {
	_, url := testkit.Sim(t, sim.Options{Keys: []string{testkit.Canary(t)}, AdminKeys: []string{testkit.Canary(t)}, ManagementKeys: []string{testkit.Canary(t)}})
	e := newVault(t)
	e.addSecretKey("org-admin", testkit.Canary(t), "--provider", "openai", "--admin", "--base-url", url, "--project", sim.SimProject)
	res := e.run(tty{}, "usage", "--reconcile")
	wantCode(t, res, 1)
	wantContains(t, "reconcile", res.stderr, `vaultchat: hint: the provider refused the OpenAI admin key`, "vaultchat keys rotate NAME")
	res = e.run(tty{}, "keys", "mint", "ci", "--from", "org-admin")
	wantCode(t, res, 1)
	wantContains(t, "mint", res.stderr, `vaultchat: hint: the provider refused the admin key org-admin`)
}

// TestKeysRevokeAsks: revoking is irreversible at the provider, so keys
// revoke asks on a terminal (like keys rm), --yes skips the question, and
// without a terminal it is refused unless --yes is given; a refusal or a
// "no" sends nothing and keeps the key.
func TestKeysRevokeAsks(t *testing.T) {
	mgmt := testkit.Canary(t)
	s, url := testkit.Sim(t, sim.Options{Keys: []string{testkit.Canary(t)}, ManagementKeys: []string{mgmt}})
	orURL := strings.TrimSuffix(url, "/v1") + "/api/v1"
	e := newVault(t)
	e.addSecretKey("or-mgmt", mgmt, "--provider", "openrouter", "--management", "--base-url", orURL)
	e.mustRun(tty{}, "keys", "mint", "child", "--from", "or-mgmt")
	deletes := func() int {
		n := 0
		for _, r := range s.Requests() {
			if r.Method == http.MethodDelete || r.Method == http.MethodPatch {
				n++
			}
		}
		return n
	}

	res := e.run(tty{}, "keys", "revoke", "child")
	wantCode(t, res, 1)
	wantContains(t, "revoke without a terminal", res.stderr, "vaultchat: error: refusing to revoke a key without confirmation", "vaultchat: hint: pass --yes")
	res = e.run(tty{stdinTTY: true, stdin: "n\n"}, "keys", "revoke", "child")
	wantCode(t, res, 0)
	wantContains(t, "revoke answered no", res.stderr, "revoke key child at 127.0.0.1:", "and remove it? [y/N]")
	wantContains(t, "revoke answered no", res.stdout, "kept key child")
	if n := deletes(); n != 0 {
		t.Fatalf("%d revoke requests after a refusal and a no", n)
	}
	e.mustRun(tty{}, "keys", "show", "child")

	res = e.mustRun(tty{stdinTTY: true, stdin: "y\n"}, "keys", "revoke", "child")
	wantContains(t, "revoke answered yes", res.stdout, "revoked key child")
	e.mustRun(tty{}, "keys", "mint", "child2", "--from", "or-mgmt")
	res = e.mustRun(tty{}, "keys", "revoke", "child2", "--yes")
	wantContains(t, "revoke --yes", res.stdout, "revoked key child2")
	if n := deletes(); n != 2 {
		t.Fatalf("%d revoke requests, want 2", n)
	}
}

// TestKeysShowMintedByName: keys show names the key that minted a key
// (not its internal ID), and says when that key was removed since.
func TestKeysShowMintedByName(t *testing.T) {
	mgmt := testkit.Canary(t)
	_, url := testkit.Sim(t, sim.Options{Keys: []string{testkit.Canary(t)}, ManagementKeys: []string{mgmt}})
	orURL := strings.TrimSuffix(url, "/v1") + "/api/v1"
	e := newVault(t)
	e.addSecretKey("or-mgmt", mgmt, "--provider", "openrouter", "--management", "--base-url", orURL)
	e.mustRun(tty{}, "keys", "mint", "child", "--from", "or-mgmt")
	mintedBy := func() string {
		t.Helper()
		res := e.mustRun(tty{}, "keys", "show", "child")
		for _, l := range strings.Split(res.stdout, "\n") {
			if v, ok := strings.CutPrefix(l, "minted by:"); ok {
				return strings.TrimSpace(v)
			}
		}
		t.Fatalf("no minted by line:\n%s", res.stdout)
		return ""
	}
	if got := mintedBy(); got != "or-mgmt" {
		t.Fatalf("minted by: %q, want or-mgmt", got)
	}
	e.mustRun(tty{}, "keys", "rm", "or-mgmt", "--yes")
	if got := mintedBy(); got != "(removed)" {
		t.Fatalf("minted by a removed key: %q, want (removed)", got)
	}
}

// TestUsageReconcileNothingUsed: an admin key and nothing spent says so
// in a sentence, not only when the figures were fetched; a --since in
// the future is a usage error.
func TestUsageReconcileNothingUsed(t *testing.T) {
	admin := testkit.Canary(t)
	_, url := testkit.Sim(t, sim.Options{AdminKeys: []string{admin}})
	e := newVault(t)
	e.addSecretKey("org-admin", admin, "--provider", "openai", "--admin", "--base-url", url, "--project", sim.SimProject)
	res := e.mustRun(tty{}, "usage", "--reconcile")
	since := time.Now().UTC().Format("2006-01") + "-01"
	wantContains(t, "reconcile", res.stdout+res.stderr, "no usage by openai keys since "+since)

	future := time.Now().UTC().AddDate(0, 0, 2).Format("2006-01-02")
	for _, args := range [][]string{{"usage", "--since", future}, {"usage", "--reconcile", "--since", future}} {
		res = e.run(tty{}, args...)
		wantCode(t, res, ExitUsage)
		wantContains(t, strings.Join(args, " "), res.stderr, "--since "+future+" is in the future")
	}
	e.mustRun(tty{}, "usage", "--since", time.Now().UTC().Format("2006-01-02"))
}
