package ui

import (
	"bytes"
	"crypto/subtle"

	tea "charm.land/bubbletea/v2"
)

// Typeahead: keys pressed (and text pasted) while the vault unlocks and
// the conversations load are kept, in order, and replayed on the main
// screen once it shows, as if typed then: ctrl+p, a model name and enter
// pick the model. Two rules keep what was typed blind from doing harm:
// an enter that would send the draft does not (the text stays in the
// input, with a notice), and if what was typed holds the passphrase just
// submitted (typed again, unsure the first went through) all of it is
// dropped, with a notice, so the passphrase never reaches the draft or
// the screen. After a failed unlock what was typed is dropped: it was
// meant for the main screen.

// maxTypeahead bounds what is kept; a key held down for the whole unlock
// must not grow the queue without end.
const maxTypeahead = 512

// typeahead is what was typed while the unlock ran.
type typeahead struct {
	msgs      []tea.Msg // tea.KeyPressMsg and tea.PasteMsg, in order
	overflow  bool      // some were dropped past maxTypeahead
	submitted []byte    // the passphrase of the running unlock, wiped after
}

// keep queues a key press or paste that arrived while the main screen
// was not there to take it.
func (t *typeahead) keep(msg tea.Msg) {
	if len(t.msgs) >= maxTypeahead {
		t.overflow = true
		return
	}
	t.msgs = append(t.msgs, msg)
}

// remember keeps a copy of the passphrase being tried, to recognise it
// in what is typed meanwhile.
func (t *typeahead) remember(pass []byte) {
	t.wipe()
	t.submitted = bytes.Clone(pass)
}

// wipe forgets the passphrase.
func (t *typeahead) wipe() {
	clear(t.submitted)
	t.submitted = nil
}

// reset drops what was typed and forgets the passphrase.
func (t *typeahead) reset() {
	t.wipe()
	t.msgs, t.overflow = nil, false
}

// holdsPassphrase reports whether the text typed holds the passphrase.
func (t *typeahead) holdsPassphrase() bool {
	if len(t.submitted) == 0 {
		return false
	}
	var typed []byte
	for _, msg := range t.msgs {
		switch msg := msg.(type) {
		case tea.KeyPressMsg:
			typed = append(typed, msg.Text...)
		case tea.PasteMsg:
			typed = append(typed, msg.Content...)
		}
	}
	defer clear(typed)
	for i := 0; i+len(t.submitted) <= len(typed); i++ {
		if subtle.ConstantTimeCompare(typed[i:i+len(t.submitted)], t.submitted) == 1 {
			return true
		}
	}
	return false
}

// replayTypeahead gives what was typed during the unlock to the main
// screen, in order (see the rules above).
func (m *Model) replayTypeahead() tea.Cmd {
	t := &m.typeahead
	defer t.reset()
	if len(t.msgs) == 0 {
		return nil
	}
	if t.holdsPassphrase() {
		m.setNotice("keys typed while unlocking were dropped: they held the passphrase", true)
		return nil
	}
	notice, noticeErr := m.notice, m.noticeErr
	m.replaying = true
	defer func() { m.replaying = false }()
	var cmds []tea.Cmd
	for _, msg := range t.msgs {
		if m.screen != screenMain {
			break // a replayed ctrl+l locked again
		}
		switch msg := msg.(type) {
		case tea.KeyPressMsg:
			cmds = append(cmds, m.handleKey(msg))
		case tea.PasteMsg:
			cmds = append(cmds, m.handlePaste(msg))
		}
	}
	switch {
	case m.heldSend:
		m.setNotice("typed while unlocking: enter did not send; press enter to send", true)
	case t.overflow:
		m.setNotice("some keys typed while unlocking were dropped", true)
	case m.notice == "" && notice != "":
		m.notice, m.noticeErr = notice, noticeErr // the load's problem stays in view
	}
	m.heldSend = false
	return tea.Batch(cmds...)
}
