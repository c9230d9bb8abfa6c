package e2e

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// Terminal size of most scenarios: wide enough that the usage pane shows
// by default.
const (
	termW = 120
	termH = 40
)

// leakWindow is how many consecutive characters of a key's random part
// count as a leak.
const leakWindow = 12

// fixture is one test's world: a directory holding the vault home, HOME,
// TMPDIR and the XDG directories, the environment every process of the
// test runs with, and the secrets to look for afterwards.
type fixture struct {
	t    *testing.T
	dir  string
	home string // the vault home, given with --home
	env  []string

	mu      sync.Mutex
	secrets []string
	outputs [][]byte // command outputs and terminal bytes, searched for secrets
	terms   []*term
}

// newFixture makes the directories and registers the leak check, which
// runs after everything else of the test has been cleaned up.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{t: t, dir: dir, home: filepath.Join(dir, "vault")}
	f.env = append(testkit.Env(t, dir), "TERM=xterm-256color", "LANG=C.UTF-8")
	// Registered first, so it runs last: after the terminals have stopped.
	t.Cleanup(f.checkNoLeaks)
	return f
}

// startSim starts a simulator on 127.0.0.1 that pauses chunkDelay
// before each streamed chunk, and returns it with its base URL. It
// accepts any key; tests read its request log to see which one was used.
func (f *fixture) startSim(chunkDelay time.Duration) (*sim.Server, string) {
	f.t.Helper()
	return testkit.Sim(f.t, sim.Options{ChunkDelay: chunkDelay})
}

// newSecret returns a fresh fake API key and remembers it for the leak
// check.
func (f *fixture) newSecret() string {
	s := testkit.Canary(f.t)
	f.mu.Lock()
	f.secrets = append(f.secrets, s)
	f.mu.Unlock()
	return s
}

// vaultchat runs a command of the binary without a terminal (a new
// session, so it cannot open /dev/tty either) and returns its standard
// output. It fails the test unless the command succeeds.
func (f *fixture) vaultchat(stdin string, args ...string) string {
	f.t.Helper()
	cmd := exec.Command(binary, append([]string{"--home", f.home}, args...)...)
	cmd.Env = f.env
	cmd.Stdin = strings.NewReader(stdin)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	f.mu.Lock()
	f.outputs = append(f.outputs, stdout.Bytes(), stderr.Bytes())
	f.mu.Unlock()
	if err != nil {
		f.t.Fatalf("vaultchat %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, &stdout, &stderr)
	}
	return stdout.String()
}

// passphraseVault creates a vault unlocked by a passphrase and returns
// the passphrase. Commands given passFile() unlock it without a prompt.
func (f *fixture) passphraseVault() string {
	f.t.Helper()
	pass := "correct horse battery staple " + testkit.RandomHex(f.t, 4)
	if err := os.WriteFile(f.passFile(), []byte(pass+"\n"), 0o600); err != nil {
		f.t.Fatal(err)
	}
	f.vaultchat("", "--passphrase-file", f.passFile(), "init")
	return pass
}

func (f *fixture) passFile() string { return filepath.Join(f.dir, "passphrase.txt") }

// identityVault creates a vault unlocked by an age identity file, so the
// app starts without an unlock screen and without the passphrase's KDF.
func (f *fixture) identityVault() {
	f.t.Helper()
	file, _ := testkit.IdentityFile(f.t, f.dir)
	f.vaultchat("", "--identity", file, "init")
}

// addKey adds an openai-compatible key for baseURL with a fresh secret,
// piped on stdin as a script would, and returns the secret. extra are
// global flags such as --passphrase-file.
func (f *fixture) addKey(name, baseURL, model string, extra ...string) string {
	f.t.Helper()
	secret := f.newSecret()
	args := slices.Concat(extra, []string{"keys", "add", name, "--provider", "openai-compatible", "--base-url", baseURL, "--model", model})
	f.vaultchat(secret+"\n", args...)
	return secret
}

// app starts the full-screen app on the fixture's vault.
func (f *fixture) app(w, h int, args ...string) *term {
	f.t.Helper()
	return f.start(w, h, append([]string{"--home", f.home}, args...)...)
}

// start runs the binary with args in a terminal and keeps its output for
// the leak check.
func (f *fixture) start(w, h int, args ...string) *term {
	f.t.Helper()
	tm := startTerm(f.t, f.env, w, h, args...)
	f.mu.Lock()
	f.terms = append(f.terms, tm)
	f.mu.Unlock()
	return tm
}

// writeConfig writes the settings file the app reads by default.
func (f *fixture) writeConfig(toml string) {
	f.t.Helper()
	dir := filepath.Join(f.dir, "config", "vaultchat")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(toml), 0o600); err != nil {
		f.t.Fatal(err)
	}
}

// checkNoLeaks is the leak canary: no secret may appear in anything the
// app wrote to a terminal, in a command's output, or in any file under
// the test's directory (the vault and conversations are encrypted;
// exports and the usage ledger must not hold keys either).
func (f *fixture) checkNoLeaks() {
	t := f.t
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.secrets) == 0 {
		return
	}
	var blobs []blob
	for i, tm := range f.terms {
		blobs = append(blobs, blob{name: fmt.Sprintf("the terminal output of app run %d", i+1), data: tm.rawOutput()})
	}
	for _, o := range f.outputs {
		blobs = append(blobs, blob{name: "a command's output", data: o})
	}
	err := filepath.WalkDir(f.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		blobs = append(blobs, blob{name: path, data: data})
		return nil
	})
	if err != nil {
		t.Errorf("leak check: %v", err)
	}
	for _, s := range f.secrets {
		// Any 12 characters of the random part: a truncated column
		// leaks as surely as the whole key. (The masked form shows the
		// last four.)
		random := strings.TrimPrefix(s, testkit.CanaryPrefix)
		for _, b := range blobs {
			for i := 0; i+leakWindow <= len(random); i++ {
				if bytes.Contains(b.data, []byte(random[i:i+leakWindow])) {
					t.Errorf("leak: part of a key secret appears in %s", b.name)
					break
				}
			}
		}
	}
}

type blob struct {
	name string
	data []byte
}
