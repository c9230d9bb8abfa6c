package vault

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestIdentityFileMustBeSmallAndRegular checks that an identity file is
// stat'ed and capped before it is read: /dev/zero used to be read until
// memory ran out, and a FIFO made Open wait for a writer forever.
func TestIdentityFileMustBeSmallAndRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.txt")
	writeFile(t, big, "# comment\n"+strings.Repeat("#", maxIdentityFileSize))
	link := filepath.Join(dir, "link-to-fifo")
	if err := os.Symlink(fifo, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, want string
		is               error
	}{
		{"dev zero", "/dev/zero", "not a regular file", nil},
		{"fifo", fifo, "not a regular file", nil},
		{"link to a fifo", link, "not a regular file", nil},
		{"directory", dir, "not a regular file", nil},
		{"too large", big, "identity file", ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := filepath.Join(t.TempDir(), "home")
			_, err := Init(home, Options{IdentityFile: tc.path})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Init with identity file %s: %v, want an error saying %q", tc.path, err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("Init with identity file %s: %v, want %v", tc.path, err, tc.is)
			}
		})
	}

	// Open takes the same path.
	home, _, _ := newIdentityVault(t)
	if _, err := Open(home, Options{IdentityFile: fifo}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Open with a FIFO identity: %v", err)
	}
	// A symbolic link to a regular identity file is fine (dotfile setups).
	idPath, _ := writeX25519Identity(t)
	good := filepath.Join(t.TempDir(), "id-link")
	if err := os.Symlink(idPath, good); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(home, Options{IdentityFile: good}); err != nil && !errors.Is(err, ErrWrongIdentity) {
		t.Errorf("Open with a linked identity file: %v", err)
	}
}

// TestHomeConfigMustBeRegular: home.json is read on every unlock; a FIFO
// planted in its place must fail at once, not wait for a writer.
func TestHomeConfigMustBeRegular(t *testing.T) {
	home, _, _ := newIdentityVault(t)
	path := filepath.Join(home, homeFile)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(home, Options{}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Open with home.json a FIFO: %v", err)
	}
	if UsesPassphrase(home, Options{}) {
		t.Error("a FIFO home.json made the home look like a passphrase vault")
	}
}
