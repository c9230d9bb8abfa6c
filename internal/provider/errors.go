package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// classify turns an error from go-openai or the network into a chat.Error
// that is safe to show: its Message and Hint have passed clean. ctx is the
// caller's context (to tell a cancel from a failure), rl the rate limits
// of the failed response, and streaming says the response had started, so
// a read error means the connection dropped rather than never connected.
func (c *Client) classify(ctx context.Context, err error, rl chat.RateLimits, streaming bool) *chat.Error {
	var (
		e      *chat.Error
		apiErr *openai.APIError
		reqErr *openai.RequestError
		pinErr *pinError
		urlErr *url.Error
		synErr *json.SyntaxError
	)
	switch {
	case errors.Is(ctx.Err(), context.Canceled) || errors.Is(err, context.Canceled):
		e = canceledError()
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		e = &chat.Error{
			Class:   chat.ErrNetwork,
			Message: "timed out waiting for " + c.host,
			Hint:    "the provider is slow or unreachable; retry later",
		}
	case errors.As(err, &pinErr):
		e = &chat.Error{
			Class:   chat.ErrOther,
			Message: pinErr.Error(),
			Hint:    "the server redirected elsewhere; check the key's base URL",
		}
	case errors.As(err, &apiErr) && apiErr.HTTPStatusCode != 0:
		e = chat.ClassifyHTTP(apiErr.HTTPStatusCode, c.errorBody(apiErr), rl.RetryAfter, c.keyName)
	case errors.As(err, &apiErr):
		// An error event inside a stream that had answered 200.
		e = c.streamError(apiErr, rl)
	case errors.As(err, &reqErr):
		// The raw body may echo the key: redact it before it is parsed
		// and shortened, since shortening could cut a secret in half.
		e = chat.ClassifyHTTP(reqErr.HTTPStatusCode, c.red.String(string(reqErr.Body)), rl.RetryAfter, c.keyName)
	case errors.As(err, &synErr), errors.Is(err, openai.ErrTooManyEmptyStreamMessages):
		e = &chat.Error{
			Class:   chat.ErrOther,
			Message: "malformed reply from " + c.host + ": " + err.Error(),
			Hint:    "the server does not speak the OpenAI streaming protocol; check the key's base URL",
		}
	case streaming:
		e = droppedError()
	case errors.As(err, &urlErr):
		// urlErr.Err leaves out the URL; it says why ("connection
		// refused", "no such host", a certificate problem).
		e = &chat.Error{
			Class:   chat.ErrNetwork,
			Message: "cannot reach " + c.host + ": " + urlErr.Err.Error(),
			Hint:    "check the network connection and the key's base URL",
		}
	default:
		// Checks go-openai makes before sending, such as a model that
		// does not support chat completions.
		e = &chat.Error{Class: chat.ErrOther, Message: err.Error()}
	}
	e.Message, e.Hint = c.clean(e.Message), c.clean(e.Hint)
	return e
}

func canceledError() *chat.Error {
	return &chat.Error{Class: chat.ErrCanceled, Message: "canceled"}
}

// droppedError is a stream that stopped before the reply was finished:
// the connection broke, or the server closed it without a finish reason.
func droppedError() *chat.Error {
	return &chat.Error{
		Class:   chat.ErrNetwork,
		Message: "connection dropped mid-reply",
		Hint:    "the reply is incomplete; send the message again",
	}
}

// errorBody rebuilds an OpenAI-style error body from an APIError, with
// the server's text redacted, for chat.ClassifyHTTP to parse.
func (c *Client) errorBody(e *openai.APIError) string {
	code := e.Code
	if s, ok := code.(string); ok {
		code = c.red.String(s)
	}
	body, err := json.Marshal(map[string]any{"error": map[string]any{
		"message": c.red.String(e.Message),
		"type":    c.red.String(e.Type),
		"code":    code,
	}})
	if err != nil {
		return ""
	}
	return string(body)
}

// streamError classifies an error event sent inside a stream. There is no
// HTTP status (the stream answered 200), so one is inferred from the
// error's type and code for chat.ClassifyHTTP, and the message says where
// the error came from instead of quoting a status that was never sent.
func (c *Client) streamError(apiErr *openai.APIError, rl chat.RateLimits) *chat.Error {
	kind := strings.ToLower(fmt.Sprint(apiErr.Type, " ", apiErr.Code))
	status := 500
	switch {
	case strings.Contains(kind, "quota"), strings.Contains(kind, "rate_limit"):
		status = 429
	case strings.Contains(kind, "auth"), strings.Contains(kind, "api_key"):
		status = 401
	case strings.Contains(kind, "invalid_request"), strings.Contains(kind, "context_length"):
		status = 400
	}
	e := chat.ClassifyHTTP(status, c.errorBody(apiErr), rl.RetryAfter, c.keyName)
	e.Status = 0
	e.Message = strings.Replace(e.Message, fmt.Sprintf("HTTP %d", status), "reported mid-stream", 1)
	return e
}
