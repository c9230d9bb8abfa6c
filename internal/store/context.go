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
// replies that follow it — are left out so that the request fits in
// window - reserve. The turn holding the newest user message is always
// kept, even if it alone is too long. trimmed is the number of turns left
// out.
//
// count returns the tokens one message costs in a request; a request
// costs the sum of its messages. The newest turns are counted first and
// counting stops at the first turn that does not fit, so the cost is
// bounded by the window, not by the length of the history (a
// 10,000-message conversation is not re-tokenized on every turn).
func ContextMessages(c *chat.Conversation, window int, count func(chat.Message) int) (msgs []chat.Message, trimmed int) {
	sendable := make([]chat.Message, 0, len(c.Messages))
	// starts holds the index in sendable of the first message of each
	// turn.
	var starts []int
	for i := range c.Messages {
		m := &c.Messages[i]
		switch {
		case m.Role == chat.RoleUser:
			starts = append(starts, len(sendable))
		case m.Role == chat.RoleAssistant && m.Content != "":
			if len(starts) == 0 {
				starts = append(starts, len(sendable)) // a reply before any question
			}
		default:
			continue
		}
		sendable = append(sendable, *m)
	}
	var head []chat.Message
	if c.SystemPrompt != "" {
		head = []chat.Message{{Role: chat.RoleSystem, Content: c.SystemPrompt, Time: c.Created}}
	}
	keepFrom := 0 // the first turn sent
	if window > 0 && len(starts) > 1 {
		limit := window - reserve(window)
		total := 0
		for _, m := range head {
			total += count(m)
		}
		turnCost := func(t int) int {
			end := len(sendable)
			if t+1 < len(starts) {
				end = starts[t+1]
			}
			n := 0
			for _, m := range sendable[starts[t]:end] {
				n += count(m)
			}
			return n
		}
		last := len(starts) - 1
		keepFrom = last
		total += turnCost(last)
		for t := last - 1; t >= 0; t-- {
			cost := turnCost(t)
			if total+cost > limit {
				break
			}
			total += cost
			keepFrom = t
		}
	}
	from := 0
	if keepFrom > 0 {
		from = starts[keepFrom]
	}
	msgs = make([]chat.Message, 0, len(head)+len(sendable)-from)
	msgs = append(append(msgs, head...), sendable[from:]...)
	return msgs, keepFrom
}

// Fits reports whether a request whose messages cost at most bound tokens
// in all fits in window as ContextMessages counts it, so that nothing
// would be trimmed and counting can be skipped (window <= 0, unknown,
// always fits).
func Fits(bound, window int) bool {
	return window <= 0 || bound <= window-reserve(window)
}

// reserve is the part of the window kept free for the reply.
func reserve(window int) int {
	r := max(window/8, 1024)
	return min(r, window/2)
}
