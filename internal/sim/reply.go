package sim

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// conversation is what a reply is built from.
type conversation struct {
	model    string
	messages []Message
	stream   bool
}

// turn returns the number of user messages: the turn this request asks
// the model to answer.
func (c conversation) turn() int {
	n := 0
	for _, m := range c.messages {
		if m.Role == "user" {
			n++
		}
	}
	return n
}

// userMessages returns the last two user messages, most recent first.
func (c conversation) userMessages() (last, previous string, ok, havePrevious bool) {
	for i := len(c.messages) - 1; i >= 0; i-- {
		if c.messages[i].Role != "user" {
			continue
		}
		if !ok {
			last, ok = c.messages[i].Content, true
			continue
		}
		return last, c.messages[i].Content, ok, true
	}
	return last, "", ok, false
}

// systemPrompt returns the system (or developer) messages joined.
func (c conversation) systemPrompt() string {
	var parts []string
	for _, m := range c.messages {
		if m.Role == "system" || m.Role == "developer" {
			parts = append(parts, m.Content)
		}
	}
	return strings.Join(parts, "\n")
}

// quote returns s on one line, shortened to about 200 characters, for a
// markdown blockquote.
func quote(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	const limit = 200
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	r := []rune(s)
	return string(r[:limit]) + "…"
}

// replyText returns the markdown reply to c. It is a pure function of c.
func replyText(c conversation) string {
	var b strings.Builder
	turn := c.turn()
	last, previous, ok, havePrevious := c.userMessages()
	system := c.systemPrompt()

	fmt.Fprintf(&b, "## Simulated reply to turn %d\n\n", turn)
	fmt.Fprintf(&b, "You are talking to **%s**, the vaultchat simulator. ", c.model)
	fmt.Fprintf(&b, "This is turn %d: the request carried %d messages, and here is what I received.\n\n", turn, len(c.messages))
	if ok {
		fmt.Fprintf(&b, "> **Your message:** \"%s\"\n", quote(last))
	} else {
		b.WriteString("> **Your message:** none; the request had no user message.\n")
	}
	if havePrevious {
		fmt.Fprintf(&b, ">\n> **Before that you said:** \"%s\"\n", quote(previous))
	} else {
		b.WriteString(">\n> **Before that:** nothing; this is the first turn.\n")
	}
	if system != "" {
		fmt.Fprintf(&b, ">\n> **System prompt:** \"%s\"\n", quote(system))
	} else {
		b.WriteString(">\n> **System prompt:** none was sent.\n")
	}
	if c.model == "sim-smart" {
		b.WriteString("\nBeing the smart one, I also counted the roles of every message in the request.\n")
	}

	b.WriteString("\n### What I received\n\n")
	fmt.Fprintf(&b, "- Turn number: %d (user messages in the request)\n", turn)
	fmt.Fprintf(&b, "- Messages: %d (%s)\n", len(c.messages), roleSummary(c.messages))
	fmt.Fprintf(&b, "- Words in your message: %d\n", len(strings.Fields(last)))
	fmt.Fprintf(&b, "- Streaming: %s\n", yesNo(c.stream))

	b.WriteString("\n### What you can try next\n\n")
	fmt.Fprintf(&b, "1. Send a follow-up to reach turn %d; I will quote this message back.\n", turn+1)
	b.WriteString("2. Cancel a reply while it streams and see what is kept.\n")
	b.WriteString("3. Switch to another key or model and compare the usage.\n")

	b.WriteString("\n| Turn | Messages | Your words | Model |\n")
	b.WriteString("|---:|---:|---:|:---|\n")
	fmt.Fprintf(&b, "| %d | %d | %d | %s |\n", turn, len(c.messages), len(strings.Fields(last)), c.model)

	b.WriteString("\n```go\n")
	fmt.Fprintf(&b, "// reply answers turn %d of a simulated conversation.\n", turn)
	b.WriteString("func reply(turn int) string {\n")
	b.WriteString("\treturn fmt.Sprintf(\"turn %d: context received\", turn)\n")
	b.WriteString("}\n```\n\n")
	b.WriteString("That is all for this turn.\n")
	return b.String()
}

