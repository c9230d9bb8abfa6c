package chat

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

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
// rate limits (not exhausted quota), server errors and network errors.
func (e *Error) Retryable() bool {
	switch e.Class {
	case ErrRateLimited, ErrServer, ErrNetwork:
		return true
	}
	return false
}

// ClassifyHTTP classifies an HTTP error response. body is the raw response
// body (an OpenAI-style {"error": {...}} or anything else); keyName is used
// in hints. The caller must redact body before passing it or redact the
// result's Message.
func ClassifyHTTP(status int, body string, retryAfter time.Duration, keyName string) *Error {
	code, msg := parseErrorBody(body)
	e := &Error{Status: status, RetryAfter: retryAfter}
	detail := msg
	if detail == "" {
		detail = strings.TrimSpace(body)
	}
	detail = shorten(detail, 300)
	switch {
	case status == 401 || status == 403:
		e.Class = ErrInvalidKey
		e.Message = "invalid API key (HTTP " + fmt.Sprint(status) + ")"
		e.Hint = fmt.Sprintf("run \"vaultchat keys check %s\", or rotate it with \"vaultchat keys rotate %s\"", keyName, keyName)
	case status == 429 && (code == "insufficient_quota" || strings.Contains(strings.ToLower(msg), "quota")):
		e.Class = ErrNoQuota
		e.Message = "the key has no quota left (HTTP 429 insufficient_quota)"
		e.Hint = "check the account's billing, or switch to another key"
	case status == 429:
		e.Class = ErrRateLimited
		e.Message = "rate limited (HTTP 429)"
		if retryAfter > 0 {
			e.Hint = fmt.Sprintf("rate limited; retry in %s or switch key", retryAfter.Round(time.Second))
		} else {
			e.Hint = "rate limited; retry shortly or switch key"
		}
	case status == 404:
		e.Class = ErrModelNotFound
		e.Message = "model not found (HTTP 404)"
		e.Hint = "pick another model; \"vaultchat keys check " + keyName + "\" lists what the key can use"
	case status == 400 && (code == "context_length_exceeded" || strings.Contains(strings.ToLower(msg), "context length") || strings.Contains(strings.ToLower(msg), "maximum context")):
		e.Class = ErrContextTooLong
		e.Message = "the conversation is too long for the model's context window"
		e.Hint = "start a new conversation or pick a model with a larger context"
	case status >= 500:
		e.Class = ErrServer
		e.Message = fmt.Sprintf("server error (HTTP %d)", status)
		e.Hint = "the provider is having trouble; retry later"
	default:
		e.Class = ErrBadRequest
		e.Message = fmt.Sprintf("request refused (HTTP %d)", status)
	}
	if detail != "" && e.Class != ErrContextTooLong {
		e.Message += ": " + detail
	}
	return e
}

func parseErrorBody(body string) (code, message string) {
	var v struct {
		Error struct {
			Message string `json:"message"`
			Type    string `json:"type"`
			Code    any    `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal([]byte(body), &v) != nil {
		return "", ""
	}
	code = v.Error.Type
	if s, ok := v.Error.Code.(string); ok && s != "" {
		code = s
	}
	return code, v.Error.Message
}

func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
