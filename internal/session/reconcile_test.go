package session

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/vault"
)

// reconcileFixture: two openai chat keys the simulator knows, and an
// admin key for the simulator's project.
func reconcileFixture(t *testing.T) (f *fixture, work, quiet, admin vault.Key) {
	t.Helper()
	secrets := []string{testkit.Canary(t), testkit.Canary(t), testkit.Canary(t)}
	f = newFixture(t, sim.Options{Keys: secrets[:2], AdminKeys: secrets[2:]})
	with := func(secret, kind string) func(*vault.Key) {
		return func(k *vault.Key) {
			k.Provider, k.Kind = providers.OpenAI, kind
			s, err := vault.NewSecret(secret)
			if err != nil {
				t.Fatal(err)
			}
			k.Secret = s
			if kind == vault.KindAdmin {
				k.Project = sim.SimProject
			}
		}
	}
	work = f.addKey("work", "gpt-4o-mini", with(secrets[0], vault.KindChat))
	quiet = f.addKey("quiet", "gpt-4o-mini", with(secrets[1], vault.KindChat))
	admin = f.addKey("org-admin", "", with(secrets[2], vault.KindAdmin))
	f.unlock()
	return f, work, quiet, admin
}

func TestReconcileMatchesAndFlags(t *testing.T) {
	f, work, quiet, _ := reconcileFixture(t)
	for _, k := range []vault.Key{work, work, quiet} {
		c := f.create("")
		mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "hello", KeyID: k.ID})))
	}
	// Another program spends 41,200 tokens with the work key.
	f.sim.SpendElsewhere(work.Secret.Reveal(), "gpt-4o-mini", time.Now(), 40_000, 1_200, 3)

	now := time.Now().UTC()
	rep, err := f.sess.Reconcile(context.Background(), ReconcileOptions{From: now.AddDate(0, 0, -2), To: now})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Hint != "" || rep.Cached || rep.Requests == 0 {
		t.Fatalf("report: hint %q cached %v requests %d", rep.Hint, rep.Cached, rep.Requests)
	}
	keys := map[string]ReconcileKey{}
	for _, k := range rep.Keys {
		keys[k.Key] = k
	}
	w, q := keys["work"], keys["quiet"]
	if !strings.HasPrefix(w.ProviderKeyID, "key_") || !strings.HasPrefix(q.ProviderKeyID, "key_") || w.ProviderKeyID == q.ProviderKeyID {
		t.Fatalf("keys not matched by redacted value: %q %q", w.ProviderKeyID, q.ProviderKeyID)
	}
	if q.LocalTokens == 0 || q.ProviderTokens != q.LocalTokens || q.ProviderRequests != 1 || q.LocalRequests != 1 || q.Flag != "" {
		t.Fatalf("quiet key should match: %+v", q)
	}
	if w.ProviderTokens-w.LocalTokens != 41_200 || w.ProviderRequests-w.LocalRequests != 3 {
		t.Fatalf("work key difference: %+v", w)
	}
	if !strings.Contains(w.Flag, "provider saw 41.2k more tokens") || !strings.Contains(w.Flag, "work") {
		t.Fatalf("flag %q", w.Flag)
	}
	if w.ProviderCostUSD <= w.LocalCostUSD || q.ProviderCostUSD == 0 {
		t.Fatalf("costs: work %v vs %v, quiet %v", w.ProviderCostUSD, w.LocalCostUSD, q.ProviderCostUSD)
	}

	// Within the cache's lifetime nothing is asked again.
	before := len(f.sim.Requests())
	again, err := f.sess.Reconcile(context.Background(), ReconcileOptions{From: now.AddDate(0, 0, -2), To: now})
	if err != nil || !again.Cached || again.Requests != 0 || len(f.sim.Requests()) != before {
		t.Fatalf("second run: cached %v, %d requests, err %v", again.Cached, again.Requests, err)
	}
	if len(again.Rows) != len(rep.Rows) {
		t.Fatal("the cached report differs")
	}
}

