package agent

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// ErrRunning means an agent already answers on the socket.
var ErrRunning = errors.New("an agent already runs for this vault home")

// Listener is the agent's socket, mode 0600 in a directory of mode 0700.
type Listener struct {
	*net.UnixListener
	path string
	id   fileID
}

// fileID identifies one file, whatever its name.
type fileID struct{ dev, ino uint64 }

// Listen creates the agent's socket at path, in a directory PrepareDir
// accepted. A socket left by an agent that died is detected (nothing
// answers on it) and replaced; so is anything else at the path, which is
// removed, never followed. If an agent answers, Listen fails with
// ErrRunning. Two agents starting at once cannot both win: the check and
// the bind happen under a lock on the directory.
func Listen(path string) (*Listener, error) {
	if err := checkSocketPath(path); err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	if err := CheckDir(dir); err != nil {
		return nil, err
	}
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	if err := syscall.Flock(int(d.Fd()), syscall.LOCK_EX); err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	defer syscall.Flock(int(d.Fd()), syscall.LOCK_UN)

	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() == fs.ModeSocket && answers(path) {
			return nil, ErrRunning
		}
		if fi.IsDir() {
			return nil, fmt.Errorf("%s is a directory, not the agent's socket; remove it", path)
		}
		// A dead agent's socket, or something planted: unlink the name
		// (a symbolic link is removed, not followed).
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("remove the stale socket %s: %w", path, err)
		}
	}

	// The socket is created with the mode the umask leaves; with umask
	// 0177 nobody else can connect in the moment before the chmod.
	old := syscall.Umask(0o177)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	// Removal on Close is ours to do, and only if the name is still
	// our socket: a newer agent may have taken it over.
	ln.SetUnlinkOnClose(false)
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		os.Remove(path)
		return nil, err
	}
	l := &Listener{UnixListener: ln, path: path}
	fi, err := os.Lstat(path)
	if err != nil {
		ln.Close()
		return nil, err
	}
	l.id = idOf(fi)
	return l, nil
}

// answers reports whether something accepts connections on the socket.
func answers(path string) bool {
	c, err := net.DialTimeout("unix", path, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// Path returns the socket's path.
func (l *Listener) Path() string { return l.path }

// stillOurs reports whether the path still names this socket.
func (l *Listener) stillOurs() bool {
	fi, err := os.Lstat(l.path)
	return err == nil && fi.Mode().Type() == fs.ModeSocket && idOf(fi) == l.id
}

// Close stops listening and removes the socket if the path still names
// it.
func (l *Listener) Close() error {
	ours := l.stillOurs()
	err := l.UnixListener.Close()
	if ours {
		os.Remove(l.path)
	}
	return err
}

func idOf(fi fs.FileInfo) fileID {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}
	}
	return fileID{}
}

// fingerprint identifies one state of a watched file: rewriting it
// (renamed into place, as every vault write is) changes its identity, an
// edit in place its size or time.
type fingerprint struct {
	exists bool
	id     fileID
	size   int64
	mtime  time.Time
}

func fingerprintOf(path string) fingerprint {
	fi, err := os.Lstat(path)
	if err != nil {
		return fingerprint{}
	}
	return fingerprint{exists: true, id: idOf(fi), size: fi.Size(), mtime: fi.ModTime()}
}

func baseName(path string) string { return filepath.Base(path) }
