package vault

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
)

// TestGenerationCompareAndSwap covers the stale-writer rule. Save writes
// the in-memory state as it is; since the public API has no mutator outside
// Update's Tx, Save on its own can only re-save what was loaded (or what
// Restore set). Its point is the check: a Vault whose view is stale must
// never overwrite the newer vault on disk.
func TestGenerationCompareAndSwap(t *testing.T) {
	home, opts, _ := newIdentityVault(t)
	a := mustOpen(t, home, opts)
	b := mustOpen(t, home, opts)
	if a.generation() != b.generation() {
		t.Fatal("two fresh opens disagree on the generation")
	}

	if err := a.Update(func(tx *Tx) error { _, err := tx.Add(testKey(t, "from-a")); return err }); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, home)
	if err := b.save(); !errors.Is(err, ErrChanged) {
		t.Fatalf("stale Save: err = %v, want ErrChanged", err)
	}
	sameSnapshot(t, "stale Save", before, snapshot(t, home))
	if _, err := b.Key("from-a"); err == nil {
		t.Fatal("a refused Save reloaded silently")
	}

	// Update is read-modify-write: it reloads first, so B sees A's key.
	if err := b.Update(func(tx *Tx) error {
		if _, err := tx.Key("from-a"); err != nil {
			return err
		}
		_, err := tx.Add(testKey(t, "from-b"))
		return err
	}); err != nil {
		t.Fatalf("Update on the stale Vault: %v", err)
	}
	// Now A is stale; its Save is refused, its Load catches up, and then
	// Save re-saves the same keys as a new generation.
	if err := a.save(); !errors.Is(err, ErrChanged) {
		t.Fatalf("A's stale Save: err = %v, want ErrChanged", err)
	}
	if err := a.load(); err != nil {
		t.Fatal(err)
	}
	gen := a.generation()
	if err := a.save(); err != nil {
		t.Fatalf("Save after Load: %v", err)
	}
	if a.generation() != gen+1 {
		t.Fatalf("Save: generation %d → %d", gen, a.generation())
	}
	c := mustOpen(t, home, opts)
	if got := keyNames(c.Keys()); !slices.Equal(got, []string{"from-a", "from-b"}) {
		t.Fatalf("keys after both writers: %v", got)
	}
}

func backupGenerations(t *testing.T, v *Vault) []uint64 {
	t.Helper()
	bs, err := v.Backups()
	if err != nil {
		t.Fatal(err)
	}
	var out []uint64
	for i, b := range bs {
		if b.Err != nil {
			t.Fatalf("backup %d: %v", b.Slot, b.Err)
		}
		if b.Slot != i+1 {
			t.Fatalf("backup slots %v", bs)
		}
		out = append(out, b.Generation)
	}
	return out
}

func TestBackupsAndRestore(t *testing.T) {
	home, opts, _ := newIdentityVault(t) // Init is save 1
	v := mustOpen(t, home, opts)
	if got := backupGenerations(t, v); len(got) != 0 {
		t.Fatalf("a fresh vault has backups %v", got)
	}
	addKeys(t, v, "k", 4) // saves 2..5
	n := v.generation()
	if n != 5 {
		t.Fatalf("generation after 5 saves = %d", n)
	}
	if got := backupGenerations(t, v); !slices.Equal(got, []uint64{n - 1, n - 2, n - 3}) {
		t.Fatalf("backups = %v, want %d..%d", got, n-1, n-3)
	}
	bs, _ := v.Backups()
	if bs[2].Keys != 1 || bs[0].Keys != 3 || bs[0].Saved.IsZero() {
		t.Fatalf("backup details %+v", bs)
	}

	// Restore generation 3 (keys k-0, k-1): current state, new generation.
	if err := v.Restore(3); err != nil {
		t.Fatal(err)
	}
	if v.generation() != n+1 {
		t.Fatalf("restored generation = %d, want %d", v.generation(), n+1)
	}
	if got := keyNames(v.Keys()); !slices.Equal(got, []string{"k-0", "k-1"}) {
		t.Fatalf("restored keys %v", got)
	}
	if got := backupGenerations(t, v); !slices.Equal(got, []uint64{n, n - 1, n - 2}) {
		t.Fatalf("backups after restore = %v", got)
	}
	w := mustOpen(t, home, opts)
	if got := keyNames(w.Keys()); !slices.Equal(got, []string{"k-0", "k-1"}) || w.generation() != n+1 {
		t.Fatalf("reopened after restore: %v gen %d", got, w.generation())
	}
	if err := v.Restore(1); !errors.Is(err, ErrNoBackup) {
		t.Fatalf("Restore of a dropped generation: %v, want ErrNoBackup", err)
	}
	// The newest state before the restore is itself a backup now.
	if err := v.Restore(n); err != nil {
		t.Fatal(err)
	}
	if len(v.Keys()) != 4 {
		t.Fatalf("restoring generation %d gave %v", n, keyNames(v.Keys()))
	}
}

