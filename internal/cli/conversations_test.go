package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

func TestConversationsCommands(t *testing.T) {
	e := newVault(t)
	_, url := testkit.Sim(t, sim.Options{})
	e.addSimKey("work", url)
	first := e.askJSON(tty{}, "first topic")
	second := e.askJSON(tty{}, "second topic")

	res := e.mustRun(tty{}, "conversations", "list")
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], second.ConversationID) || !strings.HasPrefix(lines[2], first.ConversationID) {
		t.Fatalf("list is not newest first with a header:\n%s", res.stdout)
	}
	wantContains(t, "list", res.stdout, "work", "first topic", "second topic")

	e.mustRun(tty{}, "conversations", "rename", first.ConversationID, "renamed one")
	var list []chat.Summary
	if err := json.Unmarshal([]byte(e.mustRun(tty{}, "conversations", "list", "--json").stdout), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[1].Title == "" || strings.Contains(e.mustRun(tty{}, "conversations", "list").stdout, "\x1b") {
		t.Fatalf("rename: %+v", list)
	}

	res = e.run(tty{}, "conversations", "rm", first.ConversationID)
	wantCode(t, res, 1)
	wantContains(t, "rm without --yes", res.stderr, "--yes")
	e.mustRun(tty{}, "conversations", "rm", "--yes", first.ConversationID)
	if files := e.conversationFiles(); len(files) != 1 {
		t.Fatalf("after rm: %d conversation files, want 1", len(files))
	}
	res = e.run(tty{}, "conversations", "rm", "--yes", "../../etc")
	wantCode(t, res, 1)
}

// TestConversationsRenameRefusesControlAndLongTitles: a title with
// control characters or over 200 characters is a usage error, not a
// stored "evil␛]0;pwn␇title" or a title that became "[masked]".
func TestConversationsRenameRefusesControlAndLongTitles(t *testing.T) {
	e := newVault(t)
	_, url := testkit.Sim(t, sim.Options{})
	e.addSimKey("work", url)
	id := e.askJSON(tty{}, "hello").ConversationID
	for title, want := range map[string]string{
		"evil\x1b]0;pwn\x07title":     "control characters",
		strings.Repeat("long ", 1000): "at most 200 characters",
	} {
		res := e.run(tty{}, "conversations", "rename", id, title)
		wantCode(t, res, 2)
		wantContains(t, "stderr", res.stderr, want)
	}
	e.mustRun(tty{}, "conversations", "rename", id, "Straße notes")
}
