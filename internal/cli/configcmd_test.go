package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/testkit"
)

func (e *env) configFile() string { return filepath.Join(e.dir, "config", "vaultchat", "config.toml") }

func TestConfigPathShowCheck(t *testing.T) {
	e := newEnv(t)
	res := e.mustRun(tty{}, "config", "path")
	if strings.TrimSpace(res.stdout) != e.configFile() {
		t.Errorf("config path = %q; want %q", res.stdout, e.configFile())
	}
	wantContains(t, "stderr", res.stderr, "does not exist")
	res = e.mustRun(tty{}, "config", "check")
	wantContains(t, "check without a file", res.stdout, "every setting has its default")

	e.writeConfig("max_retries = 5\ndefault_key = \"work\"\n\n[prices.\"my-model\"]\ninput = 1.5\n")
	res = e.mustRun(tty{}, "config", "show")
	wantContains(t, "show", res.stdout,
		"# "+e.configFile(),
		"max_retries = 5", "# from the file; default 3",
		`default_key = "work"`,
		`idle_lock = "10m"`, "# default",
		`agent.max = "8h"`,
		`prices."my-model".input = 1.5`)
	res = e.mustRun(tty{}, "config", "show", "--json")
	var out configShowJSON
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range out.Settings {
		if s.Key == "max_retries" {
			found = s.FromFile && s.Value == float64(5) && s.Default == float64(3)
		}
	}
	if !out.Exists || out.Path != e.configFile() || !found {
		t.Errorf("show --json = %s", res.stdout)
	}
	res = e.mustRun(tty{}, "config", "check")
	wantContains(t, "check", res.stdout, "ok (3 of its settings set")

	e.writeConfig("max_retries = 5\n\nidle_lok = \"5m\"\n")
	for _, cmd := range []string{"check", "show"} {
		res = e.run(tty{}, "config", cmd)
		wantCode(t, res, 1)
		wantContains(t, cmd, res.stderr, `unknown key "idle_lok" on line 3; did you mean "idle_lock"?`, "vaultchat config edit")
	}
	e.writeConfig("[prices.m]\ninput = 1e308\n")
	res = e.run(tty{}, "config", "check")
	wantCode(t, res, 1)
	wantContains(t, "check", res.stderr, `line 2: price of model "m": input 1e+308 is over the maximum of 10000 USD per million tokens`)
}

