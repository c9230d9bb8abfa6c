package cli

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/vaultchat/vaultchat/internal/testkit"
)

// tty is a fake terminal for one Main call.
type tty struct {
	stdin      string
	stdinTTY   bool
	noTerminal bool     // ReadSecret is nil: no terminal at all
	secrets    []string // answers to ReadSecret, in order
}

// result is what one Main call produced.
type result struct {
	code           int
	stdout, stderr string
	prompts        []string
}

// env is an in-process test environment: a vault home, an identity file
// and an injected environment and clock.
type env struct {
	t        *testing.T
	dir      string
	home     string
	identity string
	id       *age.X25519Identity
	vars     map[string]string
	now      func() time.Time
}

// newEnv returns an environment with no vault yet. Commands get --home
// through VAULTCHAT_HOME and the config path through XDG_CONFIG_HOME, both
// inside the test's temp dir.
func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	idPath, id := testkit.IdentityFile(t, dir)
	e := &env{
		t: t, dir: dir, home: filepath.Join(dir, "home"), identity: idPath, id: id,
		vars: map[string]string{
			"PATH":            os.Getenv("PATH"),
			"HOME":            dir,
			"XDG_CONFIG_HOME": filepath.Join(dir, "config"),
			"XDG_DATA_HOME":   filepath.Join(dir, "data"),
		},
		now: time.Now,
	}
	e.vars[envHome] = e.home
	return e
}

// newVault returns an environment with an identity-file vault.
func newVault(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	e.mustRun(tty{}, "init", "--identity", e.identity)
	return e
}

func (e *env) deps(tm tty, res *result) Deps {
	var out, errOut bytes.Buffer
	io := &IOStreams{
		In: strings.NewReader(tm.stdin), Out: &out, ErrOut: &errOut,
		IsStdinTTY: tm.stdinTTY,
	}
	secrets := tm.secrets
	if !tm.noTerminal {
		io.ReadSecret = func(prompt string) (string, error) {
			res.prompts = append(res.prompts, prompt)
			if len(secrets) == 0 {
				return "", errors.New("test terminal: no more answers")
			}
			s := secrets[0]
			secrets = secrets[1:]
			return s, nil
		}
	}
	vars := e.vars
	return Deps{
		IO:        io,
		LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		Environ: func() []string {
			var l []string
			for k, v := range vars {
				l = append(l, k+"="+v)
			}
			sort.Strings(l)
			return l
		},
		Now: e.now,
	}
}

// run calls Main in-process with a fake terminal.
func (e *env) run(tm tty, args ...string) result {
	e.t.Helper()
	var res result
	d := e.deps(tm, &res)
	res.code = Main(args, d)
	res.stdout = d.IO.Out.(*bytes.Buffer).String()
	res.stderr = d.IO.ErrOut.(*bytes.Buffer).String()
	return res
}

// mustRun runs and fails the test unless the command succeeds.
func (e *env) mustRun(tm tty, args ...string) result {
	e.t.Helper()
	res := e.run(tm, args...)
	if res.code != 0 {
		e.t.Fatalf("vaultchat %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), res.code, res.stdout, res.stderr)
	}
	return res
}

// addKey adds a key with a fresh secret piped on stdin and returns the
// secret.
func (e *env) addKey(name string, flags ...string) string {
	e.t.Helper()
	secret := testkit.Canary(e.t)
	e.mustRun(tty{stdin: secret + "\n"}, append([]string{"keys", "add", name}, flags...)...)
	return secret
}

// wantCode fails the test unless res exited with code.
func wantCode(t *testing.T, res result, code int) {
	t.Helper()
	if res.code != code {
		t.Fatalf("exit %d; want %d\nstdout:\n%s\nstderr:\n%s", res.code, code, res.stdout, res.stderr)
	}
}

// wantContains fails the test unless s contains every sub.
func wantContains(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s does not contain %q:\n%s", what, sub, s)
		}
	}
}
