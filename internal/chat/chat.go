// Package chat holds the provider-neutral types shared by the chat engine,
// the stores, the exporters and the UI: conversations, messages, per-turn
// attribution, usage, rate limits, key references and stream events. It
// contains no I/O and never holds a secret.
package chat

import "time"

// Role is who a message is from.
type Role string

// Message roles. RoleNote marks vaultchat's own annotations inside a
// conversation (a key switch, an import notice); notes are shown and
// exported but never sent to a model.
const (
	RoleSystem    Role = "system"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleNote      Role = "note"
)

// KeyRef identifies a vault key without its secret. It is all the UI and
// the stores ever see of a key.
type KeyRef struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Provider    string `json:"provider,omitempty"`
	Host        string `json:"host,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"` // masked, "sk-proj-…wxyz"
}

// Usage is token usage of one request or an aggregate.
type Usage struct {
	PromptTokens       int64 `json:"prompt_tokens"`
	CachedPromptTokens int64 `json:"cached_prompt_tokens,omitempty"`
	CompletionTokens   int64 `json:"completion_tokens"`
	ReasoningTokens    int64 `json:"reasoning_tokens,omitempty"`
	// Estimated is set when the provider reported no usage and the
	// numbers were counted locally with a tokenizer.
	Estimated bool `json:"estimated,omitempty"`
}

// Total returns prompt plus completion tokens.
func (u Usage) Total() int64 { return u.PromptTokens + u.CompletionTokens }

// Add returns the sum of u and o; the result is estimated if either is.
func (u Usage) Add(o Usage) Usage {
	return Usage{
		PromptTokens:       u.PromptTokens + o.PromptTokens,
		CachedPromptTokens: u.CachedPromptTokens + o.CachedPromptTokens,
		CompletionTokens:   u.CompletionTokens + o.CompletionTokens,
		ReasoningTokens:    u.ReasoningTokens + o.ReasoningTokens,
		Estimated:          u.Estimated || o.Estimated,
	}
}

// RateLimits are the x-ratelimit-* and retry-after headers of the last
// response, successful or not. Negative counts mean "not reported".
type RateLimits struct {
	LimitRequests     int           `json:"limit_requests"`
	RemainingRequests int           `json:"remaining_requests"`
	LimitTokens       int           `json:"limit_tokens"`
	RemainingTokens   int           `json:"remaining_tokens"`
	ResetRequests     time.Time     `json:"reset_requests,omitzero"`
	ResetTokens       time.Time     `json:"reset_tokens,omitzero"`
	RetryAfter        time.Duration `json:"retry_after,omitempty"`
	Observed          time.Time     `json:"observed,omitzero"`
}

// Known reports whether any rate-limit header was seen.
func (r RateLimits) Known() bool { return !r.Observed.IsZero() }

// Turn is the attribution of an assistant reply: which key and model
// produced it and what it cost.
type Turn struct {
	KeyID   string `json:"key_id"`
	KeyName string `json:"key_name"` // the key's name when the turn ran
	Model   string `json:"model"`
	Usage   Usage  `json:"usage"`
	// CostUSD is nil when the model's price is unknown.
	CostUSD      *float64      `json:"cost_usd,omitempty"`
	FinishReason string        `json:"finish_reason,omitempty"`
	Duration     time.Duration `json:"duration"`
	// Incomplete is set when the reply was canceled or failed; the text
	// received so far is kept. IncompleteReason says why ("canceled",
	// "rate limited", ...).
	Incomplete       bool   `json:"incomplete,omitempty"`
	IncompleteReason string `json:"incomplete_reason,omitempty"`
	// Error is the classified failure of this turn, if any.
	Error *Error `json:"error,omitempty"`
}

// Message is one entry of a conversation.
type Message struct {
	ID      string    `json:"id"`
	Role    Role      `json:"role"`
	Content string    `json:"content"`
	Time    time.Time `json:"time"`
	// Turn is set on assistant messages.
	Turn *Turn `json:"turn,omitempty"`
	// Attachments are the files sent with a user message.
	Attachments []Attachment `json:"attachments,omitempty"`
	// Siblings are the other versions of the conversation from this
	// message on (a reply a regenerate replaced, with what followed it),
	// oldest first; this message's branch is the current one
	// (Conversation.SwitchBranch flips between them).
	Siblings []Branch `json:"siblings,omitempty"`
	// Inherited is set on the messages a fork copied from its parent,
	// with their siblings: what their replies spent is the parent's, so
	// Totals leaves them out and a list's figures add up to what was
	// spent.
	Inherited bool `json:"inherited,omitempty"`
}

// Attachment is a file sent with a message, kept inside the encrypted
// conversation: a text file's content (sent inline, with its name, in a
// fence) or an image's bytes (sent as a data URL).
type Attachment struct {
	// Name is the file's base name, as the user gave it.
	Name string `json:"name"`
	// MediaType is "text/plain" or the image type ("image/png", ...).
	MediaType string `json:"media_type"`
	// Size is the file's size in bytes.
	Size int64 `json:"size"`
	// Text is a text file's content; Data an image's bytes.
	Text string `json:"text,omitempty"`
	Data []byte `json:"data,omitempty"`
}

