package session

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gofrs/flock"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/vault"
)

func TestIdentityVaultNeedsNoPassphrase(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	f.addKey("work", "sim-fast", nil)
	if f.sess.NeedsPassphrase() {
		t.Fatal("an identity-file vault asks for a passphrase")
	}
	// Whatever the unlock screen passes is ignored.
	if err := f.sess.Unlock([]byte("anything")); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	defer f.sess.Lock()
	if f.sess.NeedsPassphrase() {
		t.Fatal("NeedsPassphrase changed after unlocking")
	}
	if keys := f.sess.Keys(); len(keys) != 1 || keys[0].Name != "work" {
		t.Fatalf("Keys after unlock = %+v", keys)
	}
}

// TestPassphraseVault makes a passphrase vault (scrypt at its real cost:
// three scrypt runs in all) and checks the unlock screen's contract.
func TestPassphraseVault(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	const pass = "correct horse battery staple"
	v, err := vault.Init(home, vault.Options{Passphrase: func() (string, error) { return pass, nil }})
	if err != nil {
		t.Fatal(err)
	}
	secret := testkit.Canary(t)
	s, _ := vault.NewSecret(secret)
	if err := v.Update(func(tx *vault.Tx) error {
		_, err := tx.Add(vault.Key{Name: "work", Provider: providers.OpenAICompatible, BaseURL: "http://127.0.0.1:1/v1", Secret: s})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	v.Close()

	a := New(Config{Home: home, Stream: testkit.FastStream()})
	if !a.NeedsPassphrase() {
		t.Fatal("a passphrase vault says it needs no passphrase")
	}
	before := testkit.TakeSnapshot(t, home)
	err = a.Unlock([]byte("wrong horse"))
	if err == nil {
		t.Fatal("wrong passphrase unlocked the vault")
	}
	if !a.IsWrongPassphrase(err) || a.IsInUse(err) {
		t.Fatalf("IsWrongPassphrase = %t, IsInUse = %t for %v", a.IsWrongPassphrase(err), a.IsInUse(err), err)
	}
	if strings.Contains(err.Error(), "wrong horse") || strings.Contains(err.Error(), "CANARY") {
		t.Fatalf("error shows a secret: %v", err)
	}
	sameFiles(t, before, home)
	if keys := a.Keys(); keys != nil {
		t.Fatalf("a failed unlock left keys visible: %+v", keys)
	}
	if _, err := a.Conversations(); !errors.Is(err, vault.ErrLocked) {
		t.Fatalf("Conversations after a failed unlock: %v, want ErrLocked", err)
	}

	input := []byte(pass)
	if err := a.Unlock(input); err != nil {
		t.Fatalf("Unlock with the right passphrase: %v", err)
	}
	defer a.Lock()
	if strings.Trim(string(input), "\x00") != "" {
		t.Fatal("the passphrase buffer was not zeroed after use")
	}
	keys := a.Keys()
	if len(keys) != 1 || keys[0].Name != "work" || keys[0].Fingerprint != vaultMask(secret) {
		t.Fatalf("Keys = %+v", keys)
	}
	if !a.NeedsPassphrase() {
		t.Fatal("NeedsPassphrase changed after unlocking")
	}
	if a.IsWrongPassphrase(nil) || a.IsInUse(nil) {
		t.Fatal("a nil error classified as a failure")
	}
	a.Lock()
	testkit.AssertNoSecretOnDisk(t, dir, secret, pass)
}

func vaultMask(secret string) string {
	s, _ := vault.NewSecret(secret)
	return s.Masked()
}

// TestUnlockWhileAnotherProcessHoldsTheVault holds vault.lock the way a
// second vaultchat would; the vault gives up after its 5 s lock timeout,
// which this one test pays.
func TestUnlockWhileAnotherProcessHoldsTheVault(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	f.addKey("work", "sim-fast", nil)
	l := flock.New(filepath.Join(f.home, "vault.lock"))
	ok, err := l.TryLock()
	if err != nil || !ok {
		t.Fatalf("take the vault lock: %t %v", ok, err)
	}
	before := testkit.TakeSnapshot(t, f.home)
	err = f.sess.Unlock(nil)
	if err == nil {
		l.Unlock()
		t.Fatal("Unlock succeeded while another process held the vault")
	}
	if !f.sess.IsInUse(err) || f.sess.IsWrongPassphrase(err) {
		t.Fatalf("IsInUse = %t, IsWrongPassphrase = %t for %v", f.sess.IsInUse(err), f.sess.IsWrongPassphrase(err), err)
	}
	sameFiles(t, before, f.home)
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	f.unlock()
	if len(f.sess.Keys()) != 1 {
		t.Fatal("the vault does not open once the other process let go")
	}
}

func TestWrongIdentityFile(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	other := newFixture(t, sim.Options{})
	cfg := f.config()
	cfg.Vault.IdentityFile = other.idFile // another vault's identity
	a := New(cfg)
	err := a.Unlock(nil)
	if err == nil || !a.IsWrongPassphrase(err) || a.IsInUse(err) {
		t.Fatalf("Unlock with a foreign identity: %v", err)
	}
}

// TestLockDropsEverything checks that after Lock every method fails or
// returns nothing, and that Unlock brings it all back.
func TestLockDropsEverything(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	work := f.addKey("work", "sim-fast", nil)
	f.unlock()
	c := f.create("sys")
	mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "hello", KeyID: work.ID})))
	if _, err := f.sess.Models(context.Background(), work.ID, false); err != nil {
		t.Fatal(err)
	}

	f.sess.Lock()
	f.sess.Lock() // idempotent
	if _, err := f.sess.open(); err == nil {
		t.Error("the session is still open after Lock")
	}
	if keys := f.sess.Keys(); len(keys) != 0 {
		t.Errorf("Keys after Lock = %+v", keys)
	}
	if got := f.sess.Usage(work.ID, c.ID); !reflect.DeepEqual(got, view.Usage{}) {
		t.Errorf("Usage after Lock = %+v", got)
	}
	if m, err := f.sess.Models(context.Background(), work.ID, false); err == nil || len(m) != 0 {
		t.Errorf("Models after Lock = %v, %v (the cache must go too)", m, err)
	}
	export := filepath.Join(f.dir, "locked.md")
	checks := map[string]error{}
	_, checks["Conversations"] = f.sess.Conversations()
	_, checks["Load"] = f.sess.Load(c.ID)
	_, _, checks["Create"] = f.sess.Create("")
	checks["Rename"] = f.sess.Rename(c.ID, "x")
	_, checks["SetSystemPrompt"] = f.sess.SetSystemPrompt(c.ID, "x")
	_, checks["AddNote"] = f.sess.AddNote(c.ID, "x")
	checks["Delete"] = f.sess.Delete(c.ID)
	_, checks["Send"] = f.sess.Send(context.Background(), view.SendRequest{ConversationID: c.ID, Prompt: "x", KeyID: work.ID})
	_, checks["ExportMarkdown"] = f.sess.Export(c.ID, "md", export, false)
	for name, err := range checks {
		if !errors.Is(err, vault.ErrLocked) {
			t.Errorf("%s after Lock: %v, want ErrLocked", name, err)
		}
	}
	if _, err := os.Lstat(export); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ExportMarkdown wrote a file while locked: %v", err)
	}

	if err := f.sess.Unlock(nil); err != nil {
		t.Fatalf("Unlock after Lock: %v", err)
	}
	if got := f.load(c.ID); len(got.Messages) != 2 || got.SystemPrompt != "sys" {
		t.Fatalf("conversation after relock = %+v", got)
	}
	if keys := f.sess.Keys(); len(keys) != 1 || keys[0].Month.Tokens == 0 {
		t.Fatalf("Keys after relock = %+v", keys)
	}
	mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "again", KeyID: work.ID})))
}

// lastOf adapts turn's two results to mustDone and mustFail.
func lastOf(_ []chat.Event, final chat.Event) chat.Event { return final }
