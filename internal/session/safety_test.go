package session

import (
	"context"
	"testing"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/vault"
)

// TestUnlockAgainDuringReplyKeepsTheReply: Unlock on a session that is
// already unlocked replaces the vault. A turn of the old vault that is
// still finishing must save its reply before that vault is closed.
func TestUnlockAgainDuringReplyKeepsTheReply(t *testing.T) {
	t.Parallel()
	f, c, _, ch, cancel := startLongReply(t)
	if _, ok := afterSent(ch).(chat.Delta); !ok {
		t.Fatal("no delta first")
	}
	cancel()
	if err := f.sess.Unlock(nil); err != nil {
		t.Fatal(err)
	}
	var warnings []string
	for ev := range ch {
		if w, ok := ev.(chat.Warning); ok {
			warnings = append(warnings, w.Text)
		}
	}
	got := f.load(c.ID)
	if len(got.Messages) != 2 || got.Messages[1].Content == "" || len(warnings) != 0 {
		t.Fatalf("the reply was not saved across the second unlock: %d messages, warnings %q", len(got.Messages), warnings)
	}
}

func TestSendAfterLockAndLockTwice(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	f.addKey("work", "sim-fast", nil)
	f.unlock()
	c := f.create("")
	f.sess.Lock()
	f.sess.Lock() // twice is harmless
	if _, err := f.sess.Send(context.Background(), view.SendRequest{ConversationID: c.ID, Prompt: "hi"}); err != vault.ErrLocked {
		t.Fatalf("Send after Lock: %v, want ErrLocked", err)
	}
	if _, err := f.sess.AddNote(c.ID, "note"); err != vault.ErrLocked {
		t.Fatalf("AddNote after Lock: %v, want ErrLocked", err)
	}
	f.unlock()
	if got := f.load(c.ID); len(got.Messages) != 0 {
		t.Fatalf("something was written while locked: %+v", got.Messages)
	}
}
