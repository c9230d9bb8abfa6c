package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const keyCtrlL = "\x0c"

// useAgent gives the fixture's processes a runtime directory of their
// own for the agent's socket (short: a socket path holds at most 107
// bytes), and ends every agent started in it when the test is over.
func (f *fixture) useAgent() {
	f.t.Helper()
	rt, err := os.MkdirTemp("", "vcrt")
	if err != nil {
		f.t.Fatal(err)
	}
	f.env = append(f.env, "XDG_RUNTIME_DIR="+rt)
	f.t.Cleanup(func() {
		stopAgentsIn(f.t, rt)
		os.RemoveAll(rt)
	})
}

// stopAgentsIn ends the agents whose socket is under dir (their command
// line names it) and waits until they are gone.
func stopAgentsIn(t *testing.T, dir string) {
	agents := func() []int {
		var pids []int
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			if err != nil || !strings.Contains(string(cmdline), "agent\x00serve") || !strings.Contains(string(cmdline), dir) {
				continue
			}
			stat, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
			if i := strings.LastIndexByte(string(stat), ')'); i > 0 && i+2 < len(stat) && strings.ContainsRune("ZX", rune(stat[i+2])) {
				continue // already dead, waiting to be reaped
			}
			var pid int
			for _, c := range e.Name() {
				pid = pid*10 + int(c-'0')
			}
			pids = append(pids, pid)
		}
		return pids
	}
	for _, pid := range agents() {
		syscall.Kill(pid, syscall.SIGTERM)
	}
	for deadline := time.Now().Add(10 * time.Second); len(agents()) > 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("agents still running after SIGTERM: %v", agents())
			return
		}
	}
}

// TestAgentUnlocksTheApp: with an agent holding the identity, the app
// opens a passphrase vault without the passphrase being typed. ctrl+l
// locks the app only, and enter unlocks it again through the agent; once
// the agent is gone, the unlock screen says so and takes the passphrase.
// With lock_with_app in config.toml, ctrl+l locks the agent too.
func TestAgentUnlocksTheApp(t *testing.T) {
	f := newFixture(t)
	f.useAgent()
	_, url := f.startSim(0)
	pass := f.passphraseVault()
	f.addKey("only", url, "sim-fast", "--passphrase-file", f.passFile())
	f.vaultchat("", "--passphrase-file", f.passFile(), "unlock")

	tm := f.app(termW, termH)
	tm.waitFor("the main screen, without a passphrase", idle)
	tm.send("hello through the agent" + keyEnter)
	tm.waitFor("the reply", func(s string) bool {
		return idle(s) && strings.Contains(s, `"hello through the agent"`)
	})

	tm.send(keyCtrlL)
	tm.waitText("press enter to unlock")
	tm.send(keyEnter)
	tm.waitFor("the main screen after enter alone", idle)

	tm.send(keyCtrlL)
	tm.waitText("press enter to unlock")
	f.vaultchat("", "lock")
	tm.send(keyEnter)
	s := tm.waitText("agent has locked or gone", "passphrase:")
	if strings.Contains(s, pass) {
		t.Fatalf("the passphrase is on the screen:\n%s", s)
	}
	tm.send(pass + keyEnter)
	tm.waitFor("the main screen after the passphrase", idle)
	tm.send(keyCtrlC)
	tm.waitExit()

	f.writeConfig("[agent]\nlock_with_app = true\n")
	f.vaultchat("", "--passphrase-file", f.passFile(), "unlock")
	tm = f.app(termW, termH)
	tm.waitFor("the main screen, without a passphrase", idle)
	tm.send(keyCtrlL)
	tm.waitText("passphrase:")
	// "agent status" exits 1 when no agent runs.
	status := exec.Command(binary, "--home", f.home, "agent", "status")
	status.Env = f.env
	if out, err := status.Output(); status.ProcessState.ExitCode() != 1 || !strings.Contains(string(out), "not running") {
		t.Errorf("ctrl+l with lock_with_app left the agent running (%v):\n%s", err, out)
	}
	tm.send(pass + keyEnter)
	tm.waitFor("the main screen after the passphrase", idle)
	tm.send(keyCtrlC)
	tm.waitExit()
}