func roleSummary(msgs []Message) string {
	counts := map[string]int{}
	var order []string
	for _, m := range msgs {
		if counts[m.Role] == 0 {
			order = append(order, m.Role)
		}
		counts[m.Role]++
	}
	parts := make([]string, len(order))
	for i, role := range order {
		parts[i] = fmt.Sprintf("%d %s", counts[role], role)
	}
	return strings.Join(parts, ", ")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// hugeText returns the appendix of a sim-huge reply: repeated sections of
// markdown, about 15,000 words (20,000 tokens by countTokens).
func hugeText() string { return longText(15_000) }

// longText returns repeated sections of markdown of about minWords words
// (sim-long uses 1,500: about 2,000 tokens).
func longText(minWords int) string {
	var b strings.Builder
	words := 0
	for part := 1; words < minWords; part++ {
		start := b.Len()
		fmt.Fprintf(&b, "\n## Part %d of a very long reply\n\n", part)
		fmt.Fprintf(&b, "This is part %d. The simulator writes long replies like this one so that "+
			"scrolling, rendering and storing a large answer can be measured. Every part has the same shape "+
			"and a different number, which keeps the text deterministic while still looking like prose. "+
			"Nothing here is random, so golden files and benchmarks stay stable from run to run.\n\n", part)
		for i := 1; i <= 4; i++ {
			fmt.Fprintf(&b, "- Point %d.%d: a bullet with a few words of **bold** and `code` in it.\n", part, i)
		}
		b.WriteString("\n")
		for i := 1; i <= 3; i++ {
			fmt.Fprintf(&b, "%d. Step %d of part %d, described in one sentence.\n", i, i, part)
		}
		if part%5 == 0 {
			b.WriteString("\n| Part | Square | Cube |\n|---:|---:|---:|\n")
			fmt.Fprintf(&b, "| %d | %d | %d |\n", part, part*part, part*part*part)
			fmt.Fprintf(&b, "\n```go\nfunc part%d() int {\n\treturn %d * %d\n}\n```\n", part, part, part)
		}
		words += len(strings.Fields(b.String()[start:]))
	}
	return b.String()
}

// injectChunks is the sim-inject payload: terminal escape sequences, an
// 8-bit CSI, a bidi override and HTML entities that decode to ESC,
// deliberately cut across chunk boundaries so that a sanitizer working on
// one chunk at a time would miss them.
var injectChunks = []string{
	"\nThis paragraph tries to take over your terminal: ",
	"\x1b", // OSC 52 clipboard write of "rm -rf ~", ESC alone in its chunk
	"]52;c;",
	"cm0gLXJmIH4K",
	"\x07 then a window title ",
	"\x1b]0;",
	"pwned\x07",
	" then a clear screen \x1b[",
	"2J\x1b[H",
	" then a hyperlink \x1b]8;;https://evil.example/\x1b\\",
	"click\x1b]8;;\x1b\\",
	" then an 8-bit CSI \u009b",
	"31m then a bidi override \u202e",
	"txt.exe\u202c then entities &#",
	"27;[2J &#x1b;]52;c;",
	"aGk=&#7; &#x202e;.\n\n",
}

// countTokens estimates the tokens of s: four tokens for three words, or
// one for four characters if that is more (code, CJK). It is
// deterministic, which is all the simulator needs.
func countTokens(s string) int {
	return max((len(strings.Fields(s))*4+2)/3, (utf8.RuneCountInString(s)+3)/4)
}

// countUsage returns the usage of a request and its reply. Each message
// costs four tokens on top of its content and the reply three, as with
// OpenAI's chat format. From the second turn on, everything before the
// last user message counts as cached, as a prompt cache would have it.
func countUsage(msgs []Message, reply string) usage {
	prompt, cached := 3, 0
	lastUser := -1
	for i, m := range msgs {
		if m.Role == "user" {
			lastUser = i
		}
	}
	turns := 0
	for i, m := range msgs {
		if m.Role == "user" {
			turns++
		}
		if i == lastUser && turns > 1 {
			cached = prompt
		}
		prompt += 4 + countTokens(m.Content)
	}
	completion := countTokens(reply)
	return usage{
		PromptTokens:        prompt,
		CompletionTokens:    completion,
		TotalTokens:         prompt + completion,
		PromptTokensDetails: promptTokensDetails{CachedTokens: cached},
	}
}

// splitWords cuts s into pieces of n words each (a word with the space
// after it), so that a stream shows text arriving a few words at a time.
// The pieces concatenate to s.
func splitWords(s string, n int) []string {
	var out []string
	start, words, inWord := 0, 0, false
	for i, r := range s {
		space := unicode.IsSpace(r)
		if !space && !inWord {
			if words == n {
				out = append(out, s[start:i])
				start, words = i, 0
			}
			words++
		}
		inWord = !space
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}
