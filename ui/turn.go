package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/sanitize"
	"github.com/vaultchat/vaultchat/internal/view"
)

// The turn in flight: sending a prompt (or a regenerate, or an edited last
// message), the stream of its events, and its end. At most one turn runs.

// turn is the reply in flight and what it needs to finish or undo.
type turn struct {
	// seq numbers the turns; every message of a turn carries it, so the
	// late events of a canceled or replaced turn are ignored.
	seq       int
	streaming bool
	cancel    context.CancelFunc
	events    <-chan chat.Event
	// cur is the assistant item the reply streams into.
	cur *chatItem
	// replaced holds what a regenerate or edit-and-resend took off the
	// screen, and replacedAt where it stood. The backend replaces those
	// messages only when the new reply is complete, so a failed resend
	// puts them back where they were, as they are on disk.
	replaced   []*chatItem
	replacedAt int
	// req is what was sent: a Send that refuses it (nothing sent or
	// saved) puts its text and attachments back (undoStart).
	req      view.SendRequest
	reqChips []pendingAttachment
}

// updateTurn applies a message of the turn's stream.
func (m *Model) updateTurn(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case streamOpenedMsg:
		if msg.seq != m.turn.seq || m.screen != screenMain {
			return nil
		}
		m.adoptCreated(msg.created)
		if msg.masked != "" && m.turn.cur != nil {
			// Told as a key masked in the message is: on the reply.
			m.turn.cur.addNote(chat.MaskedWarning(msg.masked))
			m.chat.changed()
		}
		m.turn.events = msg.events
		if msg.created != nil {
			// Send saved the new conversation with the title derived
			// from its first message: list it and show the title now.
			return tea.Batch(m.wait(msg.seq, msg.events), convsCmd(m.b))
		}
		return m.wait(msg.seq, msg.events)
	case streamStartErrMsg:
		if msg.seq != m.turn.seq || m.screen != screenMain {
			return nil
		}
		m.adoptCreated(msg.created)
		m.undoStart(msg.err)
		m.endStream()
		return m.refreshAfterTurn()
	case streamEventMsg:
		if msg.seq != m.turn.seq || m.screen != screenMain {
			return nil
		}
		// A reply arriving is activity: the idle lock waits for the
		// user to have had the whole idle time to read it.
		m.lastActive = m.now()
		cmd := m.applyEvent(msg.ev)
		if m.turn.events == nil {
			return cmd
		}
		return tea.Batch(cmd, m.wait(msg.seq, m.turn.events))
	case streamClosedMsg:
		if msg.seq != m.turn.seq {
			return nil
		}
		if m.turn.cur != nil && m.turn.cur.streaming {
			// The stream ended without Done or Failed.
			m.finishTurn(nil, &chat.Error{Class: chat.ErrNetwork, Message: "the reply stopped unexpectedly"}, nil)
		}
		m.endStream()
	}
	return nil
}

// submit handles enter in the input: a /export command, or the draft sent
// as a new message (or as the edited last one).
func (m *Model) submit() tea.Cmd {
	text := m.input.Value()
	if strings.TrimSpace(text) == "" {
		if len(m.attachments) > 0 {
			m.setNotice("type a message to send with the attachments", true)
		}
		return nil
	}
	if strings.HasPrefix(strings.TrimSpace(text), "/") {
		for _, c := range slashCommands {
			if cmd, ok := c.run(m, text); ok {
				return cmd
			}
		}
		if word, ok := unknownCommand(text); ok {
			// A mistyped command ("/roles") would otherwise go to the
			// model, and be paid for.
			m.setNotice(fmt.Sprintf("no command %s · commands: %s · //… sends a message", word, slashNames()), true)
			return nil
		}
		if t := strings.TrimLeft(text, " \t"); strings.HasPrefix(t, "//") {
			text = t[1:]
		}
	}
	if m.refuseWhileStreaming() {
		return nil
	}
	editLast := m.editingLast
	cmd := m.send(text, false, editLast)
	if m.turn.streaming { // sent: a refusal keeps the draft
		m.input.Reset()
		m.editingLast = false
		cmd = tea.Batch(cmd, m.sentDraft())
	}
	return cmd
}

// editLast puts the last user message back in the input, its
// attachments as chips; enter then replaces it and its reply with the
// edited message and the chips left.
func (m *Model) editLast() tea.Cmd {
	for i := len(m.chat.items) - 1; i >= 0; i-- {
		if it := m.chat.items[i]; it.kind == itemUser {
			if m.editingLast {
				m.dropRestoredChips() // ↑ again: not twice
			}
			m.input.SetValue(it.text)
			m.editingLast = true
			return m.restoreChips(it.files)
		}
	}
	return nil
}