// IsImage reports whether the attachment is an image.
func (a Attachment) IsImage() bool { return len(a.MediaType) > 6 && a.MediaType[:6] == "image/" }

// Branch is one version of a conversation from a message on: its first
// message is a sibling of the message that holds the branch.
type Branch struct {
	Messages []Message `json:"messages"`
}

// Conversation is a chat with its history. Content is stored already
// redacted and sanitized.
type Conversation struct {
	ID           string    `json:"id"`
	Title        string    `json:"title"`
	SystemPrompt string    `json:"system_prompt,omitempty"`
	Created      time.Time `json:"created"`
	Updated      time.Time `json:"updated"`
	// Source is "" for conversations held in vaultchat, or where an
	// imported one came from ("vaultchat-json", "chatgpt").
	Source string `json:"source,omitempty"`
	// Role is the role the conversation started with, as it was then
	// (nil: none).
	Role *RoleRef `json:"role,omitempty"`
	// Parent is set on a fork: the conversation and message it branched
	// from.
	Parent   *ForkRef  `json:"parent,omitempty"`
	Messages []Message `json:"messages"`
	// Next is the key and model chosen for the conversation's next turn:
	// the last switch (ctrl+k, ctrl+p) or the last turn's, whichever came
	// later. Nil in conversations saved before it existed: the last
	// reply's key and model stand in.
	Next *Choice `json:"next,omitempty"`
}

// Choice is the key and model chosen for a conversation's next turn.
type Choice struct {
	KeyID string `json:"key_id"`
	// Models is the model last chosen or used with each key (by key ID)
	// in the conversation, so switching back to a key brings its model
	// back.
	Models map[string]string `json:"models,omitempty"`
}

// Choose records key keyID, with model ("" keeps the model remembered for
// that key), as the choice for the conversation's next turn.
func (c *Conversation) Choose(keyID, model string) {
	if c.Next == nil {
		c.Next = &Choice{}
	}
	c.Next.KeyID = keyID
	if model != "" {
		if c.Next.Models == nil {
			c.Next.Models = map[string]string{}
		}
		c.Next.Models[keyID] = model
	}
}

// ChosenModel returns the model chosen or last used with key keyID in
// the conversation: the remembered choice, else the model of the last
// reply made with that key; "" when there is none.
func (c *Conversation) ChosenModel(keyID string) string {
	if c == nil {
		return ""
	}
	if c.Next != nil && c.Next.Models[keyID] != "" {
		return c.Next.Models[keyID]
	}
	for i := len(c.Messages) - 1; i >= 0; i-- {
		if t := c.Messages[i].Turn; t != nil && c.Messages[i].Role == RoleAssistant && t.KeyID == keyID {
			return t.Model
		}
	}
	return ""
}

// ChosenKey returns the ID of the key chosen for the next turn: the
// remembered choice, else the key of the last reply; "" when there is
// none.
func (c *Conversation) ChosenKey() string {
	if c == nil {
		return ""
	}
	if c.Next != nil && c.Next.KeyID != "" {
		return c.Next.KeyID
	}
	for i := len(c.Messages) - 1; i >= 0; i-- {
		if t := c.Messages[i].Turn; t != nil && c.Messages[i].Role == RoleAssistant {
			return t.KeyID
		}
	}
	return ""
}

// RoleRef is a role (a reusable system prompt with settings) as a
// conversation started with it: later edits of the role file do not
// change what the conversation records.
type RoleRef struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Text is the role's system prompt at the time.
	Text  string `json:"text"`
	Model string `json:"model,omitempty"`
	Key   string `json:"key,omitempty"`
	// Temperature is sent with every request of the conversation when
	// set.
	Temperature *float64 `json:"temperature,omitempty"`
}

// ForkRef names where a forked conversation branched off: the parent
// conversation's ID and the ID and number (1-based, notes not counted)
// of the last message the fork copied.
type ForkRef struct {
	ConversationID string `json:"conversation_id"`
	MessageID      string `json:"message_id,omitempty"`
	MessageNumber  int    `json:"message_number,omitempty"`
}

// Summary is what a conversation list shows without loading messages.
type Summary struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Parent is set on a fork (Conversation.Parent).
	Parent   *ForkRef  `json:"parent,omitempty"`
	Updated  time.Time `json:"updated"`
	Messages int       `json:"messages"` // notes left out
	// Totals are the conversation's figures, from Conversation.Totals.
	Totals Totals `json:"totals"`
}

// ValidID reports whether id can be a conversation's ID: ASCII letters,
// digits, '-' and '_', starting with a letter or digit, at most 128
// characters. The store names a conversation's file after its ID, so no
// ID may hold a dot or a slash; imports refuse any other ID.
func ValidID(id string) bool {
	if id == "" || len(id) > 128 || id[0] == '-' || id[0] == '_' {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !isIDByte(c) {
			return false
		}
	}
	return true
}

// isIDByte reports whether c may appear in an ID: an ASCII letter or
// digit, '-' or '_'.
func isIDByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}
