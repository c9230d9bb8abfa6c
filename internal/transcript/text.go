package transcript

import (
	"bufio"
	"io"
	"strings"

	"github.com/vaultchat/vaultchat/internal/attach"
	"github.com/vaultchat/vaultchat/internal/chat"
)

// writeText writes c as plain text for a pager: a header with the totals,
// then each message under a ruled header line with its metadata. Prose is
// wrapped at 80 columns; code blocks and tables are not.
func writeText(w io.Writer, c *chat.Conversation, t totals) error {
	bw := bufio.NewWriterSize(w, 64<<10)

	title := oneLine(c.Title)
	if title == "" {
		title = "Untitled conversation"
	}
	wrapped := wrapProse(title, textWidth)
	bw.WriteString(wrapped + "\n")
	underline := 0
	for line := range strings.Lines(wrapped) {
		underline = max(underline, displayWidth(strings.TrimSuffix(line, "\n")))
	}
	bw.WriteString(strings.Repeat("=", min(underline, textWidth)) + "\n\n")

	facts := summaryFacts(c, t)
	labelW := 0
	for _, f := range facts {
		labelW = max(labelW, len(f[0]))
	}
	for _, f := range facts {
		line := f[0] + ":" + strings.Repeat(" ", labelW-len(f[0])+1) + oneLine(f[1])
		bw.WriteString(wrapProse(line, textWidth) + "\n")
	}

	if c.SystemPrompt != "" {
		writeTextSection(bw, "System prompt", nil, "", c.SystemPrompt)
	}
	if r := c.Role; r != nil && r.Text != c.SystemPrompt {
		writeTextSection(bw, "Role "+oneLine(r.Name)+" (as the conversation started)", nil, "", r.Text)
	}
	for _, m := range c.Messages {
		writeTextMessage(bw, m, "")
	}
	return bw.Flush()
}

// writeTextMessage writes one message, then its sibling branches
// (present only in an --all-branches export) labeled inside version, as
// writeMDMessage.
func writeTextMessage(bw *bufio.Writer, m chat.Message, version string) {
	writeTextSection(bw, roleLabel(m.Role), messageFacts(m), errorLine(m), m.Content)
	for _, a := range m.Attachments {
		bw.WriteString("\n" + wrapProse("Attachment: "+oneLine(attach.Describe(a)), textWidth) + "\n")
		if !a.IsImage() {
			bw.WriteString("\n" + strings.TrimRight(a.Text, "\n") + "\n")
		}
	}
	for j, b := range m.Siblings {
		label := versionLabel(version, j)
		bw.WriteString("\n" + wrapProse(branchHeading(label, j, len(m.Siblings)), textWidth) + "\n")
		for _, bm := range b.Messages {
			writeTextMessage(bw, bm, label)
		}
		bw.WriteString("\n" + branchEnd(label) + "\n")
	}
}

func writeTextSection(bw *bufio.Writer, label string, facts []string, errLine, content string) {
	bw.WriteString("\n" + rule(label) + "\n")
	if len(facts) > 0 {
		bw.WriteString(joinFacts(facts, textWidth) + "\n")
	}
	if errLine != "" {
		bw.WriteString(wrapProse("Error: "+oneLine(errLine), textWidth) + "\n")
	}
	switch {
	case content != "":
		bw.WriteString("\n" + wrapProse(strings.TrimRight(content, "\n"), textWidth) + "\n")
	case errLine == "":
		bw.WriteString("\n(no content)\n")
	}
}

// joinFacts joins metadata with " · ", breaking lines between facts
// rather than inside one.
func joinFacts(facts []string, width int) string {
	var b strings.Builder
	col := 0
	for i, f := range facts {
		fw := displayWidth(f)
		switch {
		case i == 0:
		case col+len(factSep)-1+fw <= width: // factSep is 3 columns, 4 bytes
			b.WriteString(factSep)
			col += 3
		default:
			b.WriteByte('\n')
			col = 0
		}
		b.WriteString(f)
		col += fw
	}
	return b.String()
}

// rule is a message header: "── User ───…" filling 80 columns.
func rule(label string) string {
	head := "── " + label + " "
	return head + strings.Repeat("─", max(3, textWidth-displayWidth(head)))
}