// regenerate asks for a new reply to the last user message.
func (m *Model) regenerate() tea.Cmd {
	if m.turn.streaming {
		return nil
	}
	hasUser := false
	for _, it := range m.chat.items {
		if it.kind == itemUser {
			hasUser = true
		}
	}
	if !hasUser || m.convID == "" {
		m.setNotice("nothing to regenerate yet", true)
		return nil
	}
	return m.send("", true, false)
}

// send starts a turn: the user item (unless regenerating) and an empty
// streaming assistant item go on screen at once, and the request is made
// in a command.
func (m *Model) send(prompt string, regenerate, editLast bool) tea.Cmd {
	key := m.activeKey()
	if key == nil {
		// Refused before anything is sent, as without a model: the
		// draft stays, and with keys to pick from the key picker opens.
		if len(m.keyring.keys) == 0 {
			m.setNotice(m.keyring.noKeyProblem(), true)
			return nil
		}
		cmd := m.openKeyPicker()
		m.setNotice(m.keyring.noKeyProblem(), true)
		return cmd
	}
	if m.keyring.model == "" {
		// Refused before anything is sent; the draft stays in the
		// input, and the model picker opens so that what is typed next
		// picks a model instead of landing in the draft.
		problem := m.keyring.problem
		if problem == "" {
			problem = "no model chosen: ctrl+p picks one"
		}
		cmd := m.openModelPicker()
		m.setNotice(problem, true)
		return cmd
	}
	m.turn.replaced, m.turn.replacedAt = nil, 0
	switch {
	case regenerate:
		// Take off the last reply (and anything after the last user message).
		for i := len(m.chat.items) - 1; i >= 0; i-- {
			if m.chat.items[i].kind == itemUser {
				m.turn.replaced, m.turn.replacedAt = m.chat.cut(i+1), i+1
				break
			}
		}
	case editLast:
		for i := len(m.chat.items) - 1; i >= 0; i-- {
			if m.chat.items[i].kind == itemUser {
				m.turn.replaced, m.turn.replacedAt = m.chat.cut(i), i
				break
			}
		}
	}
	var atts []chat.Attachment
	if !regenerate {
		atts = m.takeAttachments()
		m.chat.add(&chatItem{kind: itemUser, text: sanitize.String(prompt), chips: attachmentLabels(atts), files: atts})
	}
	it := &chatItem{kind: itemAssistant, keyName: key.Name, model: m.keyring.model, streaming: true, stream: m.md.NewStream(80)}
	m.chat.add(it)
	m.chat.toBottom()
	m.turn.cur = it
	m.turn.streaming = true
	m.turn.seq++
	ctx, cancel := context.WithCancel(m.ctx)
	m.turn.cancel = cancel
	req := view.SendRequest{ConversationID: m.convID, Prompt: prompt, KeyID: key.ID, Model: m.keyring.model, Regenerate: regenerate, EditLast: editLast,
		Attachments: atts}
	m.turn.req = req
	if !regenerate { // a regenerate sends no files: the chips stay for the next message
		m.turn.reqChips = m.attachments
		m.attachments = nil
	}
	return sendCmd(ctx, m.b, m.turn.seq, req, m.convID == "", m.systemPrompt, m.role)
}

// applyEvent applies one stream event to the streaming item.
func (m *Model) applyEvent(ev chat.Event) tea.Cmd {
	it := m.turn.cur
	if it == nil {
		return nil
	}
	defer m.chat.changed()
	switch ev := ev.(type) {
	case chat.Sent:
		if at := slices.Index(m.chat.items, it); at > 0 && m.chat.items[at-1].kind == itemUser {
			m.chat.items[at-1].stored(ev.Message)
		}
	case chat.Delta:
		it.appendText(sanitize.String(ev.Text))
	case chat.Retrying:
		msg := "request failed"
		if ev.Err != nil {
			msg = cleanLine(ev.Err.Message)
		}
		it.setRetrying(m.now().Add(ev.Wait), ev.Attempt, msg)
		return m.startCountdown()
	case chat.Warning:
		it.addNote(cleanLine(ev.Text))
	case chat.Trimmed:
		it.addNote(fmt.Sprintf("%d earliest turns left out to fit the model's context window", ev.Turns))
	case chat.Done:
		m.countVersion()
		m.turn.replaced = nil
		m.finishTurn(ev.Message, nil, &chat.Turn{KeyName: it.keyName, Model: it.model, Usage: ev.Usage, FinishReason: ev.FinishReason, Duration: ev.Duration})
		return m.refreshAfterTurn()
	case chat.Failed:
		fallback := &chat.Turn{KeyName: it.keyName, Model: it.model, Usage: ev.Usage, Duration: ev.Duration, Incomplete: true, Error: ev.Err}
		if ev.Err != nil {
			fallback.IncompleteReason = string(ev.Err.Class) // as the engine records it
		}
		m.finishTurn(ev.Message, ev.Err, fallback)
		if m.turn.replaced != nil {
			m.chat.insertAt(m.turn.replacedAt, m.turn.replaced)
			m.turn.replaced = nil
		}
		return tea.Batch(m.refreshAfterTurn(), m.startCountdown())
	}
	return nil
}

