package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/testkit"
)

// TestImportInterrupted stops the real binary in the middle of importing a
// large ChatGPT export — Ctrl+C (SIGINT) or SIGKILL while it stages, and
// SIGKILL as soon as it commits — and checks that the next command finds
// either none of the import or all of it, with no staging left, and that
// the import run again with --skip-existing completes it.
func TestImportInterrupted(t *testing.T) {
	const n = 1000
	file := filepath.Join(t.TempDir(), "conversations.json")
	if err := os.WriteFile(file, testkit.ChatGPTExport(n, importBenchReply), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
		// ready reports whether to send the signal now.
		ready func(written int, committing bool) bool
		// mustSignal: the moment always comes before the import ends.
		mustSignal bool
	}{
		{"SIGINT while staging", syscall.SIGINT, func(written int, _ bool) bool { return written >= 100 }, true},
		{"SIGKILL while staging", syscall.SIGKILL, func(written int, _ bool) bool { return written >= 100 }, true},
		{"SIGKILL while committing", syscall.SIGKILL, func(_ int, committing bool) bool { return committing }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := importHome(t)
			home := envValue(env, "VAULTCHAT_HOME")
			cmd := binaryCommand(env, "import", file)
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			signaled := false
			deadline := time.Now().Add(2 * time.Minute) // a guard against a hang, not a speed check
		watch:
			for {
				select {
				case <-exited:
					break watch // finished before the moment came: must be all
				default:
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatal("the import neither reached the moment nor ended")
				}
				staged, committing := stagingState(home)
				if tc.ready(staged, committing) {
					if err := cmd.Process.Signal(tc.sig); err != nil {
						t.Fatal(err)
					}
					signaled = true
					<-exited
					break
				}
				time.Sleep(time.Millisecond)
			}
			if tc.mustSignal && !signaled {
				t.Fatalf("the import ended before the signal: %s", out.String())
			}

			// The next command that opens the vault: nothing or all.
			got := countConversations(t, env)
			t.Logf("%s: %d conversations after the next open", tc.name, got)
			if got != 0 && got != n {
				t.Fatalf("after the interrupted import and an open: %d conversations, want 0 or %d", got, n)
			}
			if _, err := os.Stat(filepath.Join(home, "conversations", ".imports")); !os.IsNotExist(err) {
				t.Errorf("staging still there after an open: %v", err)
			}
			if tc.sig == syscall.SIGINT && signaled && got == 0 && !strings.Contains(out.String(), "import canceled") {
				t.Errorf("Ctrl+C did not say the import was canceled: %s", out.String())
			}
			// Stopped by Ctrl+C: 128+2, as shells and "keys add" do.
			if tc.sig == syscall.SIGINT && signaled && got == 0 && cmd.ProcessState.ExitCode() != 130 {
				t.Errorf("Ctrl+C: exit %d; want 130", cmd.ProcessState.ExitCode())
			}

			again, err := binaryCommand(env, "import", "--skip-existing", file).CombinedOutput()
			if err != nil {
				t.Fatalf("import --skip-existing after the interruption: %v\n%s", err, again)
			}
			want := fmt.Sprintf("imported %d conversations", n-got)
			if n-got == 0 {
				want = "imported 0 conversations"
			}
			if !strings.Contains(string(again), want) {
				t.Errorf("rerun said %q, want %q", again, want)
			}
			if got > 0 && !strings.Contains(string(again), fmt.Sprintf("skipped %d conversations already in the vault", got)) {
				t.Errorf("rerun did not say what it skipped: %s", again)
			}
			if c := countConversations(t, env); c != n {
				t.Errorf("%d conversations after the rerun, want %d", c, n)
			}
		})
	}
}

// stagingState counts the files an import in progress has written
// (staged, or in place) and says whether its commit record exists.
func stagingState(home string) (written int, committing bool) {
	inPlace, _ := filepath.Glob(filepath.Join(home, "conversations", "*-*.age"))
	written = len(inPlace)
	dirs, _ := filepath.Glob(filepath.Join(home, "conversations", ".imports", "*"))
	for _, d := range dirs {
		des, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, de := range des {
			if de.Name() == "commit.index.age" {
				committing = true
			}
		}
		written += len(des)
	}
	return written, committing
}

func countConversations(t *testing.T, env []string) int {
	t.Helper()
	out, err := binaryCommand(env, "conversations", "list", "--json").Output()
	if err != nil {
		t.Fatalf("conversations list: %v\n%s", err, out)
	}
	var list []json.RawMessage
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatalf("conversations list --json: %v\n%s", err, out)
	}
	return len(list)
}

func envValue(env []string, name string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}
