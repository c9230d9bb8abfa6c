package vault

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteReadFile(t *testing.T) {
	home, opts, id := newIdentityVault(t)
	v := mustOpen(t, home, opts)
	secret := canary(t)
	data := bytes.Repeat([]byte("conversation with "+secret+"\n"), 5000) // several STREAM chunks
	const name = "conversations/abc.age"
	if err := v.Files().WriteFile(name, data); err != nil {
		t.Fatal(err)
	}
	got, err := v.Files().ReadFile(name, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("ReadFile returned different bytes")
	}
	raw, _ := os.ReadFile(filepath.Join(home, "conversations", "abc.age"))
	if !bytes.HasPrefix(raw, []byte(ageIntro)) || bytes.Contains(raw, []byte(secret)) {
		t.Fatal("the file on disk is not age ciphertext")
	}
	// Encrypted to the vault's own recipient: the identity opens it.
	if pt, err := decrypt(raw, id); err != nil || !bytes.Equal(pt, data) {
		t.Fatalf("decrypt with the vault identity: %v", err)
	}

	// Overwrite, empty content, another Vault on the same home.
	if err := v.Files().WriteFile(name, nil); err != nil {
		t.Fatal(err)
	}
	other := mustOpen(t, home, opts)
	if got, err := other.Files().ReadFile(name, 0); err != nil || len(got) != 0 {
		t.Fatalf("empty file: %q, %v", got, err)
	}

	// maxSize is checked on the ciphertext size before decrypting.
	if err := v.Files().WriteFile("big.age", make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Files().ReadFile("big.age", 500); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("ReadFile over maxSize: %v, want ErrTooLarge", err)
	}
	if got, err := v.Files().ReadFile("big.age", 10_000); err != nil || len(got) != 1000 {
		t.Fatalf("ReadFile under maxSize: %d bytes, %v", len(got), err)
	}

	// Damage is classified and nothing partial is returned.
	path := filepath.Join(home, "big.age")
	raw, _ = os.ReadFile(path)
	raw[len(raw)-3] ^= 1
	os.WriteFile(path, raw, 0o600)
	if got, err := v.Files().ReadFile("big.age", 0); !errors.Is(err, ErrCorrupted) || got != nil {
		t.Fatalf("damaged file: %d bytes, %v", len(got), err)
	}
	if _, err := v.Files().ReadFile("missing.age", 0); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}

	// A file sealed by another vault does not match this identity.
	ohome, oopts, _ := newIdentityVault(t)
	ov := mustOpen(t, ohome, oopts)
	ov.Files().WriteFile("x.age", []byte("x"))
	b, _ := os.ReadFile(filepath.Join(ohome, "x.age"))
	os.WriteFile(filepath.Join(home, "x.age"), b, 0o600)
	if _, err := v.Files().ReadFile("x.age", 0); !errors.Is(err, ErrWrongIdentity) {
		t.Fatalf("foreign file: %v, want ErrWrongIdentity", err)
	}

	if err := v.Files().RemoveFile(name); err != nil {
		t.Fatal(err)
	}
	if err := v.Files().RemoveFile(name); err != nil {
		t.Fatalf("removing a missing file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(home, "conversations", "abc.age")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("RemoveFile left the file")
	}
}

func TestSealedFileNames(t *testing.T) {
	home, opts, _ := newIdentityVault(t)
	v := mustOpen(t, home, opts)
	before := snapshot(t, home)
	bad := []string{
		"", ".", "..", "../x", "../../etc/passwd", "a/../../x", "/abs", "/etc/passwd",
		".hidden", "dir/.hidden", ".vault.age123",
		vaultFile, vaultFile + ".1", vaultFile + ".broken-x", identityFile, homeFile, lockFile,
		"./" + vaultFile, "a/../" + vaultFile,
	}
	for _, name := range bad {
		if err := v.Files().WriteFile(name, []byte("x")); err == nil {
			t.Errorf("WriteFile(%q) accepted", name)
		}
		if _, err := v.Files().ReadFile(name, 0); err == nil {
			t.Errorf("ReadFile(%q) accepted", name)
		}
		if err := v.Files().RemoveFile(name); err == nil {
			t.Errorf("RemoveFile(%q) accepted", name)
		}
	}
	sameSnapshot(t, "bad names", before, snapshot(t, home))
	mustOpen(t, home, opts)

	for _, name := range []string{"usage.age", "conversations/2025-01/x.age", "a/./b.age", "conversations/vault.age"} {
		if err := v.Files().WriteFile(name, []byte(name)); err != nil {
			t.Errorf("WriteFile(%q): %v", name, err)
			continue
		}
		if got, err := v.Files().ReadFile(name, 0); err != nil || string(got) != name {
			t.Errorf("ReadFile(%q) = %q, %v", name, got, err)
		}
	}
}

// TestWriteFileCleansStaleTemps plants the temp file a writer killed
// mid-save leaves behind; the next WriteFile in that directory removes it.
func TestWriteFileCleansStaleTemps(t *testing.T) {
	home, opts, _ := newIdentityVault(t)
	v := mustOpen(t, home, opts)
	if err := v.Files().WriteFile("conversations/a.age", []byte("a")); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(home, "conversations", ".a.age123456")
	writeFile(t, stale, ageIntro)
	keep := filepath.Join(home, "conversations", "notes.txt")
	writeFile(t, keep, "not ours to delete")
	if err := v.Files().WriteFile("conversations/b.age", []byte("b")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Error("a stale temp file survived WriteFile")
	}
	if _, err := os.Stat(keep); err != nil {
		t.Error("WriteFile removed a file that is not a temp file")
	}
}
