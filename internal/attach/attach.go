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
	"unicode/utf8"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/figures"
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
// naming it) when it is over the file limit, a directory, or neither
// text nor a supported image.
func ReadFile(path string, limits Limits) (chat.Attachment, error) {
	limits = limits.orDefault()
	f, err := os.Open(path)
	if err != nil {
		return chat.Attachment{}, fmt.Errorf("attach %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return chat.Attachment{}, fmt.Errorf("attach %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return chat.Attachment{}, fmt.Errorf("attach %s: not a regular file", path)
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

// ErrTooLarge is wrapped when a file or a turn is over its limit.
var ErrTooLarge = errors.New("over the limit")

// ErrUnsupported is wrapped when a file is neither text nor a supported
// image.
var ErrUnsupported = errors.New("only text files and png, jpeg, gif or webp images can be attached")

// Classify makes an attachment of a file's content: an image when its
// bytes say png, jpeg, gif or webp, text when it is UTF-8 without NUL
// bytes, else an error naming the file.
func Classify(name string, data []byte) (chat.Attachment, error) {
	a := chat.Attachment{Name: name, Size: int64(len(data))}
	t := http.DetectContentType(data)
	if imageTypes[t] {
		a.MediaType, a.Data = t, data
		return a, nil
	}
	// Text is UTF-8 without NUL that the sniffer also takes for text
	// (a PDF can be ASCII up to its first stream).
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 || !strings.HasPrefix(t, "text/") {
		return chat.Attachment{}, fmt.Errorf("attach %s: it is a binary file (%s); %w", name, t, ErrUnsupported)
	}
	a.MediaType, a.Text = "text/plain", string(data)
	return a, nil
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
	run, longest := 0, 0
	for i := 0; i < len(a.Text); i++ {
		if a.Text[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", max(3, longest+1))
	return "File " + a.Name + ":\n" + fence + "\n" + strings.TrimSuffix(a.Text, "\n") + "\n" + fence
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
