package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/vaultchat/vaultchat/internal/testkit"
	"github.com/vaultchat/vaultchat/vault"
)

// binPath is the vaultchat binary TestMain builds once for the tests that
// run real processes.
var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vaultchat-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "vaultchat")
	build := exec.Command("go", "build", "-buildvcs=false", "-o", binPath, "github.com/vaultchat/vaultchat/cmd/vaultchat")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "build vaultchat: %v\n", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// binEnv runs the real binary with an environment confined to one temp
// directory: home, HOME, TMPDIR and the XDG directories all live under dir.
type binEnv struct {
	t        *testing.T
	dir      string
	home     string
	identity string
	id       *age.X25519Identity
	env      []string

	mu   sync.Mutex
	argv [][]string // every argument list used, for the leak checks
}

func newBinEnv(t *testing.T) *binEnv {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("process tests use /proc and POSIX shells")
	}
	dir := t.TempDir()
	b := &binEnv{t: t, dir: dir, home: filepath.Join(dir, "home")}
	b.identity, b.id = testkit.IdentityFile(t, dir)
	b.env = append(testkit.Env(t, dir), "VAULTCHAT_HOME="+b.home)
	return b
}

// command returns the binary's command with args and extra environment.
func (b *binEnv) command(extraEnv []string, args ...string) *exec.Cmd {
	b.mu.Lock()
	b.argv = append(b.argv, append([]string{binPath}, args...))
	b.mu.Unlock()
	cmd := exec.Command(binPath, args...)
	cmd.Env = append(append([]string{}, b.env...), extraEnv...)
	cmd.Dir = b.dir
	// A new session has no controlling terminal, so the binary behaves
	// the same when the tests run from a terminal as in CI.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	return cmd
}

// run runs the binary to completion.
func (b *binEnv) run(stdin string, args ...string) result {
	return b.runEnv(nil, stdin, args...)
}

func (b *binEnv) runEnv(extraEnv []string, stdin string, args ...string) result {
	b.t.Helper()
	cmd := b.command(extraEnv, args...)
	var out, errOut bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		b.t.Fatalf("run vaultchat %v: %v", args, err)
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: out.String(), stderr: errOut.String()}
}

func (b *binEnv) mustRun(stdin string, args ...string) result {
	b.t.Helper()
	res := b.run(stdin, args...)
	if res.code != 0 {
		b.t.Fatalf("vaultchat %s: exit %d\n%s%s", strings.Join(args, " "), res.code, res.stdout, res.stderr)
	}
	return res
}

func (b *binEnv) init() {
	b.t.Helper()
	b.mustRun("", "init", "--identity", b.identity)
}

func (b *binEnv) openVault() *vault.Vault {
	b.t.Helper()
	v, err := vault.Open(b.home, vault.Options{IdentityFile: b.identity})
	if err != nil {
		b.t.Fatalf("open vault: %v", err)
	}
	b.t.Cleanup(v.Close)
	return v
}

