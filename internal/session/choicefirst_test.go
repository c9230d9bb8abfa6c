package session

import (
	"testing"

	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/vault"
)

// TestFirstShownKeyChats: with several keys, none chosen nor used, the
// app starts on the first key of the list, never on an admin key that
// happens to sort first (which would show a "not a chat key" problem).
func TestFirstShownKeyChats(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.addKey("aaa-admin", "", func(k *vault.Key) { k.Provider, k.Kind = providers.OpenAI, vault.KindAdmin })
	f.addKey("bravo", "sim-fast", nil)
	f.addKey("charlie", "sim-fast", nil)
	f.unlock()
	ch := f.sess.Choice("")
	if ch.Problem != "" || ch.Key.Name != "bravo" || ch.Why != WhyFirstShown {
		t.Fatalf("Choice = %+v; want bravo, the first chat key, without a problem", ch)
	}
}
