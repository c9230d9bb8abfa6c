package provider

import (
	openai "github.com/sashabaranov/go-openai"

	"github.com/vaultchat/vaultchat/internal/attach"
	"github.com/vaultchat/vaultchat/internal/chat"
)

// toMessages is the request's messages: notes are never sent.
func toMessages(msgs []chat.Message) []openai.ChatCompletionMessage {
	out := make([]openai.ChatCompletionMessage, 0, len(msgs))
	for _, m := range msgs {
		if m.Role == chat.RoleNote {
			continue
		}
		out = append(out, toMessage(m))
	}
	return out
}

// toMessage is one message as the chat completions API takes it: text
// attachments inline after the content, and, when there are images, the
// multi-part form (a text part, then an image_url part with a data URL
// per image).
func toMessage(m chat.Message) openai.ChatCompletionMessage {
	text := attach.MessageText(m)
	var images []openai.ChatMessagePart
	for _, a := range m.Attachments {
		if a.IsImage() {
			images = append(images, openai.ChatMessagePart{Type: openai.ChatMessagePartTypeImageURL, ImageURL: &openai.ChatMessageImageURL{URL: attach.DataURL(a)}})
		}
	}
	if len(images) == 0 {
		return openai.ChatCompletionMessage{Role: string(m.Role), Content: text}
	}
	parts := append([]openai.ChatMessagePart{{Type: openai.ChatMessagePartTypeText, Text: text}}, images...)
	return openai.ChatCompletionMessage{Role: string(m.Role), MultiContent: parts}
}