func TestProcessConcurrentAdds(t *testing.T) {
	b := newBinEnv(t)
	b.init()
	const workers, perWorker = 4, 50
	secrets := make(map[string]string)
	for w := range workers {
		for i := range perWorker {
			secrets[fmt.Sprintf("w%d-key%02d", w, i)] = testkit.Canary(t)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan string, workers*perWorker)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				name := fmt.Sprintf("w%d-key%02d", w, i)
				cmd := b.command(nil, "keys", "add", name, "--note", "worker "+fmt.Sprint(w))
				cmd.Stdin = strings.NewReader(secrets[name] + "\n")
				if out, err := cmd.CombinedOutput(); err != nil {
					errs <- fmt.Sprintf("%s: %v: %s", name, err, out)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}

	v := b.openVault()
	keys := v.Keys()
	if len(keys) != len(secrets) {
		t.Fatalf("vault holds %d keys; want %d", len(keys), len(secrets))
	}
	for _, k := range keys {
		if secrets[k.Name] != k.Secret.Reveal() {
			t.Errorf("key %s: wrong or missing secret", k.Name)
		}
	}
	// init wrote generation 1; each add one more.
	if g := v.Current().Generation; g != uint64(1+len(secrets)) {
		t.Errorf("generation %d; want %d", g, 1+len(secrets))
	}
}

func TestProcessExecEnvironment(t *testing.T) {
	b := newBinEnv(t)
	b.init()
	secret := testkit.Canary(t)
	b.mustRun(secret, "keys", "add", "work")

	// The child sees the key.
	res := b.mustRun("", "exec", "work", "--", "sh", "-c", `printf %s "$OPENAI_API_KEY"`)
	if res.stdout != secret {
		t.Errorf("child's OPENAI_API_KEY = %q; want the key", res.stdout)
	}

	// The child looks at its parent, the running vaultchat: its
	// environment has no key and its core dump limit is zero.
	script := `readlink /proc/$PPID/exe; echo ---; tr '\0' '\n' < /proc/$PPID/environ; echo ---; grep -i 'core file' /proc/$PPID/limits`
	res = b.mustRun("", "exec", "work", "--", "sh", "-c", script)
	parts := strings.Split(res.stdout, "---\n")
	if len(parts) != 3 {
		t.Fatalf("unexpected child output:\n%s", res.stdout)
	}
	if exe := strings.TrimSpace(parts[0]); exe != binPath {
		t.Fatalf("the child's parent is %q, not vaultchat", exe)
	}
	if strings.Contains(parts[1], "OPENAI_API_KEY") || strings.Contains(parts[1], secret) {
		t.Errorf("vaultchat's own environment holds the key:\n%s", parts[1])
	}
	if f := strings.Fields(parts[2]); len(f) < 6 || f[4] != "0" || f[5] != "0" {
		t.Errorf("vaultchat's core file limit is not 0: %q", parts[2])
	}

	// Exit statuses pass through.
	for _, code := range []int{0, 3, 7, 100} {
		res := b.run("", "exec", "work", "--", "sh", "-c", fmt.Sprintf("exit %d", code))
		if res.code != code {
			t.Errorf("child exit %d: vaultchat exit %d (%s)", code, res.code, res.stderr)
		}
	}
}

func TestProcessExecForwardsSignals(t *testing.T) {
	b := newBinEnv(t)
	b.init()
	b.mustRun(testkit.Canary(t), "keys", "add", "work")
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			script := fmt.Sprintf(`trap 'echo got-signal; exit 42' %s; echo ready; while :; do sleep 0.05; done`, strings.TrimPrefix(sigName(sig), "SIG"))
			cmd := b.command(nil, "exec", "work", "--", "sh", "-c", script)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Safety net only: a broken forwarder must not hang the suite.
			timer := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
			defer timer.Stop()
			r := bufio.NewReader(stdout)
			line, err := r.ReadString('\n')
			if err != nil || line != "ready\n" {
				t.Fatalf("child did not start: %q %v", line, err)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			rest, _ := io.ReadAll(r)
			cmd.Wait()
			if code := cmd.ProcessState.ExitCode(); code != 42 || string(rest) != "got-signal\n" {
				t.Errorf("after %v: exit %d, output %q; want the child's trap to run and exit 42", sig, code, rest)
			}
		})
	}
}

func sigName(s syscall.Signal) string {
	switch s {
	case syscall.SIGTERM:
		return "TERM"
	case syscall.SIGINT:
		return "INT"
	}
	return ""
}

func TestProcessPermissionsUnderUmask000(t *testing.T) {
	b := newBinEnv(t)
	underUmask := func(stdin string, args ...string) {
		t.Helper()
		cmd := exec.Command("/bin/sh", append([]string{"-c", `umask 000; exec "$0" "$@"`, binPath}, args...)...)
		cmd.Env = b.env
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		cmd.Stdin = strings.NewReader(stdin)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("vaultchat %v under umask 000: %v\n%s", args, err, out)
		}
	}
	underUmask("", "init", "--identity", b.identity)
	underUmask(testkit.Canary(t), "keys", "add", "a")
	underUmask(testkit.Canary(t), "keys", "add", "b")
	underUmask(testkit.Canary(t), "keys", "rotate", "a")
	underUmask("", "keys", "rm", "b", "--yes")
	underUmask("", "exec", "a", "--", "true")

	fi, err := os.Stat(b.home)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("home mode %04o; want 0700", fi.Mode().Perm())
	}
	entries, err := os.ReadDir(b.home)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 5 {
		t.Errorf("home holds only %d entries; want vault.age, backups, home.json, vault.lock", len(entries))
	}
	for _, en := range entries {
		info, err := en.Info()
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 || !info.Mode().IsRegular() {
			t.Errorf("%s: mode %v; want a regular file with 0600", en.Name(), info.Mode())
		}
	}
}