func TestRestoreCorruptedVault(t *testing.T) {
	home, opts, _ := newIdentityVault(t)
	v := mustOpen(t, home, opts)
	addKeys(t, v, "k", 4)
	v.Close()
	path := filepath.Join(home, vaultFile)
	b, _ := os.ReadFile(path)
	b[len(b)-5] ^= 0x40
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(home, opts); !errors.Is(err, ErrCorrupted) {
		t.Fatalf("Open(corrupted) = %v", err)
	}

	u, err := Unlock(home, opts)
	if err != nil {
		t.Fatalf("Unlock of a vault whose vault.age is broken: %v", err)
	}
	defer u.Close()
	gens := backupGenerations(t, u)
	if !slices.Equal(gens, []uint64{4, 3, 2}) {
		t.Fatalf("backups = %v", gens)
	}
	if err := u.Restore(4); err != nil {
		t.Fatal(err)
	}
	if u.generation() <= 4 {
		t.Fatalf("restored generation %d is not newer than every backup", u.generation())
	}
	// The broken file is kept aside, byte for byte.
	aside, _ := filepath.Glob(filepath.Join(home, vaultFile+".broken-*"))
	if len(aside) != 1 {
		t.Fatalf("broken files kept: %v", aside)
	}
	if kept, _ := os.ReadFile(aside[0]); !bytes.Equal(kept, b) {
		t.Fatal("the broken vault.age was not kept as it was")
	}
	v2 := mustOpen(t, home, opts)
	if got := keyNames(v2.Keys()); !slices.Equal(got, []string{"k-0", "k-1", "k-2"}) {
		t.Fatalf("keys after restore: %v", got)
	}
	if err := v2.Update(func(tx *Tx) error { _, err := tx.Add(testKey(t, "after")); return err }); err != nil {
		t.Fatalf("Update after restore: %v", err)
	}

	// A damaged backup is listed with its error and cannot be restored.
	bp := backupPath(home, 2)
	bb, _ := os.ReadFile(bp)
	bb[len(bb)-1] ^= 1
	os.WriteFile(bp, bb, 0o600)
	bs, err := v2.Backups()
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 3 || !errors.Is(bs[1].Err, ErrCorrupted) {
		t.Fatalf("damaged backup listed as %+v", bs)
	}
}

// backupPlaintexts decrypts vault.age and every backup with id.
func backupPlaintexts(t *testing.T, home string, id age.Identity) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	matches, _ := filepath.Glob(filepath.Join(home, vaultFile+"*"))
	for _, path := range matches {
		pt, err := decryptFile(t, path, id)
		if err != nil {
			t.Fatalf("decrypt %s: %v", filepath.Base(path), err)
		}
		out[filepath.Base(path)] = pt
	}
	return out
}

