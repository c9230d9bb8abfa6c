package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// Accounts talks to a provider's account APIs (usage, costs, key
// management) with one key: an OpenAI admin key, an OpenRouter management
// key, or an OpenRouter key asking about itself. These APIs are not
// chat, so they use plain net/http, but through the same transport as a
// Client: the key is pinned to its base URL's scheme and host (requests
// and redirects elsewhere are refused, a proxy is used for https only),
// responses are bounded (maxJSONBody), waits are bounded (the default
// response and idle timeouts), errors are classified and redacted the
// same way, and a 429 is retried after its Retry-After.
type Accounts struct {
	c      *Client
	httpc  *http.Client
	secret string
	// requests counts the HTTP requests sent, retries included.
	requests atomic.Int64
	// maxRetries bounds the retries of a 429; maxWait the wait for one.
	maxRetries int
	maxWait    time.Duration
}

// NewAccounts returns an Accounts client for cfg (Provider "openai" or
// "openrouter"). Its errors never contain the secret.
func NewAccounts(cfg Config) (*Accounts, error) {
	c, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return &Accounts{
		c:          c,
		httpc:      &http.Client{Transport: c.tr, CheckRedirect: c.tr.checkRedirect},
		secret:     cfg.Secret,
		maxRetries: 5,
		maxWait:    30 * time.Second,
	}, nil
}

// Requests returns how many HTTP requests the client has sent.
func (a *Accounts) Requests() int64 { return a.requests.Load() }

// do sends one request to base+path and decodes a 2xx JSON answer into
// out (nil: the body is discarded). A 429 is retried after its
// Retry-After (1s when it gives none), at most maxRetries times.
func (a *Accounts) do(ctx context.Context, method, path string, query url.Values, body, out any) *chat.Error {
	var payload []byte
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return &chat.Error{Class: chat.ErrOther, Message: "encode request: " + err.Error()}
		}
		payload = b
	}
	target := a.c.baseURL + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	for attempt := 0; ; attempt++ {
		e := a.once(ctx, method, target, payload, out)
		if e == nil || e.Class != chat.ErrRateLimited || attempt >= a.maxRetries {
			return e
		}
		wait := e.RetryAfter
		if wait <= 0 {
			wait = time.Second
		}
		if wait > a.maxWait {
			return e
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return canceledError()
		case <-t.C:
		}
	}
}

func (a *Accounts) once(ctx context.Context, method, target string, payload []byte, out any) *chat.Error {
	ctx, w := watch(ctx, Options{}.withDefaults().timeouts())
	defer w.stop()
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return &chat.Error{Class: chat.ErrOther, Message: a.c.clean("build request: " + err.Error())}
	}
	req.Header.Set("Authorization", "Bearer "+a.secret)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	a.requests.Add(1)
	resp, err := a.httpc.Do(req)
	if err != nil {
		return a.c.classify(ctx, err, w, false, false)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return a.accountError(classifyHTTP(resp.StatusCode, string(w.errBody), a.c.red, w.rl.RetryAfter, a.c.keyName))
	}
	if resp.StatusCode >= 300 {
		return a.unexpected(resp.StatusCode, "a redirect that was not followed")
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	dec := json.NewDecoder(resp.Body)
	if err := dec.Decode(out); err != nil {
		var big *tooLargeError
		if errors.As(err, &big) {
			return a.unexpected(resp.StatusCode, "the answer is over "+byteSize(maxJSONBody))
		}
		if ctx.Err() != nil || w.timeout() != nil {
			return a.c.classify(ctx, err, w, true, false)
		}
		return a.unexpected(resp.StatusCode, "not the API's JSON")
	}
	return nil
}

// accountError adapts a classification made for chat requests to the
// account APIs: a 404 here is a missing project, key or account, not a
// model, and a refused key is usually a key of the wrong kind.
func (a *Accounts) accountError(e *chat.Error) *chat.Error {
	switch e.Class {
	case chat.ErrModelNotFound:
		e.Class = chat.ErrBadRequest
		e.Message = strings.Replace(e.Message, "model not found", "not found", 1)
		e.Hint = "check the project ID or the key's provider ID"
	case chat.ErrInvalidKey:
		e.Hint = fmt.Sprintf("the provider refused %s for this request: usage and key management need an OpenAI admin key (keys add NAME --provider openai --admin) or an OpenRouter management key (--provider openrouter --management)", a.c.keyName)
	}
	e.Message, e.Hint = a.c.clean(e.Message), a.c.clean(e.Hint)
	return e
}

func (a *Accounts) unexpected(status int, why string) *chat.Error {
	return &chat.Error{
		Class:   chat.ErrBadResponse,
		Status:  status,
		Message: a.c.clean(fmt.Sprintf("unexpected response from %s (HTTP %d): %s", a.c.host, status, why)),
		Hint:    "is the key's base URL the provider's API?",
	}
}

// badFigure is an answer whose figures cannot be believed.
func (a *Accounts) badFigure(what string) *chat.Error {
	return &chat.Error{
		Class:   chat.ErrBadResponse,
		Message: a.c.clean(fmt.Sprintf("unexpected response from %s: %s", a.c.host, what)),
		Hint:    "the provider's figures are not used",
	}
}

// maxPages bounds a paginated listing, whatever cursors a server sends.
const maxPages = 10_000

// MatchRedacted reports whether a provider's redacted form of a key
// ("sk-abc...wxyz", "sk-proj-****wxyz", "sk-…wxyz") is secret's: the
// visible prefix and suffix must both match and show at least 8
// characters together, so a short form cannot match many keys.
func MatchRedacted(redactedValue, secret string) bool {
	r := strings.TrimSpace(redactedValue)
	var prefix, suffix string
	for _, sep := range []string{"...", "…", "*"} {
		if i := strings.Index(r, sep); i >= 0 {
			prefix = r[:i]
			suffix = strings.TrimLeft(r[i:], ".…*")
			break
		}
	}
	if prefix == "" && suffix == "" {
		return false
	}
	if len(prefix)+len(suffix) < 8 || len(secret) < len(prefix)+len(suffix) {
		return false
	}
	return strings.HasPrefix(secret, prefix) && strings.HasSuffix(secret, suffix)
}
