package attach

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

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
	for _, text := range []string{"", "x", "text\n", a.Text, "a`b``c\n\n"} {
		b := chat.Attachment{Name: "n.md", Text: text}
		if InlineLen(b) != len(Inline(b)) {
			t.Errorf("InlineLen(%q) = %d; Inline is %d bytes", text, InlineLen(b), len(Inline(b)))
		}
	}
	if got := DataURL(chat.Attachment{MediaType: "image/gif", Data: []byte("GIF89a")}); got != "data:image/gif;base64,R0lGODlh" {
		t.Errorf("DataURL = %q", got)
	}
}

// TestReadFileRefusesSpecialFilesAtOnce: a named pipe, a device or a
// directory is refused before it is read, so attaching a FIFO nobody
// writes to does not hang (the deadline only guards against that hang).
func TestReadFileRefusesSpecialFilesAtOnce(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "ff")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for path, kind := range map[string]string{fifo: "a named pipe", dir: "a directory", "/dev/null": "a device"} {
		done := make(chan error, 1)
		go func() {
			_, err := ReadFile(path, Limits{})
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "attach "+path+": not a regular file ("+kind+")") {
				t.Errorf("ReadFile(%s) = %v; want the refusal naming %s", path, err, kind)
			}
		case <-time.After(20 * time.Second):
			// Unblock the reader so that the test ends.
			if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
				w.Close()
			}
			t.Fatalf("ReadFile(%s) still blocked: it opened the file before checking its kind", path)
		}
	}
}

// TestClassifySaysWhatIsWrongWithText: text the model cannot take is
// refused with what is wrong and where, never as a "binary file" of a
// text type.
func TestClassifySaysWhatIsWrongWithText(t *testing.T) {
	cases := []struct {
		name string
		data string
		want string
	}{
		{"latin1.txt", "caf\xe9 latin1\n", "attach latin1.txt: not UTF-8 text (byte 0xE9 at line 1)"},
		{"late.txt", "ok\nstill ok\n\xff\n", "attach late.txt: not UTF-8 text (byte 0xFF at line 3)"},
		{"utf16le.txt", "\xff\xfeh\x00i\x00", "attach utf16le.txt: UTF-16 text; convert it to UTF-8 (iconv -f UTF-16 -t UTF-8)"},
		{"utf16be.txt", "\xfe\xff\x00h\x00i", "attach utf16be.txt: UTF-16 text; convert it to UTF-8 (iconv -f UTF-16 -t UTF-8)"},
		{"esc.txt", "evil \x1b]0;PWNED\x07 text", "attach esc.txt: holds terminal control characters (BEL at line 1)"},
		// Past the 512 bytes the content sniffer reads: the whole file is checked.
		{"deep.txt", strings.Repeat("line\n", 200) + "\x08", "attach deep.txt: holds terminal control characters (BS at line 201)"},
		{"elf", "\x7fELF\x02\x01\x01\x00", "attach elf: it is a binary file (application/octet-stream)"},
	}
	for _, tc := range cases {
		_, err := Classify(tc.name, []byte(tc.data))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) || !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: %v; want %q", tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(tc.name, ".txt") && strings.Contains(err.Error(), "binary") {
			t.Errorf("%s: text called binary: %v", tc.name, err)
		}
	}
	// Colored output (ESC alone), tabs, CR and form feeds stay text.
	if _, err := Classify("build.log", []byte("\x1b[31mFAIL\x1b[0m\tx\r\n\f\n")); err != nil {
		t.Errorf("a colored log: %v", err)
	}
}
