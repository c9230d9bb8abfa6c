package vault

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"filippo.io/age"
	"github.com/google/renameio/v2"

	"github.com/vaultchat/vaultchat/internal/filelock"
)

// File names inside a vault home.
const (
	vaultFile    = "vault.age"
	identityFile = "identity.age"
	homeFile     = "home.json"
	lockFile     = "vault.lock"
)

// Size caps checked before anything is decrypted.
const (
	// MaxVaultSize is the largest vault.age (and backup) Open accepts.
	MaxVaultSize = 16 << 20
	// MaxFileSize is the largest sealed file ReadFile accepts unless the
	// caller asks for less.
	MaxFileSize         = 256 << 20
	maxIdentitySize     = 1 << 20
	maxIdentityFileSize = 64 << 10
)

// sealWriterHook, when set, wraps what seal writes to a temp file. Only
// tests set it (testOnlyFailWrites), to fail writes like a full disk.
var sealWriterHook func(path string, w io.Writer) io.Writer

// lockTimeout is how long a save waits for another process to release the
// vault lock before giving up with ErrInUse.
var lockTimeout = 5 * time.Second

// withLock runs fn while holding the home's exclusive flock, through the
// same internal/filelock the conversation store and the usage ledger use;
// after lockTimeout it gives up with ErrInUse. A symbolic link in place of
// the lock file is refused with ErrSymlink.
func withLock(dir string, fn func() error) error {
	path := filepath.Join(dir, lockFile)
	if err := refuseSymlink(path); err != nil {
		return err
	}
	return filelock.Run(path, lockTimeout, ErrInUse, fn)
}

// refuseSymlink fails if path exists and is a symbolic link: a planted link
// could make us write secrets somewhere else, or read an attacker's file.
func refuseSymlink(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s: %w", path, ErrSymlink)
	}
	return nil
}

// seal encrypts plaintext to recipients and atomically replaces path: an
// encrypted temp file in the same directory (0600), fsync, rename, fsync of
// the directory. No plaintext ever touches the disk. The caller holds the
// lock.
func seal(path string, plaintext []byte, recipients ...age.Recipient) error {
	pf, err := sealPending(path, plaintext, recipients...)
	if err != nil {
		return err
	}
	defer pf.Cleanup()
	return commitSealed(pf, path)
}

// sealPending encrypts plaintext to a temp file next to path and fsyncs
// it, leaving path as it is: a full disk fails here, before anything the
// caller would change around the replacement (backups) has moved. The
// caller must call commitSealed, or Cleanup to drop the temp file.
func sealPending(path string, plaintext []byte, recipients ...age.Recipient) (*renameio.PendingFile, error) {
	if err := refuseSymlink(path); err != nil {
		return nil, err
	}
	pf, err := renameio.NewPendingFile(path, renameio.WithStaticPermissions(0o600), renameio.WithTempDir(filepath.Dir(path)))
	if err != nil {
		return nil, fmt.Errorf("create temp file: %w", err)
	}
	var dst io.Writer = pf
	if sealWriterHook != nil {
		dst = sealWriterHook(path, pf)
	}
	if err := encryptTo(dst, plaintext, recipients...); err != nil {
		pf.Cleanup()
		return nil, err
	}
	if err := pf.Sync(); err != nil {
		pf.Cleanup()
		return nil, fmt.Errorf("sync temp file: %w", err)
	}
	return pf, nil
}

// encryptTo writes plaintext encrypted to recipients into dst: a sealed
// file's temp file, or a Batch's new file.
func encryptTo(dst io.Writer, plaintext []byte, recipients ...age.Recipient) error {
	w, err := age.Encrypt(dst, recipients...)
	if err != nil {
		return classifyEncryptError(err)
	}
	if _, err := w.Write(plaintext); err != nil {
		return fmt.Errorf("encrypt: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("encrypt: %w", err)
	}
	return nil
}

// commitSealed renames a temp file from sealPending over path and fsyncs
// the directory.
func commitSealed(pf *renameio.PendingFile, path string) error {
	if err := pf.CloseAtomicallyReplace(); err != nil {
		return fmt.Errorf("replace %s: %w", filepath.Base(path), err)
	}
	return filelock.SyncDir(filepath.Dir(path))
}

// classifyEncryptError turns age's recipient-mixing refusal into
// ErrMixedRecipients with an explanation a user can act on.
func classifyEncryptError(err error) error {
	msg := err.Error()
	if strings.Contains(msg, "post-quantum") || strings.Contains(msg, "incompatible recipients") {
		return fmt.Errorf("%w: this vault uses a post-quantum key, and age refuses to encrypt one file to both post-quantum and classic (X25519, SSH) recipients because the file would then be only as strong as the classic one against a quantum computer; use an age1pq1… recipient (age-keygen -pq)", ErrMixedRecipients)
	}
	return fmt.Errorf("encrypt: %w", err)
}

// unseal reads and decrypts path. It checks the size cap before decrypting
// and reads the whole plaintext, requiring a clean end, before returning any
// of it: age decrypts as a stream, and a corrupted tail must not leave a
// parsed prefix behind.
func unseal(path string, maxSize int64, ids ...age.Identity) ([]byte, error) {
	plaintext, _, err := unsealVersion(path, maxSize, ids...)
	return plaintext, err
}

// unsealVersion is unseal that also returns the version (size,
// modification time) of the file it read, stated on the opened file: a
// file renamed into place meanwhile is not mistaken for the one read.
func unsealVersion(path string, maxSize int64, ids ...age.Identity) ([]byte, filelock.Version, error) {
	if err := refuseSymlink(path); err != nil {
		return nil, filelock.Version{}, err
	}
	f, fi, err := openRegular(path)
	if err != nil {
		return nil, filelock.Version{}, err
	}
	defer f.Close()
	ver := filelock.VersionOf(fi)
	if fi.Size() > maxSize {
		return nil, ver, fmt.Errorf("%s is %d bytes, over the %d byte limit: %w", filepath.Base(path), fi.Size(), maxSize, ErrTooLarge)
	}
	ciphertext, err := readAllSized(io.LimitReader(f, maxSize+1), fi.Size())
	if err != nil {
		return nil, ver, err
	}
	if int64(len(ciphertext)) > maxSize {
		return nil, ver, fmt.Errorf("%s grew over the %d byte limit: %w", filepath.Base(path), maxSize, ErrTooLarge)
	}
	plaintext, err := decrypt(ciphertext, ids...)
	return plaintext, ver, err
}

// openRegular opens path for reading and returns it with its FileInfo,
// refusing anything but a regular file. It opens without blocking, so a
// FIFO planted where a file was expected is refused instead of waiting for
// a writer forever; the checks run on the opened file, so the path cannot
// be swapped between them and the read.
func openRegular(path string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("%s is not a regular file (%s)", path, filelock.Kind(fi.Mode()))
	}
	return f, fi, nil
}

