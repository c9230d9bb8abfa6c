package vault

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// checkModes walks home and fails for any directory not 0700 or file not
// 0600.
func checkModes(t *testing.T, home string) {
	t.Helper()
	err := filepath.WalkDir(home, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(path)
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want || fi.Mode()&fs.ModeSymlink != 0 {
			rel, _ := filepath.Rel(home, path)
			t.Errorf("%s has mode %v, want %v", rel, fi.Mode(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPermissionsUnderUmask000 runs every writing operation with umask 000
// and checks no file or directory in the home is readable by others. It
// changes the process umask, so it must not run in parallel with others.
func TestPermissionsUnderUmask000(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)

	// A passphrase vault: identity.age, vault.age, backups, lock.
	home := filepath.Join(t.TempDir(), "p", "home")
	v, err := Init(home, passphraseOpts("pw"))
	if err != nil {
		t.Fatal(err)
	}
	addKeys(t, v, "k", 4)
	if err := v.ChangePassphrase("pw2"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"conversations/2025/a.age", "usage.age", "x/y/z/deep.age"} {
		if err := v.Files().WriteFile(name, []byte("data")); err != nil {
			t.Fatalf("WriteFile(%s): %v", name, err)
		}
	}
	if err := v.Restore(v.generation() - 2); err != nil {
		t.Fatal(err)
	}
	if err := v.Update(func(tx *Tx) error { _, err := tx.Remove("k-0"); return err }); err != nil {
		t.Fatal(err)
	}
	v.Close()
	checkModes(t, home)

	// An identity-file vault adds home.json.
	ihome, opts, _ := newIdentityVault(t)
	iv := mustOpen(t, ihome, opts)
	addKeys(t, iv, "k", 4)
	checkModes(t, ihome)
	if _, err := os.Stat(filepath.Join(ihome, homeFile)); err != nil {
		t.Fatal("identity vault has no home.json")
	}

	// An existing home with loose modes is tightened by Init.
	loose := filepath.Join(t.TempDir(), "loose")
	if err := os.Mkdir(loose, 0o777); err != nil {
		t.Fatal(err)
	}
	lv, err := Init(loose, opts)
	if err != nil {
		t.Fatal(err)
	}
	lv.Close()
	checkModes(t, loose)
}

func TestLooseModeWarnings(t *testing.T) {
	home, opts, _ := newIdentityVault(t)
	v := mustOpen(t, home, opts)
	if w := v.Warnings(); len(w) != 0 {
		t.Fatalf("warnings on a fresh vault: %v", w)
	}
	addKeys(t, v, "k", 1)
	v.Close()

	path := filepath.Join(home, vaultFile)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	v = mustOpen(t, home, opts)
	w := v.Warnings()
	if len(w) != 1 || !strings.Contains(w[0], vaultFile) || !strings.Contains(w[0], "0644") {
		t.Fatalf("warnings = %q, want one about vault.age mode 0644", w)
	}
	// The next saves must not carry the loose mode into the backups.
	addKeys(t, v, "more", 3)
	checkModes(t, home)

	if err := os.Chmod(home, 0o755); err != nil {
		t.Fatal(err)
	}
	v2 := mustOpen(t, home, opts)
	if w := v2.Warnings(); len(w) != 1 || !strings.Contains(w[0], "0755") {
		t.Fatalf("warnings = %q, want one about the home's mode", w)
	}
	os.Chmod(home, 0o700)
}

func TestSymlinksRefused(t *testing.T) {
	home, opts, _ := newIdentityVault(t)
	v := mustOpen(t, home, opts)
	addKeys(t, v, "k", 1)
	path := filepath.Join(home, vaultFile)
	elsewhere := filepath.Join(t.TempDir(), "real-vault.age")
	good, _ := os.ReadFile(path)
	if err := os.WriteFile(elsewhere, good, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, path); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(home, opts); !errors.Is(err, ErrSymlink) {
		t.Errorf("Open with vault.age a symlink: %v, want ErrSymlink", err)
	}
	if err := v.Update(func(tx *Tx) error { _, err := tx.Add(testKey(t, "x")); return err }); !errors.Is(err, ErrSymlink) {
		t.Errorf("Update with vault.age a symlink: %v, want ErrSymlink", err)
	}
	if err := v.save(); !errors.Is(err, ErrSymlink) {
		t.Errorf("Save with vault.age a symlink: %v, want ErrSymlink", err)
	}
	if b, _ := os.ReadFile(elsewhere); string(b) != string(good) {
		t.Error("the symlink target was written")
	}
	if fi, _ := os.Lstat(path); fi.Mode()&fs.ModeSymlink == 0 {
		t.Error("the symlink was replaced")
	}
	// seal itself refuses, whatever the caller checked before.
	if err := seal(path, []byte("x"), v.id.self); !errors.Is(err, ErrSymlink) {
		t.Errorf("seal onto a symlink: %v", err)
	}
	os.Remove(path)
	os.WriteFile(path, good, 0o600)

	// A symlinked backup slot or lock file is refused too.
	target := filepath.Join(t.TempDir(), "target")
	os.WriteFile(target, []byte("keep"), 0o600)
	os.Remove(backupPath(home, 1))
	if err := os.Symlink(target, backupPath(home, 1)); err != nil {
		t.Fatal(err)
	}
	if err := v.save(); !errors.Is(err, ErrSymlink) {
		t.Errorf("Save with vault.age.1 a symlink: %v, want ErrSymlink", err)
	}
	os.Remove(backupPath(home, 1))
	lock := filepath.Join(home, lockFile)
	os.Remove(lock)
	os.Symlink(target, lock)
	if err := v.Update(func(tx *Tx) error { return nil }); !errors.Is(err, ErrSymlink) {
		t.Errorf("Update with vault.lock a symlink: %v, want ErrSymlink", err)
	}
	os.Remove(lock)
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Error("a symlink target was written")
	}

	// WriteFile and ReadFile refuse a symlinked target, and a symlinked
	// directory on the way to it.
	os.Symlink(target, filepath.Join(home, "link.age"))
	if err := v.Files().WriteFile("link.age", []byte("x")); !errors.Is(err, ErrSymlink) {
		t.Errorf("WriteFile onto a symlink: %v, want ErrSymlink", err)
	}
	if _, err := v.Files().ReadFile("link.age", 0); !errors.Is(err, ErrSymlink) {
		t.Errorf("ReadFile of a symlink: %v, want ErrSymlink", err)
	}
	outside := t.TempDir()
	os.Chmod(outside, 0o755)
	os.Symlink(outside, filepath.Join(home, "conversations"))
	if err := v.Files().WriteFile("conversations/a.age", []byte("x")); !errors.Is(err, ErrSymlink) {
		t.Errorf("WriteFile through a symlinked directory: %v, want ErrSymlink", err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("WriteFile wrote outside the home: %v", entries)
	}
	if fi, _ := os.Stat(outside); fi.Mode().Perm() != 0o755 {
		t.Errorf("WriteFile changed the mode of a directory outside the home to %v", fi.Mode().Perm())
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Error("a symlink target was written")
	}
}

// TestHomeModeHints checks the advice for a loose home: a directory needs
// chmod 700 (600 would lock its owner out), a symbolic link to a private
// home is fine, a link to a loose one is judged by its target, and a home
// owned by another user is reported.
func TestHomeModeHints(t *testing.T) {
	home, opts, _ := newIdentityVault(t)
	if err := os.Chmod(home, 0o777); err != nil {
		t.Fatal(err)
	}
	w := mustOpen(t, home, opts).Warnings()
	if len(w) != 1 || !strings.Contains(w[0], "chmod 700 "+home) || !strings.Contains(w[0], "0777") {
		t.Errorf("0777 home: warnings %q, want one that says chmod 700", w)
	}
	os.Chmod(home, 0o700)
	os.Chmod(filepath.Join(home, vaultFile), 0o640)
	w = mustOpen(t, home, opts).Warnings()
	if len(w) != 1 || !strings.Contains(w[0], "chmod 600 "+filepath.Join(home, vaultFile)) {
		t.Errorf("0640 vault.age: warnings %q, want one that says chmod 600", w)
	}
	os.Chmod(filepath.Join(home, vaultFile), 0o600)

	link := filepath.Join(t.TempDir(), "linked-home")
	if err := os.Symlink(home, link); err != nil {
		t.Fatal(err)
	}
	if w := mustOpen(t, link, opts).Warnings(); len(w) != 0 {
		t.Errorf("a link to a 0700 home: warnings %q, want none", w)
	}
	os.Chmod(home, 0o750)
	w = mustOpen(t, link, opts).Warnings()
	if len(w) != 1 || !strings.Contains(w[0], "0750") || !strings.Contains(w[0], "chmod 700 "+home) {
		t.Errorf("a link to a 0750 home: warnings %q, want one naming the target's mode and path", w)
	}
	os.Chmod(home, 0o700)
}

// TestHomeOwnedByAnotherUser needs root, to give the home away.
func TestHomeOwnedByAnotherUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to chown the home to another user")
	}
	home, opts, _ := newIdentityVault(t)
	if err := os.Chown(home, 12345, -1); err != nil {
		t.Fatal(err)
	}
	w := mustOpen(t, home, opts).Warnings()
	if len(w) != 1 || !strings.Contains(w[0], "owned by uid 12345") {
		t.Errorf("home owned by uid 12345: warnings %q, want one about its owner", w)
	}
	if err := os.Chown(filepath.Join(home, vaultFile), 12345, -1); err != nil {
		t.Fatal(err)
	}
	if w := mustOpen(t, home, opts).Warnings(); len(w) != 2 {
		t.Errorf("home and vault.age owned by uid 12345: warnings %q, want two", w)
	}
}
