package transcript

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Errors of the JSON import that say where in the file the problem is.

// jsonError2 makes a JSON decoding error say where the problem is, by
// line and column, instead of by byte offset.
func decodeError(data []byte, err error) error { return decodeErrorAt(data, 0, err) }

// decodeErrorAt is decodeError for an error in a value that starts at
// byte base of data.
func decodeErrorAt(data []byte, base int64, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	msg := strings.TrimPrefix(err.Error(), "json: ")
	switch {
	case errors.As(err, &syn):
		line, col := lineCol(data, base+syn.Offset)
		switch {
		case strings.Contains(msg, "unexpected end of JSON input"):
			return errors.New("the JSON ends too early (truncated file?)")
		case strings.Contains(msg, "after top-level value"):
			return fmt.Errorf("unexpected data after the end of the JSON, at line %d, column %d", line, col)
		}
		return fmt.Errorf("invalid JSON at line %d, column %d: %s", line, col, msg)
	case errors.As(err, &typ):
		line, col := lineCol(data, base+typ.Offset)
		where := typ.Field
		if where == "" {
			where = "value"
		}
		return fmt.Errorf("at line %d, column %d: %s is a JSON %s, want %s", line, col, where, typ.Value, typ.Type)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return errors.New("the JSON ends too early (truncated file?)")
	}
	return errors.New(msg)
}

func lineCol(data []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1)
	return line, max(col, 1)
}

// shortForError makes untrusted text safe to quote in an error message:
// sanitized, with anything shaped like a key masked, and cut short.
func shortForError(s string) string {
	s = cleanText(nil, s)
	if len(s) <= 64 {
		return s
	}
	cut := 64
	for cut > 0 && s[cut]&0xc0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
