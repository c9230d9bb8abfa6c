package chat

import "time"

// ErrorClass is the kind of a failed request, which decides what the user
// is told and whether a retry makes sense.
type ErrorClass string

// Error classes.
const (
	ErrInvalidKey      ErrorClass = "invalid_key"       // 401/403
	ErrNoQuota         ErrorClass = "no_quota"          // 429 insufficient_quota
	ErrRateLimited     ErrorClass = "rate_limited"      // 429
	ErrModelNotFound   ErrorClass = "model_not_found"   // 404
	ErrContextTooLong  ErrorClass = "context_too_long"  // 400 context_length_exceeded
	ErrServer          ErrorClass = "server_error"      // 5xx
	ErrNetwork         ErrorClass = "network"           // no HTTP response
	ErrCanceled        ErrorClass = "canceled"          // the user stopped it
	ErrBadRequest      ErrorClass = "bad_request"       // other 4xx
	ErrBudgetExceeded  ErrorClass = "budget_exceeded"   // a hard budget refused it
	ErrModelNotAllowed ErrorClass = "model_not_allowed" // outside the key's allowed models
	ErrBadResponse     ErrorClass = "bad_response"      // not the API's answer: a web page, an oversized or malformed reply
	ErrTimeout         ErrorClass = "timeout"           // the server took the request but stopped answering
	ErrOther           ErrorClass = "other"
)

// Error is a classified failure, safe to show: Message and Hint are
// redacted by whoever builds the Error.
type Error struct {
	Class      ErrorClass    `json:"class"`
	Status     int           `json:"status,omitempty"` // HTTP status, 0 if none
	Message    string        `json:"message"`
	Hint       string        `json:"hint,omitempty"`
	RetryAfter time.Duration `json:"retry_after,omitempty"`
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// Retryable reports whether sending the same request again may succeed:
// rate limits (not exhausted quota), server errors and network errors. A
// timeout is not retried: the user already waited the whole timeout, and
// a server that stalls once usually stalls again.
func (e *Error) Retryable() bool {
	switch e.Class {
	case ErrRateLimited, ErrServer, ErrNetwork:
		return true
	}
	return false
}

// MaskedWarning is the warning given when a text the user supplied for a
// turn ("the message", "the system prompt") held an API key that was
// masked before it was saved and sent: the model answers about the
// masked key, so the user is told, in the same words for every text.
func MaskedWarning(what string) string {
	return what + " held an API key; it was sent masked (as the server and the saved conversation see it)"
}
