package cli

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// agentEnv is a process-test world with a passphrase vault and its own
// XDG_RUNTIME_DIR for the agent's socket (short: a socket path holds at
// most 107 bytes). Every agent a test starts is ended when it finishes.
type agentEnv struct {
	*binEnv
	pass     string // a canary: it must never show up anywhere
	passFile string
	runtime  string
}

// newAgentEnv makes the world and a passphrase vault in it.
func newAgentEnv(t *testing.T) *agentEnv {
	t.Helper()
	e := newAgentWorld(t)
	e.mustRun("", "--passphrase-file", e.passFile, "init")
	return e
}

// newAgentWorld makes the world without a vault.
func newAgentWorld(t *testing.T) *agentEnv {
	t.Helper()
	b := newBinEnv(t)
	rt, err := os.MkdirTemp("", "vcrt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(rt) })
	b.env = append(b.env, "XDG_RUNTIME_DIR="+rt)
	e := &agentEnv{binEnv: b, pass: "canary-passphrase-" + randomHex(t, 12), passFile: filepath.Join(b.dir, "passphrase.txt"), runtime: rt}
	if err := os.WriteFile(e.passFile, []byte(e.pass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// unlock runs "vaultchat unlock" with the passphrase file and returns the
// agent's pid; the test's cleanup ends the agent if it still runs.
func (e *agentEnv) unlock(flags ...string) int {
	e.t.Helper()
	e.mustRun("", append([]string{"--passphrase-file", e.passFile, "unlock"}, flags...)...)
	pid := e.agentPID()
	if pid == 0 {
		e.t.Fatal("vaultchat unlock succeeded but agent status says none runs")
	}
	e.t.Cleanup(func() { stopAgent(e.t, pid) })
	return pid
}

// agentPID returns the pid "agent status --json" reports, or 0.
func (e *agentEnv) agentPID() int {
	e.t.Helper()
	res := e.run("", "agent", "status", "--json") // exit 1 when none runs
	var st struct {
		Running bool `json:"running"`
		Agent   *struct {
			PID int `json:"pid"`
		} `json:"agent"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &st); err != nil {
		e.t.Fatalf("agent status --json: %v\n%s", err, res.stdout)
	}
	if !st.Running || st.Agent == nil {
		return 0
	}
	return st.Agent.PID
}

// isAgent reports whether pid is a live vaultchat agent (not a process
// that got the pid after it ended).
func isAgent(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name; Z and X are dead.
	if i := strings.LastIndexByte(string(stat), ')'); i > 0 && i+2 < len(stat) && strings.ContainsRune("ZX", rune(stat[i+2])) {
		return false
	}
	cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	// An exiting process has released its memory (an empty cmdline)
	// before it closes its files: the agent's socket still listens then,
	// so it still counts as the agent.
	return len(cmdline) == 0 || strings.Contains(string(cmdline), "agent\x00serve")
}

// waitAgentGone waits until pid no longer runs as an agent.
func waitAgentGone(t *testing.T, pid int, what string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for isAgent(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("the agent (pid %d) still runs after %s", pid, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stopAgent ends the agent pid if it still runs: no test leaves one
// behind.
func stopAgent(t *testing.T, pid int) {
	if !isAgent(pid) {
		return
	}
	syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(10 * time.Second)
	for isAgent(pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if isAgent(pid) {
		t.Errorf("the agent (pid %d) ignored SIGTERM", pid)
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

// inProcess returns an in-process environment with the same variables,
// for commands that need a (fake) terminal.
func (e *agentEnv) inProcess() *env {
	vars := map[string]string{}
	for _, kv := range e.env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	return &env{t: e.t, dir: e.dir, home: e.home, vars: vars, now: time.Now}
}
