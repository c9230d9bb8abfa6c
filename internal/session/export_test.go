package session

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/view"
)

func TestExportMarkdown(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	work := f.addKey("work", sim.FaultEchoAuth, nil)
	f.unlock()
	c := f.create("")
	// The secret goes in the prompt, and the model echoes the header
	// that carried it.
	evs, final := f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "my key is " + f.secrets[0], KeyID: work.ID})
	mustDone(t, final)
	f.assertNoSecret("events", evs)
	mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "now misbehave", KeyID: work.ID, Model: sim.FaultInject})))
	if _, err := f.sess.AddNote(c.ID, "a note for the record"); err != nil {
		t.Fatal(err)
	}
	stored := f.load(c.ID)
	f.assertNoSecret("stored conversation", stored)

	path := filepath.Join(f.dir, "out.md")
	written, err := f.sess.Export(c.ID, "md", path, false)
	if err != nil {
		t.Fatal(err)
	}
	if written != path {
		t.Fatalf("ExportMarkdown wrote %q, want %q", written, path)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("export mode = %v, want 0600", info.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, want := range []string{"my key is sk-proj-…", "Simulated reply", "authorization header", "now misbehave", "a note for the record"} {
		if !strings.Contains(text, want) {
			t.Errorf("export lacks %q", want)
		}
	}
	if f.leaks(text) {
		t.Fatal("the export holds a secret")
	}
	if strings.ContainsAny(text, "\x1b\x07\u009b\u202e") {
		t.Fatal("the export holds terminal escapes or bidi overrides from the model")
	}

	// Never overwrite.
	if _, err := f.sess.Export(c.ID, "md", path, false); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second export to the same path: %v", err)
	}
	if again, _ := os.ReadFile(path); string(again) != text {
		t.Fatal("the refused export changed the file")
	}
	other := filepath.Join(f.dir, "other.md")
	if err := os.WriteFile(other, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(f.dir, "link.md")
	if err := os.Symlink(other, link); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{other, link} {
		if _, err := f.sess.Export(c.ID, "md", p, false); err == nil {
			t.Errorf("export over %s succeeded", filepath.Base(p))
		}
	}
	if b, _ := os.ReadFile(other); string(b) != "mine" {
		t.Fatal("an export replaced someone's file")
	}
	if _, err := f.sess.Export(c.ID, "md", filepath.Join(f.dir, "missing", "x.md"), false); err == nil {
		t.Fatal("export into a missing directory succeeded")
	}
	if _, err := f.sess.Export("20990101-000000-00000000", "md", filepath.Join(f.dir, "none.md"), false); err == nil {
		t.Fatal("export of a missing conversation succeeded")
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(f.dir)
	for _, e := range entries {
		if name := e.Name(); name != "out.md" && name != "other.md" && name != "link.md" && name != "home" && name != "identity.txt" {
			t.Errorf("stray file %s after exports", name)
		}
	}
}

// TestExportExpandsHome accepts "~/x.md", as a user types it at the
// export prompt. Not parallel: it sets HOME.
func TestExportExpandsHome(t *testing.T) {
	f := newFixture(t, sim.Options{})
	work := f.addKey("work", "sim-fast", nil)
	f.unlock()
	c := f.create("")
	mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "hi", KeyID: work.ID})))
	userHome := filepath.Join(f.dir, "user")
	if err := os.Mkdir(userHome, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", userHome)
	written, err := f.sess.Export(c.ID, "md", "~/chat.md", false)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(userHome, "chat.md"); written != want {
		t.Fatalf("wrote %q, want %q", written, want)
	}
	if _, err := os.Stat(written); err != nil {
		t.Fatal(err)
	}
}
