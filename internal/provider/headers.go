package provider

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
)

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
