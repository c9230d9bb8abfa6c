package session

import (
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/config"
	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/view"
)

// TestResolve is the one rule for which key and model a turn uses, as
// both faces get it.
func TestResolve(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	work := f.addKey("work", "sim-fast", nil)
	f.addKey("home", "", nil)
	cfg := f.config()
	cfg.Settings = &config.Config{DefaultKey: "home", MaxRetries: 1}
	f.sess = New(cfg)
	f.unlock()
	c := f.create("")
	check := func(what, convID, key, model, wantKey, wantModel string) {
		t.Helper()
		k, m, err := f.sess.Resolve(convID, key, model)
		if err != nil || k.Name != wantKey || m != wantModel {
			t.Errorf("%s: %s · %s (%v), want %s · %s", what, k.Name, m, err, wantKey, wantModel)
		}
	}
	check("asked for", c.ID, "work", "sim-smart", "work", "sim-smart")
	check("default_key, no default model", "", "", "", "home", FallbackModel)
	check("key's default model", c.ID, work.ID, "", "work", "sim-fast")
	mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "hi", KeyID: "work", Model: "sim-smart"})))
	check("the model last used with the key", c.ID, "work", "", "work", "sim-smart")
	check("default_key wins over the last key", c.ID, "", "", "home", FallbackModel)

	cfg.Settings = &config.Config{MaxRetries: 1}
	f.sess.Lock()
	f.sess = New(cfg)
	f.unlock()
	check("the conversation's last key", c.ID, "", "", "work", "sim-smart")
	if _, _, err := f.sess.Resolve("", "", ""); err == nil || !strings.Contains(err.Error(), "--key") {
		t.Errorf("several keys, none named: %v", err)
	}
	if _, _, err := f.sess.Resolve("", "nope", ""); err == nil {
		t.Error("an unknown key resolved")
	}
}

// TestRedactorFollowsTheSecrets: the session keeps one redactor while the
// vault's secrets stay the same (a turn's save of the key's last use is
// not a change), and builds a new one that masks a key added meanwhile.
func TestRedactorFollowsTheSecrets(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	f.addKey("work", "sim-fast", nil)
	f.unlock()
	c := f.create("")
	first := f.sess.Redactor()
	mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "one"})))
	if f.sess.Redactor() != first {
		t.Error("a turn (which records the key's last use) rebuilt the redactor")
	}
	// Another process adds a key; this session's vault sees it at its
	// next save, the next turn's.
	f.addKey("other", "sim-fast", nil)
	mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "two", KeyID: "work"})))
	red := f.sess.Redactor()
	if red == first {
		t.Fatal("the redactor did not follow a new key")
	}
	secret := f.secrets[1]
	if got := red.String("x " + secret); strings.Contains(got, secret) || !strings.Contains(got, redact.Mask(secret)) {
		t.Errorf("the new key is not masked: %q", got)
	}
}
