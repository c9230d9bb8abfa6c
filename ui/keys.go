package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/transcript"
)

// Key handling: which part of the screen a key press, paste or wheel
// event goes to, and what the main screen's bindings do. Every binding is
// matched through the key map (keymap.go).

// handleKey routes a key press: quit and lock work everywhere; then the
// unlock screen, the top overlay, or the main screen takes it.
func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	if key.Matches(msg, m.km.Quit) {
		return m.quit()
	}
	switch m.screen {
	case screenStart, screenLoading:
		m.typeahead.keep(msg)
		return nil
	case screenUnlock:
		if m.unlock.busy {
			m.typeahead.keep(msg)
			return nil
		}
		return m.unlockKey(msg)
	}
	if key.Matches(msg, m.km.Lock) {
		if onLock := m.opts.OnLock; onLock != nil {
			return tea.Sequence(func() tea.Msg { onLock(); return nil }, m.lock("locked"))
		}
		return m.lock("locked")
	}
	if cmd, ok := m.overlays.update(msg); ok {
		return cmd
	}
	return m.mainKey(msg)
}

// handlePaste gives pasted text to whatever has the focus.
func (m *Model) handlePaste(msg tea.PasteMsg) tea.Cmd {
	switch m.screen {
	case screenUnlock:
		if m.unlock.busy {
			m.typeahead.keep(msg)
			return nil
		}
		m.unlockPaste(msg.Content)
		return nil
	case screenMain:
	default:
		m.typeahead.keep(msg)
		return nil
	}
	if cmd, ok := m.overlays.update(msg); ok {
		return cmd
	}
	if m.focus == focusConvs {
		cmd, _ := m.list.update(msg) // into its filter
		return cmd
	}
	m.input.Insert(msg.Content)
	return nil
}

// handleWheel scrolls the chat while no overlay is open.
func (m *Model) handleWheel(msg tea.MouseWheelMsg) {
	if m.screen != screenMain || !m.overlays.empty() {
		return
	}
	w, h := m.chatSize()
	switch {
	case key.Matches(msg, m.km.WheelUp):
		m.chat.scrollUp(3, w, h, m.env())
	case key.Matches(msg, m.km.WheelDown):
		m.chat.scrollDown(3, w, h, m.env())
	}
}

// chatSize is the chat viewport's size for the current layout.
func (m *Model) chatSize() (int, int) {
	l := m.layout()
	return l.chatW, l.mainH
}

// typed reports whether a key press is text the input would take (a
// binding on such a key yields to typing).
func typed(msg tea.KeyPressMsg) bool {
	return msg.Text != "" && !msg.Mod.Contains(tea.ModCtrl) && !msg.Mod.Contains(tea.ModAlt)
}

