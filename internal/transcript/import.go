package transcript

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/redact"
)

// DefaultMaxImportSize is the import size limit when ImportOptions.MaxSize
// is zero. ChatGPT exports of heavy users run to hundreds of MiB; the
// whole file is held in memory while it is parsed.
const DefaultMaxImportSize = 512 << 20

// ErrTooLarge is returned (wrapped) when the input is over the size limit.
var ErrTooLarge = errors.New("file is larger than the import limit")

// ImportOptions control an import.
type ImportOptions struct {
	// MaxSize is the largest input accepted, in bytes; 0 means
	// DefaultMaxImportSize. Larger input is refused after reading at most
	// MaxSize+1 bytes, or none when the reader is a regular *os.File
	// (anything with a Stat method) whose size is already over.
	MaxSize int64
	// Redactor masks the vault's secrets in everything imported, as the
	// store expects; nil still masks key-shaped strings.
	Redactor *redact.Redactor
}

// ImportResult is what an import produced.
type ImportResult struct {
	// Conversations are ready to store: sanitized, redacted, with their
	// Source set ("vaultchat-json" or the original source for our JSON,
	// "chatgpt" for ChatGPT). IDs are kept (our JSON) or derived from the
	// ChatGPT conversation id, so importing the same file twice gives the
	// same IDs; whether an ID collides with a stored conversation is for
	// the caller to decide.
	Conversations []*chat.Conversation
	// Notes say what was left out, for the user ("\"Trip\": skipped 1
	// image part"). They are sanitized.
	Notes []string
}

// Import reads a vaultchat JSON transcript or a ChatGPT conversations.json
// from r. name is only used in error messages and notes (usually the file
// name). The format is detected from the content: a JSON object with
// "format": "vaultchat-transcript" is ours; a JSON array (or a single
// object with a "mapping") is ChatGPT's.
//
// Import is all or nothing: on any error it returns no conversations. Bad
// input — not JSON, another schema or version, too large, two
// conversations with the same id — is an error that says what is wrong.
func Import(r io.Reader, name string, opts ImportOptions) (*ImportResult, error) {
	res, err := importData(r, name, opts)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", shortForError(name), err)
	}
	return res, nil
}

func importData(r io.Reader, name string, opts ImportOptions) (*ImportResult, error) {
	limit := opts.MaxSize
	if limit <= 0 {
		limit = DefaultMaxImportSize
	}
	data, err := readLimited(r, limit)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, errors.New("file is empty")
	}
	var res *ImportResult
	switch trimmed[0] {
	case '{':
		// Our own export names its format in the first line: try the
		// one-pass decode, and probe only when it fails.
		if bytes.Contains(data[:min(len(data), 1024)], []byte(`"`+jsonFormat+`"`)) {
			if c, err := decodeOurJSON(data); err == nil {
				res = &ImportResult{Conversations: []*chat.Conversation{c}}
				break
			}
		}
		var probe struct {
			Format  *string         `json:"format"`
			Mapping json.RawMessage `json:"mapping"`
		}
		if err := json.Unmarshal(data, &probe); err != nil {
			return nil, fmt.Errorf("not a vaultchat transcript or a ChatGPT export: %w", decodeError(data, err))
		}
		switch {
		case probe.Format != nil:
			c, err := parseOurJSON(data)
			if err != nil {
				return nil, err
			}
			res = &ImportResult{Conversations: []*chat.Conversation{c}}
		case probe.Mapping != nil:
			if res, err = parseChatGPT(data, true, name); err != nil {
				return nil, err
			}
		default:
			return nil, errors.New(`not a vaultchat transcript or a ChatGPT export: the JSON object has neither "format" nor "mapping"`)
		}
	case '[':
		if res, err = parseChatGPT(data, false, name); err != nil {
			return nil, err
		}
	default:
		if !json.Valid(data) {
			return nil, errors.New("not JSON: expected a vaultchat transcript or a ChatGPT conversations.json")
		}
		return nil, errors.New("not a vaultchat transcript or a ChatGPT export: the JSON is not an object or an array")
	}
	for i, c := range res.Conversations {
		res.Conversations[i] = cleanConversation(c, opts.Redactor, true)
	}
	for i, n := range res.Notes {
		res.Notes[i] = cleanText(opts.Redactor, n)
	}
	return res, nil
}

// readLimited reads all of r, refusing more than limit bytes without
// reading past limit+1.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	if st, ok := r.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if fi, err := st.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > limit {
			return nil, fmt.Errorf("%w (%s)", ErrTooLarge, humanBytes(limit))
		}
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w (%s)", ErrTooLarge, humanBytes(limit))
	}
	return data, nil
}

// humanBytes shows a size limit the way a user set it: "512 MiB".
func humanBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + " GiB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
