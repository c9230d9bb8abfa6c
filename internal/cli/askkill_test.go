package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// TestAskKilledAfterItsReply kills the real binary's "ask" with SIGKILL
// between saving its reply and recording its request (its journal entry
// is there and the conversation file has just changed), again and again.
// After the next open the ledger counts every stored reply, once.
func TestAskKilledAfterItsReply(t *testing.T) {
	_, url := testkit.Sim(t, sim.Options{})
	env := binaryVault(t, url)
	home := envValue(env, "VAULTCHAT_HOME")
	pending := filepath.Join(home, "usage", "pending", "*.age")
	killed := 0
	for i := range 12 {
		args := []string{"ask", "--key", "sim", "question"}
		if i > 0 {
			args = append(args, "--continue")
		}
		// What an earlier kill left in the journal (this ask records
		// it when it opens the vault) does not count as this one's.
		before := map[string]bool{}
		old, _ := filepath.Glob(pending)
		for _, p := range old {
			before[p] = true
		}
		cmd := binaryCommand(env, args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		deadline := time.Now().Add(time.Minute) // a guard against a hang
		var saved *string
		late := false
	watch:
		for {
			select {
			case <-exited:
				break watch
			default:
			}
			switch {
			case late:
			case saved == nil && journaled(pending, before):
				// The reply's save comes next: watch the conversation.
				v := convVersions(home)
				saved = &v
			case saved != nil && !journaled(pending, before):
				late = true // recorded already: let this one end
			case saved != nil && convVersions(home) != *saved:
				// The reply is saved and its request not yet recorded.
				cmd.Process.Kill()
				<-exited
				killed++
				break watch
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatal("ask hung")
			}
			time.Sleep(200 * time.Microsecond)
		}
	}
	t.Logf("killed %d of 12 asks between saving the reply and recording it", killed)
	if killed == 0 {
		t.Fatal("no ask was caught between saving its reply and recording it")
	}

	// The next open: usage catches up with the journal.
	u := usageTotal(t, env)
	replies := storedReplies(t, env)
	t.Logf("%d requests in the ledger, %d stored replies", u, replies)
	if u != int64(replies) || replies != 12 {
		t.Errorf("the ledger counts %d requests for %d stored replies", u, replies)
	}
	if m, _ := filepath.Glob(pending); len(m) != 0 {
		t.Errorf("the journal still holds %d entries after an open", len(m))
	}
}

// journaled reports whether the journal holds an entry not in before.
func journaled(pattern string, before map[string]bool) bool {
	m, _ := filepath.Glob(pattern)
	for _, p := range m {
		if !before[p] {
			return true
		}
	}
	return false
}

// convVersions describes the conversation files (name, size, time).
func convVersions(home string) string {
	files, _ := filepath.Glob(filepath.Join(home, "conversations", "*-*.age"))
	var b strings.Builder
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			fmt.Fprintf(&b, "%s %d %d;", filepath.Base(f), fi.Size(), fi.ModTime().UnixNano())
		}
	}
	return b.String()
}

func usageTotal(t *testing.T, env []string) int64 {
	t.Helper()
	out, err := binaryCommand(env, "usage", "--json").Output()
	if err != nil {
		t.Fatalf("usage: %v\n%s", err, out)
	}
	var u struct {
		Total struct {
			Requests int64 `json:"requests"`
		} `json:"total"`
	}
	if err := json.Unmarshal(out, &u); err != nil {
		t.Fatalf("usage --json: %v\n%s", err, out)
	}
	return u.Total.Requests
}

// storedReplies counts the assistant messages of every stored
// conversation.
func storedReplies(t *testing.T, env []string) int {
	t.Helper()
	dir := t.TempDir()
	if out, err := binaryCommand(env, "export", "--all", "--format", "json", "-o", dir).CombinedOutput(); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	n := 0
	for _, f := range files {
		var doc struct {
			Messages []struct {
				Role string `json:"role"`
			} `json:"messages"`
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		for _, m := range doc.Messages {
			if m.Role == "assistant" {
				n++
			}
		}
	}
	return n
}
