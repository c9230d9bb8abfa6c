package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/internal/testkit"
	"github.com/vaultchat/vaultchat/vault"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// openVault opens the test vault directly, to check what the CLI stored.
func (e *env) openVault() *vault.Vault {
	e.t.Helper()
	v, err := vault.Open(e.home, vault.Options{IdentityFile: e.identity})
	if err != nil {
		e.t.Fatalf("open vault: %v", err)
	}
	e.t.Cleanup(v.Close)
	return v
}

func (e *env) key(name string) vault.Key {
	e.t.Helper()
	k, err := e.openVault().Key(name)
	if err != nil {
		e.t.Fatalf("key %q: %v", name, err)
	}
	return k
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run go test -update if the change is intended)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// normalize replaces what changes from run to run (dates, IDs, the last
// four characters of random secrets) so output can be compared to a golden
// file.
func normalize(s string, secrets ...string) string {
	for _, sec := range secrets {
		s = strings.ReplaceAll(s, redact.Mask(sec), "sk-proj-…TAIL")
	}
	s = regexp.MustCompile(`k_[0-9a-f]{16}`).ReplaceAllString(s, "k_ID")
	today := time.Now().Format(dateLayout)
	s = strings.ReplaceAll(s, today, "YYYY-MM-DD")
	return regexp.MustCompile(`YYYY-MM-DD \d\d:\d\d`).ReplaceAllString(s, "YYYY-MM-DD HH:MM")
}

func TestKeysAddSources(t *testing.T) {
	e := newVault(t)

	t.Run("piped stdin, trimmed", func(t *testing.T) {
		secret := testkit.Canary(t)
		res := e.mustRun(tty{stdin: "  " + secret + "\r\n"}, "keys", "add", "piped")
		if got := e.key("piped").Secret.Reveal(); got != secret {
			t.Errorf("stored secret differs from the piped one")
		}
		wantContains(t, "stdout", res.stdout, "added key piped", redact.Mask(secret))
	})
	t.Run("hidden prompt on a terminal", func(t *testing.T) {
		secret := testkit.Canary(t)
		res := e.mustRun(tty{stdinTTY: true, secrets: []string{secret}}, "keys", "add", "typed")
		if len(res.prompts) != 1 || !strings.Contains(res.prompts[0], "typed") {
			t.Errorf("prompts = %q; want one naming the key", res.prompts)
		}
		if e.key("typed").Secret.Reveal() != secret {
			t.Error("stored secret differs from the typed one")
		}
	})
	t.Run("from an environment variable", func(t *testing.T) {
		secret := testkit.Canary(t)
		e.vars["MY_KEY"] = secret
		defer delete(e.vars, "MY_KEY")
		e.mustRun(tty{stdinTTY: true}, "keys", "add", "fromenv", "--from-env", "MY_KEY")
		if e.key("fromenv").Secret.Reveal() != secret {
			t.Error("stored secret differs from the variable")
		}
	})
	t.Run("control characters refused", func(t *testing.T) {
		res := e.run(tty{stdin: "sk-abc\x1b[2Jdef"}, "keys", "add", "ctl")
		wantCode(t, res, 1)
		wantContains(t, "stderr", res.stderr, "control")
		if strings.Contains(res.stderr, "\x1b") {
			t.Errorf("stderr echoes the escape: %q", res.stderr)
		}
	})
	t.Run("same secret twice warns", func(t *testing.T) {
		secret := e.key("piped").Secret.Reveal()
		res := e.mustRun(tty{stdin: secret}, "keys", "add", "again")
		wantContains(t, "stderr", res.stderr, `vaultchat: warning: the same secret is already stored as key "piped"`)
	})
	t.Run("a placeholder key is said to be unmaskable", func(t *testing.T) {
		res := e.mustRun(tty{stdin: "ollama"}, "keys", "add", "local", "--provider", "openai-compatible", "--base-url", "http://127.0.0.1:11434/v1")
		wantContains(t, "stderr", res.stderr, `key "local" is too short to be protected by masking`)
		if res := e.mustRun(tty{stdin: testkit.Canary(t)}, "keys", "add", "long"); strings.Contains(res.stderr, "masking") {
			t.Errorf("a real key was called unmaskable: %q", res.stderr)
		}
	})
}

