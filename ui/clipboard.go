package ui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/vaultchat/vaultchat/internal/mdfence"
	"github.com/vaultchat/vaultchat/ui/markdown"
)

// copyLast copies the last reply, or its last fenced code block, to the
// clipboard (OSC 52). It copies the source text, so indentation and tabs
// survive; internal/mdfence reads the fences as the renderer does, so the
// block copied is the block on screen. Keys are masked as displayed.
func (m *Model) copyLast(code bool) tea.Cmd {
	var text string
	for i := len(m.chat.items) - 1; i >= 0; i-- {
		if it := m.chat.items[i]; it.kind == itemAssistant && it.text != "" {
			text = it.text
			break
		}
	}
	if text == "" {
		m.setNotice("no reply to copy yet", true)
		return nil
	}
	what := "reply"
	if code {
		block, ok := lastCodeBlock(text)
		if !ok {
			m.setNotice("the last reply has no code block", true)
			return nil
		}
		text, what = block, "code block"
	}
	// The clipboard is an output like the screen: keys go out masked as
	// the screen shows them.
	text = markdown.MaskSource(text)
	m.setNotice(fmt.Sprintf("copied the last %s (%d lines)", what, strings.Count(text, "\n")+1), false)
	return tea.SetClipboard(text)
}

// lastCodeBlock returns the content of the last fenced code block of a
// reply, including one a canceled reply left open.
func lastCodeBlock(src string) (string, bool) {
	b, ok := mdfence.Last(src)
	return b.Code, ok
}