// undoStart takes a turn that Send refused (nothing was sent or saved:
// a limit, a file holding a secret, a budget) off the screen and puts
// back what it took: the message in the input (unless something was
// typed since), its chips, and the messages a regenerate or
// edit-and-resend replaced. The error is the notice.
func (m *Model) undoStart(err error) {
	req := m.turn.req
	if it := m.turn.cur; it != nil {
		at := slices.Index(m.chat.items, it)
		if at > 0 && !req.Regenerate && m.chat.items[at-1].kind == itemUser {
			at--
		}
		if at >= 0 {
			m.chat.truncateFrom(at)
		}
	}
	if m.turn.replaced != nil {
		m.chat.insertAt(m.turn.replacedAt, m.turn.replaced)
		m.turn.replaced = nil
	}
	if !req.Regenerate && m.input.Empty() {
		m.input.SetValue(req.Prompt)
		m.editingLast = req.EditLast
		if len(m.attachments) == 0 {
			m.attachments = m.turn.reqChips
		}
	}
	m.turn.release()
	m.turn.cur = nil
	m.setNotice(err.Error(), true)
}

// countVersion marks the message a finished regenerate or
// edit-and-resend put where the replaced one stood as its newest version:
// the backend keeps the replaced one as a sibling.
func (m *Model) countVersion() {
	r, at := m.turn.replaced, m.turn.replacedAt
	if len(r) == 0 || at >= len(m.chat.items) || r[0].id == "" {
		return
	}
	nu := m.chat.items[at]
	nu.versions = max(r[0].versions, 1) + 1
	nu.version = nu.versions - 1
	nu.bump()
}

// refuseWhileStreaming reports whether a reply is streaming, saying so
// in a notice: what would replace the chat or start another turn waits.
func (m *Model) refuseWhileStreaming() bool {
	if m.turn.streaming {
		m.setNotice("a reply is streaming; esc stops it", true)
	}
	return m.turn.streaming
}

// finishTurn ends the streaming item with the stored message (or the
// fallback attribution) and an optional error.
func (m *Model) finishTurn(stored *chat.Message, e *chat.Error, fallback *chat.Turn) {
	if it := m.turn.cur; it != nil {
		it.finish(stored, e, fallback, m.now())
		m.chat.changed()
		m.turn.release()
	}
}

// endStream forgets the stream once it closed or could not start.
func (m *Model) endStream() {
	m.turn.release()
	m.turn.events = nil
}

// cancelStream asks the backend to stop; the partial reply arrives with
// the Failed event that follows.
func (m *Model) cancelStream() {
	if m.turn.cancel != nil {
		m.turn.cancel()
	}
	if m.turn.cur != nil {
		m.turn.cur.setStopping()
	}
}

// stopStream cancels a running stream and forgets it: its late events
// are ignored.
func (m *Model) stopStream() {
	m.endStream()
	m.turn.seq++
	m.turn.cur = nil
}

// release cancels the turn's context (a no-op once the reply ended),
// marks it as no longer streaming and forgets what was sent (kept only
// for undoStart, which reads it first): the text and the files' contents
// must not outlive the turn, nor a lock.
func (t *turn) release() {
	if t.cancel != nil {
		t.cancel()
		t.cancel = nil
	}
	t.streaming = false
	t.req, t.reqChips = view.SendRequest{}, nil
}

// refreshAfterTurn reloads what a turn changed: usage, keys (their month
// totals) and the conversation list (order, titles).
func (m *Model) refreshAfterTurn() tea.Cmd {
	return tea.Batch(m.usageCmd(), keysCmd(m.b), convsCmd(m.b))
}