func TestKeysRoundTrip(t *testing.T) {
	e := newVault(t)
	s1 := e.addKey("work", "--org", "org-1", "--project", "proj_1", "--model", "gpt-4o",
		"--allow-model", "gpt-4o", "--allow-model", "gpt-4o-mini", "--budget-daily-usd", "2.5",
		"--budget-monthly-usd", "40", "--budget-monthly-tokens", "1000000", "--hard",
		"--note", "team A", "--expires", "2099-12-31")
	s2 := e.addKey("azure", "--provider", "azure", "--base-url", "https://res.openai.azure.com/",
		"--azure-api-version", "2024-10-21", "--azure-deployment", "gpt-4o=prod-4o", "--azure-deployment", "o3=prod-o3")
	s3 := e.addKey("local", "--provider", "openai-compatible", "--base-url", "http://127.0.0.1:8080/v1")

	k := e.key("work")
	want := vault.Key{
		Provider: providers.OpenAI, BaseURL: providers.OpenAIBaseURL, Organization: "org-1", Project: "proj_1",
		DefaultModel: "gpt-4o", AllowedModels: []string{"gpt-4o", "gpt-4o-mini"},
		Budget: vault.Budget{DailyUSD: 2.5, MonthlyUSD: 40, MonthlyTokens: 1000000, Hard: true},
		Note:   "team A", Expires: time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC),
	}
	if k.Provider != want.Provider || k.BaseURL != want.BaseURL || k.Organization != want.Organization ||
		k.Project != want.Project || k.DefaultModel != want.DefaultModel || strings.Join(k.AllowedModels, ",") != "gpt-4o,gpt-4o-mini" ||
		k.Budget != want.Budget || k.Note != want.Note || !k.Expires.Equal(want.Expires) || k.Secret.Reveal() != s1 {
		t.Errorf("stored key = %+v\nwant metadata %+v", k, want)
	}
	az := e.key("azure")
	if az.BaseURL != "https://res.openai.azure.com" || az.AzureAPIVersion != "2024-10-21" ||
		az.AzureDeployments["gpt-4o"] != "prod-4o" || az.AzureDeployments["o3"] != "prod-o3" {
		t.Errorf("stored azure key = %+v", az)
	}

	// list and show, as text (golden) and JSON.
	list := e.mustRun(tty{}, "keys", "list")
	golden(t, "keys_list.golden", normalize(list.stdout, s1, s2, s3))
	show := e.mustRun(tty{}, "keys", "show", "work")
	golden(t, "keys_show.golden", normalize(show.stdout, s1))
	showAzure := e.mustRun(tty{}, "keys", "show", "azure")
	golden(t, "keys_show_azure.golden", normalize(showAzure.stdout, s2))

	var views []map[string]any
	res := e.mustRun(tty{}, "keys", "list", "--json")
	if err := json.Unmarshal([]byte(res.stdout), &views); err != nil {
		t.Fatalf("keys list --json: %v\n%s", err, res.stdout)
	}
	if len(views) != 3 || views[2]["name"] != "work" || views[2]["fingerprint"] != redact.Mask(s1) ||
		views[2]["rotation_due"] != false || views[2]["expired"] != false || views[2]["host"] != "api.openai.com" {
		t.Errorf("keys list --json = %s", res.stdout)
	}
	for _, out := range []string{list.stdout, show.stdout, res.stdout} {
		for _, s := range []string{s1, s2, s3} {
			if strings.Contains(out, s) {
				t.Fatalf("output contains a secret:\n%s", out)
			}
		}
	}
	res = e.mustRun(tty{}, "keys", "show", "local", "--json")
	var one map[string]any
	if err := json.Unmarshal([]byte(res.stdout), &one); err != nil || one["name"] != "local" || one["fingerprint"] != redact.Mask(s3) {
		t.Errorf("keys show --json = %s (%v)", res.stdout, err)
	}
	if _, ok := one["secret"]; ok {
		t.Errorf("JSON has a secret field: %s", res.stdout)
	}

	// edit changes only the flags given.
	e.mustRun(tty{}, "keys", "edit", "work", "--note", "team B", "--no-hard", "--budget-daily-usd", "0")
	k2 := e.key("work")
	if k2.Note != "team B" || k2.Budget.Hard || k2.Budget.DailyUSD != 0 || k2.Budget.MonthlyUSD != 40 ||
		k2.DefaultModel != "gpt-4o" || len(k2.AllowedModels) != 2 || k2.Organization != "org-1" || k2.Secret.Reveal() != s1 {
		t.Errorf("after edit: %+v", k2)
	}
	e.mustRun(tty{}, "keys", "edit", "work", "--clear-allow-models", "--expires", "", "--org", "")
	k3 := e.key("work")
	if len(k3.AllowedModels) != 0 || !k3.Expires.IsZero() || k3.Organization != "" || k3.Note != "team B" {
		t.Errorf("after clearing: %+v", k3)
	}
	e.mustRun(tty{}, "keys", "edit", "azure", "--clear-azure-deployments", "--azure-deployment", "gpt-4.1=new")
	if d := e.key("azure").AzureDeployments; len(d) != 1 || d["gpt-4.1"] != "new" {
		t.Errorf("azure deployments after edit: %v", d)
	}
	e.mustRun(tty{}, "keys", "edit", "work", "--clear-budget")
	if b := e.key("work").Budget; !b.IsZero() {
		t.Errorf("budget after --clear-budget: %+v", b)
	}

	// rename keeps the ID.
	id := e.key("work").ID
	res = e.mustRun(tty{}, "keys", "rename", "work", "job")
	wantContains(t, "stdout", res.stdout, "renamed key work to job")
	if e.key("job").ID != id {
		t.Error("rename changed the ID")
	}
	res = e.run(tty{}, "keys", "rename", "job", "azure")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "already exists")

	// rotate: same ID, new secret, rotation date, old secret gone from
	// the vault and from every backup.
	s4 := testkit.Canary(t)
	res = e.mustRun(tty{stdin: s4}, "keys", "rotate", "job")
	wantContains(t, "stdout", res.stdout, redact.Mask(s4), redact.Mask(s1))
	rk := e.key("job")
	if rk.ID != id || rk.Secret.Reveal() != s4 || rk.Rotated.IsZero() {
		t.Errorf("after rotate: id %s rotated %v", rk.ID, rk.Rotated)
	}
	e.assertNotInBackups(s1)

	// rm with --yes purges the key from vault and backups.
	e.mustRun(tty{}, "keys", "rm", "local", "--yes")
	if _, err := e.openVault().Key("local"); err == nil {
		t.Error("key still present after rm")
	}
	e.assertNotInBackups(s3)
}

