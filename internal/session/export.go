package session

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/renameio/v2"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/filelock"
	"github.com/vaultchat/vaultchat/internal/transcript"
)

// Render writes conversation c in format f to w, redacted with every
// secret of the vault and sanitized.
func (s *Session) Render(w io.Writer, c *chat.Conversation, f transcript.Format) error {
	return s.RenderWith(w, c, f, transcript.Options{})
}

// RenderWith is Render with export options (all branches, embedded
// images); the redactor is always the session's.
func (s *Session) RenderWith(w io.Writer, c *chat.Conversation, f transcript.Format, opts transcript.Options) error {
	h, err := s.open()
	if err != nil {
		return err
	}
	opts.Redactor = h.redactor()
	return transcript.Export(w, c, f, opts)
}

// Export writes the conversation in format ("md", "json", "txt" or
// "html") to path and returns the absolute path written, by WriteExport's
// rules. An empty path means a safe name from the title in the current
// directory; a leading "~/" means the user's home directory, as typed at
// the TUI's prompt.
func (s *Session) Export(conversationID, format, path string, overwrite bool) (string, error) {
	f, err := transcript.ParseFormat(format)
	if err != nil {
		return "", err
	}
	c, err := s.Load(conversationID)
	if err != nil {
		return "", err
	}
	if path == "" {
		path = transcript.FileName(c, f)
	}
	var buf bytes.Buffer
	if err := s.Render(&buf, c, f); err != nil {
		return "", err
	}
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("export: %w", err)
		}
		path = filepath.Join(home, rest)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("export: %w", err)
	}
	if err := WriteExport(abs, buf.Bytes(), overwrite); err != nil {
		return "", err
	}
	return abs, nil
}

// CheckExportPath says, before anything is written, whether WriteExport
// could write path: a directory, a FIFO or a device is never replaced
// (the error wraps ErrNotAFile, with or without overwrite, so nobody is
// asked to confirm what would be refused); without overwrite nothing
// else (no file, no symbolic link) may be there, else the error wraps
// ErrExists; and its directory must exist, else the error wraps
// ErrNoDirectory. Commands that write several files check them all
// first, so a refusal leaves no half-done export.
func CheckExportPath(path string, overwrite bool) error {
	if fi, err := os.Lstat(path); err == nil {
		if !fi.Mode().IsRegular() && fi.Mode()&fs.ModeSymlink == 0 {
			return fmt.Errorf("export to %s: it %w (%s); exports replace only files", path, ErrNotAFile, filelock.Kind(fi.Mode()))
		}
		if !overwrite {
			return fmt.Errorf("export to %s: %w", path, ErrExists)
		}
	}
	if dir := filepath.Dir(path); !isDir(dir) {
		return fmt.Errorf("export to %s: directory %s %w", path, dir, ErrNoDirectory)
	}
	return nil
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// WriteExport writes an export file, for the CLI and the TUI alike: mode
// 0600 whatever the umask or the file it replaces, and atomically (a
// reader sees no file, the old one or the whole new one). Without
// overwrite it never replaces anything at path, a file or a symbolic
// link, even one that appears while it writes: the error then wraps
// ErrExists. With overwrite it replaces the file, or a symbolic link
// itself, never what a link points to.
func WriteExport(path string, data []byte, overwrite bool) error {
	if err := CheckExportPath(path, overwrite); err != nil {
		return err
	}
	if overwrite {
		// The temporary file goes beside path so the rename stays on
		// one file system. Static permissions keep 0600 even when the
		// file replaced was more open (renameio.WriteFile would copy
		// the old permissions).
		pf, err := renameio.NewPendingFile(path, renameio.WithStaticPermissions(0o600), renameio.WithTempDir(filepath.Dir(path)))
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		defer pf.Cleanup()
		if _, err := pf.Write(data); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if err := pf.CloseAtomicallyReplace(); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		return nil
	}
	if err := writeNew(path, data); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("export to %s: %w", path, ErrExists)
		}
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// writeNew writes data to path (mode 0600) only if nothing is there yet,
// and atomically. It writes a temporary file beside path and hard-links
// it into place, which fails rather than replace a file (or a symbolic
// link) that appeared meanwhile; a rename would replace it.
func writeNew(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	err = os.Link(tmp.Name(), path)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrExist):
		return fs.ErrExist
	}
	// The file system has no hard links (FAT, some network mounts):
	// create the file exclusively instead, which still never replaces
	// one, and remove it if the write fails.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}
