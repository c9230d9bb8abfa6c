package provider

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// maxTokensPerRequest is more tokens than any request can use: context
// windows are at most a few million tokens. A server reporting more is
// broken or hostile; its figures would overflow the usage ledger.
const maxTokensPerRequest = 1_000_000_000_000

// wireUsage is the "usage" object of a stream's last event, its numbers
// kept raw so that a non-integer cannot fail the whole turn.
type wireUsage struct {
	PromptTokens     json.RawMessage `json:"prompt_tokens"`
	CompletionTokens json.RawMessage `json:"completion_tokens"`
	TotalTokens      json.RawMessage `json:"total_tokens"`
	PromptDetails    *struct {
		CachedTokens json.RawMessage `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionDetails *struct {
		ReasoningTokens json.RawMessage `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
}

// check returns the usage the server reported, or a description of why it
// cannot be believed: a figure that is negative, not an integer, absurdly
// large (over 10^12), or inconsistent with the others (a total that is not
// prompt plus completion, more cached than prompt tokens, more reasoning
// than completion tokens) or with the reply (far more visible completion
// tokens than bytes of text received). received is the bytes of reply
// text that arrived.
func (u *wireUsage) check(received int64) (chat.Usage, string) {
	var problems []string
	num := func(name string, raw json.RawMessage) int64 {
		n, problem := tokenCount(raw)
		if problem != "" {
			problems = append(problems, name+" "+problem)
		}
		return n
	}
	out := chat.Usage{
		PromptTokens:     num("prompt_tokens", u.PromptTokens),
		CompletionTokens: num("completion_tokens", u.CompletionTokens),
	}
	total := num("total_tokens", u.TotalTokens)
	if u.PromptDetails != nil {
		out.CachedPromptTokens = num("cached_tokens", u.PromptDetails.CachedTokens)
	}
	if u.CompletionDetails != nil {
		out.ReasoningTokens = num("reasoning_tokens", u.CompletionDetails.ReasoningTokens)
	}
	if len(problems) > 0 {
		return chat.Usage{}, strings.Join(problems, ", ")
	}
	switch {
	case total != 0 && total != out.PromptTokens+out.CompletionTokens:
		return chat.Usage{}, fmt.Sprintf("total_tokens %d is not prompt_tokens %d + completion_tokens %d", total, out.PromptTokens, out.CompletionTokens)
	case out.CachedPromptTokens > out.PromptTokens:
		return chat.Usage{}, fmt.Sprintf("cached_tokens %d is more than prompt_tokens %d", out.CachedPromptTokens, out.PromptTokens)
	case out.ReasoningTokens > out.CompletionTokens:
		return chat.Usage{}, fmt.Sprintf("reasoning_tokens %d is more than completion_tokens %d", out.ReasoningTokens, out.CompletionTokens)
	case out.CompletionTokens-out.ReasoningTokens > 2*received+1000:
		// A token is at least a byte of text; reasoning is not shown.
		return chat.Usage{}, fmt.Sprintf("completion_tokens %d for %d bytes of reply", out.CompletionTokens, received)
	}
	return out, ""
}

// tokenCount reads one figure: absent or null is 0; anything but an
// integer from 0 to maxTokensPerRequest is a problem.
func tokenCount(raw json.RawMessage) (int64, string) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return 0, ""
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		switch {
		case n < 0:
			return 0, "is negative (" + s + ")"
		case n > maxTokensPerRequest:
			return 0, "is absurd (" + s + ")"
		}
		return n, ""
	}
	f, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil && !strings.Contains(err.Error(), "range"):
		// Quoted only whole, so that the mask applied to the warning
		// sees a quoted key whole: a key cut short is no longer
		// recognised and its beginning would show.
		if len(s) > 20 {
			return 0, "is not a number"
		}
		return 0, "is not a number (" + s + ")"
	case f < 0:
		return 0, "is negative (" + shorten(s, 20) + ")"
	case f > maxTokensPerRequest || math.IsInf(f, 0):
		return 0, "is absurd (" + shorten(s, 20) + ")"
	case f != math.Trunc(f):
		return 0, "is not an integer (" + s + ")"
	}
	return int64(f), ""
}
