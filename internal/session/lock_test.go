package session

import (
	"testing"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/vault"
)

// TestLockDuringReplyKeepsThePartialReply covers ctrl+l (or the idle lock)
// while a reply streams: the UI cancels the turn and locks at once; the
// partial reply must still be saved before the vault closes.
func TestLockDuringReplyKeepsThePartialReply(t *testing.T) {
	t.Parallel()
	f, c, _, ch, cancel := startLongReply(t)
	if _, ok := afterSent(ch).(chat.Delta); !ok {
		t.Fatal("no delta first")
	}
	cancel()
	f.sess.Lock() // the reader is gone: nobody drains ch
	if _, err := f.sess.Load(c.ID); err != vault.ErrLocked {
		t.Fatalf("Load after Lock: %v, want ErrLocked", err)
	}
	f.unlock()
	got := f.load(c.ID)
	if len(got.Messages) != 2 || got.Messages[1].Turn == nil || !got.Messages[1].Turn.Incomplete || got.Messages[1].Content == "" {
		t.Fatalf("the partial reply was not saved before the lock: %+v", got.Messages)
	}
}
