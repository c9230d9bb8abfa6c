package vault

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"github.com/vaultchat/vaultchat/internal/filelock"
)

// Batch writes many new sealed files into one directory and makes them
// durable together: a bulk import of thousands of conversations would
// otherwise pay WriteFile's two fsyncs (and a scan of the directory) per
// file. Each file is encrypted to the vault's own recipient as it is
// added, like WriteFile's; plaintext never reaches the disk. Until Sync
// returns, a crash may leave any of the files missing or truncated, so a
// batch belongs in a directory of its own that the caller discards when
// it was not completed (the conversation store stages imports this way).
type Batch struct {
	dir   string
	self  age.Recipient
	names []string
}

// NewBatch starts a batch in dir, a slash-separated path relative to the
// vault home such as "conversations/.imports/x", created with mode 0700
// (it may already exist).
func (f *Files) NewBatch(dir string) (*Batch, error) {
	v := f.v
	path, err := v.sealedDir(dir)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	self := v.id.self
	v.mu.Unlock()
	if self == nil {
		return nil, ErrLocked
	}
	if err := filelock.EnsureDir(path); err != nil {
		return nil, fmt.Errorf("batch %s: %w", dir, err)
	}
	return &Batch{dir: path, self: self}, nil
}

// Add encrypts data into the new file name (a plain file name, such as
// "abc.age") of the batch's directory. A file of that name must not exist.
func (b *Batch) Add(name string, data []byte) error {
	if name == "" || name != filepath.Base(name) || strings.HasPrefix(name, ".") {
		return fmt.Errorf("invalid sealed file name %q", name)
	}
	f, err := os.OpenFile(filepath.Join(b.dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	b.names = append(b.names, name)
	if err := encryptTo(f, data, b.self); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", name, err)
	}
	// Mode 0600 whatever the umask.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// Sync makes every file added so far durable, and the directory that
// names them: one sync of the whole file system where the system has it,
// else an fsync per file.
func (b *Batch) Sync() error {
	if err := syncFileSystem(b.dir); err != nil {
		for _, name := range b.names {
			if err := syncFile(filepath.Join(b.dir, name)); err != nil {
				return fmt.Errorf("sync %s: %w", name, err)
			}
		}
	}
	return filelock.SyncDir(b.dir)
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// sealedDir resolves a directory name inside the home like sealedPath,
// for batches.
func (v *Vault) sealedDir(dir string) (string, error) {
	clean := filepath.Clean(filepath.FromSlash(dir))
	if leavesHome(dir, clean) {
		return "", fmt.Errorf("invalid sealed directory %q", dir)
	}
	return v.homePath(clean, true)
}
