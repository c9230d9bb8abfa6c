// Package attach reads the files a user attaches to a message and decides
// what may be sent: text files (UTF-8, sent inline with their name) and
// png, jpeg, gif and webp images (told by their content, not their name,
// and sent as data URLs); anything else is refused, as is a file or a
// turn over its size limit. The checks run before anything is sent. The
// secret check (a file holding a vault secret) is the session's, which
// holds the redactor.
package attach

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/figures"
	"github.com/vaultchat/vaultchat/internal/filelock"
)

// Default limits, used when config.toml sets none. OpenAI takes images
// up to 20 MB; 5 MiB a file and 20 MiB a turn keep a request (and the
// encrypted conversation that stores it) reasonable.
const (
	DefaultMaxFile = 5 << 20
	DefaultMaxTurn = 20 << 20
)

// Limits bound attachments: each file, and all of one turn.
type Limits struct {
	MaxFile int64
	MaxTurn int64
}

// orDefault fills in limits left at zero.
func (l Limits) orDefault() Limits {
	if l.MaxFile <= 0 {
		l.MaxFile = DefaultMaxFile
	}
	if l.MaxTurn <= 0 {
		l.MaxTurn = DefaultMaxTurn
	}
	return l
}

// imageTypes are the images a chat model may take, as
// http.DetectContentType names them.
var imageTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// ReadFile reads path as an attachment, refusing it (with an error
// naming it) when it is over the file limit, not a regular file, or
// neither text nor a supported image. A named pipe, socket or device is
// refused before it is opened: reading one could block until another
// process writes to it, or never end.
func ReadFile(path string, limits Limits) (chat.Attachment, error) {
	limits = limits.orDefault()
	fi, err := os.Stat(path)
	if err != nil {
		return chat.Attachment{}, fmt.Errorf("attach %s: %w", path, err)
	}
	if err := checkRegular(path, fi); err != nil {
		return chat.Attachment{}, err
	}
	// O_NONBLOCK: should a pipe replace the file between the Stat and
	// the open, the open does not wait for a writer, and the Stat of
	// what was opened refuses it. A regular file reads as usual.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return chat.Attachment{}, fmt.Errorf("attach %s: %w", path, err)
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return chat.Attachment{}, fmt.Errorf("attach %s: %w", path, err)
	}
	if err := checkRegular(path, fi); err != nil {
		return chat.Attachment{}, err
	}
	data, err := io.ReadAll(io.LimitReader(f, limits.MaxFile+1))
	if err != nil {
		return chat.Attachment{}, fmt.Errorf("attach %s: %w", path, err)
	}
	if int64(len(data)) > limits.MaxFile {
		return chat.Attachment{}, fmt.Errorf("attach %s: the file is %w of %s a file", path, ErrTooLarge, size(limits.MaxFile))
	}
	return Classify(filepath.Base(path), data)
}

// checkRegular refuses anything but a regular file, saying what it is.
func checkRegular(path string, fi os.FileInfo) error {
	if fi.Mode().IsRegular() {
		return nil
	}
	return fmt.Errorf("attach %s: not a regular file (%s)", path, filelock.Kind(fi.Mode()))
}

// ErrTooLarge is wrapped when a file or a turn is over its limit.
var ErrTooLarge = errors.New("over the limit")

// ErrUnsupported is wrapped when a file cannot be attached as it is:
// neither text nor a supported image, or text that is not plain UTF-8.
var ErrUnsupported = errors.New("only UTF-8 text files and png, jpeg, gif or webp images can be attached")

// refusal is why a file's content cannot be attached; it wraps
// ErrUnsupported without repeating its text when it says enough itself.
type refusal struct{ msg string }

func (r *refusal) Error() string { return r.msg }
func (r *refusal) Unwrap() error { return ErrUnsupported }