func TestProcessKeysCheck(t *testing.T) {
	b := newBinEnv(t)
	b.init()
	fixtures := []struct{ name, url, want string }{
		{"a", providerServer(t, 200, `{"data":[{"id":"m"}]}%.0s`), "ok (1 model)"},
		{"b", providerServer(t, 401, `{"error":{"message":"bad key %s"}}`), "invalid key"},
		{"c", providerServer(t, 429, `{"error":{"message":"%s","code":"insufficient_quota"}}`), "no quota"},
		{"d", providerServer(t, 429, `{"error":{"message":"%s","code":"rate_limit_exceeded"}}`), "rate limited"},
		{"e", providerServer(t, 500, `oops %s`), "http error: server error (HTTP 500)"},
		{"f", deadURL(t), "unreachable"},
	}
	for _, f := range fixtures {
		b.mustRun(testkit.Canary(t), "keys", "add", f.name, "--provider", "openai-compatible", "--base-url", f.url)
	}
	res := b.run("", "keys", "check")
	if res.code != 1 {
		t.Fatalf("exit %d; want 1\n%s%s", res.code, res.stdout, res.stderr)
	}
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	if len(lines) != len(fixtures) {
		t.Fatalf("got %d result lines; want %d:\n%s", len(lines), len(fixtures), res.stdout)
	}
	for i, f := range fixtures {
		if !strings.HasPrefix(lines[i], f.name+" ") || !strings.Contains(lines[i], f.want) {
			t.Errorf("line %d = %q; want %s: %s", i, lines[i], f.name, f.want)
		}
	}
	if res := b.run("", "keys", "check", "a"); res.code != 0 {
		t.Errorf("checking only the good key: exit %d\n%s", res.code, res.stderr)
	}
}