func TestReconcileWithoutAdminKeyHints(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.addKey("work", "sim-fast", nil)
	f.unlock()
	rep, err := f.sess.Reconcile(context.Background(), ReconcileOptions{From: time.Now(), To: time.Now()})
	if err != nil || !strings.Contains(rep.Hint, "--admin") {
		t.Fatalf("hint %q, err %v", rep.Hint, err)
	}
	if len(f.sim.Requests()) != 0 {
		t.Fatal("asked the provider without an admin key")
	}
}

// An admin key never chats, even when asked for by name, and is never the
// "only key" a turn falls back to.
func TestAdminKeyNeverChats(t *testing.T) {
	f, _, _, admin := reconcileFixture(t)
	before := len(testkit.ChatRequests(f.sim))
	c := f.create("")
	_, err := f.sess.Send(t.Context(), view.SendRequest{ConversationID: c.ID, Prompt: "hello", KeyID: admin.ID})
	if err == nil || !strings.Contains(err.Error(), "not a chat key") {
		t.Fatalf("a turn with the admin key: %v, want it refused as not a chat key", err)
	}
	for _, r := range f.sim.Requests()[before:] {
		if r.APIKey == admin.Secret.Reveal() {
			t.Fatalf("the admin key reached %s", r.Path)
		}
	}
	for _, k := range f.sess.Keys() {
		if k.ID == admin.ID {
			t.Fatal("the key picker offers the admin key")
		}
	}
}

// A key added after the answer was cached is not left out: the next
// reconcile asks again, within the cache's lifetime or not.
func TestReconcileRefetchesForANewKey(t *testing.T) {
	f, work, _, _ := reconcileFixture(t)
	c := f.create("")
	mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "hello", KeyID: work.ID})))
	now := time.Now().UTC()
	o := ReconcileOptions{From: now, To: now}
	if _, err := f.sess.Reconcile(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	f.addKey("later", "gpt-4o-mini", func(k *vault.Key) { k.Provider = providers.OpenAI; k.ProviderKeyID = "key_explicit" })
	f.relock()
	rep, err := f.sess.Reconcile(context.Background(), o)
	if err != nil || rep.Cached || rep.Requests == 0 {
		t.Fatalf("cached %v, %d requests, err %v", rep.Cached, rep.Requests, err)
	}
	found := false
	for _, k := range rep.Keys {
		found = found || k.Key == "later" && k.ProviderKeyID == "key_explicit"
	}
	if !found {
		t.Fatalf("the new key is missing: %+v", rep.Keys)
	}
}

// The side pane's provider line comes from the caches: nothing before a
// reconciliation, the verdict after it, and never a request of its own.
func TestUsageProviderLineFromCaches(t *testing.T) {
	f, work, quiet, _ := reconcileFixture(t)
	c := f.create("")
	mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "hello", KeyID: work.ID})))
	if line := f.sess.Usage(work.ID, c.ID).Provider; line != "" {
		t.Fatalf("before any reconciliation: %q", line)
	}
	f.sim.SpendElsewhere(work.Secret.Reveal(), "gpt-4o-mini", time.Now(), 5_000, 0, 1)
	now := time.Now().UTC()
	if _, err := f.sess.Reconcile(context.Background(), ReconcileOptions{From: now, To: now}); err != nil {
		t.Fatal(err)
	}
	before := len(f.sim.Requests())
	if line := f.sess.Usage(work.ID, c.ID).Provider; !strings.Contains(line, "provider saw 5.0k more tokens") {
		t.Fatalf("work: %q", line)
	}
	if line := f.sess.Usage(quiet.ID, "").Provider; !strings.Contains(line, "provider agrees") {
		t.Fatalf("quiet: %q", line)
	}
	if len(f.sim.Requests()) != before {
		t.Fatal("the side pane asked the provider")
	}
}