// readSmallFile reads a regular file of at most maxSize bytes, checking
// both before reading anything: a device such as /dev/zero never ends.
func readSmallFile(path string, maxSize int64) ([]byte, error) {
	f, fi, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi.Size() > maxSize {
		return nil, fmt.Errorf("%s is %d bytes, over the %d byte limit: %w", path, fi.Size(), maxSize, ErrTooLarge)
	}
	b, err := readAllSized(io.LimitReader(f, maxSize+1), fi.Size())
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > maxSize {
		return nil, fmt.Errorf("%s grew over the %d byte limit: %w", path, maxSize, ErrTooLarge)
	}
	return b, nil
}

// decrypt decrypts a whole age file held in memory and classifies failures.
func decrypt(ciphertext []byte, ids ...age.Identity) ([]byte, error) {
	if len(ciphertext) == 0 {
		return nil, fmt.Errorf("empty file: %w", ErrCorrupted)
	}
	r, err := age.Decrypt(bytes.NewReader(ciphertext), ids...)
	if err != nil {
		return nil, classifyDecryptError(err)
	}
	// The plaintext is slightly shorter than the ciphertext; sizing the
	// buffer up front avoids doubling copies of large conversations.
	plaintext, err := readAllSized(r, int64(len(ciphertext)))
	if err != nil {
		return nil, fmt.Errorf("%v: %w", err, ErrCorrupted)
	}
	return plaintext, nil
}

func classifyDecryptError(err error) error {
	var (
		noMatch  *age.NoIdentityMatchError
		external *externalError
	)
	switch {
	case errors.As(err, &external):
		// Not the file's fault: the identity held elsewhere failed.
		return external
	case strings.Contains(err.Error(), "work factor"):
		// A planted header asking for more scrypt work than we allow.
		return fmt.Errorf("%v: %w", err, ErrCorrupted)
	case errors.As(err, &noMatch) || errors.Is(err, age.ErrIncorrectIdentity):
		if strings.Contains(err.Error(), "passphrase") {
			return ErrWrongPassphrase
		}
		return ErrWrongIdentity
	default:
		return fmt.Errorf("%s: %w", ageDetail(err), ErrCorrupted)
	}
}

// ageDetail is age's error text without the bytes it sometimes quotes
// from a damaged file ("unexpected EOF reading intro: \"\xcc…\""), which
// mean nothing to a user.
func ageDetail(err error) string {
	s := err.Error()
	if i := strings.Index(s, `: "`); i >= 0 {
		s = s[:i]
	}
	return s
}

// cleanTemps removes temp files a killed writer left in dir. The caller
// holds the lock, so no live writer owns any of them; they are encrypted,
// and removing them only reclaims space, so a failure is not an error.
func cleanTemps(dir string) { _ = filelock.RemoveTemps(dir) }

// looseModeWarning returns a warning when path is accessible by group or
// others, or owned by another user. A directory needs mode 0700 (0600
// would lock its owner out), a file 0600. A symbolic link is followed: a
// home kept elsewhere through a link is judged by what it points to, and
// only files inside the home (which are refused as links anyway) are
// looked at with Lstat.
func looseModeWarning(path string, follow bool) string {
	if follow {
		if target, err := filepath.EvalSymlinks(path); err == nil {
			path = target
		}
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return ""
	}
	var warnings []string
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		warnings = append(warnings, fmt.Sprintf("%s is owned by uid %d, not by you (uid %d): that user can read or replace it", path, st.Uid, os.Geteuid()))
	}
	if fi.Mode().Perm()&0o077 != 0 {
		want := "600"
		if fi.IsDir() {
			want = "700"
		}
		warnings = append(warnings, fmt.Sprintf("%s is accessible by other users (mode %04o); run: chmod %s %s", path, fi.Mode().Perm(), want, path))
	}
	return strings.Join(warnings, "; ")
}

// readAllSized is io.ReadAll with a first buffer of the expected size.
func readAllSized(r io.Reader, size int64) ([]byte, error) {
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}