// Classify makes an attachment of a file's content: an image when its
// bytes say png, jpeg, gif or webp, text when it is UTF-8 without
// control characters a terminal would act on (see controlName), else an
// error naming the file and saying what is wrong: UTF-16, another
// encoding (the first byte that is not UTF-8, and its line), control
// characters (the first, and its line), or a binary file (its type).
func Classify(name string, data []byte) (chat.Attachment, error) {
	a := chat.Attachment{Name: name, Size: int64(len(data))}
	t := http.DetectContentType(data)
	if imageTypes[t] {
		a.MediaType, a.Data = t, data
		return a, nil
	}
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return chat.Attachment{}, &refusal{fmt.Sprintf("attach %s: UTF-16 text; convert it to UTF-8 (iconv -f UTF-16 -t UTF-8)", name)}
	}
	// A NUL, or a format the sniffer knows that is not text (a PDF can
	// be ASCII up to its first stream): binary. The sniffer's
	// octet-stream only means a control byte in the first 512, which
	// the text checks below name.
	if bytes.IndexByte(data, 0) >= 0 || !strings.HasPrefix(t, "text/") && t != "application/octet-stream" {
		if strings.HasPrefix(t, "text/") {
			t = "it holds NUL bytes"
		}
		return chat.Attachment{}, fmt.Errorf("attach %s: it is a binary file (%s); %w", name, t, ErrUnsupported)
	}
	if !utf8.Valid(data) { // the fast check; the walk only to say where
		if at, ok := firstInvalidUTF8(data); !ok {
			return chat.Attachment{}, &refusal{fmt.Sprintf("attach %s: not UTF-8 text (byte 0x%02X at line %d); convert it to UTF-8 (iconv -f ENCODING -t UTF-8)", name, data[at], lineAt(data, at))}
		}
	}
	for i, c := range data {
		if ctl := controlName(c); ctl != "" {
			return chat.Attachment{}, &refusal{fmt.Sprintf("attach %s: holds terminal control characters (%s at line %d)", name, ctl, lineAt(data, i))}
		}
	}
	a.MediaType, a.Text = "text/plain", string(data)
	return a, nil
}

// firstInvalidUTF8 is the offset of the first byte that does not start
// a valid UTF-8 sequence; ok when there is none.
func firstInvalidUTF8(data []byte) (at int, ok bool) {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return i, false
		}
		i += n
	}
	return 0, true
}

// lineAt is the 1-based line of data's byte at offset i.
func lineAt(data []byte, i int) int {
	return 1 + bytes.Count(data[:i], []byte{'\n'})
}

// controlName names c when it is a control byte text may not hold: the
// ones the content sniffer takes for binary (http.DetectContentType),
// anywhere in the file. Tab, line feed, form feed and carriage return
// are text, and so is ESC, which colored output (a build log) is full
// of; the screen and exports sanitize what is shown.
func controlName(c byte) string {
	switch {
	case c == '\t', c == '\n', c == '\f', c == '\r', c == 0x1B, c >= 0x20:
		return ""
	}
	names := map[byte]string{0x07: "BEL", 0x08: "BS", 0x0B: "VT", 0x0E: "SO", 0x0F: "SI", 0x1A: "SUB"}
	if n, ok := names[c]; ok {
		return n
	}
	return fmt.Sprintf("byte 0x%02X", c)
}

// CheckTurn refuses attachments whose sizes add up to more than the turn
// limit.
func CheckTurn(atts []chat.Attachment, limits Limits) error {
	limits = limits.orDefault()
	var total int64
	for _, a := range atts {
		if a.Size > limits.MaxFile {
			return fmt.Errorf("attach %s: the file is %w of %s a file", a.Name, ErrTooLarge, size(limits.MaxFile))
		}
		total += a.Size
	}
	if total > limits.MaxTurn {
		return fmt.Errorf("the attachments add up to %s, %w of %s a message", size(total), ErrTooLarge, size(limits.MaxTurn))
	}
	return nil
}

// Describe is an attachment's chip: "notes.txt · text · 1.2 KiB".
func Describe(a chat.Attachment) string {
	kind := "text"
	if a.IsImage() {
		kind = a.MediaType
	}
	return a.Name + " · " + kind + " · " + size(a.Size)
}

func size(n int64) string { return figures.Bytes(n) }

// Inline is how a text attachment is sent, after the prompt: its name,
// then its content in a fence longer than any run of backticks in it, so
// the content cannot close the fence early.
func Inline(a chat.Attachment) string {
	fence := strings.Repeat("`", fenceLen(a.Text))
	return "File " + a.Name + ":\n" + fence + "\n" + strings.TrimSuffix(a.Text, "\n") + "\n" + fence
}

// InlineLen is len(Inline(a)) without building it: a token bound sums
// it over a whole conversation's files on every turn.
func InlineLen(a chat.Attachment) int {
	return len("File "+":\n\n\n") + len(a.Name) + 2*fenceLen(a.Text) + len(strings.TrimSuffix(a.Text, "\n"))
}

// fenceLen is the length of a backtick fence longer than any run of
// backticks in text, and at least 3.
func fenceLen(text string) int {
	run, longest := 0, 0
	for i := 0; i < len(text); i++ {
		if text[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return max(3, longest+1)
}

// MessageText is the text of a message as sent: its content, then each
// text attachment inline.
func MessageText(m chat.Message) string {
	text := m.Content
	for _, a := range m.Attachments {
		if !a.IsImage() {
			text += "\n\n" + Inline(a)
		}
	}
	return text
}

// DataURL is how an image attachment is sent: "data:image/png;base64,…".
func DataURL(a chat.Attachment) string {
	return "data:" + a.MediaType + ";base64," + base64.StdEncoding.EncodeToString(a.Data)
}
