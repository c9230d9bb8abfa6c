package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// transport sits between go-openai and the network. It pins every request
// to the key's scheme and host, adds the organization and project headers
// (go-openai has no option for extra headers), records the rate-limit
// headers of every response (go-openai drops the headers of a failed
// stream request, so this is the only place they can be read), keeps the
// body of an error response for classification, bounds how much of any
// response is read (see limits.go), and refuses a stream request answered
// with something that is not an event stream. It never logs anything.
type transport struct {
	base   http.RoundTripper
	scheme string
	host   string
	extra  http.Header // added to every request
	now    func() time.Time
	// noRedirects refuses every redirect, even to the key's own host.
	noRedirects bool

	mu   sync.Mutex
	last chat.RateLimits // of the last response that carried any
}

// pinError is returned for a request, or a redirect, to a host other than
// the key's own: the key must never leave for another host.
type pinError struct{ host, pinned string }

func (e *pinError) Error() string {
	return fmt.Sprintf("refused to send the key to %s: it is pinned to %s", e.host, e.pinned)
}

// redirectError is a redirect refused because the client follows none.
type redirectError struct {
	status int
	target string // host and path
}

func (e *redirectError) Error() string {
	return fmt.Sprintf("HTTP %d redirect to %s refused: a key is only sent to its own base URL", e.status, e.target)
}

// notEventStream is a stream request answered 2xx with another content
// type: a web page, a login portal, a JSON reply from a server that does
// not stream.
type notEventStream struct {
	status      int
	contentType string
}

func (e *notEventStream) Error() string {
	return fmt.Sprintf("HTTP %d with content type %q instead of an event stream", e.status, e.contentType)
}

// allowed reports whether u is on the key's scheme and host. The scheme
// counts too: a redirect from https to http on the same host would send
// the key in clear text.
func (t *transport) allowed(u *url.URL) bool {
	return u.Scheme == t.scheme && strings.EqualFold(u.Host, t.host)
}

// RoundTrip implements http.RoundTripper. Unlike most RoundTrippers it
// returns an error, not the response, for a stream request answered with
// something that is not an event stream: go-openai would otherwise read a
// web page as a stream that ends early ("connection dropped") and retry.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.allowed(req.URL) {
		if req.Body != nil {
			req.Body.Close() // the RoundTripper contract: always close the body
		}
		return nil, &pinError{host: req.URL.Host, pinned: t.host}
	}
	if len(t.extra) > 0 {
		// A RoundTripper must not modify the caller's request.
		req = req.Clone(req.Context())
		for k, v := range t.extra {
			req.Header[k] = v
		}
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	w := watcherFrom(req.Context())
	rl := parseRateLimits(resp.Header, t.now())
	if rl.Known() {
		t.mu.Lock()
		t.last = rl
		t.mu.Unlock()
	}
	if w != nil {
		w.responded(resp.StatusCode, rl)
	}
	switch {
	case resp.StatusCode >= 400:
		// go-openai reads a whole error body; keep a bounded copy for
		// classification, which reads every error shape itself.
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		if w != nil {
			w.errBody = body
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		stream := strings.Contains(req.Header.Get("Accept"), "text/event-stream")
		if ct := resp.Header.Get("Content-Type"); stream && ct != "" && !isEventStream(ct) {
			resp.Body.Close()
			return nil, &notEventStream{status: resp.StatusCode, contentType: ct}
		}
		resp.Body = newCappedBody(resp.Body, stream, w)
	}
	return resp, nil
}

func isEventStream(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "text/event-stream"
}

// checkRedirect refuses redirects that leave the key's host, and every
// redirect when the client follows none. net/http strips Authorization on
// a cross-host redirect but forwards Azure's api-key header, so this check
// is what keeps an Azure key pinned; the transport refuses such requests
// as well.
func (t *transport) checkRedirect(req *http.Request, via []*http.Request) error {
	if t.noRedirects {
		status := 0
		if req.Response != nil {
			status = req.Response.StatusCode
		}
		return &redirectError{status: status, target: req.URL.Host + req.URL.EscapedPath()}
	}
	if !t.allowed(req.URL) {
		return &pinError{host: req.URL.Host, pinned: t.host}
	}
	if len(via) >= 10 {
		return fmt.Errorf("stopped after %d redirects", len(via))
	}
	return nil
}

// lastRateLimits returns the rate limits of the last response that
// reported any.
func (t *transport) lastRateLimits() chat.RateLimits {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last
}

// timeouts bound how long one request may wait for the server.
type timeouts struct {
	response time.Duration // until the response headers; 0 means none
	idle     time.Duration // between two reads of the body; 0 means none
}

// watcher collects what the transport saw of one request, so that a turn
// reads its own response's headers even while other turns share the
// client, and enforces the request's timeouts. The transport writes rl,
// status and errBody synchronously inside Do, in the goroutine that made
// the request; touch is called by whoever reads the body.
type watcher struct {
	rl      chat.RateLimits
	status  int    // the HTTP status, 0 before any response
	errBody []byte // the body of an error response, bounded

	t      timeouts
	cancel context.CancelCauseFunc

	mu       sync.Mutex
	timer    *time.Timer // the pending timeout, nil when none
	lastRead time.Time
	stopped  bool
	expired  error // errNoResponse or errStalled once a timeout passed
}

type watcherKey struct{}

// Causes of a request canceled by its watcher.
var (
	errNoResponse = errors.New("no response")
	errStalled    = errors.New("stream stalled")
)

// watch returns a context whose requests report to a new watcher and are
// canceled when a timeout in t passes. Call stop when the request is over.
func watch(ctx context.Context, t timeouts) (context.Context, *watcher) {
	ctx, cancel := context.WithCancelCause(ctx)
	w := &watcher{t: t, cancel: cancel}
	if t.response > 0 {
		w.timer = time.AfterFunc(t.response, func() { w.expire(errNoResponse) })
	}
	return context.WithValue(ctx, watcherKey{}, w), w
}

func watcherFrom(ctx context.Context) *watcher {
	w, _ := ctx.Value(watcherKey{}).(*watcher)
	return w
}

// responded records a response and switches from the response timeout to
// the idle timeout.
func (w *watcher) responded(status int, rl chat.RateLimits) {
	w.status, w.rl = status, rl
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	if w.stopped || w.t.idle <= 0 {
		return
	}
	w.lastRead = time.Now()
	w.timer = time.AfterFunc(w.t.idle, w.checkIdle)
}

// touch notes that body bytes arrived.
func (w *watcher) touch() {
	w.mu.Lock()
	w.lastRead = time.Now()
	w.mu.Unlock()
}

// checkIdle cancels the request if nothing arrived for the idle timeout,
// and otherwise waits for the rest of it.
func (w *watcher) checkIdle() {
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		return
	}
	left := w.t.idle - time.Since(w.lastRead)
	if left > 0 {
		w.timer = time.AfterFunc(left, w.checkIdle)
		w.mu.Unlock()
		return
	}
	w.mu.Unlock()
	w.expire(errStalled)
}

func (w *watcher) expire(cause error) {
	w.mu.Lock()
	stopped := w.stopped
	if !stopped {
		w.expired = cause
	}
	w.mu.Unlock()
	if !stopped {
		w.cancel(cause)
	}
}

// timeout returns errNoResponse or errStalled if that timeout canceled the
// request, else nil.
func (w *watcher) timeout() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.expired
}

// stop ends the timeouts; the request is over.
func (w *watcher) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	if w.timer != nil {
		w.timer.Stop()
	}
}
