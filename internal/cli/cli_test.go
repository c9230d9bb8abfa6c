package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/alecthomas/kong"

	"github.com/vaultchat/vaultchat/internal/testkit"
	"github.com/vaultchat/vaultchat/vault"
)

// commands is every command issue 2 asks for; help must list each one.
var commands = []string{
	"init", "passwd",
	"keys add", "keys list", "keys show", "keys edit", "keys rename", "keys rm", "keys rotate", "keys check",
	"exec",
	"vault recipients list", "vault recipients add", "vault recipients rm", "vault restore",
}

func TestHelpListsEveryCommand(t *testing.T) {
	// kong wraps help at $COLUMNS; 80 is also its width off a terminal.
	t.Setenv("COLUMNS", "80")
	e := newEnv(t)
	res := e.run(tty{}, "--help")
	wantCode(t, res, 0)

	// Every command the issue names, and every command the parser knows,
	// appears on its own line with its whole help text on that line.
	parser, err := newParser(newApp(e.deps(tty{}, &result{})), &root{}, "")
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]string{}
	for _, leaf := range parser.Model.Leaves(true) {
		var names []string
		for n := leaf; n.Parent != nil; n = n.Parent {
			names = append([]string{n.Name}, names...)
		}
		known[strings.Join(names, " ")] = leaf.Help
	}
	for _, c := range commands {
		if _, ok := known[c]; !ok {
			t.Errorf("the parser has no command %q", c)
		}
	}
	lines := strings.Split(res.stdout, "\n")
	for path, help := range known {
		if help == "" {
			t.Errorf("command %q has no help", path)
			continue
		}
		found := false
		for _, l := range lines {
			if strings.HasPrefix(strings.TrimSpace(l), path+" ") && strings.HasSuffix(l, help) {
				found = true
			}
		}
		if !found {
			t.Errorf("help has no line for %q with its help %q:\n%s", path, help, res.stdout)
		}
	}
	if strings.Contains(res.stdout, "\napp ") {
		t.Errorf("help lists the hidden app command:\n%s", res.stdout)
	}
	for _, flag := range []string{"--home=DIR", "--config=FILE", "--identity=FILE", "--passphrase-file=FILE", "--version", "VAULTCHAT_HOME", "VAULTCHAT_IDENTITY", "VAULTCHAT_PASSPHRASE_FILE"} {
		wantContains(t, "help", res.stdout, flag)
	}
}

func TestVersion(t *testing.T) {
	e := newEnv(t)
	for _, args := range [][]string{{"--version"}, {"keys", "list", "--version"}} {
		res := e.run(tty{}, args...)
		wantCode(t, res, 0)
		if want := versionLine() + "\n"; res.stdout != want {
			t.Errorf("%v: stdout = %q; want %q", args, res.stdout, want)
		}
	}
	Version = "v9.9.9-test"
	defer func() { Version = "" }()
	if res := e.run(tty{}, "--version"); !strings.HasPrefix(res.stdout, "vaultchat v9.9.9-test (") {
		t.Errorf("with Version set: stdout = %q", res.stdout)
	}
}

func TestNoCommandStartsTheAppOnlyWithAVaultAndATerminal(t *testing.T) {
	e := newEnv(t)
	res := e.run(tty{}, []string{}...)
	wantCode(t, res, 1)
	if !strings.Contains(res.stderr, "no vault in") || !strings.Contains(res.stderr, `vaultchat: hint: create one with "vaultchat init"`) {
		t.Errorf("stderr = %q", res.stderr)
	}
	res = e.run(tty{}, "--demo")
	wantCode(t, res, 1)
	if !strings.Contains(res.stderr, "needs a terminal") {
		t.Errorf("--demo without a terminal: stderr = %q", res.stderr)
	}
	v := newVault(t)
	res = v.run(tty{}, []string{}...)
	wantCode(t, res, 1)
	if !strings.Contains(res.stderr, "the full-screen app needs a terminal") || !strings.Contains(res.stderr, "vaultchat ask") {
		t.Errorf("app without a terminal: stderr = %q", res.stderr)
	}
}

