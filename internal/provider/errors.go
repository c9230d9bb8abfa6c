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
// caller's context (to tell a cancel from a failure); w is the request's
// watcher (its response status and error body, its timeouts); streaming
// says the response had started, so a read error means the connection
// dropped rather than never connected; textArrived says reply text had
// arrived, so an error reported in the stream came mid-reply.
func (c *Client) classify(ctx context.Context, err error, w *watcher, streaming, textArrived bool) *chat.Error {
	var (
		e        *chat.Error
		apiErr   *openai.APIError
		pinErr   *pinError
		redirErr *redirectError
		bigErr   *tooLargeError
		typeErr  *notEventStream
		urlErr   *url.Error
		synErr   *json.SyntaxError
		valErr   *json.UnmarshalTypeError
	)
	if w == nil {
		w = &watcher{}
	}
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		e = canceledError()
	case w.timeout() != nil:
		e = c.timeoutError(w)
	case errors.Is(err, context.Canceled):
		e = canceledError()
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		e = &chat.Error{
			Class:   chat.ErrTimeout,
			Message: "no answer from " + c.host + " in time",
			Hint:    "the provider is slow or unreachable; retry later",
		}
	case errors.As(err, &pinErr):
		e = &chat.Error{
			Class:   chat.ErrOther,
			Message: pinErr.Error(),
			Hint:    "the server redirected elsewhere; check the key's base URL",
		}
	case errors.As(err, &redirErr):
		e = &chat.Error{
			Class:   chat.ErrBadRequest,
			Status:  redirErr.status,
			Message: redirErr.Error(),
			Hint:    fmt.Sprintf("if the provider moved, set the new base URL: vaultchat keys edit %s --base-url URL", c.keyName),
		}
	case errors.As(err, &bigErr):
		e = &chat.Error{
			Class:   chat.ErrBadResponse,
			Status:  w.status,
			Message: "unexpected response from " + c.host + ": " + bigErr.Error(),
			Hint:    "the server is not behaving like an OpenAI-compatible API",
		}
	case errors.As(err, &typeErr):
		e = &chat.Error{
			Class:   chat.ErrBadResponse,
			Status:  typeErr.status,
			Message: "unexpected response from " + c.host + ": " + typeErr.Error(),
			Hint:    "is the base URL an OpenAI-compatible API (it usually ends in /v1)?",
		}
	case w.status >= 400:
		// The transport kept the body: every error shape is read here,
		// not only the one go-openai understands. The body may echo the
		// key: classifyHTTP masks it before it is shortened.
		e = classifyHTTP(w.status, string(w.errBody), c.red, w.rl.RetryAfter, c.keyName)
	case errors.As(err, &apiErr):
		// An error event inside a stream that had answered 200.
		e = c.streamError(apiErr, w.rl, textArrived)
	case errors.As(err, &synErr), errors.As(err, &valErr), errors.Is(err, openai.ErrTooManyEmptyStreamMessages):
		e = &chat.Error{
			Class:   chat.ErrBadResponse,
			Status:  w.status,
			Message: "malformed reply from " + c.host + ": " + err.Error(),
			Hint:    "the server does not speak the OpenAI protocol; check the key's base URL",
		}
	case streaming:
		e = droppedError()
	case errors.As(err, &urlErr):
		// urlErr.Err leaves out the URL; it says why ("connection
		// refused", "no such host", a certificate problem).
		e = &chat.Error{
			Class:   chat.ErrNetwork,
			Message: "cannot reach " + c.host + ": " + urlErr.Err.Error(),
			Hint:    c.kind.UnreachableHint(c.keyName),
		}
	default:
		// Checks go-openai makes before sending, such as a model that
		// does not support chat completions.
		e = &chat.Error{Class: chat.ErrOther, Message: err.Error()}
	}
	e.Message, e.Hint = c.clean(e.Message), c.clean(e.Hint)
	return e
}

// timeoutError says which timeout of w passed.
func (c *Client) timeoutError(w *watcher) *chat.Error {
	if w.timeout() == errNoResponse {
		return &chat.Error{
			Class:   chat.ErrTimeout,
			Message: fmt.Sprintf("no response from %s within %s", c.host, w.t.response),
			Hint:    "the server took the request but did not answer; retry later (response_timeout in config.toml sets the wait)",
		}
	}
	return &chat.Error{
		Class:   chat.ErrTimeout,
		Status:  w.status,
		Message: fmt.Sprintf("the reply from %s stalled: nothing for %s", c.host, w.t.idle),
		Hint:    "the reply so far is kept; send the message again (stream_idle_timeout in config.toml sets the wait)",
	}
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

// streamError classifies an error event sent inside a stream. There is no
// HTTP status (the stream answered 200), so one is inferred from the
// error's type and code, and the message says where the error came from
// instead of quoting a status that was never sent: "mid-stream" only once
// reply text had arrived.
func (c *Client) streamError(apiErr *openai.APIError, rl chat.RateLimits, textArrived bool) *chat.Error {
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
	where := "reported in the stream"
	if textArrived {
		where = "reported mid-stream"
	}
	code, _ := apiErr.Code.(string)
	if code == "" {
		code = apiErr.Type
	}
	return classifyStatus(status, where, c.red.String(code), c.red.String(apiErr.Message), rl.RetryAfter, c.keyName)
}
