// Package filelock holds what the conversation store and the usage ledger
// share for read-modify-write of encrypted files in the vault home: an
// exclusive flock on a separate lock file, directories created 0700, file
// versions compared by size and modification time, directories synced,
// and cleanup of temp files a killed writer left behind.
package filelock

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// Run runs fn while holding an exclusive flock on path, creating
// the lock file (0600) and its directory (0700) when missing. It gives up
// with errBusy after timeout. A symbolic link in place of the lock file is
// refused: it could make us create a file elsewhere.
func Run(path string, timeout time.Duration, errBusy error, fn func() error) error {
	if err := EnsureDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Base(filepath.Dir(path)), err)
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("lock file %s is a symbolic link", path)
	}
	l := flock.New(path, flock.SetPermissions(0o600))
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ok, err := l.TryLockContext(ctx, 5*time.Millisecond)
	if !ok {
		if err == nil || errors.Is(err, context.DeadlineExceeded) {
			return errBusy
		}
		return fmt.Errorf("lock %s: %w", filepath.Base(path), err)
	}
	defer l.Unlock()
	return fn()
}

// EnsureDir creates dir with mode 0700, whatever the umask.
func EnsureDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err == nil && fi.IsDir() {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.Chmod(dir, 0o700)
}

// Kind names what a file that is not a regular file is, for an error:
// "a directory", "a named pipe", "a socket", "a device".
func Kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	default:
		return m.Type().String()
	}
}

// SyncDir fsyncs the directory dir, so that the files just renamed or
// created in it survive a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	return nil
}

// IsTemp reports whether name is a temp file of an atomic write (renameio
// names them ".<target><random>").
func IsTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, ".age")
}

// HasTemps reports whether dir holds temp files left by a writer that was
// killed mid-save.
func HasTemps(dir string) bool {
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		if IsTemp(de.Name()) && de.Type().IsRegular() {
			return true
		}
	}
	return false
}

// RemoveTemps deletes those temp files. The caller holds the lock that
// every writer of dir holds, so none of them belongs to a live save. They
// are encrypted; removing them only reclaims space.
func RemoveTemps(dir string) error {
	des, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, de := range des {
		if IsTemp(de.Name()) && de.Type().IsRegular() {
			if err := os.Remove(filepath.Join(dir, de.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("remove stale temp file: %w", err)
			}
		}
	}
	return nil
}

// Version identifies one version of a file: size and modification time.
// Every save renames a fresh file into place, so a new save gets a new
// signature.
type Version struct {
	Size  int64
	MTime int64 // UnixNano
}

// VersionOf returns the version of the file fi describes.
func VersionOf(fi fs.FileInfo) Version {
	return Version{Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
}

// Stat returns the version of path, and whether it exists.
func Stat(path string) (Version, bool, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Version{}, false, nil
	}
	if err != nil {
		return Version{}, false, err
	}
	if !fi.Mode().IsRegular() {
		return Version{}, false, fmt.Errorf("%s is not a regular file", filepath.Base(path))
	}
	return VersionOf(fi), true, nil
}