// mainKey handles a key on the main screen: the bindings that work
// whatever has the focus, then the focused list or input.
func (m *Model) mainKey(msg tea.KeyPressMsg) tea.Cmd {
	km := &m.km
	m.notice = ""
	if m.focus == focusMessages {
		if cmd, ok := m.messageKey(msg); ok {
			return cmd
		}
		// Any other key ends the mode and does what it does elsewhere.
		m.leaveMessages()
	}
	w, h := m.chatSize()
	switch {
	case key.Matches(msg, km.SelectMessage):
		return m.enterMessages()
	case key.Matches(msg, km.PickRole):
		return m.openRolePicker()
	case key.Matches(msg, km.SwitchKey):
		return m.openKeyPicker()
	case key.Matches(msg, km.PickModel):
		return m.openModelPicker()
	case key.Matches(msg, km.ToggleUsage):
		m.side.toggle(m.sideVisible())
		return nil
	case key.Matches(msg, km.Export):
		return m.exportSelected()
	case key.Matches(msg, km.ToggleList):
		if m.list.open && m.focus == focusConvs {
			m.hideList()
			return nil
		}
		m.list.open = true
		m.setFocus(focusConvs)
		return convsCmd(m.b)
	case key.Matches(msg, km.Complete) && m.completing():
		return m.completePath()
	case key.Matches(msg, km.PickFile):
		return m.openFilePicker()
	case key.Matches(msg, km.RemoveAttachment):
		m.removeAttachment()
		return nil
	case key.Matches(msg, km.SwitchFocus) && m.list.open:
		if m.focus == focusInput {
			m.setFocus(focusConvs)
		} else {
			m.leaveList()
		}
		return nil
	case key.Matches(msg, km.NewConversation):
		if m.focus == focusConvs {
			m.leaveList()
		}
		return m.startNewConversation()
	case key.Matches(msg, km.Rename):
		if c, ok := m.listSelection(); ok {
			return m.openRename(c.ID, c.Title)
		}
		return m.openRename(m.convID, m.convTitle)
	case key.Matches(msg, km.Delete):
		if c, ok := m.listSelection(); ok {
			return m.openDelete(c.ID, c.Title)
		}
		return m.openDelete(m.convID, m.convTitle)
	case key.Matches(msg, km.SystemPrompt):
		return m.openSystemPrompt()
	case key.Matches(msg, km.ExportOpen):
		return m.openExport(m.convID, m.convTitle, transcript.Markdown, "")
	case key.Matches(msg, km.Help) && !typed(msg):
		m.overlays.push(newHelpOverlay(km, &m.st, m.screenSize))
		return nil
	case key.Matches(msg, km.CopyReply):
		return m.copyLast(false)
	case key.Matches(msg, km.CopyCode):
		return m.copyLast(true)
	case key.Matches(msg, km.Regenerate):
		return m.regenerate()
	case key.Matches(msg, km.EditDraft):
		if m.turn.streaming {
			return nil
		}
		return writeDraftCmd(m.input.Value())
	case key.Matches(msg, km.HalfPageUp):
		m.chat.scrollUp(max(h/2, 1), w, h, m.env())
		return nil
	case key.Matches(msg, km.HalfPageDown):
		m.chat.scrollDown(max(h/2, 1), w, h, m.env())
		return nil
	case key.Matches(msg, km.LineUp):
		m.chat.scrollUp(1, w, h, m.env())
		return nil
	case key.Matches(msg, km.LineDown):
		m.chat.scrollDown(1, w, h, m.env())
		return nil
	case key.Matches(msg, km.Latest):
		m.chat.toBottom()
		return nil
	case key.Matches(msg, km.First):
		m.chat.scrollUp(1<<30, w, h, m.env())
		return nil
	case key.Matches(msg, km.Stop):
		switch {
		case m.turn.streaming:
			m.cancelStream()
		case m.editingLast:
			m.editingLast = false
			m.input.Reset()
			m.dropRestoredChips()
		case m.focus == focusConvs && m.list.filtering():
			m.list.clearFilter()
		case m.focus == focusConvs:
			m.leaveList()
		}
		return nil
	}
	if m.focus == focusConvs {
		cmd, _ := m.list.update(msg)
		return cmd
	}
	return m.inputKey(msg)
}

// inputKey handles a key while the input has the focus.
func (m *Model) inputKey(msg tea.KeyPressMsg) tea.Cmd {
	km := &m.km
	e := &m.input
	switch {
	case key.Matches(msg, km.Send):
		if m.replaying {
			m.heldSend = true // typed blind while unlocking: never sends
			return nil
		}
		return m.submit()
	case key.Matches(msg, km.Newline):
		e.Insert("\n")
	case key.Matches(msg, km.Help) && e.Empty():
		m.overlays.push(newHelpOverlay(km, &m.st, m.screenSize))
	case key.Matches(msg, km.EditLast) && e.Empty() && !m.turn.streaming:
		return m.editLast()
	case key.Matches(msg, km.InputUp):
		e.Up()
	case key.Matches(msg, km.InputDown):
		e.Down()
	case key.Matches(msg, km.Left):
		e.Left()
	case key.Matches(msg, km.Right):
		e.Right()
	case key.Matches(msg, km.LineStart):
		e.Home()
	case key.Matches(msg, km.LineEnd):
		e.End()
	case key.Matches(msg, km.WordLeft):
		e.WordLeft()
	case key.Matches(msg, km.WordRight):
		e.WordRight()
	case key.Matches(msg, km.Backspace):
		e.Backspace()
	case key.Matches(msg, km.DeleteChar):
		e.Delete()
	case key.Matches(msg, km.DeleteWord):
		e.DeleteWordLeft()
	case key.Matches(msg, km.DeleteToStart):
		e.DeleteToLineStart()
	case key.Matches(msg, km.DeleteToEnd):
		e.DeleteToLineEnd()
	case typed(msg):
		e.Insert(msg.Text)
	}
	return nil
}

// listSelection returns the conversation selected in the list while the
// list has the focus: the list's rename, delete and export act on it.
func (m *Model) listSelection() (chat.Summary, bool) {
	if !m.list.open || m.focus != focusConvs {
		return chat.Summary{}, false
	}
	return m.list.selected()
}

// leaveList gives the focus back to the input. A list drawn over the chat
// (the terminal is too narrow for the pane) closes with it: it is only on
// screen while it has the focus.
func (m *Model) leaveList() {
	m.setFocus(focusInput)
	if !m.layout().convsFit {
		m.list.open = false
	}
}

// hideList hides the list and gives the focus back to the input.
func (m *Model) hideList() {
	m.list.open = false
	m.list.clearFilter()
	m.setFocus(focusInput)
}
