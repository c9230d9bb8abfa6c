package ui

import (
	"fmt"

	tea "charm.land/bubbletea/v2"
)

// Drafts: the text typed and not sent is kept per conversation, through
// the Backend (encrypted with the conversations, never in plaintext),
// when the user leaves the conversation — another one opens, a new one
// starts, the app locks (ctrl+l or idle) or quits — and it comes back
// into the input when the conversation opens again. Quitting with a
// draft asks first.

// draftSave is a draft to keep for a conversation ("" is the new one).
// An empty text with kept set removes the draft kept before.
type draftSave struct {
	convID string
	text   string
	kept   bool // a draft was kept for this conversation before
}

// needed reports whether the backend must be told.
func (d draftSave) needed() bool { return d.text != "" || d.kept }

// run saves the draft (or removes the one kept) when needed.
func (d draftSave) run(b Backend) error {
	if !d.needed() {
		return nil
	}
	return b.SaveDraft(d.convID, d.text)
}

type (
	// draftLoadedMsg carries the kept draft of a conversation.
	draftLoadedMsg struct {
		convID, text string
		err          error
	}
	// draftSavedMsg reports a draft saved while leaving a conversation.
	draftSavedMsg struct{ err error }
)

// takeDraft empties the input and returns what must be saved for the
// open conversation (draftToKeep).
func (m *Model) takeDraft() draftSave {
	d := m.draftToKeep()
	m.input.Reset()
	m.editingLast = false
	m.draftKept = false
	return d
}

// draftToKeep is what must be saved for the open conversation, the
// input left as it is. The text of a last message being edited again is
// not a draft: it is stored as sent.
func (m *Model) draftToKeep() draftSave {
	d := draftSave{convID: m.convID, text: m.input.Value(), kept: m.draftKept}
	if m.editingLast {
		d.text = ""
	}
	return d
}

// restoreDraft puts a kept draft into the input, unless something was
// typed meanwhile.
func (m *Model) restoreDraft(text string) {
	if text == "" || !m.input.Empty() {
		return
	}
	m.input.SetValue(text)
	m.draftKept = true
}

// switchConversation keeps the open conversation's draft and opens id
// with its own.
func (m *Model) switchConversation(id string) tea.Cmd {
	d := m.takeDraft()
	b := m.b
	return func() tea.Msg {
		if err := d.run(b); err != nil {
			return convLoadedMsg{err: fmt.Errorf("keep the draft: %w", err)}
		}
		conv, err := b.Load(id)
		if err != nil {
			return convLoadedMsg{err: err}
		}
		text, err := b.Draft(id)
		return convLoadedMsg{conv: conv, choice: b.Choice(id), draft: text, draftErr: err}
	}
}

// leaveForNew keeps the open conversation's draft and asks for the new
// conversation's.
func (m *Model) leaveForNew() tea.Cmd {
	d := m.takeDraft()
	b := m.b
	return func() tea.Msg {
		if err := d.run(b); err != nil {
			return draftLoadedMsg{convID: "", err: fmt.Errorf("keep the draft: %w", err)}
		}
		text, err := b.Draft("")
		return draftLoadedMsg{convID: "", text: text, err: err}
	}
}

// applyDraftLoaded restores a draft that arrived for the open
// conversation.
func (m *Model) applyDraftLoaded(msg draftLoadedMsg) {
	if msg.err != nil {
		m.setNotice("draft: "+msg.err.Error(), true)
	}
	if msg.convID == m.convID {
		m.restoreDraft(msg.text)
	}
}

// sentDraft forgets the kept draft of the open conversation once its
// text was sent.
func (m *Model) sentDraft() tea.Cmd {
	if !m.draftKept {
		return nil
	}
	m.draftKept = false
	d := draftSave{convID: m.convID, kept: true}
	b := m.b
	return func() tea.Msg { return draftSavedMsg{err: d.run(b)} }
}

// quit is ctrl+c: at once without a draft, else after asking (ctrl+c
// again or y quits). Quitting keeps the draft (the demo's goes with the
// demo, and its question says so).
func (m *Model) quit() tea.Cmd {
	if m.screen != screenMain {
		m.stopStream()
		return tea.Quit
	}
	if m.quitAsk != nil && m.overlays.top() == m.quitAsk {
		return m.quitNow()
	}
	if m.input.Empty() || m.editingLast {
		return m.quitNow()
	}
	question := "Quit? Your unsent draft is kept, encrypted, for next time."
	if m.opts.Demo {
		question = "Quit? The demo and your unsent draft are deleted on exit."
	}
	m.quitAsk = &confirmDialog{km: &m.km, st: &m.st, title: "quit",
		question: question,
		yesWord:  "or " + keyName(m.km.Quit) + " quits", noWord: "stay",
		yes: m.quitNow}
	m.overlays.push(m.quitAsk)
	return nil
}

// quitNow stops a reply in flight, keeps the draft and quits. If the
// draft cannot be kept the app stays, the draft still in the input.
func (m *Model) quitNow() tea.Cmd {
	m.stopStream()
	d := m.draftToKeep()
	b := m.b
	return func() tea.Msg {
		if err := d.run(b); err != nil {
			return draftSavedMsg{err: fmt.Errorf("keep the draft before quitting: %w; it is still in the input", err)}
		}
		return tea.QuitMsg{}
	}
}
