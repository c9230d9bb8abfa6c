// Package sanitize makes model and server text safe to show in a terminal
// or write to an export. It is a placeholder with the final API; see the
// issue tracker.
package sanitize

import "strings"

// String neutralises every control character and escape sequence in s,
// keeping newline and tab.
func String(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r == 0x1b:
			b.WriteString("␛")
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			b.WriteRune('�')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Stream sanitizes text that arrives in pieces.
type Stream struct{}

// Write returns the sanitized text that is safe to emit now.
func (s *Stream) Write(piece string) string { return String(piece) }

// Flush returns whatever is held back.
func (s *Stream) Flush() string { return "" }