func TestPurgeOnRemoveAndRotate(t *testing.T) {
	home, opts, id := newIdentityVault(t)
	v := mustOpen(t, home, opts)
	secrets := addKeys(t, v, "k", 2)
	addKeys(t, v, "filler", 2) // old secrets now sit in every backup
	for name, s := range secrets {
		found := 0
		for _, pt := range backupPlaintexts(t, home, id) {
			if bytes.Contains(pt, []byte(s)) {
				found++
			}
		}
		if found < 3 {
			t.Fatalf("setup: %s is in only %d files", name, found)
		}
	}

	if err := v.Update(func(tx *Tx) error { _, err := tx.Remove("k-0"); return err }); err != nil {
		t.Fatal(err)
	}
	newSecret := mustSecret(t, canary(t))
	if err := v.Update(func(tx *Tx) error { _, err := tx.Rotate("k-1", newSecret); return err }); err != nil {
		t.Fatal(err)
	}
	files := backupPlaintexts(t, home, id)
	if len(files) != 4 {
		t.Fatalf("files after purge: %d", len(files))
	}
	for name, pt := range files {
		for _, old := range secrets {
			if bytes.Contains(pt, []byte(old)) {
				t.Errorf("%s still holds an old secret", name)
			}
		}
		// Backups that hold k-1 hold the new secret.
		if bytes.Contains(pt, []byte(`"name":"k-1"`)) && !bytes.Contains(pt, []byte(newSecret.Reveal())) {
			t.Errorf("%s holds k-1 without its current secret", name)
		}
	}
	for _, path := range []string{vaultFile, vaultFile + ".1", vaultFile + ".2", vaultFile + ".3"} {
		raw, _ := os.ReadFile(filepath.Join(home, path))
		for _, old := range secrets {
			if strings.Contains(string(raw), old) {
				t.Errorf("%s holds a secret in clear", path)
			}
		}
	}
	// Purged backups still open and still restore.
	if gens := backupGenerations(t, v); len(gens) != 3 {
		t.Fatalf("backups after purge: %v", gens)
	}
	k, _ := v.Key("k-1")
	if k.Rotated.IsZero() || k.Secret.Reveal() != newSecret.Reveal() {
		t.Fatalf("rotated key: %+v", k)
	}
	if err := v.Update(func(tx *Tx) error { _, err := tx.Rotate("k-1", Secret{}); return err }); err == nil {
		t.Fatal("rotating to an empty secret succeeded")
	}
}

// TestRestoreKeepsEveryBrokenFile restores twice within one second: both
// broken files must be kept, not the second written over the first.
func TestRestoreKeepsEveryBrokenFile(t *testing.T) {
	home, opts, _ := newIdentityVault(t)
	v := mustOpen(t, home, opts)
	addKeys(t, v, "k", 3)
	v.Close()
	path := filepath.Join(home, vaultFile)
	var broken [][]byte
	for i := range 2 {
		b, _ := os.ReadFile(path)
		b[len(b)-1-i] ^= 1
		writeFile(t, path, string(b))
		broken = append(broken, b)
		u, err := Unlock(home, opts)
		if err != nil {
			t.Fatal(err)
		}
		gens := backupGenerations(t, u)
		if err := u.Restore(gens[0]); err != nil {
			t.Fatalf("restore %d: %v", i, err)
		}
		u.Close()
	}
	aside, _ := filepath.Glob(filepath.Join(home, vaultFile+".broken-*"))
	if len(aside) != 2 {
		t.Fatalf("kept %d broken files, want 2: %v", len(aside), aside)
	}
	for _, want := range broken {
		found := false
		for _, p := range aside {
			if b, _ := os.ReadFile(p); bytes.Equal(b, want) {
				found = true
			}
		}
		if !found {
			t.Error("a broken vault.age was lost")
		}
	}
	mustOpen(t, home, opts)
}

func TestBookkeepingDoesNotRotateBackups(t *testing.T) {
	home, opts, _ := newIdentityVault(t)
	v := mustOpen(t, home, opts)
	for _, name := range []string{"a", "b", "c"} {
		if err := v.Update(func(tx *Tx) error { _, err := tx.Add(testKey(t, name)); return err }); err != nil {
			t.Fatal(err)
		}
	}
	backups := func() []uint64 {
		bs, err := v.Backups()
		if err != nil {
			t.Fatal(err)
		}
		var gens []uint64
		for _, b := range bs {
			gens = append(gens, b.Generation)
		}
		return gens
	}
	want := backups()
	gen := v.generation()
	for i := 0; i < 5; i++ {
		if err := v.Update(func(tx *Tx) error { return tx.Touch("a", time.Now().Add(time.Duration(i)*time.Second)) }); err != nil {
			t.Fatal(err)
		}
	}
	if got := backups(); !slices.Equal(got, want) {
		t.Fatalf("touching a key rotated the backups: %v, want %v", got, want)
	}
	if v.generation() != gen+5 {
		t.Fatalf("generation %d, want %d: bookkeeping saves must still bump it", v.generation(), gen+5)
	}
	if err := v.Update(func(tx *Tx) error { return nil }); err != nil || v.generation() != gen+5 {
		t.Fatalf("an empty update wrote a generation (%d) or failed: %v", v.generation(), err)
	}
	if err := v.Update(func(tx *Tx) error { return tx.Rename("a", "z") }); err != nil {
		t.Fatal(err)
	}
	if got := backups(); got[0] != gen+5 {
		t.Fatalf("a real change did not rotate the backups: %v", got)
	}
}
