package transcript

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/vaultchat/vaultchat/internal/attach"
	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/figures"
	"github.com/vaultchat/vaultchat/internal/mdfence"
	"github.com/vaultchat/vaultchat/internal/sanitize"
)

// writeMarkdown writes c as Markdown: YAML front matter with the totals,
// the title, the system prompt, then every message under a role heading.
// Message content is copied byte for byte; only a code fence left open by
// a canceled reply is closed, so it cannot swallow the rest of the file.
func writeMarkdown(w io.Writer, c *chat.Conversation, t totals) error {
	bw := bufio.NewWriterSize(w, 64<<10)

	bw.WriteString("---\n")
	yamlField(bw, "title", yamlQuote(c.Title))
	yamlField(bw, "id", yamlQuote(c.ID))
	if s := rfc3339(c.Created); s != "" {
		yamlField(bw, "created", s)
	}
	if s := rfc3339(c.Updated); s != "" {
		yamlField(bw, "updated", s)
	}
	if c.Source != "" {
		yamlField(bw, "source", yamlQuote(c.Source))
	}
	if c.Role != nil {
		yamlField(bw, "role", yamlQuote(c.Role.Name))
	}
	if c.Parent != nil {
		yamlField(bw, "forked_from", yamlQuote(forkFact(c.Parent)))
	}
	yamlField(bw, "keys", yamlList(t.Keys))
	yamlField(bw, "models", yamlList(t.Models))
	yamlField(bw, "messages", strconv.Itoa(t.Messages))
	yamlField(bw, "total_tokens", strconv.FormatInt(t.Usage.Total(), 10))
	if cost := t.Cost().JSON(); cost != nil {
		yamlField(bw, "total_cost_usd", figures.USDNumber(*cost))
	} else {
		yamlField(bw, "total_cost_usd", "null")
	}
	if t.UnpricedTurns > 0 {
		yamlField(bw, "cost_unknown_turns", strconv.Itoa(t.UnpricedTurns))
	}
	yamlField(bw, "estimated", strconv.FormatBool(t.Usage.Estimated))
	bw.WriteString("---\n\n")

	if title := oneLine(c.Title); title != "" {
		bw.WriteString("# " + mdEscape(title) + "\n\n")
	}
	if c.Role != nil {
		bw.WriteString("*Role: " + mdEscape(oneLine(roleFact(c.Role))) + "*\n\n")
	}
	if c.Parent != nil {
		bw.WriteString("*Forked from " + mdEscape(forkFact(c.Parent)) + "*\n\n")
	}
	if c.SystemPrompt != "" {
		bw.WriteString("## System prompt\n\n")
		writeMDContent(bw, c.SystemPrompt)
	}
	if r := c.Role; r != nil && r.Text != c.SystemPrompt {
		bw.WriteString("## Role " + mdEscape(oneLine(r.Name)) + " (as the conversation started)\n\n")
		writeMDContent(bw, r.Text)
	}
	for _, m := range c.Messages {
		writeMDMessage(bw, m, "")
	}
	return bw.Flush()
}

// writeMDMessage writes one message, then its sibling branches (present
// only in an --all-branches export) labeled inside version (the label of
// the other version m is in; "" on the current branch).
func writeMDMessage(bw *bufio.Writer, m chat.Message, version string) {
	if m.Role == chat.RoleNote {
		writeMDNote(bw, m)
		return
	}
	bw.WriteString("## " + roleLabel(m.Role) + "\n\n")
	if facts := messageFacts(m); len(facts) > 0 {
		bw.WriteString("*" + mdEscape(strings.Join(facts, factSep)) + "*\n\n")
	}
	if e := errorLine(m); e != "" {
		bw.WriteString("**Error:** " + mdEscape(oneLine(e)) + "\n\n")
	}
	switch {
	case m.Content != "":
		writeMDContent(bw, m.Content)
	case errorLine(m) == "" && len(m.Attachments) == 0:
		bw.WriteString("*(no content)*\n\n")
	}
	for _, a := range m.Attachments {
		bw.WriteString("*Attachment: " + mdEscape(oneLine(attach.Describe(a))) + "*\n\n")
		if !a.IsImage() {
			writeMDContent(bw, attach.Inline(a))
		}
	}
	for j, b := range m.Siblings {
		label := versionLabel(version, j)
		bw.WriteString("*" + mdEscape(branchHeading(label, j, len(m.Siblings))) + "*\n\n")
		for _, bm := range b.Messages {
			writeMDMessage(bw, bm, label)
		}
		bw.WriteString("*" + mdEscape(branchEnd(label)) + "*\n\n")
	}
}

