package cli

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
	"github.com/vaultchat/vaultchat/vault"
)

// TestAgentUnlockOnce: after "vaultchat unlock", every command that needs
// the vault works without a passphrase and without a terminal; after
// "vaultchat lock" the next command asks for it (on a terminal) or fails
// naming "vaultchat unlock" (without one). The passphrase and the keys
// are canaries: no output, argv, file or agent environment holds them.
func TestAgentUnlockOnce(t *testing.T) {
	e := newAgentEnv(t)
	_, url := testkit.Sim(t, sim.Options{})
	pid := e.unlock()
	key := testkit.Canary(t)
	canaries := []string{e.pass, key, strings.TrimPrefix(key, "sk-proj-CANARY")}

	exportFile := filepath.Join(e.dir, "chat.json")
	type step struct {
		stdin    string
		args     []string
		childOut bool // stdout is a child's, which gets the key
	}
	var outputs []string
	run := func(s step) result {
		t.Helper()
		res := e.run(s.stdin, s.args...)
		if res.code != 0 {
			t.Fatalf("vaultchat %s through the agent: exit %d\n%s%s", strings.Join(s.args, " "), res.code, res.stdout, res.stderr)
		}
		if strings.Contains(res.stderr, "passphrase") {
			t.Errorf("vaultchat %s mentions a passphrase:\n%s", strings.Join(s.args, " "), res.stderr)
		}
		outputs = append(outputs, res.stderr)
		if !s.childOut {
			outputs = append(outputs, res.stdout)
		}
		return res
	}
	for _, s := range []step{
		{stdin: key, args: []string{"keys", "add", "sim", "--provider", "openai-compatible", "--base-url", url, "--model", "sim-fast"}},
		{args: []string{"keys", "list"}},
		{args: []string{"keys", "show", "sim", "--json"}},
		{args: []string{"keys", "check", "sim"}},
		{args: []string{"ask", "--no-save", "a question that is not kept"}},
		{args: []string{"ask", "a question that is kept"}},
		{args: []string{"conversations", "list"}},
		{args: []string{"usage"}},
		{args: []string{"export", "--last", "--format", "json", "-o", exportFile}},
		{args: []string{"vault", "recipients", "list"}},
		{args: []string{"vault", "restore"}},
		{args: []string{"exec", "sim", "--", "env"}, childOut: true},
		{args: []string{"agent", "status"}},
		{args: []string{"agent", "status", "--json"}},
	} {
		run(s)
	}
	// import, after removing what it brings back.
	var exported struct {
		Conversation struct {
			ID string `json:"id"`
		} `json:"conversation"`
	}
	data, err := os.ReadFile(exportFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &exported); err != nil || exported.Conversation.ID == "" {
		t.Fatalf("export: %v\n%s", err, data)
	}
	run(step{args: []string{"conversations", "rm", exported.Conversation.ID, "--yes"}})
	run(step{args: []string{"import", exportFile}})

	// The same through the in-process command line with a terminal that
	// has no answers: nothing is asked.
	in := e.inProcess()
	res := in.run(tty{stdinTTY: true}, "keys", "list")
	if res.code != 0 || len(res.prompts) != 0 {
		t.Fatalf("keys list on a terminal with the agent: exit %d, prompts %q\n%s", res.code, res.prompts, res.stderr)
	}

	// What the agent process shows the rest of the system.
	environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		t.Fatal(err)
	}
	if vars := strings.Split(strings.TrimRight(string(environ), "\x00"), "\x00"); len(vars) != 1 || !strings.HasPrefix(vars[0], "PATH=") {
		t.Errorf("the agent's environment is %q; want PATH only", vars)
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, string(environ), string(cmdline))

	// lock: the next command asks on a terminal, and without one fails
	// with an error naming "vaultchat unlock".
	run(step{args: []string{"lock"}})
	waitAgentGone(t, pid, "vaultchat lock")
	res = in.run(tty{stdinTTY: true, secrets: []string{e.pass}}, "keys", "list")
	if res.code != 0 || len(res.prompts) != 1 || !strings.Contains(res.prompts[0], "passphrase") {
		t.Errorf("keys list on a terminal after lock: exit %d, prompts %q\n%s", res.code, res.prompts, res.stderr)
	}
	res = e.run("", "keys", "list")
	outputs = append(outputs, res.stdout, res.stderr)
	if res.code != 1 || !strings.Contains(strings.SplitN(res.stderr, "\n", 2)[0], `"vaultchat unlock"`) {
		t.Errorf("keys list without a terminal after lock: exit %d; want 1 and an error naming vaultchat unlock:\n%s", res.code, res.stderr)
	}
	wantErrorLines(t, "keys list after lock", res.stderr)

	// The canaries.
	for _, out := range outputs {
		for _, c := range canaries {
			if strings.Contains(out, c) {
				t.Errorf("an output holds a canary:\n%s", out)
			}
		}
	}
	for _, argv := range e.argv {
		for _, c := range canaries {
			if strings.Contains(strings.Join(argv, " "), c) {
				t.Errorf("argv carries a canary: %q", argv)
			}
		}
	}
	for _, dir := range []string{e.dir, e.runtime} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() || path == e.passFile {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, c := range canaries {
				if bytes.Contains(data, []byte(c)) {
					t.Errorf("%s holds a canary in clear", path)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestAgentEnds: the idle timeout (a short --for) and a passphrase change
// make the agent forget the identity and exit; commands then need the
// passphrase again. (SIGHUP: TestAgentNotDumpable; lock:
// TestAgentUnlockOnce; the maximum lifetime: the agent package's
// TestTimeouts, with a clock.)
func TestAgentEnds(t *testing.T) {
	e := newAgentEnv(t)
	needsUnlock := func(what string) {
		t.Helper()
		res := e.run("", "keys", "list")
		if res.code != 1 || !strings.Contains(res.stderr, `"vaultchat unlock"`) {
			t.Errorf("keys list after %s: exit %d\n%s", what, res.code, res.stderr)
		}
	}

	pid := e.unlock("--for", "1s")
	waitAgentGone(t, pid, "its idle timeout of 1s")
	needsUnlock("the idle timeout")

	pid = e.unlock()
	e.mustRun("", "keys", "list")
	newPass := filepath.Join(e.dir, "new-passphrase.txt")
	if err := os.WriteFile(newPass, []byte("another canary passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.mustRun("", "--passphrase-file", e.passFile, "passwd", "--new-passphrase-file", newPass)
	waitAgentGone(t, pid, "vaultchat passwd")
	needsUnlock("passwd")
}

// TestAgentSocketSafety: the socket directory and socket get modes 0700
// and 0600 under umask 000; a socket left by a killed agent is replaced;
// a socket directory that is a symbolic link is refused.
func TestAgentSocketSafety(t *testing.T) {
	e := newAgentEnv(t)
	cmd := exec.Command("/bin/sh", "-c", `umask 000; exec "$0" "$@"`, binPath, "--passphrase-file", e.passFile, "unlock")
	cmd.Env = e.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("unlock under umask 000: %v\n%s", err, out)
	}
	pid := e.agentPID()
	t.Cleanup(func() { stopAgent(t, pid) })
	dir := filepath.Join(e.runtime, "vaultchat")
	sockets, _ := filepath.Glob(filepath.Join(dir, "agent-*.sock"))
	if len(sockets) != 1 {
		t.Fatalf("socket directory holds %v; want one socket", sockets)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, sockets[0]: 0o600} {
		fi, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %04o under umask 000; want %04o", path, fi.Mode().Perm(), want)
		}
	}

	// Killed without a chance to clean up: the socket stays, stale.
	syscall.Kill(pid, syscall.SIGKILL)
	waitAgentGone(t, pid, "SIGKILL")
	if _, err := os.Lstat(sockets[0]); err != nil {
		t.Fatalf("the killed agent's socket is gone already: %v", err)
	}
	res := e.run("", "keys", "list")
	if res.code != 1 || strings.Contains(res.stderr, "warning") || !strings.Contains(res.stderr, `"vaultchat unlock"`) {
		t.Errorf("keys list with a stale socket: exit %d; want the plain locked error\n%s", res.code, res.stderr)
	}
	pid = e.unlock()
	e.mustRun("", "keys", "list")
	stopAgent(t, pid)

	// A symbolic link in place of the directory.
	other := filepath.Join(e.dir, "elsewhere")
	if err := os.Mkdir(other, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(other, dir); err != nil {
		t.Fatal(err)
	}
	res = e.run("", "--passphrase-file", e.passFile, "unlock")
	if res.code != 1 || !strings.Contains(res.stderr, "symbolic link") {
		t.Errorf("unlock with a linked socket directory: exit %d\n%s", res.code, res.stderr)
	}
	if entries, _ := os.ReadDir(other); len(entries) != 0 {
		t.Errorf("unlock put %d files through the link", len(entries))
	}
	if _, err := os.Lstat(dir); err != nil {
		t.Errorf("the link is gone: %v", err)
	}
	// Something answering through the link is not used: commands say
	// why they pass it over, and work as before.
	planted, err := net.Listen("unix", filepath.Join(other, filepath.Base(sockets[0])))
	if err != nil {
		t.Fatal(err)
	}
	defer planted.Close()
	res = e.run("", "--passphrase-file", e.passFile, "keys", "list")
	if res.code != 0 || !strings.Contains(res.stderr, "warning") || !strings.Contains(res.stderr, "symbolic link") {
		t.Errorf("keys list with a linked socket directory: exit %d\n%s", res.code, res.stderr)
	}
}

// TestAgentNotDumpable checks from outside that the agent made itself
// non-dumpable: the kernel then gives its /proc files to root, so the
// user's other processes cannot read its memory or environment. As root,
// the agent runs as nobody (a root process's files belong to root
// anyway); a process that did not harden itself, started the same way,
// shows the difference.
func TestAgentNotDumpable(t *testing.T) {
	base, err := os.MkdirTemp("", "vcnd")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	uid := os.Getuid()
	var cred *syscall.Credential
	if uid == 0 {
		uid = 65534
		cred = &syscall.Credential{Uid: 65534, Gid: 65534}
	}
	// Everything the agent's user needs, owned by it.
	bin := filepath.Join(base, "vc")
	data, err := os.ReadFile(binPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	home, rt := filepath.Join(base, "home"), filepath.Join(base, "rt")
	passFile := filepath.Join(base, "pass")
	if err := os.Mkdir(rt, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(passFile, []byte("canary-passphrase-"+randomHex(t, 8)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{base, rt, passFile} {
		if err := os.Chown(p, uid, -1); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + base, "VAULTCHAT_HOME=" + home, "XDG_RUNTIME_DIR=" + rt, "XDG_CONFIG_HOME=" + base}
	runAs := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env, cmd.Dir = env, base
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Credential: cred}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("vaultchat %v as uid %d: %v\n%s", args, uid, err, out)
		}
		return string(out)
	}
	runAs("--passphrase-file", passFile, "init")
	runAs("--passphrase-file", passFile, "unlock")
	var st struct {
		Agent struct {
			PID int `json:"pid"`
		} `json:"agent"`
	}
	if err := json.Unmarshal([]byte(runAs("agent", "status", "--json")), &st); err != nil || st.Agent.PID == 0 {
		t.Fatalf("agent status: %v", err)
	}
	pid := st.Agent.PID
	defer stopAgent(t, pid)

	// The control: the same user's ordinary process owns its /proc files.
	sleeper := exec.Command("sleep", "30")
	sleeper.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sleeper.Process.Kill(); sleeper.Wait() }()
	if owner := procOwner(t, sleeper.Process.Pid); owner != uid {
		t.Fatalf("an ordinary process of uid %d has /proc files of uid %d; the check below would prove nothing", uid, owner)
	}
	if owner := procOwner(t, pid); owner != 0 {
		t.Errorf("the agent's /proc files belong to uid %d; a non-dumpable process's belong to root", owner)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(status), "\nUid:\t"+strconv.Itoa(uid)+"\t") {
		t.Errorf("the agent does not run as uid %d:\n%s", uid, status)
	}

	// SIGHUP (a closed login session, say) ends it, and it takes its
	// socket along.
	syscall.Kill(pid, syscall.SIGHUP)
	waitAgentGone(t, pid, "SIGHUP")
	if entries, err := os.ReadDir(filepath.Join(rt, "vaultchat")); err != nil || len(entries) != 0 {
		t.Errorf("the agent left %d files in its socket directory (%v)", len(entries), err)
	}
}

// procOwner returns the owner of /proc/PID/status.
func procOwner(t *testing.T, pid int) int {
	t.Helper()
	fi, err := os.Stat(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	return int(fi.Sys().(*syscall.Stat_t).Uid)
}

// TestAgentConcurrentAdds: 4 processes add 50 keys each through the
// agent, at once; all 200 are in the vault, each with its secret.
func TestAgentConcurrentAdds(t *testing.T) {
	e := newAgentEnv(t)
	e.unlock()
	const workers, perWorker = 4, 50
	secrets := map[string]string{}
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
				cmd := e.command(nil, "keys", "add", name)
				cmd.Stdin = strings.NewReader(secrets[name] + "\n")
				if out, err := cmd.CombinedOutput(); err != nil {
					errs <- fmt.Sprintf("%s: %v: %s", name, err, out)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	// Checked with the passphrase, without the agent.
	v, err := vault.Open(e.home, vault.Options{Passphrase: func() (string, error) { return e.pass, nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	keys := v.Keys()
	if len(keys) != len(secrets) {
		t.Fatalf("the vault holds %d keys; want %d", len(keys), len(secrets))
	}
	for _, k := range keys {
		if secrets[k.Name] != k.Secret.Reveal() {
			t.Errorf("key %s: wrong or missing secret", k.Name)
		}
	}
	st := e.mustRun("", "agent", "status")
	if !strings.Contains(st.stdout, "0 refused") {
		t.Errorf("the agent refused requests:\n%s", st.stdout)
	}
}

// TestAgentOff: VAULTCHAT_AGENT=off and the config switch make commands
// ignore a running agent, and unlock refuse to start one.
func TestAgentOff(t *testing.T) {
	e := newAgentEnv(t)
	e.unlock()
	res := e.runEnv([]string{"VAULTCHAT_AGENT=off"}, "", "keys", "list")
	if res.code != 1 || !strings.Contains(res.stderr, "no terminal to ask") || strings.Contains(res.stderr, "vaultchat unlock") {
		t.Errorf("keys list with VAULTCHAT_AGENT=off: exit %d\n%s", res.code, res.stderr)
	}
	cfgDir := filepath.Join(e.dir, "config", "vaultchat")
	if err := os.MkdirAll(cfgDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfgDir, "config.toml"), []byte("[agent]\nenabled = false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if res := e.run("", "keys", "list"); res.code != 1 {
		t.Errorf("keys list with the agent off in config: exit %d\n%s", res.code, res.stderr)
	}
	res = e.run("", "--passphrase-file", e.passFile, "unlock")
	if res.code != 1 || !strings.Contains(res.stderr, "turned off") {
		t.Errorf("unlock with the agent off: exit %d\n%s", res.code, res.stderr)
	}
}

// TestAgentRelaysIdentityPrompts uses an identity file whose key asks a
// question when it is used (an SSH key with a passphrase; age plugins such
// as age-plugin-yubikey ask for a PIN the same way): the agent, which has
// no terminal, passes the question to the command it serves. unlock
// answers it once; later commands need nothing.
func TestAgentRelaysIdentityPrompts(t *testing.T) {
	e := newAgentWorld(t)
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshPass := "canary-ssh-passphrase-" + randomHex(t, 8)
	block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte(sshPass))
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(e.dir, "id_ed25519")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.passFile, []byte(sshPass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(e.dir, "ssh-home")
	e.mustRun("", "--home", home, "--identity", keyFile, "--passphrase-file", e.passFile, "init")
	res := e.run("", "--home", home, "keys", "list")
	if res.code != 1 || !strings.Contains(res.stderr, "passphrase") {
		t.Fatalf("keys list of a protected SSH key without the agent or a passphrase: exit %d\n%s", res.code, res.stderr)
	}

	e.mustRun("", "--home", home, "--passphrase-file", e.passFile, "unlock")
	var st struct {
		Agent struct {
			PID int `json:"pid"`
		} `json:"agent"`
	}
	if err := json.Unmarshal([]byte(e.mustRun("", "--home", home, "agent", "status", "--json").stdout), &st); err != nil || st.Agent.PID == 0 {
		t.Fatalf("agent status: %v", err)
	}
	t.Cleanup(func() { stopAgent(t, st.Agent.PID) })
	e.mustRun(testkit.Canary(t), "--home", home, "keys", "add", "k")
	res = e.mustRun("", "--home", home, "keys", "list")
	if !strings.Contains(res.stdout, "k ") {
		t.Errorf("keys list through the agent:\n%s", res.stdout)
	}
	// The SSH key's passphrase is in no argv.
	for _, argv := range e.argv {
		if strings.Contains(strings.Join(argv, " "), sshPass) {
			t.Errorf("argv carries the SSH passphrase: %q", argv)
		}
	}
}

// TestAgentStatusWithoutAgentExitsOne: "agent status" when no agent runs
// says so and exits 1, so "vaultchat agent status >/dev/null && …" can
// tell; --json still prints running: false.
func TestAgentStatusWithoutAgentExitsOne(t *testing.T) {
	e := newVault(t)
	res := e.run(tty{}, "agent", "status")
	wantCode(t, res, 1)
	wantContains(t, "stdout", res.stdout, "not running")
	wantContains(t, "stderr", res.stderr, `vaultchat: hint: "vaultchat unlock" starts one`)
	res = e.run(tty{}, "agent", "status", "--json")
	wantCode(t, res, 1)
	wantContains(t, "json", res.stdout, `"running": false`)
}

// TestUnlockForValues: --for 0s is refused like a negative value (it
// silently became the default), and --for while an agent runs says that
// the agent keeps its own times.
func TestUnlockForValues(t *testing.T) {
	e := newAgentEnv(t)
	for _, flag := range []string{"--for=0s", "--max=0s", "--for=-5m"} {
		res := e.run("", "--passphrase-file", e.passFile, "unlock", flag)
		if res.code != 2 || !strings.Contains(res.stderr, "must be positive durations") {
			t.Errorf("unlock %s: exit %d\n%s", flag, res.code, res.stderr)
		}
	}
	e.unlock()
	res := e.run("", "--passphrase-file", e.passFile, "unlock", "--for", "9h")
	if res.code != 0 || !strings.Contains(res.stderr, "vaultchat: warning: --for 9h is not applied") || !strings.Contains(res.stderr, `"vaultchat lock"`) {
		t.Errorf("unlock --for while unlocked: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}

// TestAgentEnvValues: VAULTCHAT_AGENT takes the documented values; any
// other is named in a warning (once) with the values it takes, and the
// agent stays on, as when it is unset.
func TestAgentEnvValues(t *testing.T) {
	e := newVault(t)
	for _, v := range []string{"off", "OFF", "0", "false", "no", "on", "1", "true", "yes", ""} {
		e.vars[envAgent] = v
		res := e.mustRun(tty{}, "keys", "list")
		if strings.Contains(res.stderr, envAgent) {
			t.Errorf("%s=%q warned: %s", envAgent, v, res.stderr)
		}
	}
	e.vars[envAgent] = "bogus"
	res := e.mustRun(tty{}, "keys", "list")
	wantContains(t, "stderr", res.stderr, `vaultchat: warning: VAULTCHAT_AGENT="bogus" is not understood: use off (or 0, false, no) or on (or 1, true, yes); the agent stays on`)
	if n := strings.Count(res.stderr, envAgent); n != 1 {
		t.Errorf("warned %d times:\n%s", n, res.stderr)
	}
}
