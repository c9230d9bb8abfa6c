package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// BenchmarkUnlockedCommands runs "keys list" and "ask --no-save" (against
// the simulator) as whole processes on three vaults: one unlocked by an
// identity file, a passphrase vault whose identity the agent holds, and
// the same passphrase vault without the agent (scrypt on every command).
// The agent's figure should be within 1.3x of the identity file's.
//
//	go test -run '^$' -bench UnlockedCommands -benchtime 10x ./internal/cli/
func BenchmarkUnlockedCommands(b *testing.B) {
	_, url := testkit.Sim(b, sim.Options{})
	identityEnv := binaryVault(b, url)
	agentEnv, passphraseEnv := passphraseBenchVault(b, url)
	commands := []struct {
		name string
		args []string
	}{
		{"keys-list", []string{"keys", "list"}},
		{"ask-no-save", []string{"ask", "--no-save", "benchmark this"}},
	}
	vaults := []struct {
		name string
		env  []string
	}{
		{"identity-file", identityEnv},
		{"passphrase-agent", agentEnv},
		{"passphrase-no-agent", passphraseEnv},
	}
	for _, c := range commands {
		for _, v := range vaults {
			b.Run(c.name+"/"+v.name, func(b *testing.B) {
				var cpu time.Duration
				for b.Loop() {
					cmd := binaryCommand(v.env, c.args...)
					if out, err := cmd.CombinedOutput(); err != nil {
						b.Fatalf("vaultchat %v: %v\n%s", c.args, err, out)
					}
					cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
				}
				b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
			})
		}
	}
}

// passphraseBenchVault makes a passphrase vault with one key "sim" for
// the simulator at url, starts an agent for it, and returns the
// environment that goes through the agent and the one that unlocks with
// the passphrase file instead.
func passphraseBenchVault(b *testing.B, url string) (withAgent, without []string) {
	b.Helper()
	dir := b.TempDir()
	rt, err := os.MkdirTemp("", "vcrt")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(rt) })
	passFile := filepath.Join(dir, "passphrase.txt")
	if err := os.WriteFile(passFile, []byte("benchmark passphrase\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	base := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"TMPDIR=" + dir,
		"TERM=xterm-256color",
		"XDG_DATA_HOME=" + filepath.Join(dir, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"XDG_RUNTIME_DIR=" + rt,
		"VAULTCHAT_HOME=" + filepath.Join(dir, "home"),
	}
	withPass := append(append([]string{}, base...), "VAULTCHAT_PASSPHRASE_FILE="+passFile)
	for _, step := range []struct {
		stdin string
		args  []string
	}{
		{"", []string{"init"}},
		{testkit.Canary(b), []string{"keys", "add", "sim", "--provider", "openai-compatible", "--base-url", url, "--model", "sim-fast"}},
		{"", []string{"unlock"}},
	} {
		cmd := binaryCommand(withPass, step.args...)
		cmd.Stdin = strings.NewReader(step.stdin)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("vaultchat %v: %v\n%s", step.args, err, out)
		}
	}
	b.Cleanup(func() { binaryCommand(base, "lock").Run() })
	return base, append(withPass, envAgent+"=off")
}
