package provider

import (
	"bytes"
	"fmt"
	"io"
)

// Caps on what a server can make vaultchat read and hold, whatever it
// sends: with them a turn stays well under 150 MiB of memory. Sizes are
// of the body as read, after the transport has undone any gzip encoding,
// so a small compressed "bomb" meets the same caps. A legitimate reply is
// far below each: an event is a few hundred bytes, a 100,000-token reply
// about 25 MiB of events and half a MiB of text, a model list tens of
// kilobytes.
const (
	// maxErrorBody bounds how much of an error response is read.
	maxErrorBody = 1 << 20
	// maxJSONBody bounds a successful response that is not a stream:
	// the model list of ListModels (keys check, the model picker).
	maxJSONBody = 8 << 20
	// maxEventSize bounds one server-sent event: the bytes from the start
	// of one "data:" line to the start of the next, so that neither a line
	// without an end nor junk between events can grow.
	maxEventSize = 1 << 20
	// maxStreamBody bounds a whole streamed response.
	maxStreamBody = 64 << 20
	// maxReplyText bounds the reply text gathered in one turn.
	maxReplyText = 8 << 20
)

// tooLargeError is a response that went past one of the caps.
type tooLargeError struct {
	what  string // "an event", "the response", …
	limit int64
}

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("%s is over %s", e.what, byteSize(e.limit))
}

func byteSize(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// cappedBody reads a successful response body within the caps, and tells
// the request's watcher each time bytes arrive (for the idle timeout).
type cappedBody struct {
	rc     io.ReadCloser
	w      *watcher // may be nil
	stream bool
	limit  int64
	read   int64
	err    error // sticky: the cap error once reached

	// Event stream state: the bytes since the current event's "data:"
	// line began, and how much of "data:" the current line has matched
	// (-1 when the line is something else).
	event   int64
	matched int
}

func newCappedBody(rc io.ReadCloser, stream bool, w *watcher) *cappedBody {
	limit := int64(maxJSONBody)
	if stream {
		limit = maxStreamBody
	}
	return &cappedBody{rc: rc, w: w, stream: stream, limit: limit}
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.rc.Read(p)
	if n > 0 && b.w != nil {
		b.w.touch()
	}
	b.read += int64(n)
	if b.read > b.limit {
		what := "the model list"
		if b.stream {
			what = "the streamed response"
		}
		b.err = &tooLargeError{what: what, limit: b.limit}
		return 0, b.err
	}
	if b.stream {
		if cut := b.scan(p[:n]); cut >= 0 {
			b.err = &tooLargeError{what: "one event of the stream", limit: maxEventSize}
			return cut, b.err
		}
	}
	return n, err
}

var dataPrefix = []byte("data:")

// scan follows the event stream through p and returns -1, or how many
// bytes of p may be passed on before the current event goes over
// maxEventSize.
func (b *cappedBody) scan(p []byte) int {
	for i := 0; i < len(p); {
		end := i + 1
		if b.matched >= 0 && b.matched < len(dataPrefix) {
			// At the start of a line, one byte at a time: is it "data:"?
			if p[i] == dataPrefix[b.matched] {
				b.matched++
			} else {
				b.matched = -1
			}
			b.event++
			switch {
			case b.matched == len(dataPrefix):
				b.event = int64(len(dataPrefix)) // a new event begins
			case p[i] == '\n':
				b.matched = 0
			}
		} else {
			// The rest of a line, in one go.
			end = len(p)
			if nl := bytes.IndexByte(p[i:], '\n'); nl >= 0 {
				end = i + nl + 1
				b.matched = 0
			}
			b.event += int64(end - i)
		}
		if over := b.event - maxEventSize; over > 0 {
			return end - int(over)
		}
		i = end
	}
	return -1
}

func (b *cappedBody) Close() error { return b.rc.Close() }
