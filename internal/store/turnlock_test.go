package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofrs/flock"
)

// TestLockTurnIsOneHolderAtATime: while one holder (another process's
// store; a second Store here, with its own file descriptor) runs a turn
// of a conversation, LockTurn gives up after its short wait with an
// error naming the conversation; once unlocked it succeeds. Other
// conversations are not held up.
func TestLockTurnIsOneHolderAtATime(t *testing.T) {
	h := newHome(t)
	a, b := h.store(t, newClock()), h.store(t, newClock())
	defer func(d time.Duration) { turnWait = d }(turnWait)
	turnWait = 50 * time.Millisecond

	unlock, err := a.LockTurn("c1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.LockTurn("c1")
	if !errors.Is(err, ErrConversationInUse) || err.Error() != "conversation c1 is in use by another vaultchat" {
		t.Fatalf("second holder: %v", err)
	}
	other, err := b.LockTurn("c2")
	if err != nil {
		t.Fatalf("another conversation: %v", err)
	}
	other()
	unlock()
	again, err := b.LockTurn("c1")
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	lock := filepath.Join(h.Dir, dirName, "c1.lock")
	fi, err := os.Stat(lock)
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != 0 {
		t.Fatalf("lock file while held: %v %v", fi, err)
	}
	again()
	if _, err := os.Lstat(lock); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the lock file stayed after its turn: %v", err)
	}
}

// TestLockTurnHoldsOnlyTheFileAtThePath: a turn that opened the lock
// file just before its holder removed it (the holder's unlock) holds a
// file nobody else sees; isLockAt tells, and LockTurn then locks the
// file now at the path.
func TestLockTurnHoldsOnlyTheFileAtThePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c1.lock")
	l := flock.New(path, flock.SetPermissions(0o600))
	if ok, err := l.TryLock(); err != nil || !ok {
		t.Fatal(ok, err)
	}
	defer l.Unlock()
	if !isLockAt(l, path) {
		t.Fatal("the file at the path is not recognised")
	}
	os.Remove(path)
	if isLockAt(l, path) {
		t.Fatal("a removed lock file is taken for the one at the path")
	}
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if isLockAt(l, path) {
		t.Fatal("a removed lock file is taken for the new one at the path")
	}
}

// TestLockTurnRefusesASymlinkAndBadIDs: a lock file that is a symbolic
// link could make the store create a file elsewhere; an ID that is not
// one cannot name a lock file.
func TestLockTurnRefusesASymlinkAndBadIDs(t *testing.T) {
	h := newHome(t)
	s := h.store(t, newClock())
	dir := filepath.Join(h.Dir, dirName)
	os.MkdirAll(dir, 0o700)
	target := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.Symlink(target, filepath.Join(dir, "c1.lock")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LockTurn("c1"); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("symlinked lock file: %v", err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the link's target was created")
	}
	if _, err := s.LockTurn("../x"); !errors.Is(err, ErrInvalidID) {
		t.Fatalf("bad ID: %v", err)
	}
}
