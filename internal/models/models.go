// Package models knows facts about model names that the rest of vaultchat
// needs without asking a provider: today, the size of each known model's
// context window, used to leave the oldest turns out of a request that
// would not fit.
package models

import "strings"

// contextWindows maps a model family to its context window in tokens.
// A dated or suffixed variant ("gpt-4o-2024-08-06") takes the entry of its
// longest listed family; see ContextWindow. Figures are the providers'
// published limits (input plus output).
var contextWindows = map[string]int{
	// GPT-4o family.
	"gpt-4o":            128_000,
	"gpt-4o-mini":       128_000,
	"chatgpt-4o-latest": 128_000,
	// GPT-4.1 family.
	"gpt-4.1":      1_047_576,
	"gpt-4.1-mini": 1_047_576,
	"gpt-4.1-nano": 1_047_576,
	// GPT-4.5 preview; listed so it does not fall back to gpt-4.
	"gpt-4.5-preview": 128_000,
	// GPT-5 family.
	"gpt-5":             400_000,
	"gpt-5-mini":        400_000,
	"gpt-5-nano":        400_000,
	"gpt-5-codex":       400_000,
	"gpt-5-chat-latest": 128_000,
	"gpt-5.1":           400_000,
	"gpt-5.2":           400_000,
	// Reasoning models.
	"o1":         200_000,
	"o1-pro":     200_000,
	"o1-mini":    128_000,
	"o1-preview": 128_000,
	"o3":         200_000,
	"o3-pro":     200_000,
	"o3-mini":    200_000,
	"o4-mini":    200_000,
	// Older chat models.
	"gpt-4":                  8_192,
	"gpt-4-32k":              32_768,
	"gpt-4-turbo":            128_000,
	"gpt-4-1106-preview":     128_000,
	"gpt-4-0125-preview":     128_000,
	"gpt-4-vision":           128_000,
	"gpt-3.5-turbo":          16_385,
	"gpt-3.5-turbo-16k":      16_385,
	"gpt-3.5-turbo-instruct": 4_096,
	// Azure spells 3.5 without the dot.
	"gpt-35-turbo": 16_385,
	// vaultchat's built-in simulator ("sim-echo", "sim-429", ...).
	"sim": 8_192,
}

// ContextWindow returns the context window of model in tokens and whether
// the model is known. A name matches a listed family when it equals it or
// continues it after a dash, and the longest such family wins, so
// "gpt-4o-mini-2024-07-18" is gpt-4o-mini while "gpt-4o" never falls back
// to gpt-4. Fine-tuned names ("ft:gpt-4o-mini-2024-07-18:org::id") use
// their base model. Matching ignores case. Unknown models return (0,
// false): callers must not trim for them.
func ContextWindow(model string) (int, bool) {
	name := strings.ToLower(strings.TrimSpace(model))
	if base, ok := strings.CutPrefix(name, "ft:"); ok {
		name, _, _ = strings.Cut(base, ":")
	}
	best, window := "", 0
	for family, n := range contextWindows {
		if len(family) <= len(best) {
			continue
		}
		if name == family || strings.HasPrefix(name, family+"-") {
			best, window = family, n
		}
	}
	return window, best != ""
}
