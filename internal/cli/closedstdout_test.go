package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// TestProcessClosedStdoutIsAQuietSuccess is "vaultchat keys list | true"
// for every command that prints: the reader went away before reading,
// which is normal in Unix. Each command exits 0 without a word (as ask
// does) instead of dying of SIGPIPE (status 141 in the shell).
func TestProcessClosedStdoutIsAQuietSuccess(t *testing.T) {
	_, url := testkit.Sim(t, sim.Options{})
	env := binaryVault(t, url)
	if out, err := binaryCommand(env, "ask", "--model", "sim-fast", "hello").CombinedOutput(); err != nil {
		t.Fatalf("ask: %v\n%s", err, out)
	}
	for _, args := range [][]string{
		{"keys", "list"},
		{"usage"},
		{"export", "--last"},
		{"completion", "bash"},
		{"config", "show"},
		{"conversations", "list"},
		{"--help"},
		{"--version"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			cmd := binaryCommand(env, args...)
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			r.Close() // the reader is gone before the first write
			cmd.Stdout = w
			var stderr strings.Builder
			cmd.Stderr = &stderr
			err = cmd.Run()
			w.Close()
			if code := cmd.ProcessState.ExitCode(); code != 0 || stderr.Len() != 0 {
				t.Fatalf("exit %v (%v); stderr:\n%s", cmd.ProcessState, err, stderr.String())
			}
		})
	}
}
