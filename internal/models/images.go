package models

import "strings"

// imageInput says, per model family, whether the model takes images in a
// chat message. Families match as in ContextWindow (the longest listed
// family wins). Models not listed are unknown: vaultchat sends and lets
// the server say.
var imageInput = map[string]bool{
	"gpt-4o": true, "gpt-4o-mini": true, "chatgpt-4o-latest": true,
	"gpt-4.1": true, "gpt-4.1-mini": true, "gpt-4.1-nano": true,
	"gpt-4.5-preview": true,
	"gpt-5":           true, "gpt-5-mini": true, "gpt-5-nano": true, "gpt-5-chat-latest": true, "gpt-5.1": true, "gpt-5.2": true,
	"o1": true, "o1-pro": true, "o3": true, "o3-pro": true, "o4-mini": true,
	"gpt-4-turbo": true, "gpt-4-vision": true,
	// Text only.
	"gpt-4": false, "gpt-4-32k": false, "gpt-4-1106-preview": false, "gpt-4-0125-preview": false,
	"o1-mini": false, "o1-preview": false, "o3-mini": false, "gpt-5-codex": false,
	"gpt-3.5-turbo": false, "gpt-3.5-turbo-16k": false, "gpt-3.5-turbo-instruct": false, "gpt-35-turbo": false,
}

// AcceptsImages reports whether model takes images, and whether that is
// known.
func AcceptsImages(model string) (accepts, known bool) {
	name := strings.ToLower(strings.TrimSpace(model))
	if base, ok := strings.CutPrefix(name, "ft:"); ok {
		name, _, _ = strings.Cut(base, ":")
	}
	best := ""
	for family, ok := range imageInput {
		if len(family) > len(best) && (name == family || strings.HasPrefix(name, family+"-")) {
			best, accepts = family, ok
		}
	}
	return accepts, best != ""
}