// assertNotInBackups decrypts vault.age and every backup with the test
// identity and fails if secret is in any of them.
func (e *env) assertNotInBackups(secret string) {
	e.t.Helper()
	files, _ := filepath.Glob(filepath.Join(e.home, "vault.age*"))
	if len(files) < 2 {
		e.t.Fatalf("want vault.age and backups, found %v", files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			e.t.Fatal(err)
		}
		r, err := age.Decrypt(bytes.NewReader(b), e.id)
		if err != nil {
			e.t.Fatalf("decrypt %s: %v", f, err)
		}
		plain, err := io.ReadAll(r)
		if err != nil {
			e.t.Fatal(err)
		}
		if bytes.Contains(plain, []byte(secret)) {
			e.t.Errorf("%s still holds the old secret", filepath.Base(f))
		}
	}
}

func TestKeysRmConfirmation(t *testing.T) {
	e := newVault(t)
	e.addKey("a")
	res := e.mustRun(tty{stdinTTY: true, stdin: "n\n"}, "keys", "rm", "a")
	wantContains(t, "stderr", res.stderr, "remove key a (sk-proj-…")
	wantContains(t, "stdout", res.stdout, "kept key a")
	e.key("a")

	res = e.mustRun(tty{stdinTTY: true, stdin: "\n"}, "keys", "rm", "a")
	wantContains(t, "stdout", res.stdout, "kept key a")

	res = e.mustRun(tty{stdinTTY: true, stdin: "y\n"}, "keys", "rm", "a")
	wantContains(t, "stdout", res.stdout, "removed key a")
	if _, err := e.openVault().Key("a"); err == nil {
		t.Error("key still present after confirming")
	}
	res = e.run(tty{stdinTTY: true, stdin: "y\n"}, "keys", "rm", "a")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "no such key")
}

func TestKeysRotateFromPrompt(t *testing.T) {
	e := newVault(t)
	old := e.addKey("a")
	res := e.run(tty{stdinTTY: true, secrets: []string{old}}, "keys", "rotate", "a")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "the same as the current one", "nothing was changed")
	next := testkit.Canary(t)
	e.mustRun(tty{stdinTTY: true, secrets: []string{next}}, "keys", "rotate", "a")
	if e.key("a").Secret.Reveal() != next {
		t.Error("rotate from the prompt did not store the new secret")
	}
	res = e.run(tty{stdin: testkit.Canary(t)}, "keys", "rotate", "missing")
	wantCode(t, res, 1)
}

