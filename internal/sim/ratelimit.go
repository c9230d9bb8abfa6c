package sim

import (
	"net/http"
	"strconv"
	"time"
)

// The simulated account's limits per minute, small enough that the
// remaining counts visibly move in a demo. They are reported, not
// enforced: only sim-429 refuses a request.
const (
	limitRequests = 60
	limitTokens   = 150_000
)

// bucket is a token bucket that refills to limit over one minute, the
// way OpenAI describes its limits. The caller holds Server.mu.
type bucket struct {
	limit     float64
	remaining float64
	last      time.Time
	started   bool
}

// level is a bucket's state as the headers report it.
type level struct {
	limit     int
	remaining int
	reset     time.Duration // until the bucket is full again
}

// take refills the bucket for the time since the last call, removes n
// (never going below zero) and returns the new level.
func (b *bucket) take(now time.Time, n float64) level {
	if !b.started {
		b.remaining, b.last, b.started = b.limit, now, true
	}
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.remaining = min(b.limit, b.remaining+b.limit*elapsed.Minutes())
		b.last = now
	}
	b.remaining = max(0, b.remaining-n)
	reset := time.Duration((b.limit - b.remaining) / b.limit * float64(time.Minute))
	return level{limit: int(b.limit), remaining: int(b.remaining), reset: roundReset(reset)}
}

// roundReset rounds a reset duration the way OpenAI prints it: whole
// seconds from a second up ("1s", "6m0s"), milliseconds below.
func roundReset(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(time.Second)
	}
	return d.Round(time.Millisecond)
}

// setRateHeaders sets the x-ratelimit-* headers.
func setRateHeaders(h http.Header, requests, tokens level) {
	h.Set("x-ratelimit-limit-requests", strconv.Itoa(requests.limit))
	h.Set("x-ratelimit-remaining-requests", strconv.Itoa(requests.remaining))
	h.Set("x-ratelimit-reset-requests", requests.reset.String())
	setTokenHeaders(h, tokens)
}

// setTokenHeaders sets the token half of the x-ratelimit-* headers.
func setTokenHeaders(h http.Header, tokens level) {
	h.Set("x-ratelimit-limit-tokens", strconv.Itoa(tokens.limit))
	h.Set("x-ratelimit-remaining-tokens", strconv.Itoa(tokens.remaining))
	h.Set("x-ratelimit-reset-tokens", tokens.reset.String())
}