// writeMDContent copies message text, closing a code fence left open and
// ending with a blank line.
func writeMDContent(bw *bufio.Writer, s string) {
	s = referenceSafe(s)
	bw.WriteString(s)
	if !strings.HasSuffix(s, "\n") {
		bw.WriteByte('\n')
	}
	if f, open := mdfence.Unclosed(s); open {
		bw.WriteString(strings.Repeat(" ", f.Indent) + f.Marker() + "\n")
	}
	bw.WriteByte('\n')
}

// writeMDNote writes a note (a key switch, an import notice) as a
// blockquote, so it reads as an aside and not as anyone's message.
func writeMDNote(bw *bufio.Writer, m chat.Message) {
	head := "Note"
	if ts := humanTime(m.Time); ts != "" {
		head += factSep + ts
	}
	bw.WriteString("> *" + mdEscape(head) + "*\n")
	if m.Content != "" {
		bw.WriteString(">\n")
		for line := range strings.Lines(strings.TrimRight(referenceSafe(m.Content), "\n")) {
			line = strings.TrimSuffix(line, "\n")
			if line == "" {
				bw.WriteString(">\n")
			} else {
				bw.WriteString("> " + line + "\n")
			}
		}
	}
	bw.WriteByte('\n')
}

func yamlField(bw *bufio.Writer, key, value string) {
	bw.WriteString(key + ": " + value + "\n")
}

func yamlList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = yamlQuote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// yamlQuote returns s as a YAML double-quoted scalar. Quoting every string
// keeps values such as "no", "1e3" or "- x" from being read as something
// else; escaping covers quotes, backslashes and every character YAML
// treats as a line break or forbids.
func yamlQuote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == 0x2028 || r == 0x2029 || r == 0xfeff || r == 0xfffe || r == 0xffff:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// mdEscape backslash-escapes the characters that could start Markdown
// inline syntax in text we put into a line of our own (metadata, titles).
// "&" is escaped only where it could start a character reference and "~"
// only where two could strike text through, so the raw file stays
// readable: "~1,070 tokens", "tabs & tables".
func mdEscape(s string) string {
	if !strings.ContainsAny(s, "\\`*_[]<|~&") {
		return s
	}
	tildes := strings.Count(s, "~") >= 2
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case strings.IndexByte("\\`*_[]<|", c) >= 0,
			c == '~' && tildes,
			c == '&' && i+1 < len(s) && (s[i+1] == '#' || isAlnum(s[i+1])):
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// oneLine folds line breaks and tabs into spaces, for headings.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if !strings.ContainsAny(s, "\n\t\r") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// referenceSafe makes the character references in the prose of s that a
// Markdown renderer would decode into a control or bidi character
// undecodable ("&#27;" becomes "&amp;#27;"), via sanitize.Markdown. Fenced
// code blocks are left alone: renderers do not decode references there,
// and code is kept byte for byte.
func referenceSafe(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	var fences mdfence.Scanner
	prose := 0 // start of the current run of prose lines
	pos := 0
	for line := range strings.Lines(s) {
		switch fences.Next(strings.TrimSuffix(line, "\n")) {
		case mdfence.Opening:
			b.WriteString(sanitize.Markdown(s[prose:pos]))
			prose = pos
		case mdfence.Closing:
			b.WriteString(s[prose : pos+len(line)])
			prose = pos + len(line)
		}
		pos += len(line)
	}
	if _, inFence := fences.Open(); inFence {
		b.WriteString(s[prose:])
	} else {
		b.WriteString(sanitize.Markdown(s[prose:]))
	}
	return b.String()
}
