package session

import (
	"testing"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/vault"
)

// TestKeysChangedElsewhereAreSeen: another process (keys rm, keys add)
// changes the vault while the session is open, as the app stays open
// for hours. A removed key is never sent again, and the key list shows
// the change at once, without a turn or a relock.
func TestKeysChangedElsewhereAreSeen(t *testing.T) {
	f := newFixture(t, sim.Options{})
	gone := f.addKey("gone", "sim-fast", nil)
	f.addKey("stays", "sim-fast", nil)
	f.unlock()
	c := f.create("")
	if err := f.vault.Update(func(tx *vault.Tx) error { _, err := tx.Remove(gone.ID); return err }); err != nil {
		t.Fatal(err)
	}
	testkit.AddKey(t, f.vault, vault.Key{Name: "new", BaseURL: f.url, DefaultModel: "sim-fast"})

	names := map[string]bool{}
	for _, k := range f.sess.Keys() {
		names[k.Name] = true
	}
	if names["gone"] || !names["new"] || !names["stays"] {
		t.Errorf("keys after a change elsewhere: %v; want stays and new, not gone", names)
	}
	before := len(testkit.ChatRequests(f.sim))
	if ch, err := f.sess.Send(t.Context(), view.SendRequest{ConversationID: c.ID, Prompt: "hi", KeyID: gone.ID}); err == nil {
		for range ch {
		}
	}
	if after := len(testkit.ChatRequests(f.sim)); after != before {
		t.Fatalf("the removed key was sent %d request(s)", after-before)
	}
}
