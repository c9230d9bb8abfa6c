package vault

import (
	"io"
	"io/fs"
	"path/filepath"
	"syscall"
	"time"
)

// testOnlySetScryptWorkFactor lowers the scrypt work factor used when a
// passphrase identity is written, so tests do not spend a second per
// vault. It returns a function that restores the default.
func testOnlySetScryptWorkFactor(logN int) (restore func()) {
	old := scryptWorkFactor
	scryptWorkFactor = logN
	return func() { scryptWorkFactor = old }
}

// testOnlySetLockTimeout shortens how long a save waits for the vault
// lock, so the ErrInUse path is tested in milliseconds. It returns a
// function that restores the default.
func testOnlySetLockTimeout(d time.Duration) (restore func()) {
	old := lockTimeout
	lockTimeout = d
	return func() { lockTimeout = old }
}

// testOnlyFailWrites makes every sealed write to a file whose name
// matches fail like a full disk (ENOSPC) after its first bytes, as
// a real file system does when space runs out mid-file. It returns a
// function that restores normal writes.
func testOnlyFailWrites(match func(name string) bool) (restore func()) {
	old := sealWriterHook
	sealWriterHook = func(path string, w io.Writer) io.Writer {
		if !match(filepath.Base(path)) {
			return w
		}
		return &fullDisk{w: w, room: 64}
	}
	return func() { sealWriterHook = old }
}

// fullDisk accepts room bytes, then fails with ENOSPC.
type fullDisk struct {
	w    io.Writer
	room int
}

func (d *fullDisk) Write(p []byte) (int, error) {
	if len(p) <= d.room {
		d.room -= len(p)
		return d.w.Write(p)
	}
	n, _ := d.w.Write(p[:d.room])
	d.room = 0
	return n, &fs.PathError{Op: "write", Path: "temp file", Err: syscall.ENOSPC}
}
