package usage

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

// withFileLock runs fn while holding an exclusive flock on path, creating
// the lock file (0600) and its directory (0700) when missing. It gives up
// with errBusy after timeout. A symbolic link in place of the lock file is
// refused: it could make us create a file elsewhere.
func withFileLock(path string, timeout time.Duration, errBusy error, fn func() error) error {
	if err := ensureDir(filepath.Dir(path)); err != nil {
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

// ensureDir creates dir with mode 0700, whatever the umask.
func ensureDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err == nil && fi.IsDir() {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.Chmod(dir, 0o700)
}

// isTemp reports whether name is a temp file of an atomic write (renameio
// names them ".<target><random>").
func isTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, ".age")
}

// hasTemps reports whether dir holds temp files left by a writer that was
// killed mid-save.
func hasTemps(dir string) bool {
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		if isTemp(de.Name()) && de.Type().IsRegular() {
			return true
		}
	}
	return false
}

// removeTemps deletes those temp files. The caller holds the lock that
// every writer of dir holds, so none of them belongs to a live save. They
// are encrypted; removing them only reclaims space.
func removeTemps(dir string) error {
	des, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, de := range des {
		if isTemp(de.Name()) && de.Type().IsRegular() {
			if err := os.Remove(filepath.Join(dir, de.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("remove stale temp file: %w", err)
			}
		}
	}
	return nil
}