func TestKeysListFlags(t *testing.T) {
	e := newVault(t)
	e.addKey("old")
	e.addKey("expired", "--expires", "30d")
	e.addKey("fresh")
	e.mustRun(tty{stdin: testkit.Canary(t)}, "keys", "rotate", "fresh")

	// 100 days from now, "old" and "expired" are past the default 90
	// days; "fresh" was rotated today but that is 100 days ago then too.
	later := time.Now().Add(100 * 24 * time.Hour)
	e.now = func() time.Time { return later }
	var views []keyView
	res := e.mustRun(tty{}, "keys", "list", "--json")
	if err := json.Unmarshal([]byte(res.stdout), &views); err != nil {
		t.Fatal(err)
	}
	got := map[string][2]bool{}
	for _, v := range views {
		got[v.Name] = [2]bool{v.RotationDue, v.Expired}
	}
	want := map[string][2]bool{"expired": {true, true}, "fresh": {true, false}, "old": {true, false}}
	if len(got) != 3 || got["expired"] != want["expired"] || got["fresh"] != want["fresh"] || got["old"] != want["old"] {
		t.Errorf("rotation_due/expired = %v; want %v", got, want)
	}
	text := e.mustRun(tty{}, "keys", "list").stdout
	if !regexp.MustCompile(`(?m)^expired .*expired, rotate\?`).MatchString(text) {
		t.Errorf("list does not flag the expired key:\n%s", text)
	}

	// With a 200-day threshold nothing is due; with 0 the flag is off.
	for _, days := range []string{"200", "0"} {
		cfg := filepath.Join(e.dir, "cfg"+days+".toml")
		if err := os.WriteFile(cfg, []byte("rotation_warning_days = "+days+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		text := e.mustRun(tty{}, "--config", cfg, "keys", "list").stdout
		if strings.Contains(text, "rotate?") {
			t.Errorf("rotation_warning_days = %s: still flagged:\n%s", days, text)
		}
	}

	// Today, with the default, only the expired key is flagged.
	e.now = time.Now
	text = e.mustRun(tty{}, "keys", "list").stdout
	if strings.Contains(text, "rotate?") || !strings.Contains(text, "expired") {
		t.Errorf("today's flags wrong:\n%s", text)
	}
}

func TestKeysListEmpty(t *testing.T) {
	e := newVault(t)
	res := e.mustRun(tty{}, "keys", "list")
	wantContains(t, "stdout", res.stdout, "no keys yet")
	res = e.mustRun(tty{}, "keys", "list", "--json")
	if strings.TrimSpace(res.stdout) != "[]" {
		t.Errorf("empty JSON list = %q", res.stdout)
	}
}

func TestMultiLineNoteStaysInItsCell(t *testing.T) {
	e := newVault(t)
	e.addKey("a", "--note", "line one\nline two\tcol")
	res := e.run(tty{stdin: testkit.Canary(t)}, "keys", "add", "b", "--note", "bell \x07")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "control characters")

	list := e.mustRun(tty{}, "keys", "list").stdout
	if n := strings.Count(list, "\n"); n != 2 {
		t.Errorf("list has %d lines; want a header and one row:\n%s", n, list)
	}
	wantContains(t, "list", list, "line one line two col")
	show := e.mustRun(tty{}, "keys", "show", "a").stdout
	wantContains(t, "show", show, "note:            line one line two col\n")
}

// TestKeysListMasksTheNoteBeforeCuttingIt: a note quoting a secret is
// masked first and cut afterwards, so the column never shows characters
// from the middle of the secret as if they were its last four, nor its
// first characters.
func TestKeysListMasksTheNoteBeforeCuttingIt(t *testing.T) {
	e := newVault(t)
	secret := e.addKey("ci")
	for _, note := range []string{"old: " + secret, "the key of the old ci runner: " + secret} {
		e.mustRun(tty{}, "keys", "edit", "ci", "--note", note)
		list := e.mustRun(tty{}, "keys", "list").stdout
		if n := strings.Count(list, redact.Mask(secret)); n != 2 && len(note) < 40 {
			t.Errorf("note %q: %s shown %d times, want 2 (KEY and NOTE):\n%s", note[:5], redact.Mask(secret), n, list)
		}
		for i := 8; i+4 < len(secret); i++ {
			if strings.Contains(list, secret[i:i+4]) || strings.Contains(list, secret[:9]) {
				t.Errorf("keys list shows %q from the middle of the secret:\n%s", secret[i:i+4], list)
				break
			}
		}
	}
}
