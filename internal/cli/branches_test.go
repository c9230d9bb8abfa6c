package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/transcript"
)

// TestExportAllBranchesRoundTrip imports a conversation whose reply has
// a sibling branch, and checks that the export shows the current branch
// by default and the whole tree, byte for byte, with --all-branches.
func TestExportAllBranchesRoundTrip(t *testing.T) {
	e := newVault(t)
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	c := &chat.Conversation{ID: "20260501-100000-branches", Title: "tree", Created: at, Updated: at, Messages: []chat.Message{
		{ID: "u1", Role: chat.RoleUser, Content: "question", Time: at},
		{ID: "a2", Role: chat.RoleAssistant, Content: "newer answer", Time: at.Add(time.Minute), Siblings: []chat.Branch{
			{Messages: []chat.Message{{ID: "a1", Role: chat.RoleAssistant, Content: "older answer", Time: at.Add(time.Second)}}},
		}},
	}}
	var buf bytes.Buffer
	if err := transcript.Export(&buf, c, transcript.JSON, transcript.Options{AllBranches: true}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.dir, "tree.json")
	os.WriteFile(path, buf.Bytes(), 0o600)
	e.mustRun(tty{}, "import", path)

	current := e.mustRun(tty{}, "export", c.ID, "-f", "json").stdout
	if !strings.Contains(current, "newer answer") || strings.Contains(current, "older answer") {
		t.Errorf("default export is not the current branch:\n%s", current)
	}
	all := e.mustRun(tty{}, "export", c.ID, "-f", "json", "--all-branches").stdout
	if all != buf.String() {
		t.Errorf("--all-branches export differs from the imported file:\n%s\n---\n%s", all, buf.String())
	}
	md := e.mustRun(tty{}, "export", c.ID, "--all-branches").stdout
	wantContains(t, "markdown --all-branches", md, "newer answer", "Other version 1 of 1", "older answer")
}
