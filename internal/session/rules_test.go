package session

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/config"
	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/vault"
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
	check("default_key, its model asked for", "", "", "sim-fast", "home", "sim-fast")
	check("key's default model", c.ID, work.ID, "", "work", "sim-fast")
	mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "hi", KeyID: "work", Model: "sim-smart"})))
	check("the model last used with the key", c.ID, "work", "", "work", "sim-smart")
	check("the conversation's key wins over default_key", c.ID, "", "", "work", "sim-smart")

	cfg.Settings = &config.Config{MaxRetries: 1}
	f.sess.Lock()
	f.sess = New(cfg)
	f.unlock()
	check("the conversation's last key", c.ID, "", "", "work", "sim-smart")
	check("no default_key: the key used last", "", "", "", "work", "sim-fast")
	if _, _, err := f.sess.Resolve("", "nope", ""); err == nil {
		t.Error("an unknown key resolved")
	}
}

// TestResolveRefusesWithoutAModel: a key without a default model, in a
// conversation that never used it, gets no made-up model: an error whose
// hint names --model, ctrl+p and "keys edit --model".
func TestResolveRefusesWithoutAModel(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	f.addKey("mock", "", nil)
	f.unlock()
	c := f.create("")
	_, _, err := f.sess.Resolve(c.ID, "mock", "")
	var ce *ChoiceError
	if !errors.Is(err, ErrNoModel) || !errors.As(err, &ce) {
		t.Fatalf("Resolve = %v, want ErrNoModel", err)
	}
	for _, want := range []string{"--model", "ctrl+p", "keys edit mock --model"} {
		if !strings.Contains(ce.Hint(), want) {
			t.Errorf("hint %q lacks %q", ce.Hint(), want)
		}
	}
	if _, err := f.sess.Send(context.Background(), view.SendRequest{ConversationID: c.ID, Prompt: "hi", KeyID: "mock"}); !errors.Is(err, ErrNoModel) {
		t.Fatalf("Send without a model = %v, want ErrNoModel", err)
	}
	if n := len(f.sim.Requests()); n != 0 {
		t.Fatalf("%d requests reached the server", n)
	}
	if ch := f.sess.Choice(c.ID); ch.Key.Name != "mock" || ch.Model != "" || !strings.Contains(ch.Problem, "ctrl+p") {
		t.Fatalf("Choice = %+v", ch)
	}
}

// TestResolveSeveralKeysNoneUsed: with several keys, no default_key and
// none used yet, the error's hint names default_key.
func TestResolveSeveralKeysNoneUsed(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	f.addKey("a", "sim-fast", nil)
	f.addKey("b", "sim-fast", nil)
	f.unlock()
	_, _, err := f.sess.Resolve("", "", "")
	var ce *ChoiceError
	if !errors.Is(err, ErrNoKey) || !errors.As(err, &ce) || !strings.Contains(ce.Hint(), "default_key") || !strings.Contains(ce.Hint(), "--key") {
		t.Fatalf("several keys, none named: %v", err)
	}
	// The app, which shows the key before it pays, starts on the first
	// key of the list.
	if ch := f.sess.Choice(""); ch.Key.Name != "a" || ch.Why != WhyFirstShown || ch.Problem != "" {
		t.Fatalf("Choice = %+v", ch)
	}
}

