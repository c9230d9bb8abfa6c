package cli

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/transcript"
	"github.com/vaultchat/vaultchat/internal/view"
)

// TestDemoHomeShowsEveryFeature builds the demo home as "vaultchat
// --demo" does and reads it back through the session: a role file and a
// conversation started with it, a message with a text file and an image
// attached, a reply in three versions showing the second, a fork of a
// conversation, history imported from ChatGPT that search finds, no
// damaged-ledger note, and the latest conversation (the one the app
// opens) going on with the personal key and sim-fast.
func TestDemoHomeShowsEveryFeature(t *testing.T) {
	e := newEnv(t)
	t.Setenv("TMPDIR", t.TempDir())
	var res result
	a := newApp(e.deps(tty{}, &res))
	a.resolve(&root{Demo: true})
	d, sess, err := a.startDemo()
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	defer sess.Close()

	if got := a.rolesDir(); got != filepath.Join(d.dir, "config", "vaultchat", "roles") {
		t.Errorf("the demo's roles are read from %s, not its config directory", got)
	}
	if _, err := loadRole(a, "reviewer"); err != nil {
		t.Errorf("the demo's reviewer role: %v", err)
	}
	sums, err := sess.Conversations()
	if err != nil {
		t.Fatal(err)
	}
	var role, files, versions, fork, imported *chat.Conversation
	for _, s := range sums {
		c, err := sess.Load(s.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case c.Role != nil:
			role = c
		case c.Parent != nil:
			fork = c
		case c.Source == transcript.SourceChatGPT:
			imported = c
		case slices.ContainsFunc(c.Messages, func(m chat.Message) bool { return len(m.Attachments) > 0 }):
			files = c
		default:
			for i := range c.Messages {
				if cur, total := c.Versions(i); total > 1 {
					versions = c
					if cur+1 != 2 || total != 3 {
						t.Errorf("the regenerated reply shows version %d/%d, want 2/3", cur+1, total)
					}
				}
			}
		}
	}
	if role == nil || role.Role.Name != "reviewer" || !strings.Contains(role.SystemPrompt, "You review Go code") || !hasReply(role) {
		t.Errorf("no conversation started with the reviewer role and answered: %+v", role)
	}
	if files == nil {
		t.Fatal("no conversation with attachments")
	}
	var kinds []string
	for _, m := range files.Messages {
		for _, att := range m.Attachments {
			kinds = append(kinds, att.Name+" "+att.MediaType)
		}
	}
	if want := []string{"checklist.md text/plain", "chart.png image/png"}; !slices.Equal(kinds, want) {
		t.Errorf("attachments %q, want %q", kinds, want)
	}
	if versions == nil {
		t.Error("no reply in several versions")
	}
	if fork == nil || fork.Parent.ConversationID != files.ID || fork.Title != "Release checklist (fork)" || len(fork.Messages) <= len(files.Messages) {
		t.Errorf("no fork of the attachments conversation that goes on: %+v", fork)
	}
	if imported == nil {
		t.Error("no conversation imported from ChatGPT")
	}
	hits, err := sess.Search("goroutine leak", view.SearchOptions{})
	if err != nil || len(hits) == 0 {
		t.Errorf("search finds nothing for \"goroutine leak\": %v", err)
	}
	if len(sums) == 0 || versions == nil || sums[0].ID != versions.ID {
		t.Errorf("the app would not open on the reply in versions first")
	} else if ch := sess.Choice(sums[0].ID); ch.Key.Name != "personal" || ch.Model != "sim-fast" {
		t.Errorf("the first conversation goes on with %s · %s, want personal · sim-fast", ch.Key.Name, ch.Model)
	}
	for _, k := range sess.Keys() {
		u := sess.Usage(k.ID, "")
		if u.Ledger != "" {
			t.Errorf("key %s: ledger note %q", k.Name, u.Ledger)
		}
		// The key picker's "last used" agrees with the usage shown.
		if u.Lifetime.Tokens > 0 && k.LastUsed.IsZero() {
			t.Errorf("key %s: %d tokens used, but last used never", k.Name, u.Lifetime.Tokens)
		}
	}
}

// hasReply reports whether c holds an assistant reply.
func hasReply(c *chat.Conversation) bool {
	return slices.ContainsFunc(c.Messages, func(m chat.Message) bool { return m.Role == chat.RoleAssistant })
}

// TestDemoHintFits: the banner's line on what to try fits 80 columns and
// names what the demo home holds.
func TestDemoHintFits(t *testing.T) {
	if w := len([]rune(demoHint)); w > 80 {
		t.Errorf("the hint is %d columns: %q", w, demoHint)
	}
	for _, want := range []string{"ctrl+o", "role", "files", "fork", "versions", "search"} {
		if !strings.Contains(demoHint, want) {
			t.Errorf("the hint lacks %q: %q", want, demoHint)
		}
	}
}