// errorLine is the shape of every line we print on stderr for an error.
var errorLine = regexp.MustCompile(`^vaultchat: (error|hint|warning): [^A-Z\s].*[^.]$`)

func TestExitCodesAndErrorFormat(t *testing.T) {
	e := newVault(t)
	e.addKey("work")
	tests := []struct {
		name    string
		tm      tty
		args    []string
		code    int
		wantErr string
		hint    string
	}{
		{"ok", tty{}, []string{"keys", "list"}, 0, "", ""},
		{"unknown command", tty{}, []string{"bogus"}, 2, "unexpected argument bogus", `"vaultchat --help"`},
		{"unknown flag", tty{}, []string{"keys", "list", "--bogus"}, 2, "unknown flag --bogus", `"vaultchat keys list --help"`},
		{"missing subcommand", tty{}, []string{"keys"}, 2, "keys needs a command: add, list", `"vaultchat keys --help"`},
		{"missing argument", tty{}, []string{"keys", "show"}, 2, "expected \"<name>\"", ""},
		{"bad float", tty{}, []string{"keys", "edit", "work", "--budget-daily-usd", "lots"}, 2, "--budget-daily-usd", ""},
		{"NaN budget", tty{stdin: "x"}, []string{"keys", "add", "new", "--budget-daily-usd=nan"}, 2, "--budget-daily-usd must be a number of dollars", ""},
		{"embed images in markdown", tty{}, []string{"export", "--last", "--embed-images"}, 2, "--embed-images only applies to --format html", ""},
		{"huge budget", tty{}, []string{"keys", "edit", "work", "--budget-monthly-usd=1e308"}, 2, "--budget-monthly-usd must be a number of dollars from 0 to 1,000,000", ""},
		{"huge mint limit", tty{}, []string{"keys", "mint", "child", "--from", "work", "--limit-usd=1e308"}, 2, "--limit-usd must be a number of dollars from 0 to 1,000,000", ""},
		{"infinite budget", tty{}, []string{"keys", "edit", "work", "--budget-monthly-usd=inf"}, 2, "--budget-monthly-usd must be a number of dollars", ""},
		{"bad provider", tty{stdin: "x"}, []string{"keys", "add", "new", "--provider", "claude"}, 2, `--provider must be openai, azure, openrouter, groq, together, mistral, deepseek, xai, gemini, anthropic, ollama, lmstudio, vllm or openai-compatible, not "claude"`, `"vaultchat keys add --help"`},
		{"bad date", tty{stdin: "x"}, []string{"keys", "add", "new", "--expires", "31/12/2026"}, 2, "--expires", ""},
		{"bad deployment", tty{stdin: "x"}, []string{"keys", "add", "az", "--provider", "azure", "--base-url", "https://x.openai.azure.com", "--azure-deployment", "gpt-4o"}, 2, "MODEL=DEPLOYMENT", ""},
		{"azure flags on openai", tty{stdin: "x"}, []string{"keys", "add", "new", "--azure-api-version", "2024-10-21"}, 2, "azure keys only", ""},
		{"compatible needs base url", tty{stdin: "x"}, []string{"keys", "add", "new", "--provider", "openai-compatible"}, 2, "needs --base-url", ""},
		{"bad base url", tty{stdin: "x"}, []string{"keys", "add", "new", "--base-url", "ftp://example.com"}, 2, "not an http(s) URL", ""},
		{"credentials in base url", tty{stdin: "x"}, []string{"keys", "add", "new", "--base-url", "https://u:p@example.com"}, 2, "credentials", ""},
		{"bad name", tty{stdin: "x"}, []string{"keys", "add", "a\tb"}, 2, "control characters", ""},
		{"nothing to edit", tty{}, []string{"keys", "edit", "work"}, 2, "nothing to change", ""},
		{"bad edit fails before unlocking", tty{}, []string{"--identity", "/nonexistent", "keys", "edit", "work", "--expires", "soon"}, 2, `vaultchat: error: --expires "soon"`, ""},
		{"bad generation", tty{}, []string{"vault", "restore", "latest"}, 2, "not a number", ""},
		{"unknown key", tty{}, []string{"keys", "show", "nope"}, 1, `"nope": no such key`, `"vaultchat keys list"`},
		{"duplicate key", tty{stdin: testkit.Canary(t)}, []string{"keys", "add", "work"}, 1, "already exists", "keys rename"},
		{"empty stdin", tty{}, []string{"keys", "add", "new"}, 1, "the key from stdin: empty secret", "pipe the key on stdin"},
		{"secret with spaces", tty{stdin: "sk-a b"}, []string{"keys", "add", "new"}, 1, "control or space characters", "one line"},
		{"unset env var", tty{}, []string{"keys", "add", "new", "--from-env", "NOT_SET_ANYWHERE"}, 2, "NOT_SET_ANYWHERE is not set", ""},
		{"rm without terminal", tty{}, []string{"keys", "rm", "work"}, 1, "without confirmation", "--yes"},
		{"init twice", tty{}, []string{"init"}, 1, "already exists", "--home"},
		{"passwd on identity vault", tty{}, []string{"passwd"}, 1, "no passphrase to change", ""},
		{"exec without command", tty{}, []string{"exec", "work"}, 2, "expected", ""},
		{"exec missing program", tty{}, []string{"exec", "work", "--", "no-such-program-here"}, 127, "no-such-program-here", ""},
		{"no vault", tty{}, []string{"--home", filepath.Join(e.dir, "empty"), "keys", "list"}, 1, "no vault here", "vaultchat init"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.run(tt.tm, tt.args...)
			wantCode(t, res, tt.code)
			if tt.code == 0 {
				return
			}
			lines := strings.Split(strings.TrimSuffix(res.stderr, "\n"), "\n")
			if !strings.HasPrefix(lines[0], "vaultchat: error: ") {
				t.Fatalf("first stderr line %q is not an error line", lines[0])
			}
			for _, l := range lines {
				if !errorLine.MatchString(l) {
					t.Errorf("stderr line %q does not match %s", l, errorLine)
				}
			}
			wantContains(t, "stderr", res.stderr, tt.wantErr, tt.hint)
			if tt.hint != "" && !strings.Contains(res.stderr, "vaultchat: hint: ") {
				t.Errorf("no hint line:\n%s", res.stderr)
			}
		})
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("x"), 1},
		{fmt.Errorf("wrapped: %w", vault.ErrCorrupted), 1},
		{usagef("bad"), 2},
		{withHint(usagef("bad"), "hint"), 2},
		{&kong.ParseError{}, 2},
		{&exitStatus{code: 7}, 7},
		{&exitStatusWithMessage{code: 127, err: errors.New("not found")}, 127},
	}
	for _, tt := range tests {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("ExitCode(%v) = %d; want %d", tt.err, got, tt.want)
		}
	}
}

