package session

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofrs/flock"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/view"
)

// TestSendWhileAnotherProcessRunsATurn holds a conversation's turn lock
// the way another vaultchat's turn does: the app's Send fails before it
// saves or sends anything, with an error that names the conversation, so
// the app shows it and keeps the typed text; once the other turn is over
// the same Send goes through.
func TestSendWhileAnotherProcessRunsATurn(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	f.addKey("work", "sim-fast", nil)
	f.unlock()
	c := f.create("")
	f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "first"})
	before := len(f.load(c.ID).Messages)
	requests := modelRequests(f.sim)

	l := flock.New(filepath.Join(f.home, "conversations", c.ID+".lock"))
	if ok, err := l.TryLock(); err != nil || !ok {
		t.Fatalf("take the turn lock: %t %v", ok, err)
	}
	_, err := f.sess.Send(context.Background(), view.SendRequest{ConversationID: c.ID, Prompt: "second"})
	if !errors.Is(err, ErrConversationInUse) || !strings.Contains(err.Error(), "conversation "+c.ID+" is in use by another vaultchat") {
		l.Unlock()
		t.Fatalf("Send during another process's turn: %v", err)
	}
	if n := len(f.load(c.ID).Messages); n != before || modelRequests(f.sim) != requests {
		t.Fatalf("the refused turn saved or sent something: %d messages (was %d), %d requests (was %d)", n, before, modelRequests(f.sim), requests)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "second"})
	if n := len(f.load(c.ID).Messages); n != before+2 {
		t.Fatalf("%d messages after the second turn, want %d", n, before+2)
	}
}

// TestTurnLockFilesDoNotPileUp: a turn removes its lock file when it
// ends, and Delete removes one a killed turn left.
func TestTurnLockFilesDoNotPileUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	f.addKey("work", "sim-fast", nil)
	f.unlock()
	c := f.create("")
	f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "first"})
	lock := filepath.Join(f.home, "conversations", c.ID+".lock")
	if fileExists(lock) {
		t.Fatal("the turn left its lock file")
	}
	if err := os.WriteFile(lock, nil, 0o600); err != nil { // a killed turn's
		t.Fatal(err)
	}
	if err := f.sess.Delete(c.ID); err != nil {
		t.Fatal(err)
	}
	if fileExists(lock) {
		t.Fatal("the deleted conversation's lock file stayed")
	}
}

func fileExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
