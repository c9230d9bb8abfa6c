// Package tokens counts tokens offline, the way OpenAI's tokenizers do, so
// that a reply whose provider reported no usage can still be counted (and
// marked estimated). The vocabularies are compiled into the binary: nothing
// is downloaded.
package tokens

import (
	"strings"
	"sync"

	"github.com/tiktoken-go/tokenizer"

	"github.com/vaultchat/vaultchat/internal/attach"
	"github.com/vaultchat/vaultchat/internal/chat"
)

// Encoding names.
const (
	O200k  = "o200k_base"
	Cl100k = "cl100k_base"
)

// Per-message framing, after OpenAI's cookbook ("How to count tokens with
// tiktoken"): every message costs a few tokens of markup around its role
// and content, and every reply is primed with a few more.
const (
	tokensPerMessage = 3
	tokensReplyPrime = 3
)

// codec is one encoding, loaded on first use: building a codec costs tens
// of milliseconds, which start-up must not pay.
type codec struct {
	name string
	once sync.Once
	c    tokenizer.Codec
}

var (
	o200k  = &codec{name: O200k}
	cl100k = &codec{name: Cl100k}
)

func (c *codec) get() tokenizer.Codec {
	c.once.Do(func() {
		// Get only fails for unknown encoding names, and both names are
		// constants known to the library; c.c stays nil otherwise and
		// Count falls back to an approximation.
		c.c, _ = tokenizer.Get(tokenizer.Encoding(c.name))
	})
	return c.c
}

// EncodingFor returns the name of the encoding used to count model's
// tokens: cl100k_base for the GPT-3.5 and GPT-4 (not 4o, not 4.1) families,
// o200k_base for everything else, including unknown models, since every
// current OpenAI model uses it.
func EncodingFor(model string) string {
	return codecFor(model).name
}

func codecFor(model string) *codec {
	m := strings.ToLower(model)
	if base, ok := strings.CutPrefix(m, "ft:"); ok {
		m = base
	}
	switch {
	case strings.HasPrefix(m, "gpt-3.5"), strings.HasPrefix(m, "gpt-35"):
		return cl100k
	case m == "gpt-4", strings.HasPrefix(m, "gpt-4-"):
		return cl100k
	}
	return o200k
}

// Count returns the number of tokens text encodes to for model. Special
// tokens such as "<|endoftext|>" count as ordinary text.
func Count(model, text string) int {
	if text == "" {
		return 0
	}
	c := codecFor(model).get()
	if c != nil {
		if n, err := c.Count(text); err == nil {
			return n
		}
	}
	// The tokenizer failed (it should not); about four bytes per token is
	// the usual rule of thumb for English text.
	return (len(text) + 3) / 4
}

// CountMessages returns the prompt tokens a chat request with msgs costs:
// each message's role and content plus the per-message framing, and the
// tokens that prime the reply. Note messages are skipped because they are
// never sent.
func CountMessages(model string, msgs []chat.Message) int {
	n := 0
	for _, m := range msgs {
		n += CountMessage(model, m)
	}
	if n == 0 {
		return 0
	}
	return n + tokensReplyPrime
}

// CountMessage returns what one message costs inside a request: its role,
// its content and the per-message framing. Notes cost nothing (they are
// never sent). A request costs the sum of its messages plus a few tokens
// that prime the reply (see CountMessages).
func CountMessage(model string, m chat.Message) int {
	if m.Role == chat.RoleNote {
		return 0
	}
	n := tokensPerMessage + Count(model, string(m.Role)) + Count(model, attach.MessageText(m))
	for _, a := range m.Attachments {
		if a.IsImage() {
			n += ImageTokens
		}
	}
	return n
}

// MessageBound is an upper bound of CountMessage that needs no
// tokenizer: every token stands for at least one byte of text, so a
// message costs at most its framing plus the bytes of its role and of
// its text as sent (content and text attachments inline), and
// ImageTokens an image. Loading a tokenizer costs tens of milliseconds;
// a request whose bound fits the model's window needs no counting at all.
func MessageBound(m chat.Message) int {
	if m.Role == chat.RoleNote {
		return 0
	}
	n := tokensPerMessage + len(m.Role) + len(m.Content)
	for _, a := range m.Attachments {
		if a.IsImage() {
			n += ImageTokens
		} else {
			n += len("\n\n") + attach.InlineLen(a)
		}
	}
	return n
}

// RequestBound is an upper bound of CountMessages, as MessageBound is of
// CountMessage.
func RequestBound(msgs []chat.Message) int {
	n := 0
	for _, m := range msgs {
		n += MessageBound(m)
	}
	if n == 0 {
		return 0
	}
	return n + tokensReplyPrime
}

// ImageTokens is what an attached image is counted as: OpenAI's cost of a
// high-detail image of four 512-pixel tiles (85 + 4×170), a fair middle
// for a screenshot; the server's usage says what it really cost.
const ImageTokens = 765
