package session

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/vaultchat/vaultchat/internal/sim"
)

// TestDraftsKeptEncryptedAndDeletedWithConversation saves drafts for a
// conversation and for the new one, reads them back after a lock and an
// unlock (a restart opens the same files), checks no file holds the text
// in plaintext, and that deleting the conversation deletes its draft.
func TestDraftsKeptEncryptedAndDeletedWithConversation(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.unlock()
	c, _, err := f.sess.Create("")
	if err != nil {
		t.Fatal(err)
	}
	const text = "half a thought about plaintext-canary-draft"
	const newText = "a draft for the conversation not created yet"
	if err := f.sess.SaveDraft(c.ID, text); err != nil {
		t.Fatalf("SaveDraft: %v", err)
	}
	if err := f.sess.SaveDraft("", newText); err != nil {
		t.Fatalf("SaveDraft new: %v", err)
	}
	f.sess.Lock()
	if err := f.sess.Unlock(nil); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{c.ID: text, "": newText} {
		got, err := f.sess.Draft(id)
		if err != nil || got != want {
			t.Fatalf("Draft(%q) = %q, %v; want %q", id, got, err, want)
		}
	}
	filepath.WalkDir(f.home, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte("plaintext-canary-draft")) || bytes.Contains(data, []byte("not created yet")) {
			t.Errorf("%s holds a draft in plaintext", p)
		}
		return nil
	})
	if got, err := f.sess.Draft("no-such-conversation"); err != nil || got != "" {
		t.Fatalf("Draft of a conversation without one = %q, %v", got, err)
	}
	if _, err := f.sess.Draft("../escape"); err == nil {
		t.Fatal("a draft name outside the drafts directory was accepted")
	}
	if err := f.sess.Delete(c.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := f.sess.Draft(c.ID); err != nil || got != "" {
		t.Fatalf("draft after the conversation was deleted = %q, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(f.home, "drafts", c.ID+".age")); !os.IsNotExist(err) {
		t.Fatalf("draft file still there: %v", err)
	}
	if err := f.sess.SaveDraft("", ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.sess.Draft(""); got != "" {
		t.Fatalf("an empty draft did not remove the kept one: %q", got)
	}
}
