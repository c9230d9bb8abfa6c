package vault

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"
)

func TestRecipients(t *testing.T) {
	const pass = "pw"
	home := newPassphraseVault(t, pass)
	v := mustOpen(t, home, passphraseOpts(pass))
	addKeys(t, v, "k", 1)
	self, extra := v.Recipients()
	if !strings.HasPrefix(self, "age1pq1") || len(extra) != 0 {
		t.Fatalf("Recipients() = %.20s…, %v", self, extra)
	}
	vaultPath := filepath.Join(home, vaultFile)

	// A classic recipient cannot join a post-quantum vault.
	x, _ := age.GenerateX25519Identity()
	gen := v.generation()
	before := snapshot(t, home)
	err := v.Update(func(tx *Tx) error { return tx.AddRecipient(x.Recipient().String()) })
	if !errors.Is(err, ErrMixedRecipients) {
		t.Fatalf("AddRecipient(X25519) on a hybrid vault: %v, want ErrMixedRecipients", err)
	}
	if v.generation() != gen {
		t.Fatal("a refused AddRecipient saved")
	}
	sameSnapshot(t, "refused recipient", before, snapshot(t, home))

	// A hybrid recipient can; vault.age then opens with its identity.
	h, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decryptFile(t, vaultPath, h); !errors.Is(err, ErrWrongIdentity) {
		t.Fatalf("before AddRecipient the second identity: %v", err)
	}
	if err := v.Update(func(tx *Tx) error { return tx.AddRecipient("  " + h.Recipient().String() + "\n") }); err != nil {
		t.Fatalf("AddRecipient(hybrid): %v", err)
	}
	if _, extra := v.Recipients(); !slices.Equal(extra, []string{h.Recipient().String()}) {
		t.Fatalf("extra recipients %v", extra)
	}
	pt, err := decryptFile(t, vaultPath, h)
	if err != nil {
		t.Fatalf("vault.age with the added identity: %v", err)
	}
	if p, err := decodePayload(pt); err != nil || len(p.Keys) != 1 {
		t.Fatalf("payload via the added identity: %v", err)
	}
	if err := v.Update(func(tx *Tx) error { return tx.AddRecipient(h.Recipient().String()) }); err == nil {
		t.Error("adding the same recipient twice succeeded")
	}
	if err := v.Update(func(tx *Tx) error { return tx.AddRecipient(self) }); err == nil {
		t.Error("adding the vault's own recipient succeeded")
	}
	// Something secret pasted into the wrong field is not echoed back.
	for _, pasted := range []struct{ prefix, body string }{
		{"AGE-SECRET-KEY-1", strings.TrimPrefix(x.String(), "AGE-SECRET-KEY-1")},
		{"AGE-SECRET-KEY-PQ-1", strings.TrimPrefix(h.String(), "AGE-SECRET-KEY-PQ-1")},
		{"sk-proj-", strings.TrimPrefix(canary(t), "sk-proj-")},
		{"age1sk-proj-", strings.TrimPrefix(canary(t), "sk-proj-")},
	} {
		err := v.Update(func(tx *Tx) error { return tx.AddRecipient(pasted.prefix + pasted.body) })
		if err == nil || sharesRun(err.Error(), pasted.body, 5) {
			t.Errorf("pasted secret as recipient: %v", err)
		}
		err = v.Update(func(tx *Tx) error { return tx.RemoveRecipient(pasted.prefix + pasted.body) })
		if err == nil || sharesRun(err.Error(), pasted.body, 5) {
			t.Errorf("pasted secret as recipient to remove: %v", err)
		}
	}

	// The recipient survives a reopen (it lives in the payload).
	v2 := mustOpen(t, home, passphraseOpts(pass))
	if _, extra := v2.Recipients(); len(extra) != 1 {
		t.Fatal("recipient lost on reopen")
	}
	addKeys(t, v2, "more", 1)
	if _, err := decryptFile(t, vaultPath, h); err != nil {
		t.Fatalf("later saves drop the recipient: %v", err)
	}

	if err := v2.Update(func(tx *Tx) error { return tx.RemoveRecipient(h.Recipient().String()) }); err != nil {
		t.Fatal(err)
	}
	if _, err := decryptFile(t, vaultPath, h); !errors.Is(err, ErrWrongIdentity) {
		t.Fatalf("after RemoveRecipient the removed identity: %v, want ErrWrongIdentity", err)
	}
	if err := v2.Update(func(tx *Tx) error { return tx.RemoveRecipient(h.Recipient().String()) }); err == nil {
		t.Error("removing a missing recipient succeeded")
	}
	mustOpen(t, home, passphraseOpts(pass))
}

func TestRecipientsClassicVault(t *testing.T) {
	home, opts, _ := newIdentityVault(t)
	v := mustOpen(t, home, opts)
	h, _ := age.GenerateHybridIdentity()
	if err := v.Update(func(tx *Tx) error { return tx.AddRecipient(h.Recipient().String()) }); !errors.Is(err, ErrMixedRecipients) {
		t.Fatalf("hybrid recipient on an X25519 vault: %v, want ErrMixedRecipients", err)
	}
	x, _ := age.GenerateX25519Identity()
	if err := v.Update(func(tx *Tx) error { return tx.AddRecipient(x.Recipient().String()) }); err != nil {
		t.Fatal(err)
	}
	if _, err := decryptFile(t, filepath.Join(home, vaultFile), x); err != nil {
		t.Fatalf("vault.age with the added X25519 identity: %v", err)
	}
	// The added identity can open the vault on its own.
	idPath := filepath.Join(t.TempDir(), "x.txt")
	writeFile(t, idPath, x.String()+"\n")
	v2 := mustOpen(t, home, Options{IdentityFile: idPath})
	if self, _ := v2.Recipients(); self != x.Recipient().String() {
		t.Fatalf("self recipient when opened with the added identity: %s", self)
	}
}

// sharesRun reports whether s contains any n-character run of secret.
func sharesRun(s, secret string, n int) bool {
	for i := 0; i+n <= len(secret); i++ {
		if strings.Contains(s, secret[i:i+n]) {
			return true
		}
	}
	return false
}