func TestProcessLeakCanary(t *testing.T) {
	b := newBinEnv(t)
	canary := testkit.Canary(t)
	canary2 := testkit.Canary(t)
	canaries := []string{canary, canary2, strings.TrimPrefix(canary, "sk-proj-CANARY"), strings.TrimPrefix(canary2, "sk-proj-CANARY")}

	// A careless provider that echoes the key in its errors, one that
	// works, and one that redirects elsewhere.
	echo := providerServer(t, 401, `{"error":{"message":"Incorrect API key provided: %s"}}`)
	ok := providerServer(t, 200, `{"data":[]}%.0s`)
	var redirectedWith []string
	var redirMu sync.Mutex
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		redirMu.Lock()
		redirectedWith = append(redirectedWith, r.Header.Get("Authorization"))
		redirMu.Unlock()
	}))
	defer elsewhere.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/steal", http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()

	recovery, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	type step struct {
		stdin string
		env   []string
		args  []string
		// childOut marks commands whose stdout is a child's output, where
		// the key is expected.
		childOut bool
		// restoreNewest restores the newest backup, whose generation is
		// only known at run time.
		restoreNewest bool
	}
	steps := []step{
		{args: []string{"--help"}},
		{args: []string{"--version"}},
		{args: []string{"init", "--identity", b.identity}},
		{args: []string{"init", "--identity", b.identity}},
		{stdin: canary + "\n", args: []string{"keys", "add", "canary", "--provider", "openai-compatible", "--base-url", echo}},
		{stdin: canary, args: []string{"keys", "add", "canary"}},
		{stdin: canary, args: []string{"keys", "add", "other", "--provider", "bogus"}},
		{stdin: canary, args: []string{"keys", "add", "bad\tname"}},
		{stdin: canary + " trailing words", args: []string{"keys", "add", "spaced"}},
		{stdin: canary + "\x1b[0m", args: []string{"keys", "add", "escaped"}},
		{env: []string{"CANARY_VAR=" + canary}, args: []string{"keys", "add", "fromenv", "--from-env", "CANARY_VAR", "--provider", "openai-compatible", "--base-url", ok}},
		{args: []string{"keys", "list"}},
		{args: []string{"keys", "list", "--json"}},
		{args: []string{"keys", "show", "canary"}},
		{args: []string{"keys", "show", "canary", "--json"}},
		{args: []string{"keys", "show", "missing"}},
		{args: []string{"keys", "edit", "canary", "--note", "leak test"}},
		{args: []string{"keys", "edit", "canary", "--expires", "tomorrow"}},
		{args: []string{"keys", "rename", "canary", "c2"}},
		{args: []string{"keys", "rename", "c2", "canary"}},
		{args: []string{"keys", "check"}},
		{args: []string{"keys", "check", "canary", "--json"}},
		{args: []string{"keys", "edit", "canary", "--base-url", redirect.URL}},
		{args: []string{"keys", "check", "canary"}},
		{args: []string{"keys", "edit", "canary", "--base-url", ok}},
		{args: []string{"keys", "check", "canary"}},
		{args: []string{"exec", "canary", "--", "env"}, childOut: true},
		{args: []string{"exec", "canary", "--", "sh", "-c", `tr '\0' ' ' < /proc/self/cmdline; tr '\0' ' ' < /proc/$PPID/cmdline; exit 3`}},
		{args: []string{"exec", "canary", "--", "no-such-program"}},
		{args: []string{"exec", "missing", "--", "env"}},
		{args: []string{"vault", "recipients", "list"}},
		{args: []string{"vault", "recipients", "add", recovery.Recipient().String()}},
		{args: []string{"vault", "recipients", "rm", recovery.Recipient().String()}},
		{args: []string{"vault", "restore"}},
		{args: []string{"passwd"}},
		{stdin: canary2, args: []string{"keys", "rotate", "canary"}},
		{stdin: canary2, args: []string{"keys", "rotate", "missing"}},
		{restoreNewest: true},
		{args: []string{"keys", "list"}},
		{args: []string{"keys", "rm", "fromenv"}},
		{args: []string{"keys", "rm", "fromenv", "--yes"}},
		{args: []string{"bogus", "command"}},
		{args: []string{"keys", "check", "--timeout", "1"}},
	}
	codes := map[int]int{}
	for _, s := range steps {
		if s.restoreNewest {
			v := b.openVault()
			backups, err := v.Backups()
			if err != nil || len(backups) == 0 {
				t.Fatalf("no backups to restore: %v", err)
			}
			s.args = []string{"vault", "restore", fmt.Sprint(backups[0].Generation)}
			v.Close()
		}
		res := b.runEnv(s.env, s.stdin, s.args...)
		codes[res.code]++
		for _, c := range canaries {
			if strings.Contains(res.stderr, c) {
				t.Errorf("vaultchat %v: stderr holds the canary:\n%s", s.args, res.stderr)
			}
			if !s.childOut && strings.Contains(res.stdout, c) {
				t.Errorf("vaultchat %v: stdout holds the canary:\n%s", s.args, res.stdout)
			}
		}
		if s.childOut && !strings.Contains(res.stdout, canary) {
			t.Errorf("vaultchat %v: the child did not get the key", s.args)
		}
	}
	// The run covered successes and several kinds of failure.
	if codes[0] == 0 || codes[1] == 0 || codes[2] == 0 || codes[3] == 0 || codes[127] == 0 {
		t.Errorf("exit codes seen: %v; want 0, 1, 2, 3 and 127 among them", codes)
	}
	if len(redirectedWith) != 0 {
		t.Errorf("a redirect was followed with %q", redirectedWith)
	}

	// No argument list ever carried the key.
	for _, argv := range b.argv {
		for _, c := range canaries {
			if strings.Contains(strings.Join(argv, " "), c) {
				t.Errorf("argv carries the canary: %q", argv)
			}
		}
	}

	// No file under the test's directories (home, HOME, TMPDIR, XDG dirs)
	// holds it in clear.
	files := 0
	err = filepath.WalkDir(b.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !d.Type().IsRegular() {
			return err
		}
		files++
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, c := range canaries {
			if bytes.Contains(data, []byte(c)) {
				t.Errorf("%s holds the canary in clear", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 5 {
		t.Errorf("scanned only %d files; the vault files should be among them", files)
	}
}

// TestRecipientsListShowsTheWholeRecipient: a recipient is public (it is
// what a teammate is given) and a post-quantum one is ~1,900 characters:
// it is printed whole, not taken for a long run of secret letters.
func TestRecipientsListShowsTheWholeRecipient(t *testing.T) {
	e := newEnv(t)
	pass := writeFile(t, filepath.Join(e.dir, "pass"), "correct horse battery staple\n")
	e.mustRun(tty{noTerminal: true}, "--passphrase-file", pass, "init")
	res := e.mustRun(tty{noTerminal: true}, "--passphrase-file", pass, "vault", "recipients", "list")
	self, _, _ := strings.Cut(strings.TrimSpace(res.stdout), "\t")
	if strings.Contains(res.stdout, "[masked]") || !strings.HasPrefix(self, "age1") {
		t.Fatalf("recipients list:\n%s", res.stdout)
	}
	if _, err := age.ParseRecipients(strings.NewReader(self)); err != nil {
		t.Errorf("the printed recipient does not parse: %v", err)
	}
}
