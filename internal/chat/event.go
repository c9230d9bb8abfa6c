package chat

import "time"

// Event is what a streaming turn reports: Sent (for a new message),
// Delta, Retrying, Warning, then exactly one Done or Failed, after which
// the channel is closed.
type Event interface{ isEvent() }

// Sent is the user's new message as it was saved and sent: its ID, and
// its text and attachments redacted. It comes first, so a face that drew
// the message as typed can show what was kept and select it.
type Sent struct{ Message Message }

// Delta is newly received reply text, already redacted and sanitized.
// Deltas are coalesced (about every 30 ms) so a consumer sees few of them.
type Delta struct{ Text string }

// Retrying says the request failed before any text arrived and will be
// sent again after Wait.
type Retrying struct {
	Attempt int // 1 for the first retry
	Wait    time.Duration
	Err     *Error
}

// Warning is a non-fatal notice, such as a soft budget passing 80%.
type Warning struct{ Text string }

// Trimmed says the oldest Turns turns were left out of the request to fit
// the model's context window (they stay in the conversation).
type Trimmed struct{ Turns int }

// Done ends a successful turn.
type Done struct {
	Usage        Usage
	FinishReason string
	RateLimits   RateLimits
	Duration     time.Duration
	// Message is the assistant message as stored, with its attribution.
	// The provider leaves it nil; the chat engine sets it after saving.
	Message *Message
}

// Failed ends a turn that was canceled or failed. Usage holds what was
// spent (often estimated) and Text-so-far stays with the consumer.
type Failed struct {
	Err        *Error
	Usage      Usage
	RateLimits RateLimits
	Duration   time.Duration
	// Message is the partial assistant message as stored (marked
	// incomplete), or nil when nothing was sent or received. Set by the
	// chat engine, like Done.Message.
	Message *Message
	// KeyID is the key the turn used, or would have used had it not been
	// refused; set by the chat engine. Empty when no key was resolved.
	KeyID string
}

func (Sent) isEvent()     {}
func (Delta) isEvent()    {}
func (Retrying) isEvent() {}
func (Warning) isEvent()  {}
func (Trimmed) isEvent()  {}
func (Done) isEvent()     {}
func (Failed) isEvent()   {}
