package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"

	"github.com/vaultchat/vaultchat/internal/filelock"
)

// ErrConversationInUse is wrapped by LockTurn when another process runs
// a turn of the conversation; the error reads "conversation ID is in use
// by another vaultchat".
var ErrConversationInUse = errors.New("in use by another vaultchat")

// turnWait is how long LockTurn waits for another process's turn: long
// enough for one that is saving its reply, far shorter than a reply.
var turnWait = 2 * time.Second

// turnLockName is the lock file of conversation id's turns, beside its
// file.
func turnLockName(id string) string { return dirName + "/" + id + ".lock" }

// LockTurn makes the caller the one process running a turn of
// conversation id, from reading its history to saving the reply, so that
// two processes (two "ask --continue", or the app and an ask) cannot
// both send a question next to a reply the other has not saved yet. It
// waits briefly for a turn another process is finishing, then gives up
// with an error wrapping ErrConversationInUse. The caller calls unlock
// when its turn is saved.
//
// The lock is an flock on conversations/ID.lock, an empty file. The
// kernel drops it when its process ends, however it ends (kill -9, a
// crash), so a lock is never stale: a lock that is held belongs to a
// live process (one stopped with ctrl+z too, whose turn is still
// unfinished). unlock removes the file before it lets go, so none piles
// up; one a killed process left is taken by the next turn and removed
// then, or by Delete. A process that waited on a file its holder removed
// finds it is no longer the file at the path, and locks that one instead.
//
// One process takes the lock once per conversation: a second LockTurn
// for the same id in the same process waits like another process would
// (the engine serialises its own turns before it asks).
func (s *Store) LockTurn(id string) (unlock func(), err error) {
	if err := ValidateID(id); err != nil {
		return nil, fmt.Errorf("lock conversation: %w", err)
	}
	path := filepath.Join(s.f.Dir(), filepath.FromSlash(turnLockName(id)))
	if err := filelock.EnsureDir(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("lock conversation %s: %w", id, err)
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		// It could make us create a file elsewhere.
		return nil, fmt.Errorf("lock conversation %s: %s is a symbolic link", id, path)
	}
	ctx, cancel := context.WithTimeout(context.Background(), turnWait)
	defer cancel()
	for {
		l := flock.New(path, flock.SetPermissions(0o600))
		ok, err := l.TryLockContext(ctx, 10*time.Millisecond)
		if !ok {
			if err == nil || errors.Is(err, context.DeadlineExceeded) {
				return nil, fmt.Errorf("conversation %s is %w", id, ErrConversationInUse)
			}
			return nil, fmt.Errorf("lock conversation %s: %w", id, err)
		}
		if isLockAt(l, path) {
			return func() {
				os.Remove(path)
				l.Unlock()
			}, nil
		}
		// The turn we waited for removed the file as it ended.
		l.Unlock()
	}
}

// isLockAt reports whether the file l holds is still the file at path
// (its holder before us may have removed it).
func isLockAt(l *flock.Flock, path string) bool {
	held, err := l.Stat()
	if err != nil {
		return false
	}
	now, err := os.Lstat(path)
	return err == nil && os.SameFile(held, now)
}

// removeTurnLock removes the turn lock file a killed turn left for a
// deleted conversation, unless a turn holds it (that turn then saves the
// conversation again, and removes its lock file itself).
func (s *Store) removeTurnLock(id string) {
	path := filepath.Join(s.f.Dir(), filepath.FromSlash(turnLockName(id)))
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return
	}
	l := flock.New(path, flock.SetPermissions(0o600))
	if ok, err := l.TryLock(); err != nil || !ok {
		return
	}
	defer l.Unlock()
	if isLockAt(l, path) {
		os.Remove(path)
	}
}
