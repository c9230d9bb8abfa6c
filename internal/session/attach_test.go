package session

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
	"github.com/vaultchat/vaultchat/internal/view"
)

// TestAttachRefusesASecretAtOnce: Session.Attach reads a text file, and
// refuses one that holds a key of the vault (naming the file, never
// showing the key), so that the TUI never holds it.
func TestAttachRefusesASecretAtOnce(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.addKey("k", "sim-fast", nil)
	f.unlock()
	// Outside the home: the fixture checks its home holds no secret.
	dir := t.TempDir()
	good := filepath.Join(dir, "notes.txt")
	bad := filepath.Join(dir, "env.txt")
	os.WriteFile(good, []byte("plain notes\n"), 0o600)
	os.WriteFile(bad, []byte("OPENAI_API_KEY="+f.secrets[0]+"\n"), 0o600)
	a, err := f.sess.Attach(good)
	if err != nil || a.Name != "notes.txt" || a.Text != "plain notes\n" {
		t.Fatalf("Attach(notes.txt) = %+v, %v", a, err)
	}
	_, err = f.sess.Attach(bad)
	if err == nil || !strings.Contains(err.Error(), "attach env.txt: the file holds an API key stored in the vault") {
		t.Fatalf("Attach(env.txt) error %v; want the refusal naming the file", err)
	}
	f.assertNoSecret("the error", err.Error())

	// The same key written with JSON's escapes reads as the key.
	escaped := filepath.Join(dir, "config.json")
	os.WriteFile(escaped, []byte(`{"key": "`+strings.ReplaceAll(f.secrets[0], "-", `\u002d`)+`"}`+"\n"), 0o600)
	if _, err := f.sess.Attach(escaped); err == nil || !strings.Contains(err.Error(), "holds an API key stored in the vault") {
		t.Errorf("Attach(config.json) with the key \\u002d-escaped: %v; want the refusal", err)
	}
}

// TestAttachRefusesASecretInAnImage: an image carries text too (a PNG's
// tEXt chunk, EXIF), and is sent and exported byte for byte: a stored
// key in its bytes, plain or UTF-16, is refused like one in a text file.
func TestAttachRefusesASecretInAnImage(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.addKey("k", "sim-fast", nil)
	f.unlock()
	dir := t.TempDir()
	var img bytes.Buffer
	if err := png.Encode(&img, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	clean := filepath.Join(dir, "clean.png")
	os.WriteFile(clean, img.Bytes(), 0o600)
	if _, err := f.sess.Attach(clean); err != nil {
		t.Fatalf("Attach(clean.png): %v", err)
	}
	utf16 := func(s string) string {
		var b strings.Builder
		for _, c := range s {
			b.WriteRune(c)
			b.WriteByte(0)
		}
		return b.String()
	}
	for name, payload := range map[string]string{"text.png": f.secrets[0], "utf16.png": utf16(f.secrets[0])} {
		// A tEXt-like chunk before IEND: the decoders skip it, the bytes
		// hold the key.
		data := slices.Concat(img.Bytes()[:img.Len()-12], []byte("Comment\x00"+payload), img.Bytes()[img.Len()-12:])
		path := filepath.Join(dir, name)
		os.WriteFile(path, data, 0o600)
		_, err := f.sess.Attach(path)
		if err == nil || !strings.Contains(err.Error(), "holds an API key stored in the vault") {
			t.Errorf("Attach(%s) = %v; want the refusal", name, err)
		}
	}
}

// TestAttachRefusesANamedPipeAtOnce: the app's @path and file picker
// read through Session.Attach; a FIFO nobody writes to is refused at
// once instead of leaving the chip to appear when someone writes (the
// deadline only guards that hang).
func TestAttachRefusesANamedPipeAtOnce(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.addKey("k", "sim-fast", nil)
	f.unlock()
	fifo := filepath.Join(t.TempDir(), "ff")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := f.sess.Attach(fifo)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file (a named pipe)") {
			t.Errorf("Attach(fifo) = %v; want the refusal", err)
		}
	case <-time.After(30 * time.Second):
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		t.Fatal("Attach(fifo) still waiting for a writer")
	}
}

// TestEditLastSendsItsAttachments: an edit-and-resend whose request
// carries the message's files (the app restores them as chips) stores
// them on the new message and sends them to the model.
func TestEditLastSendsItsAttachments(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.addKey("k", "sim-fast", nil)
	f.unlock()
	path := filepath.Join(t.TempDir(), "main.go")
	os.WriteFile(path, []byte("package main\n"), 0o600)
	a, err := f.sess.Attach(path)
	if err != nil {
		t.Fatal(err)
	}
	c := f.create("")
	mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "see", Attachments: []chat.Attachment{a}})))
	mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, EditLast: true, Prompt: "see again", Attachments: []chat.Attachment{a}})))
	reqs := testkit.ChatRequests(f.sim)
	sent := reqs[len(reqs)-1].Messages
	if len(sent) != 1 || !strings.Contains(sent[0].Content, "see again") || !strings.Contains(sent[0].Content, "File main.go:\n```\npackage main\n```") {
		t.Fatalf("the resent request %+v; want the edited text with main.go", sent)
	}
	got := f.load(c.ID)
	if n := len(got.Messages); n != 2 || len(got.Messages[0].Attachments) != 1 || got.Messages[0].Attachments[0].Name != "main.go" {
		t.Fatalf("stored %+v; want the edited message with main.go", got.Messages)
	}
}
