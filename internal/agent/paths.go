package agent

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// maxSocketPath is the longest path a Unix socket address holds (108
// bytes on Linux, with the final NUL).
const maxSocketPath = 107

// CanonicalHome returns the form of a vault home that names it in
// requests and socket names: absolute, cleaned, with symbolic links
// resolved when it exists, so two spellings of one home reach one agent.
func CanonicalHome(home string) string {
	abs, err := filepath.Abs(home)
	if err != nil {
		return filepath.Clean(home)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	return abs
}

// SocketDir returns the directory of the user's agent sockets:
// $XDG_RUNTIME_DIR/vaultchat when XDG_RUNTIME_DIR names a directory of the
// user's, else vaultchat-UID in $TMPDIR (or /tmp). getenv reads the
// environment.
func SocketDir(getenv func(string) string) string {
	if rt := getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(rt) {
		if fi, err := os.Stat(rt); err == nil && fi.IsDir() && ownerOf(fi) == os.Getuid() {
			return filepath.Join(rt, "vaultchat")
		}
	}
	tmp := getenv("TMPDIR")
	if !filepath.IsAbs(tmp) {
		tmp = "/tmp"
	}
	return filepath.Join(tmp, "vaultchat-"+strconv.Itoa(os.Getuid()))
}

// SocketPath returns the socket of the agent for home (canonical) in dir:
// one agent, and one socket, per vault home.
func SocketPath(dir, home string) string {
	sum := sha256.Sum256([]byte(home))
	return filepath.Join(dir, "agent-"+hex.EncodeToString(sum[:8])+".sock")
}

// PrepareDir creates the socket directory (mode 0700, whatever the
// umask) if it is missing, and checks it like CheckDir.
func PrepareDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create the agent's socket directory: %w", err)
	}
	return CheckDir(dir)
}

// CheckDir refuses a socket directory that another user could reach
// into: it must be a real directory (not a symbolic link), owned by the
// user, with no access for group or others.
func CheckDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("the agent's socket directory %s is a symbolic link; remove it", dir)
	case !fi.IsDir():
		return fmt.Errorf("the agent's socket directory %s is not a directory; remove it", dir)
	case ownerOf(fi) != os.Getuid():
		return fmt.Errorf("the agent's socket directory %s belongs to uid %d, not to you; remove it", dir, ownerOf(fi))
	case fi.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("the agent's socket directory %s is open to other users (mode %04o); run: chmod 700 %s", dir, fi.Mode().Perm(), dir)
	}
	return nil
}

// checkSocketPath refuses a path too long to bind.
func checkSocketPath(path string) error {
	if len(path) > maxSocketPath {
		return fmt.Errorf("the agent's socket path %s is longer than %d bytes; set XDG_RUNTIME_DIR or TMPDIR to a shorter directory", path, maxSocketPath)
	}
	return nil
}

// ownerOf returns the uid owning a file, or -1.
func ownerOf(fi fs.FileInfo) int {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}