func TestErrorsAreRedactedAndSanitized(t *testing.T) {
	secret := testkit.Canary(t)
	var b strings.Builder
	printError(&b, withHint(fmt.Errorf("server said %s \x1b[31mred\x1b[0m.", secret), "Try again."), nil)
	out := b.String()
	if strings.Contains(out, secret) || strings.Contains(out, "\x1b") {
		t.Errorf("printError leaked the secret or an escape:\n%q", out)
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasSuffix(l, ".") {
			t.Errorf("line ends with a period: %q", l)
		}
	}
}

func TestPaths(t *testing.T) {
	t.Run("XDG_DATA_HOME from the injected environment", func(t *testing.T) {
		e := newEnv(t)
		delete(e.vars, envHome)
		e.mustRun(tty{}, "init", "--identity", e.identity)
		if !vault.Exists(filepath.Join(e.vars["XDG_DATA_HOME"], "vaultchat")) {
			t.Error("no vault under $XDG_DATA_HOME/vaultchat")
		}
	})
	t.Run("VAULTCHAT_HOME beats XDG_DATA_HOME", func(t *testing.T) {
		e := newEnv(t)
		e.mustRun(tty{}, "init", "--identity", e.identity)
		if !vault.Exists(e.home) {
			t.Error("no vault in VAULTCHAT_HOME")
		}
		if _, err := os.Stat(filepath.Join(e.vars["XDG_DATA_HOME"], "vaultchat")); err == nil {
			t.Error("a vault home was created under XDG_DATA_HOME too")
		}
	})
	t.Run("--home beats VAULTCHAT_HOME", func(t *testing.T) {
		e := newEnv(t)
		other := filepath.Join(e.dir, "other")
		e.mustRun(tty{}, "--home", other, "init", "--identity", e.identity)
		if !vault.Exists(other) || vault.Exists(e.home) {
			t.Error("--home was not used")
		}
	})
	t.Run("relative XDG_DATA_HOME is ignored", func(t *testing.T) {
		e := newEnv(t)
		delete(e.vars, envHome)
		e.vars["XDG_DATA_HOME"] = "relative/dir"
		a := newApp(e.deps(tty{}, &result{}))
		a.resolve(&root{})
		if !filepath.IsAbs(a.home) {
			t.Errorf("home = %q; want an absolute fallback", a.home)
		}
	})
	t.Run("identity and passphrase file from the environment", func(t *testing.T) {
		e := newEnv(t)
		e.vars[envIdentity] = "/id"
		e.vars[envPassphraseFile] = "/pass"
		a := newApp(e.deps(tty{}, &result{}))
		a.resolve(&root{Identity: "/flag-id"})
		if a.identity != "/flag-id" || a.passphraseFile != "/pass" {
			t.Errorf("identity %q passphrase file %q", a.identity, a.passphraseFile)
		}
		if want := filepath.Join(e.vars["XDG_CONFIG_HOME"], "vaultchat", "config.toml"); a.configPath != want {
			t.Errorf("config path %q; want %q", a.configPath, want)
		}
	})
	t.Run("the identity file is remembered after init", func(t *testing.T) {
		e := newVault(t)
		res := e.mustRun(tty{}, "keys", "list")
		wantContains(t, "stdout", res.stdout, "no keys yet")
	})
	t.Run("the identity file is overridable", func(t *testing.T) {
		e := newVault(t)
		otherID, _ := testkit.IdentityFile(t, t.TempDir())
		res := e.run(tty{}, "--identity", otherID, "keys", "list")
		wantCode(t, res, 1)
		wantContains(t, "stderr", res.stderr, "identity does not match the vault", "--identity FILE")
	})
}

func TestConfig(t *testing.T) {
	e := newVault(t)
	dir := filepath.Join(e.vars["XDG_CONFIG_HOME"], "vaultchat")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte("rotation_warnings_days = 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res := e.run(tty{}, "keys", "list")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, path, `unknown key "rotation_warnings_days"`)

	// Commands that do not need settings still work with a broken file.
	e.mustRun(tty{}, "vault", "restore")

	// --config picks another file.
	good := filepath.Join(e.dir, "good.toml")
	if err := os.WriteFile(good, []byte("rotation_warning_days = 30\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.mustRun(tty{}, "--config", good, "keys", "list")
}

func TestVaultWarnings(t *testing.T) {
	e := newVault(t)
	if err := os.Chmod(e.home, 0o755); err != nil {
		t.Fatal(err)
	}
	res := e.mustRun(tty{}, "keys", "list")
	if !strings.Contains(res.stderr, "vaultchat: warning: ") || !strings.Contains(res.stderr, "chmod") {
		t.Errorf("no warning about the home's mode:\n%s", res.stderr)
	}
}
