package vault

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/vaultchat/vaultchat/internal/filelock"
)

// Files is the vault's encrypted-file service for other packages (the
// conversation store, the usage ledger): files in the vault home,
// encrypted to the vault's own recipient, written atomically under the
// vault lock. It is a small value handed out by Vault.Files, so those
// packages see these four methods and nothing else of the vault. After the
// Vault is closed every method but Dir fails with ErrLocked.
type Files struct{ v *Vault }

// Files returns the vault's encrypted-file service.
func (v *Vault) Files() *Files { return &Files{v: v} }

// Dir returns the vault home, which file names are relative to.
func (f *Files) Dir() string { return f.v.dir }

// WriteFile encrypts data to the vault's own recipient and atomically
// replaces the file name, a slash-separated path relative to the vault home
// such as "conversations/abc.age". It takes the vault lock, writes an
// encrypted temp file (0600) in the same directory, fsyncs it, renames it
// and fsyncs the directory: after a crash the file holds either the old or
// the new content, and plaintext never reaches the disk. Parent directories
// are created with mode 0700.
func (f *Files) WriteFile(name string, data []byte) error {
	v := f.v
	path, err := v.sealedPath(name)
	if err != nil {
		return err
	}
	v.mu.Lock()
	self := v.id.self
	v.mu.Unlock()
	if self == nil {
		return ErrLocked
	}
	if err := filelock.EnsureDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return withLock(v.dir, func() error {
		// Temp files a killed writer left next to the target go now; the
		// lock guarantees no live writer owns one.
		cleanTemps(filepath.Dir(path))
		return seal(path, data, self)
	})
}

// ReadFile decrypts the file name written by WriteFile. Files over maxSize
// bytes (MaxFileSize when maxSize is 0) are refused before decrypting with
// ErrTooLarge; damaged ones fail with ErrCorrupted. Nothing is returned
// unless the whole file decrypted cleanly.
func (f *Files) ReadFile(name string, maxSize int64) ([]byte, error) {
	v := f.v
	path, err := v.sealedPath(name)
	if err != nil {
		return nil, err
	}
	if maxSize <= 0 {
		maxSize = MaxFileSize
	}
	v.mu.Lock()
	ids := v.id.ids
	v.mu.Unlock()
	if ids == nil {
		return nil, ErrLocked
	}
	b, err := unseal(path, maxSize, ids...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return b, nil
}

// RemoveFile deletes the file name under the vault lock. A missing file is
// not an error.
func (f *Files) RemoveFile(name string) error {
	v := f.v
	path, err := v.sealedPath(name)
	if err != nil {
		return err
	}
	return withLock(v.dir, func() error {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", name, err)
		}
		return nil
	})
}

// sealedPath resolves name inside the home, refusing anything that could
// escape it or clobber the vault's own files.
func (v *Vault) sealedPath(name string) (string, error) {
	clean := filepath.Clean(filepath.FromSlash(name))
	if leavesHome(name, clean) || strings.HasPrefix(filepath.Base(clean), ".") {
		return "", fmt.Errorf("invalid sealed file name %q", name)
	}
	if !strings.Contains(clean, string(filepath.Separator)) {
		switch {
		case clean == identityFile, clean == homeFile, clean == lockFile, clean == stampFile, strings.HasPrefix(clean, vaultFile):
			return "", fmt.Errorf("%q is reserved for the vault", name)
		}
	}
	return v.homePath(clean, false)
}

// leavesHome reports whether name (cleaned: clean) cannot name something
// inside the home: empty, absolute, the home itself, or above it.
func leavesHome(name, clean string) bool {
	return name == "" || filepath.IsAbs(clean) || clean == "." || strings.HasPrefix(clean, "..")
}

// homePath joins clean, a cleaned relative path, to the home. A symbolic
// link on the way (say conversations -> /elsewhere) would make us write,
// chmod or delete outside the home: it is refused at every step. With
// dirs, so is anything on the way that exists and is not a directory.
func (v *Vault) homePath(clean string, dirs bool) (string, error) {
	p := v.dir
	for _, part := range strings.Split(clean, string(filepath.Separator)) {
		p = filepath.Join(p, part)
		if err := refuseSymlink(p); err != nil {
			return "", err
		}
		if !dirs {
			continue
		}
		if fi, err := os.Lstat(p); err == nil && !fi.IsDir() {
			return "", fmt.Errorf("%s is not a directory: %w", p, fs.ErrExist)
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	return p, nil
}
