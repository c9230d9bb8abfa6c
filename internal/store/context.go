package store

import "github.com/vaultchat/vaultchat/internal/chat"

// ContextMessages builds the messages of the next request from c: the
// system prompt first (as a RoleSystem message, when set), then every user
// and assistant message in order. Notes are never sent; assistant replies
// that were cut short are sent as they are, and ones that produced no text
// at all are left out.
//
// window is the model's context window in tokens; window <= 0 means
// unknown, and nothing is trimmed. Otherwise a reserve for the reply is
// kept free (an eighth of the window, at least 1024 tokens but at most half
// the window), and the oldest whole turns — a user message with the
// replies that follow it — are left out while count(msgs) exceeds
// window - reserve. The turn holding the newest user message is always
// kept, even if it alone is too long. trimmed is the number of turns left
// out. count must not grow when messages are removed; it is called
// O(log turns) times.
func ContextMessages(c *chat.Conversation, window int, count func([]chat.Message) int) (msgs []chat.Message, trimmed int) {
	// buf[0] is the system prompt's slot; buf[1:] the sendable messages.
	buf := make([]chat.Message, 1, len(c.Messages)+1)
	// starts holds the index in buf of the first message of each turn.
	var starts []int
	for i := range c.Messages {
		m := &c.Messages[i]
		switch {
		case m.Role == chat.RoleUser:
			starts = append(starts, len(buf))
		case m.Role == chat.RoleAssistant && m.Content != "":
			if len(starts) == 0 {
				starts = append(starts, len(buf)) // a reply before any question
			}
		default:
			continue
		}
		buf = append(buf, *m)
	}
	hasSystem := c.SystemPrompt != ""
	sys := chat.Message{Role: chat.RoleSystem, Content: c.SystemPrompt, Time: c.Created}
	// view returns the request that starts with turn t, using the slot
	// just before that turn for the system prompt; restore undoes it.
	view := func(t int) (msgs []chat.Message, restore func()) {
		start := len(buf)
		if t < len(starts) {
			start = starts[t]
		}
		if !hasSystem {
			return buf[start:], func() {}
		}
		saved := buf[start-1]
		buf[start-1] = sys
		return buf[start-1:], func() { buf[start-1] = saved }
	}
	if window <= 0 || len(starts) <= 1 {
		msgs, _ = view(0)
		return msgs, 0
	}
	limit := window - reserve(window)
	if all, restore := view(0); count(all) <= limit {
		return all, 0
	} else {
		restore()
	}
	// Find the fewest leading turns to drop. Turn last is always kept.
	last := len(starts) - 1
	lo, hi := 1, last // the answer is in [lo, hi]
	for lo < hi {
		mid := (lo + hi) / 2
		probe, restore := view(mid)
		fits := count(probe) <= limit
		restore()
		if fits {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	msgs, _ = view(lo)
	return msgs, lo
}

// reserve is the part of the window kept free for the reply.
func reserve(window int) int {
	r := max(window/8, 1024)
	return min(r, window/2)
}
