package ui

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// Branches: the message-selection mode (alt+m), forking a conversation
// from the selected message, and flipping between the versions of a
// message that has siblings (a regenerated reply shows "← 2/3 →"). The
// backend does the work (Backend.ForkFrom, Backend.SwitchBranch); the
// chat shows its answer.

type (
	forkedMsg struct {
		conv *chat.Conversation
		from int // the message number forked at
		err  error
	}
	switchedMsg struct {
		convID string
		at     int // the chat item switched: selected again
		conv   *chat.Conversation
		err    error
	}
)

func forkCmd(b Backend, convID, msgID string) tea.Cmd {
	return func() tea.Msg {
		c, err := b.ForkFrom(convID, msgID)
		if err != nil {
			return forkedMsg{err: err}
		}
		n := 0
		if c.Parent != nil {
			n = c.Parent.MessageNumber
		}
		return forkedMsg{conv: c, from: n}
	}
}

func switchBranchCmd(b Backend, convID, msgID string, version, at int) tea.Cmd {
	return func() tea.Msg {
		c, err := b.SwitchBranch(convID, msgID, version)
		return switchedMsg{convID: convID, at: at, conv: c, err: err}
	}
}

// selectable reports whether a chat item can be selected: a stored user
// or assistant message (notes are not messages one forks from).
func selectable(it *chatItem) bool {
	return it.id != "" && (it.kind == itemUser || it.kind == itemAssistant)
}

// enterMessages starts the message-selection mode on the last message.
func (m *Model) enterMessages() tea.Cmd {
	for i := len(m.chat.items) - 1; i >= 0; i-- {
		if selectable(m.chat.items[i]) {
			if m.focus == focusConvs {
				m.leaveList()
			}
			m.setFocus(focusMessages)
			m.selectMessage(i)
			return nil
		}
	}
	m.setNotice("no message to select yet", true)
	return nil
}

// leaveMessages ends the message-selection mode.
func (m *Model) leaveMessages() {
	if it := m.selectedItem(); it != nil {
		it.setSelected(false)
	}
	m.msgSel = -1
	m.setFocus(focusInput)
}

// dropSelection ends the message-selection mode when the chat is
// replaced.
func (m *Model) dropSelection() {
	if m.focus == focusMessages {
		m.setFocus(focusInput)
	}
	m.msgSel = -1
}

// selectedItem is the selected message's item (nil outside the mode).
func (m *Model) selectedItem() *chatItem {
	if m.focus != focusMessages || m.msgSel < 0 || m.msgSel >= len(m.chat.items) {
		return nil
	}
	return m.chat.items[m.msgSel]
}

// selectMessage selects item i and scrolls it into view.
func (m *Model) selectMessage(i int) {
	if it := m.selectedItem(); it != nil {
		it.setSelected(false)
	}
	m.msgSel = i
	m.chat.items[i].setSelected(true)
	w, h := m.chatSize()
	m.chat.reveal(i, w, h, m.env())
}

// moveSelection selects the next selectable message in direction d (±1).
func (m *Model) moveSelection(d int) {
	for i := m.msgSel + d; i >= 0 && i < len(m.chat.items); i += d {
		if selectable(m.chat.items[i]) {
			m.selectMessage(i)
			return
		}
	}
}

// messageKey handles a key in the message-selection mode; it reports
// false for a key the mode does not take (the mode then ends and the key
// does what it does elsewhere).
func (m *Model) messageKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	km := &m.km
	it := m.selectedItem()
	if it == nil {
		m.leaveMessages()
		return nil, false
	}
	switch {
	case key.Matches(msg, km.SelectMessage), key.Matches(msg, km.Stop):
		m.leaveMessages()
		return nil, true
	case key.Matches(msg, km.MessageUp):
		m.moveSelection(-1)
		return nil, true
	case key.Matches(msg, km.MessageDown):
		m.moveSelection(+1)
		return nil, true
	case key.Matches(msg, km.PrevVersion):
		return m.flipVersion(it, -1), true
	case key.Matches(msg, km.NextVersion):
		return m.flipVersion(it, +1), true
	case key.Matches(msg, km.Fork):
		if m.refuseWhileStreaming() {
			return nil, true
		}
		return forkCmd(m.b, m.convID, it.id), true
	}
	return nil, false
}

// flipVersion shows the previous (d=-1) or next version of the selected
// message, when it has siblings.
func (m *Model) flipVersion(it *chatItem, d int) tea.Cmd {
	if it.versions < 2 {
		m.setNotice("this message has one version; ctrl+r on the last reply makes another", false)
		return nil
	}
	if m.refuseWhileStreaming() {
		return nil
	}
	k := it.version + d
	if k < 0 || k >= it.versions {
		return nil
	}
	return switchBranchCmd(m.b, m.convID, it.id, k, m.msgSel)
}

// updateBranches applies the result of a fork or a switch.
func (m *Model) updateBranches(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case forkedMsg:
		if msg.err != nil {
			m.setNotice("fork: "+msg.err.Error(), true)
			return nil
		}
		m.leaveMessages()
		open := m.switchConversation(msg.conv.ID)
		m.setNotice(fmt.Sprintf("forked at message %d; this is the fork", msg.from), false)
		return tea.Batch(open, convsCmd(m.b))
	case switchedMsg:
		if msg.err != nil {
			m.setNotice("switch version: "+msg.err.Error(), true)
			return nil
		}
		if msg.convID != m.convID || m.turn.streaming {
			return nil
		}
		inMode := m.focus == focusMessages
		m.openConversation(msg.conv)
		// The version now shown stands where the switched one stood.
		if inMode && msg.at < len(m.chat.items) && selectable(m.chat.items[msg.at]) {
			m.setFocus(focusMessages)
			m.selectMessage(msg.at)
		}
		return m.usageCmd()
	}
	return nil
}