// TestChooseIsStoredWithTheConversation: a switch of key or model is
// stored with the conversation at once, so a lock and unlock (or a new
// session: a restart) restores it before any turn is sent, the note
// names what the next turn uses, and switching back to a key brings back
// the model chosen for it.
func TestChooseIsStoredWithTheConversation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	f.addKey("home", "sim-fast", nil)
	work := f.addKey("work", "gpt-4o", func(k *vault.Key) { k.AllowedModels = []string{"gpt-4o", "sim-smart"} })
	cfg := f.config()
	cfg.Settings = &config.Config{DefaultKey: "home", MaxRetries: 1}
	f.sess = New(cfg)
	f.unlock()
	c := f.create("")
	mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "hi"})))

	ch, note, err := f.sess.Choose(c.ID, "work", "")
	if err != nil || ch.Key.ID != work.ID || ch.Model != "gpt-4o" || note == nil || note.Content != "switched to key work · gpt-4o" {
		t.Fatalf("Choose(work) = %+v, %+v, %v", ch, note, err)
	}
	if _, _, err := f.sess.Choose(c.ID, "", "sim-fast"); !errors.Is(err, ErrModelNotAllowed) {
		t.Fatalf("a model outside the key's list was chosen: %v", err)
	}
	if ch, note, err = f.sess.Choose(c.ID, "", "sim-smart"); err != nil || ch.Model != "sim-smart" || !strings.Contains(note.Content, "sim-smart") {
		t.Fatalf("Choose(model) = %+v, %+v, %v", ch, note, err)
	}
	f.relock()
	if ch := f.sess.Choice(c.ID); ch.Key.Name != "work" || ch.Model != "sim-smart" {
		t.Fatalf("after a lock the choice is %s · %s, want work · sim-smart", ch.Key.Name, ch.Model)
	}
	restarted := New(cfg)
	if err := restarted.Unlock(nil); err != nil {
		t.Fatal(err)
	}
	if ch := restarted.Choice(c.ID); ch.Key.Name != "work" || ch.Model != "sim-smart" {
		t.Fatalf("after a restart the choice is %s · %s, want work · sim-smart", ch.Key.Name, ch.Model)
	}
	restarted.Lock()

	// Back to home, then to work again: work's model comes back.
	if ch, _, _ = f.sess.Choose(c.ID, "home", ""); ch.Model != "sim-fast" {
		t.Fatalf("home's model = %q", ch.Model)
	}
	if ch, _, _ = f.sess.Choose(c.ID, "work", ""); ch.Model != "sim-smart" {
		t.Fatalf("switching back to work gave %q, want the model chosen for it (sim-smart)", ch.Model)
	}
	// The next turn, sent without naming key or model, is attributed to
	// the choice.
	_, final := f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "again"})
	if d := mustDone(t, final); d.Message.Turn.KeyName != "work" || d.Message.Turn.Model != "sim-smart" {
		t.Fatalf("the turn used %s · %s", d.Message.Turn.KeyName, d.Message.Turn.Model)
	}
	// An old conversation file, without a stored choice, still loads.
	old := f.load(c.ID)
	old.Next = nil
	if err := f.opened().store.Save(old); err != nil {
		t.Fatal(err)
	}
	if ch := f.sess.Choice(c.ID); ch.Key.Name != "work" || ch.Model != "sim-smart" {
		t.Fatalf("without a stored choice: %s · %s, want the last reply's", ch.Key.Name, ch.Model)
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

// TestResolveRefusesARemovedConversationKey: a conversation whose key was
// removed does not move to another key (the only one, default_key or the
// key used last): both faces refuse until a key is named, the app's
// problem names ctrl+k and no CLI flag, and nothing reaches the server.
func TestResolveRefusesARemovedConversationKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	f.addKey("work", "sim-fast", nil)
	f.addKey("home", "sim-smart", nil)
	cfg := f.config()
	cfg.Settings = &config.Config{DefaultKey: "home", MaxRetries: 1}
	f.sess = New(cfg)
	f.unlock()
	c := f.create("")
	mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "hi", KeyID: "work"})))
	sent := len(f.sim.Requests())
	if err := f.vault.Update(func(tx *vault.Tx) error { _, err := tx.Remove("work"); return err }); err != nil {
		t.Fatal(err)
	}
	f.relock()

	_, _, err := f.sess.Resolve(c.ID, "", "")
	var ce *ChoiceError
	if !errors.Is(err, ErrKeyRemoved) || !errors.As(err, &ce) {
		t.Fatalf("Resolve = %v, want ErrKeyRemoved", err)
	}
	if !strings.Contains(ce.Error(), "work") || !strings.Contains(ce.Hint(), "--key") {
		t.Errorf("error %q / hint %q should name the removed key and --key", ce.Error(), ce.Hint())
	}
	ch := f.sess.Choice(c.ID)
	if ch.Key.ID != "" || !strings.Contains(ch.Problem, "ctrl+k") || strings.Contains(ch.Problem, "--") {
		t.Fatalf("Choice = %+v, want no key and a problem naming ctrl+k only", ch)
	}
	if _, err := f.sess.Send(context.Background(), view.SendRequest{ConversationID: c.ID, Prompt: "again"}); !errors.Is(err, ErrKeyRemoved) {
		t.Fatalf("Send with the removed key's conversation = %v, want ErrKeyRemoved", err)
	}
	if n := len(f.sim.Requests()); n != sent {
		t.Fatalf("%d requests reached the server after the key was removed", n-sent)
	}
	// Naming a key is the way out; the choice is then stored.
	if k, _, err := f.sess.Resolve(c.ID, "home", ""); err != nil || k.Name != "home" {
		t.Fatalf("Resolve(home) = %s, %v", k.Name, err)
	}
	if _, _, err := f.sess.Choose(c.ID, "home", ""); err != nil {
		t.Fatal(err)
	}
	if ch := f.sess.Choice(c.ID); ch.Key.Name != "home" || ch.Problem != "" {
		t.Fatalf("after ctrl+k the choice is %+v", ch)
	}
}
