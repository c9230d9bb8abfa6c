package session

import (
	"testing"

	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/vault"
)

// TestFreeKeysInSidePane: turns on a local preset's key, or on a key
// marked free, cost a known $0 in what the side pane shows (the key's
// month, the conversation), not "—"; a priced model on another key
// costs money.
func TestFreeKeysInSidePane(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	local := f.addKey("local", "gpt-4o", func(k *vault.Key) { k.Provider = providers.Ollama })
	mine := f.addKey("mine", sim.FaultLong, func(k *vault.Key) { k.PriceFree = true }) // an unpriced model
	paid := f.addKey("paid", "gpt-4o", nil)
	f.unlock()

	for _, k := range []vault.Key{local, mine, paid} {
		c := f.create("")
		_, final := f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "hello", KeyID: k.ID})
		d := mustDone(t, final)
		u := f.sess.Usage(k.ID, c.ID)
		if k.ID == paid.ID {
			if u.Conversation.Cost.Unknown || u.Conversation.Cost.USD <= 0 || u.Month.Cost.USD <= 0 {
				t.Errorf("paid key: %+v", u.Conversation)
			}
			continue
		}
		if d.Message.Turn.CostUSD == nil || *d.Message.Turn.CostUSD != 0 {
			t.Errorf("%s: turn cost %v, want a known 0", k.Name, d.Message.Turn.CostUSD)
		}
		for what, tot := range map[string]view.Total{"conversation": u.Conversation, "month": u.Month} {
			if tot.Tokens == 0 || tot.Cost.String() != "$0.00" {
				t.Errorf("%s %s: %d tokens, cost %q; want $0.00", k.Name, what, tot.Tokens, tot.Cost)
			}
		}
	}
	for _, k := range f.sess.Keys() {
		if k.ID != paid.ID && k.Month.Cost.String() != "$0.00" {
			t.Errorf("key list %s: month cost %q, want $0.00", k.Name, k.Month.Cost)
		}
		// The side pane reads the key's freeness from the same rule
		// that priced its turns.
		if want := k.ID != paid.ID; k.Free != want || KeyFree(mustKey(t, f, k.ID)) != want {
			t.Errorf("key list %s: Free = %v, KeyFree = %v, want %v", k.Name, k.Free, KeyFree(mustKey(t, f, k.ID)), want)
		}
	}
}

func mustKey(t *testing.T, f *fixture, id string) vault.Key {
	t.Helper()
	for _, k := range f.vault.Keys() {
		if k.ID == id {
			return k
		}
	}
	t.Fatalf("no key %s", id)
	return vault.Key{}
}
