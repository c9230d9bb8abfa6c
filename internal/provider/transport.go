package provider

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// transport sits between go-openai and the network. It pins every request
// to the key's scheme and host, adds the organization and project headers
// (go-openai has no option for extra headers), and records the rate-limit
// headers of every response: go-openai drops the headers of a failed
// stream request, so this is the only place they can be read. It never
// logs anything.
type transport struct {
	base   http.RoundTripper
	scheme string
	host   string
	extra  http.Header // added to every request
	now    func() time.Time

	mu   sync.Mutex
	last chat.RateLimits // of the last response that carried any
}

// pinError is returned for a request, or a redirect, to a host other than
// the key's own: the key must never leave for another host.
type pinError struct{ host, pinned string }

func (e *pinError) Error() string {
	return fmt.Sprintf("refused to send the key to %s: it is pinned to %s", e.host, e.pinned)
}

// allowed reports whether u is on the key's scheme and host. The scheme
// counts too: a redirect from https to http on the same host would send
// the key in clear text.
func (t *transport) allowed(u *url.URL) bool {
	return u.Scheme == t.scheme && strings.EqualFold(u.Host, t.host)
}

// RoundTrip implements http.RoundTripper.
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
	if resp.StatusCode >= 400 {
		// go-openai reads a whole error body into memory.
		resp.Body = limitedBody{io.LimitReader(resp.Body, maxErrorBody), resp.Body}
	}
	rl := parseRateLimits(resp.Header, t.now())
	if rl.Known() {
		t.mu.Lock()
		t.last = rl
		t.mu.Unlock()
	}
	if w := watcherFrom(req.Context()); w != nil {
		w.rl = rl
	}
	return resp, nil
}

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 1 << 20

type limitedBody struct {
	io.Reader
	io.Closer
}

// checkRedirect refuses redirects that leave the key's host. net/http
// strips Authorization on a cross-host redirect but forwards Azure's
// api-key header, so this check is what keeps an Azure key pinned; the
// transport refuses such requests as well.
func (t *transport) checkRedirect(req *http.Request, via []*http.Request) error {
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

// watcher collects what the transport saw of one request, so that a turn
// reads its own response's headers even while other turns share the
// client. The transport writes it synchronously inside Do, in the
// goroutine that made the request.
type watcher struct{ rl chat.RateLimits }

type watcherKey struct{}

// watch returns a context whose requests report to a new watcher.
func watch(ctx context.Context) (context.Context, *watcher) {
	w := &watcher{}
	return context.WithValue(ctx, watcherKey{}, w), w
}

func watcherFrom(ctx context.Context) *watcher {
	w, _ := ctx.Value(watcherKey{}).(*watcher)
	return w
}

// parseRateLimits reads the x-ratelimit-* and retry-after headers. Counts
// that are missing or malformed are -1; resets are absolute times (now
// plus the header's duration, "6m0s", "20ms", or plain seconds).
// Observed is set only if at least one header was present.
func parseRateLimits(h http.Header, now time.Time) chat.RateLimits {
	rl := chat.RateLimits{
		LimitRequests:     headerInt(h, "x-ratelimit-limit-requests"),
		LimitTokens:       headerInt(h, "x-ratelimit-limit-tokens"),
		RemainingRequests: headerInt(h, "x-ratelimit-remaining-requests"),
		RemainingTokens:   headerInt(h, "x-ratelimit-remaining-tokens"),
		RetryAfter:        retryAfter(h, now),
	}
	seen := rl.LimitRequests >= 0 || rl.LimitTokens >= 0 || rl.RemainingRequests >= 0 || rl.RemainingTokens >= 0 || rl.RetryAfter > 0
	if d, ok := headerDuration(h, "x-ratelimit-reset-requests"); ok {
		rl.ResetRequests, seen = now.Add(d), true
	}
	if d, ok := headerDuration(h, "x-ratelimit-reset-tokens"); ok {
		rl.ResetTokens, seen = now.Add(d), true
	}
	if seen {
		rl.Observed = now
	}
	return rl
}

func headerInt(h http.Header, name string) int {
	n, err := strconv.Atoi(strings.TrimSpace(h.Get(name)))
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// headerDuration parses a Go-style duration ("1s", "6m0s", "20ms"), which
// is what OpenAI sends, or plain seconds, which some compatible servers
// send.
func headerDuration(h http.Header, name string) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get(name))
	if v == "" {
		return 0, false
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return d, true
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return seconds(s), true
	}
	return 0, false
}

// maxHeaderWait bounds durations read from headers, so that an absurd
// value cannot overflow a time.Duration.
const maxHeaderWait = 24 * time.Hour

func seconds(s float64) time.Duration {
	if s >= maxHeaderWait.Seconds() {
		return maxHeaderWait
	}
	return time.Duration(s * float64(time.Second))
}

// retryAfter reads retry-after-ms (sent by OpenAI, more precise) or
// retry-after, which is either seconds or an HTTP date. It returns 0 when
// neither is present or valid.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if ms, err := strconv.ParseFloat(strings.TrimSpace(h.Get("retry-after-ms")), 64); err == nil && ms > 0 {
		return seconds(ms / 1000)
	}
	v := strings.TrimSpace(h.Get("retry-after"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return seconds(s)
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return min(at.Sub(now), maxHeaderWait)
	}
	return 0
}
