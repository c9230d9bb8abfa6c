package session

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/view"
)

// secretConversation stores a conversation whose text holds the vault's
// first secret verbatim, written straight to the store as an imported
// conversation could be, so only the export's own redaction stands
// between the secret and the file.
func secretConversation(t *testing.T, f *fixture) *chat.Conversation {
	t.Helper()
	c := f.create("be brief")
	c = f.load(c.ID)
	c.Title = "Keys & <script>: a test"
	c.Messages = append(c.Messages,
		chat.Message{ID: "u1", Role: chat.RoleUser, Content: "zebracorn: my key is " + f.secrets[0]},
		chat.Message{ID: "a1", Role: chat.RoleAssistant, Content: "noted \x1b]52;c;aGk=\x07 " + f.secrets[0],
			Turn: &chat.Turn{KeyName: "work", Model: "gpt-4o-mini"}},
	)
	if err := f.opened().store.Save(c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestExportEachFormat(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	f.addKey("work", "sim-fast", nil)
	f.unlock()
	c := secretConversation(t, f)
	masked := redact.Mask(f.secrets[0])

	tests := []struct {
		format string
		file   string
		check  func(string) bool // the content is in the format
	}{
		{"md", "out.md", func(s string) bool { return strings.HasPrefix(s, "---\n") }},
		{"json", "out.json", func(s string) bool { return json.Valid([]byte(s)) && strings.Contains(s, `"vaultchat-transcript"`) }},
		{"txt", "out.txt", func(s string) bool { return strings.HasPrefix(s, "Keys & <script>: a test\n") }},
		{"html", "out.html", func(s string) bool {
			return strings.HasPrefix(s, "<!DOCTYPE html>") && !strings.Contains(s, "<script>")
		}},
		{"HTML", "upper.htm", func(s string) bool { return strings.HasPrefix(s, "<!DOCTYPE html>") }},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			path := filepath.Join(f.dir, tt.file)
			written, err := f.sess.Export(c.ID, tt.format, path, false)
			if err != nil {
				t.Fatal(err)
			}
			if written != path {
				t.Fatalf("wrote %q, want %q", written, path)
			}
			info, err := os.Lstat(path)
			if err != nil {
				t.Fatal(err)
			}
			if !info.Mode().IsRegular() || info.Mode().Perm() != 0o600 {
				t.Fatalf("mode %v, want a regular file with 0600", info.Mode())
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s := string(b)
			if !tt.check(s) {
				t.Errorf("the %s export does not look like %s:\n%.300s", tt.format, tt.format, s)
			}
			if !strings.Contains(s, "zebracorn") {
				t.Error("the export lacks the conversation's text")
			}
			if f.leaks(s) {
				t.Fatal("the export holds the secret")
			}
			if !strings.Contains(s, masked) {
				t.Errorf("the export lacks the masked form %q", masked)
			}
			if strings.ContainsAny(s, "\x1b\x07") {
				t.Error("the export holds terminal escapes")
			}
		})
	}
}

func TestExportOverwrite(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	f.addKey("work", "sim-fast", nil)
	f.unlock()
	c := secretConversation(t, f)
	path := filepath.Join(f.dir, "chat.txt")
	if err := os.WriteFile(path, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}

	// Refused without overwrite, with an error the UI recognises, and the
	// file is untouched.
	_, err := f.sess.Export(c.ID, "txt", path, false)
	if !errors.Is(err, view.ErrExists) || !strings.Contains(err.Error(), path) {
		t.Fatalf("export over an existing file: %v, want ErrExists naming the path", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "mine" {
		t.Fatal("a refused export changed the file")
	}

	// Allowed with overwrite: replaced, and 0600 although the old file
	// was 0644.
	written, err := f.sess.Export(c.ID, "txt", path, true)
	if err != nil {
		t.Fatal(err)
	}
	if written != path {
		t.Fatalf("wrote %q, want %q", written, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "zebracorn") || f.leaks(string(b)) {
		t.Fatal("the overwritten file is not the redacted export")
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Fatalf("mode after overwrite %v, want 0600", info.Mode().Perm())
	}

	// Overwriting a symbolic link replaces the link, never the file it
	// points to.
	target := filepath.Join(f.dir, "target.txt")
	if err := os.WriteFile(target, []byte("someone's file"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(f.dir, "link.txt")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, err := f.sess.Export(c.ID, "txt", link, false); !errors.Is(err, view.ErrExists) {
		t.Fatalf("export over a symbolic link without overwrite: %v", err)
	}
	if _, err := f.sess.Export(c.ID, "txt", link, true); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "someone's file" {
		t.Fatal("overwrite wrote through the symbolic link")
	}
	if info, err := os.Lstat(link); err != nil || !info.Mode().IsRegular() {
		t.Fatalf("the link was not replaced by the export: %v", err)
	}

	// No temporary files are left behind.
	entries, err := os.ReadDir(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		switch e.Name() {
		case "chat.txt", "target.txt", "link.txt", "home", "identity.txt":
		default:
			t.Errorf("stray file %s after exports", e.Name())
		}
	}
}

func TestExportRefusesBadInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	f.addKey("work", "sim-fast", nil)
	f.unlock()
	c := f.create("")
	tests := []struct {
		name, id, format, path string
	}{
		{"unknown format", c.ID, "pdf", "x.pdf"},
		{"empty format", c.ID, "", "x.md"},
		{"missing conversation", "20990101-000000-00000000", "md", "none.md"},
		{"missing directory", c.ID, "md", filepath.Join("missing", "x.md")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(f.dir, tt.path)
			for _, overwrite := range []bool{false, true} {
				if _, err := f.sess.Export(tt.id, tt.format, path, overwrite); err == nil {
					t.Fatalf("Export(overwrite=%v) succeeded", overwrite)
				} else if errors.Is(err, view.ErrExists) {
					t.Fatalf("Export(overwrite=%v): %v, must not look like an existing file", overwrite, err)
				}
				if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("a file was written: %v", err)
				}
			}
		})
	}
}

// TestExportRelativeAndDefaultPath checks that relative paths, and the
// empty path (a safe name from the title), land in the current directory
// and come back absolute. Not parallel: it changes directory.
func TestExportRelativeAndDefaultPath(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.addKey("work", "sim-fast", nil)
	f.unlock()
	c := secretConversation(t, f)
	cwd := filepath.Join(f.dir, "cwd")
	if err := os.Mkdir(cwd, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Chdir(cwd)
	tests := []struct {
		path, want string
	}{
		{"./rel.json", filepath.Join(cwd, "rel.json")},
		{"", filepath.Join(cwd, "keys-script-a-test.json")},
	}
	for _, tt := range tests {
		written, err := f.sess.Export(c.ID, "json", tt.path, false)
		if err != nil {
			t.Fatal(err)
		}
		if written != tt.want {
			t.Errorf("Export(%q) wrote %q, want %q", tt.path, written, tt.want)
		}
		if _, err := os.Stat(tt.want); err != nil {
			t.Error(err)
		}
	}
}

// TestExportNeverReplacesWhatIsNotAFile: with or without overwrite, a FIFO, a
// directory or a device at the path is refused and left as it was (an
// atomic replace would put a regular file in place of /dev/full; the
// test uses a FIFO and a directory, which are safe to try).
func TestExportNeverReplacesWhatIsNotAFile(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	f.addKey("work", "sim-fast", nil)
	f.unlock()
	c := secretConversation(t, f)
	fifo := filepath.Join(f.dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(f.dir, "adir")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fifo, dir} {
		before, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.sess.Export(c.ID, "txt", path, true)
		if !errors.Is(err, ErrNotAFile) || !strings.Contains(err.Error(), path) {
			t.Errorf("export over %s with overwrite: %v, want ErrNotAFile naming it", path, err)
		}
		// Without overwrite too: asking "overwrite?" first would offer
		// what is then refused.
		_, err = f.sess.Export(c.ID, "txt", path, false)
		if !errors.Is(err, ErrNotAFile) || errors.Is(err, ErrExists) {
			t.Errorf("export over %s without overwrite: %v, want ErrNotAFile, not ErrExists", path, err)
		}
		after, err := os.Lstat(path)
		if err != nil || after.Mode() != before.Mode() || !os.SameFile(before, after) {
			t.Errorf("%s was replaced or changed: %v → %v (%v)", path, before.Mode(), after.Mode(), err)
		}
	}
}
