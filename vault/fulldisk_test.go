package vault

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// inodes returns the inode of vault.age and of each backup slot.
func inodes(t *testing.T, home string) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	for _, name := range []string{vaultFile, vaultFile + ".1", vaultFile + ".2", vaultFile + ".3"} {
		fi, err := os.Stat(filepath.Join(home, name))
		if err != nil {
			continue
		}
		out[name] = fi.Sys().(*syscall.Stat_t).Ino
	}
	return out
}

// TestFullDiskKeepsBackups: saves that fail for lack of space used to
// rotate the backups first, so three failed "keys add" left vault.age and
// all three backups as one file, every earlier generation gone.
func TestFullDiskKeepsBackups(t *testing.T) {
	home, opts, _ := newIdentityVault(t)
	v := mustOpen(t, home, opts)
	addKeys(t, v, "k", 4)
	wantGens := backupGenerations(t, v)
	before := snapshot(t, home)
	restore := testOnlyFailWrites(func(name string) bool { return name == vaultFile })
	for i := range 3 {
		err := v.Update(func(tx *Tx) error { _, err := tx.Add(testKey(t, "new")); return err })
		if !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("save %d on a full disk: %v, want ENOSPC", i, err)
		}
	}
	restore()
	sameSnapshot(t, "after three saves on a full disk", before, snapshot(t, home))
	if got := backupGenerations(t, v); !slices.Equal(got, wantGens) {
		t.Errorf("backups after failed saves: generations %v, want %v", got, wantGens)
	}
	seen := map[uint64]string{}
	for name, ino := range inodes(t, home) {
		if other, ok := seen[ino]; ok {
			t.Errorf("%s and %s are the same file", name, other)
		}
		seen[ino] = name
	}
	if _, err := v.Key("new"); err == nil {
		t.Error("the failed key is in memory")
	}
	// Space again: the save works and rotates as usual.
	addKeys(t, v, "later", 1)
	if got := backupGenerations(t, v); got[0] != wantGens[0]+1 {
		t.Errorf("backups after a good save: %v", got)
	}
}

// hasSecret reports which vault files hold secret.
func filesHolding(t *testing.T, home string, v *Vault, secret string) []string {
	t.Helper()
	var out []string
	for name, pt := range backupPlaintexts(t, home, v.id.ids[0]) {
		if bytes.Contains(pt, []byte(secret)) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// TestPurgeIsCompletedAfterAnInterruption: rotate and rm used to write
// the vault and then purge the backups; a kill or a full disk in between
// left the old secret in the backups (until some later rotate), and a
// failed purge was reported as a failed rotate though the new key was in
// effect. The purge is now recorded in the saved vault and completed when
// the vault next opens.
func TestPurgeIsCompletedAfterAnInterruption(t *testing.T) {
	for _, op := range []string{"rotate", "remove"} {
		t.Run(op, func(t *testing.T) {
			home, opts, _ := newIdentityVault(t)
			v := mustOpen(t, home, opts)
			old := addKeys(t, v, "k", 1)["k-0"]
			addKeys(t, v, "filler", 3)
			if got := filesHolding(t, home, v, old); len(got) != 4 {
				t.Fatalf("setup: the secret is in %v", got)
			}
			fresh := mustSecret(t, canary(t))

			// The backups cannot be rewritten: the purge fails as a kill
			// right after the vault's save would leave it.
			restore := testOnlyFailWrites(func(name string) bool { return strings.HasPrefix(name, vaultFile+".") })
			err := v.Update(func(tx *Tx) error {
				var err error
				if op == "rotate" {
					_, err = tx.Rotate("k-0", fresh)
				} else {
					_, err = tx.Remove("k-0")
				}
				return err
			})
			restore()
			if !errors.Is(err, ErrPurgePending) || !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("%s with backups that cannot be written: %v, want ErrPurgePending wrapping ENOSPC", op, err)
			}
			if !strings.Contains(err.Error(), "saved") {
				t.Errorf("the error does not say the change was saved: %v", err)
			}
			// The change itself is in effect, on disk too.
			again := mustOpen(t, home, opts)
			k, kerr := again.Key("k-0")
			switch {
			case op == "rotate" && (kerr != nil || k.Secret.Reveal() != fresh.Reveal()):
				t.Errorf("after the interrupted rotate: %v, %v", k.Secret, kerr)
			case op == "remove" && kerr == nil:
				t.Error("the removed key is back")
			}
			// Opening the vault completed the purge.
			if got := filesHolding(t, home, again, old); len(got) != 0 {
				t.Errorf("the old secret is still in %v after the vault opened again", got)
			}
			if gens := backupGenerations(t, again); len(gens) != 3 {
				t.Errorf("backups after the purge: %v", gens)
			}
			// And it is done once: the next open writes nothing.
			before := snapshot(t, home)
			mustOpen(t, home, opts)
			sameSnapshot(t, "an open after the purge", before, snapshot(t, home))
		})
	}
}