// editorScript writes an editor that appends line to the file it is given.
func editorScript(t *testing.T, dir, line string) string {
	t.Helper()
	path := filepath.Join(dir, "editor.sh")
	script := "#!/bin/sh\nprintf '%s\\n' '" + line + "' >> \"$1\"\n"
	if err := os.WriteFile(path, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConfigEdit(t *testing.T) {
	e := newEnv(t)
	e.vars["EDITOR"] = editorScript(t, e.dir, "max_retries = 4")
	res := e.mustRun(tty{}, "config", "edit")
	wantContains(t, "edit", res.stdout, "ok")
	fi, err := os.Stat(e.configFile())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("config.toml mode %o; want 600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(e.configFile())
	if !strings.HasPrefix(string(data), "# vaultchat settings") || !strings.HasSuffix(string(data), "max_retries = 4\n") {
		t.Errorf("config.toml after edit:\n%s", data)
	}

	// $VISUAL wins; an error is reported with its line, the file kept,
	// and nothing is asked when stdin is not a terminal.
	e.vars["VISUAL"] = editorScript(t, t.TempDir(), "idle_lok = \"1m\"")
	res = e.run(tty{}, "config", "edit")
	wantCode(t, res, 1)
	lines := strings.Count(string(data), "\n") + 1
	wantContains(t, "edit", res.stderr, `unknown key "idle_lok" on line `+strconv.Itoa(lines)+`; did you mean "idle_lock"?`, "kept as written")
	if strings.Contains(res.stderr, "[y/N]") {
		t.Errorf("edit asked without a terminal:\n%s", res.stderr)
	}
	// On a terminal it offers to edit again; "n" keeps the file.
	res = e.run(tty{stdinTTY: true, stdin: "n\n"}, "config", "edit")
	wantCode(t, res, 1)
	wantContains(t, "edit on a terminal", res.stderr, "edit it again? [y/N]")
}

// TestConfigTypoWarnsButDoesNotBlock: one typo in config.toml no longer
// stops every command. Commands that can run with the defaults (keys
// list, exec) warn once and go on with the rest of the file; "config
// check" stays strict.
func TestConfigTypoWarnsButDoesNotBlock(t *testing.T) {
	e := newVault(t)
	e.addKey("work")
	os.MkdirAll(filepath.Dir(e.configFile()), 0o700)
	os.WriteFile(e.configFile(), []byte("rotation_warning_days = 1\nidle_lok = \"1m\"\n"), 0o600)

	res := e.mustRun(tty{}, "keys", "list")
	wantContains(t, "keys list", res.stdout, "work")
	wantContains(t, "keys list", res.stderr, `vaultchat: warning: config `, `unknown key "idle_lok" on line 2; did you mean "idle_lock"?`, "keeps its default")
	if n := strings.Count(res.stderr, "warning"); n != 1 {
		t.Errorf("%d warnings; want 1:\n%s", n, res.stderr)
	}
	res = e.mustRun(tty{}, "exec", "work", "--", "true")
	wantContains(t, "exec", res.stderr, "idle_lok")

	res = e.run(tty{}, "config", "check")
	wantCode(t, res, 1)
	wantContains(t, "config check", res.stderr, "vaultchat: error:", "idle_lok")
}

// TestConfigFileOddities: a directory as config.toml is named once with
// a hint; a dangling symbolic link is not "no file"; a relative --config
// is the same file for every command.
func TestConfigFileOddities(t *testing.T) {
	e := newVault(t)
	os.MkdirAll(e.configFile(), 0o700) // a directory where the file goes
	res := e.run(tty{}, "config", "check")
	wantCode(t, res, 1)
	wantContains(t, "directory", res.stderr, "is a directory", "vaultchat: hint:")
	if strings.Count(res.stderr, e.configFile()) != 1 {
		t.Errorf("the path is repeated:\n%s", res.stderr)
	}
	os.Remove(e.configFile())

	os.Symlink(filepath.Join(e.dir, "gone.toml"), e.configFile())
	res = e.run(tty{}, "config", "check")
	wantCode(t, res, 1)
	wantContains(t, "dangling link", res.stderr, "symbolic link", "gone.toml")
	os.Remove(e.configFile())

	t.Chdir(e.dir)
	os.WriteFile(filepath.Join(e.dir, "rel.toml"), []byte("max_retries = 2\n"), 0o600)
	for _, args := range [][]string{{"config", "path"}, {"keys", "list"}, {"config", "check"}} {
		res = e.run(tty{}, append([]string{"--config", "rel.toml"}, args...)...)
		if res.code != 0 || strings.Contains(res.stderr, "does not exist") {
			t.Errorf("--config rel.toml %v: exit %d\n%s%s", args, res.code, res.stdout, res.stderr)
		}
	}
	// A missing --config file is not "the defaults" for config path
	// while keys list refuses it.
	res = e.run(tty{}, "--config", "missing.toml", "config", "path")
	wantContains(t, "config path", res.stdout, filepath.Join(e.dir, "missing.toml"))
	if strings.Contains(res.stderr, "every setting has its default") {
		t.Errorf("config path says defaults for a missing --config:\n%s", res.stderr)
	}
}

// TestConfigCheckDefaultKey: config check looks default_key up in the
// vault when the vault opens without a prompt, and says it did not when
// it would need the passphrase.
func TestConfigCheckDefaultKey(t *testing.T) {
	e := newVault(t)
	e.addKey("work")
	e.addSecretKey("org-admin", "sk-admin-"+testkit.RandomHex(t, 24), "--provider", "openai", "--admin")

	e.writeConfig("default_key = \"work\"\n")
	res := e.mustRun(tty{}, "config", "check")
	wantContains(t, "check", res.stdout, "ok", `default_key "work" is a chat key of the vault`)

	e.writeConfig("default_key = \"nosuch\"\n")
	res = e.run(tty{}, "config", "check")
	wantCode(t, res, 1)
	wantContains(t, "check nosuch", res.stderr, `default_key "nosuch"`, "no such key")

	e.writeConfig("default_key = \"org-admin\"\n")
	res = e.run(tty{}, "config", "check")
	wantCode(t, res, 1)
	wantContains(t, "check admin", res.stderr, `default_key "org-admin"`, "not a chat key")
	// ask gives the same error, not a turn started on the admin key.
	res = e.run(tty{}, "ask", "--no-save", "hi")
	wantCode(t, res, 1)
	wantContains(t, "ask admin", res.stderr, `default_key "org-admin"`, "not a chat key")

	p := newEnv(t)
	pass := filepath.Join(p.dir, "pass")
	if err := os.WriteFile(pass, []byte("a long enough passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p.mustRun(tty{noTerminal: true}, "--passphrase-file", pass, "init")
	p.writeConfig("default_key = \"nosuch\"\n")
	res = p.mustRun(tty{stdinTTY: true, secrets: []string{"a long enough passphrase"}}, "config", "check")
	if len(res.prompts) != 0 {
		t.Errorf("config check asked for the passphrase: %q", res.prompts)
	}
	wantContains(t, "check passphrase vault", res.stdout, `default_key "nosuch" was not checked against the vault`)
}

// TestConfigShowMarksBadLine: config show with one bad setting shows the
// others and marks the bad one, and still exits 1.
func TestConfigShowMarksBadLine(t *testing.T) {
	e := newEnv(t)
	e.writeConfig("max_retries = 5\nidle_lock = \"banana\"\n")
	res := e.run(tty{}, "config", "show")
	wantCode(t, res, 1)
	wantContains(t, "show", res.stdout, "max_retries = 5", "# from the file; default 3", `agent.max = "8h"`)
	var bad string
	for line := range strings.Lines(res.stdout) {
		if strings.HasPrefix(line, "idle_lock = ") {
			bad = line
		}
	}
	if !strings.Contains(bad, `idle_lock = "10m"`) || !strings.Contains(bad, "line 2") || !strings.Contains(bad, "not used") {
		t.Errorf("the bad setting's line is %q; want its default, marked with the file's line 2", bad)
	}
	wantContains(t, "stderr", res.stderr, "line 2")

	res = e.run(tty{}, "config", "show", "--json")
	wantCode(t, res, 1)
	var out configShowJSON
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		t.Fatalf("show --json: %v\n%s", err, res.stdout)
	}
	marked := false
	for _, s := range out.Settings {
		if s.Key == "idle_lock" {
			marked = strings.Contains(s.Problem, "line 2")
		}
	}
	if !marked {
		t.Errorf("show --json does not mark idle_lock: %s", res.stdout)
	}
}
