package attach

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// Image headers as each format starts; content sniffing needs no more.
var images = map[string][]byte{
	"image/png":  append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 32)...),
	"image/jpeg": append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), make([]byte, 32)...),
	"image/gif":  append([]byte("GIF89a\x01\x00\x01\x00"), make([]byte, 32)...),
	"image/webp": append([]byte("RIFF\x24\x00\x00\x00WEBPVP8 "), make([]byte, 32)...),
}

func TestClassifyByContent(t *testing.T) {
	for want, data := range images {
		// The name says nothing: the bytes decide.
		a, err := Classify("picture.txt", data)
		if err != nil || a.MediaType != want || !a.IsImage() || string(a.Data) != string(data) || a.Text != "" {
			t.Errorf("%s: %+v, %v", want, a, err)
		}
	}
	a, err := Classify("notes.png", []byte("plain text, héllo\n"))
	if err != nil || a.MediaType != "text/plain" || a.Text != "plain text, héllo\n" || a.Data != nil || a.Size != 19 {
		t.Errorf("text: %+v, %v", a, err)
	}
	for name, data := range map[string][]byte{
		"tool.bin":  {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0},
		"latin1":    []byte("caf\xe9"),
		"nul.txt":   []byte("a\x00b"),
		"scan.pdf":  []byte("%PDF-1.7\n"),
		"photo.bmp": []byte("BM\x00\x00\x00\x00"),
	} {
		if _, err := Classify(name, data); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v; want a refusal naming it", name, err)
		}
	}
}

func TestReadFileLimits(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.txt")
	os.WriteFile(small, []byte("hello"), 0o600)
	big := filepath.Join(dir, "big.txt")
	os.WriteFile(big, []byte(strings.Repeat("x", 2048)), 0o600)
	lim := Limits{MaxFile: 1024, MaxTurn: 1500}
	a, err := ReadFile(small, lim)
	if err != nil || a.Name != "small.txt" || a.Text != "hello" {
		t.Errorf("small: %+v, %v", a, err)
	}
	if _, err := ReadFile(big, lim); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), big) {
		t.Errorf("big: %v", err)
	}
	if _, err := ReadFile(dir, lim); err == nil {
		t.Error("a directory was read as an attachment")
	}
	if _, err := ReadFile(filepath.Join(dir, "missing"), lim); err == nil {
		t.Error("a missing file was read")
	}
	turn := []chat.Attachment{{Name: "a", Size: 1000}, {Name: "b", Size: 1000}}
	if err := CheckTurn(turn, lim); !errors.Is(err, ErrTooLarge) {
		t.Errorf("turn of 2000 bytes under a 1500 limit: %v", err)
	}
	if err := CheckTurn(turn[:1], lim); err != nil {
		t.Errorf("turn of 1000 bytes: %v", err)
	}
}

func TestInlineFenceOutlastsTheContent(t *testing.T) {
	a := chat.Attachment{Name: "README.md", MediaType: "text/plain", Text: "text\n````go\ncode\n````\n"}
	got := Inline(a)
	if !strings.HasPrefix(got, "File README.md:\n`````\n") || !strings.HasSuffix(got, "\n`````") {
		t.Errorf("Inline = %q", got)
	}
	m := chat.Message{Content: "look", Attachments: []chat.Attachment{a, {Name: "p.png", MediaType: "image/png", Data: []byte{1}}}}
	if text := MessageText(m); !strings.HasPrefix(text, "look\n\nFile README.md:") || strings.Contains(text, "p.png") {
		t.Errorf("MessageText = %q", text)
	}
	if got := DataURL(chat.Attachment{MediaType: "image/gif", Data: []byte("GIF89a")}); got != "data:image/gif;base64,R0lGODlh" {
		t.Errorf("DataURL = %q", got)
	}
}
