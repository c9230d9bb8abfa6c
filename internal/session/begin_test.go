package session

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/view"
)

// TestBeginWritesWithTheFirstMessage: a conversation from Begin is not
// written until its turn saves the user's message (one write before the
// request, not two), is found by the turn and by Choice meanwhile, is
// listed once written, and leaves nothing behind when deleted unwritten.
func TestBeginWritesWithTheFirstMessage(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.addKey("k", "sim-fast", nil)
	f.unlock()
	fileOf := func(id string) string { return filepath.Join(f.home, "conversations", id+".age") }

	c, err := f.sess.Begin("be brief", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(fileOf(c.ID)); !os.IsNotExist(err) {
		t.Fatalf("Begin wrote %s (stat: %v)", fileOf(c.ID), err)
	}
	if ch := f.sess.Choice(c.ID); ch.Key.ID == "" || ch.Problem != "" {
		t.Errorf("Choice of the new conversation: %+v", ch)
	}
	if list, _ := f.sess.Conversations(); len(list) != 0 {
		t.Errorf("a conversation with no message is listed: %+v", list)
	}
	_, final := f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "hello"})
	if _, ok := final.(chat.Done); !ok {
		t.Fatalf("turn ended %#v", final)
	}
	if _, err := os.Stat(fileOf(c.ID)); err != nil {
		t.Errorf("the turn did not write %s: %v", fileOf(c.ID), err)
	}
	got := f.load(c.ID)
	if len(got.Messages) != 2 || got.SystemPrompt != "be brief" || got.Messages[0].Content != "hello" {
		t.Errorf("saved %+v", got)
	}
	if list, _ := f.sess.Conversations(); len(list) != 1 || list[0].ID != c.ID {
		t.Errorf("listed %+v; want the conversation", list)
	}

	gone, err := f.sess.Begin("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.sess.Delete(gone.ID); err != nil {
		t.Errorf("Delete of an unwritten conversation: %v", err)
	}
	if _, err := f.sess.Load(gone.ID); err == nil {
		t.Error("a deleted unwritten conversation still loads")
	}
}
