package store

import (
	"errors"
	"os"
	"testing"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

func TestUpdateKeepsTheOtherWritersMessages(t *testing.T) {
	// Two processes (two Stores on one home) each append to the same
	// conversation from a view read before the other's save: with Update
	// both appends stay, where Load then Save would drop one.
	h := newHome(t)
	a, b := h.store(t, newClock()), h.store(t, newClock())
	if err := a.Save(sampleConversation("c1")); err != nil {
		t.Fatal(err)
	}
	appendMsg := func(id string) func(*chat.Conversation) error {
		return func(c *chat.Conversation) error {
			c.Messages = append(c.Messages, chat.Message{ID: id, Role: chat.RoleUser, Content: id})
			return nil
		}
	}
	stale, err := a.Load("c1") // a's view, before b writes
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Update("c1", appendMsg("from-b")); err != nil {
		t.Fatal(err)
	}
	got, err := a.Update("c1", appendMsg("from-a"))
	if err != nil {
		t.Fatal(err)
	}
	n := len(stale.Messages)
	if len(got.Messages) != n+2 || got.Messages[n].ID != "from-b" || got.Messages[n+1].ID != "from-a" {
		t.Fatalf("messages after both updates: %d, want %d with from-b then from-a", len(got.Messages), n+2)
	}
	reread, err := b.Load("c1")
	if err != nil {
		t.Fatal(err)
	}
	if jsonOf(t, reread) != jsonOf(t, got) {
		t.Fatal("Update returned something other than what it saved")
	}
	list, err := b.List()
	if err != nil || len(list) != 1 || list[0].Messages != n-1+2 { // notes are not counted
		t.Fatalf("index after updates: %+v %v", list, err)
	}
}

func TestUpdateWritesNothingOnError(t *testing.T) {
	h := newHome(t)
	s := h.store(t, newClock())
	if err := s.Save(sampleConversation("c1")); err != nil {
		t.Fatal(err)
	}
	before := testkit.FileState(t, h.convPath("c1"))
	boom := errors.New("boom")
	if _, err := s.Update("c1", func(c *chat.Conversation) error {
		c.Title = "changed"
		return boom
	}); err != boom {
		t.Fatalf("err = %v, want the change's error as is", err)
	}
	if testkit.FileState(t, h.convPath("c1")) != before {
		t.Fatal("a failed change was written")
	}
	if _, err := s.Update("nope", func(*chat.Conversation) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: err = %v, want ErrNotFound", err)
	}
	if _, err := os.Stat(h.convPath("nope")); !os.IsNotExist(err) {
		t.Fatal("Update of a missing conversation created it")
	}
	if _, err := s.Update("../x", func(*chat.Conversation) error { return nil }); !errors.Is(err, ErrInvalidID) {
		t.Fatalf("bad ID: err = %v, want ErrInvalidID", err)
	}
	// A damaged file is never replaced.
	b, err := os.ReadFile(h.convPath("c1"))
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-20] ^= 0x40
	testkit.WriteRaw(t, h.convPath("c1"), b)
	damaged := testkit.FileState(t, h.convPath("c1"))
	if _, err := s.Update("c1", func(*chat.Conversation) error { return nil }); !errors.Is(err, ErrUnreadable) {
		t.Fatalf("damaged: err = %v, want ErrUnreadable", err)
	}
	if testkit.FileState(t, h.convPath("c1")) != damaged {
		t.Fatal("a damaged file was overwritten")
	}
}

func TestRenameKeepsUpdatedAndOtherWriters(t *testing.T) {
	h := newHome(t)
	clock := newClock()
	a, b := h.store(t, clock), h.store(t, clock)
	if err := a.Save(sampleConversation("c1")); err != nil {
		t.Fatal(err)
	}
	saved, _ := a.Load("c1")
	if _, err := b.Update("c1", func(c *chat.Conversation) error {
		c.Messages = append(c.Messages, chat.Message{ID: "x", Role: chat.RoleUser, Content: "x"})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	afterB, _ := b.Load("c1")
	if err := a.Rename("c1", "New title"); err != nil {
		t.Fatal(err)
	}
	got, _ := a.Load("c1")
	if got.Title != "New title" || len(got.Messages) != len(saved.Messages)+1 || !got.Updated.Equal(afterB.Updated) {
		t.Fatalf("rename: title %q, %d messages, updated %v (want %v)", got.Title, len(got.Messages), got.Updated, afterB.Updated)
	}
}

// TestUpdateFileLeavesTheIndexToLater checks what UpdateFile saves before
// a request: the conversation's file holds the change at once, the index
// file is not written, and List (from the same or another Store) still
// shows the change, bringing the index up to date from the file.
func TestUpdateFileLeavesTheIndexToLater(t *testing.T) {
	h := newHome(t)
	s := h.store(t, newClock())
	if err := s.Save(sampleConversation("c1")); err != nil {
		t.Fatal(err)
	}
	indexPath := h.Dir + "/" + fileName(indexID)
	before, err := os.ReadFile(indexPath)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.UpdateFile("c1", func(c *chat.Conversation) error {
		c.Messages = append(c.Messages, chat.Message{ID: "typed", Role: chat.RoleUser, Content: "typed before the request"})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	after, err := os.ReadFile(indexPath)
	if err != nil {
		t.Fatal(err)
	}
	if string(after) != string(before) {
		t.Error("UpdateFile rewrote the index")
	}
	other := h.store(t, newClock())
	reread, err := other.Load("c1")
	if err != nil {
		t.Fatal(err)
	}
	if jsonOf(t, reread) != jsonOf(t, got) {
		t.Fatal("the file does not hold what UpdateFile returned")
	}
	for _, st := range []*Store{s, other} {
		list, err := st.List()
		if err != nil || len(list) != 1 || list[0].Messages != len(got.Messages)-1 { // notes are not counted
			t.Fatalf("List after UpdateFile: %+v %v; want %d messages", list, err, len(got.Messages)-1)
		}
	}
	if fixed, err := os.ReadFile(indexPath); err != nil || string(fixed) == string(before) {
		t.Errorf("List did not bring the index up to date (%v)", err)
	}
}
