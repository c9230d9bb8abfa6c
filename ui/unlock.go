package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/vaultchat/vaultchat/internal/sanitize"
)

// The unlock screen, and locking: what is shown before the vault is open
// and after it was locked, by ctrl+l or after the idle time.

// unlockScreen is the unlock screen's state. Only the passphrase field
// holds anything typed, and it is reset after every attempt.
type unlockScreen struct {
	needsPass bool // false for a vault opened with an identity file
	pass      textinput.Model
	busy      bool   // an Unlock call is running
	err       string // the last attempt's error
	reason    string // why the app locked ("locked", "locked after 10m…")
}

// updateUnlock applies the results of the unlock commands.
func (m *Model) updateUnlock(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case passInfoMsg:
		m.unlock.needsPass = msg.needs
		m.screen = screenUnlock
		if !msg.needs {
			m.unlock.busy = true
			return unlockCmd(m.b, nil)
		}
	case unlockedMsg:
		m.unlock.busy = false
		m.unlock.pass.Reset()
		if msg.err != nil {
			switch {
			case msg.wrong:
				m.unlock.err = "wrong passphrase — the vault is unchanged; try again"
			case msg.inUse:
				m.unlock.err = "vault in use by another vaultchat — close it and try again"
			default:
				m.unlock.err = sanitize.String(msg.err.Error())
			}
			// The way to unlock may have changed (an agent went away).
			m.unlock.needsPass = msg.needs
			m.typeahead.reset() // typed for the main screen, which did not come
			return nil
		}
		m.unlock.err, m.unlock.reason = "", ""
		m.screen = screenLoading // keys typed meanwhile are kept too
		return loadCmd(m.b, m.reopen)
	case lockedMsg:
		m.unlock.needsPass = msg.needs
		if msg.draftErr != nil {
			m.unlock.err = sanitize.String("the draft was not kept: " + msg.draftErr.Error())
		}
	}
	return nil
}

// unlockPaste types pasted text into the passphrase field.
func (m *Model) unlockPaste(s string) {
	if !m.unlock.busy {
		m.unlock.pass.SetValue(m.unlock.pass.Value() + oneLine(cleanInput(s)))
	}
}

// newPassInput returns the passphrase field, echoing bullets.
func (m *Model) newPassInput() textinput.Model {
	ti := textinput.New()
	ti.Prompt = "passphrase: "
	ti.EchoMode = textinput.EchoPassword
	ti.EchoCharacter = '•'
	s := textinput.DefaultStyles(m.st.IsDark)
	s.Cursor.Blink = false
	s.Focused.Prompt = m.st.Muted
	s.Focused.Text = m.st.UnlockFieldText
	ti.SetStyles(s)
	ti.Focus()
	return ti
}

// unlockKey handles a key on the unlock screen: enter tries the
// passphrase, anything else edits it. Keys pressed while the unlock runs
// do not come here: they are kept for the main screen (typeahead.go).
func (m *Model) unlockKey(msg tea.KeyPressMsg) tea.Cmd {
	if key.Matches(msg, m.km.Choose) {
		pass := []byte(m.unlock.pass.Value())
		if m.unlock.needsPass && len(pass) == 0 {
			m.unlock.err = "type the vault's passphrase"
			return nil
		}
		m.unlock.busy = true
		m.unlock.err = ""
		m.unlock.pass.Reset()
		m.typeahead.remember(pass)
		return unlockCmd(m.b, pass)
	}
	if !m.unlock.needsPass {
		return nil
	}
	var cmd tea.Cmd
	m.unlock.pass, cmd = m.unlock.pass.Update(msg)
	return cmd
}

// lock drops everything unlocked: the backend forgets keys and
// conversations, and every model field that held conversation text is
// cleared.
func (m *Model) lock(reason string) tea.Cmd {
	m.stopStream()
	m.reopen = m.convID
	draft := m.takeDraft() // kept by lockCmd before the vault closes
	m.idleSeq++
	m.countSeq++
	m.counting = false
	m.keyring = newKeyring()
	m.list = m.newConvList()
	m.convID, m.convTitle, m.systemPrompt = "", "", ""
	m.role, m.roleName = nil, ""
	m.attachments = nil // files read for the next message: gone with the draft's screen
	m.msgSel = -1
	m.chat = newChatList()
	m.input = newEditor()
	m.editingLast = false
	m.overlays.clear()
	m.quitAsk = nil
	m.exportSeq++ // the result of an export still running is dropped
	m.notice = ""
	m.side.clear()
	m.hint, m.hintKey = "", ""
	m.setFocus(focusInput)
	m.screen = screenUnlock
	m.unlock.reason = reason
	m.unlock.err = ""
	m.unlock.pass = m.newPassInput()
	m.typeahead.reset()
	return lockCmd(m.b, draft)
}

// unlockView draws the unlock (or locked, or loading) screen.
func (m *Model) unlockView() string {
	st := &m.st
	var body []string
	body = append(body, st.UnlockTitle.Render("vaultchat"), "")
	switch {
	case m.screen == screenStart:
		body = append(body, st.Muted.Render("opening the vault…"))
	case m.screen == screenLoading:
		body = append(body, st.Muted.Render("loading conversations…"))
	default:
		if m.unlock.reason != "" {
			body = append(body, st.Warning.Render(m.unlock.reason), "")
		}
		if m.unlock.needsPass {
			m.unlock.pass.SetWidth(28)
			body = append(body, m.unlock.pass.View())
		} else {
			body = append(body, "press enter to unlock")
		}
		body = append(body, "")
		switch {
		case m.unlock.busy:
			body = append(body, st.Muted.Render("unlocking…"))
		case m.unlock.err != "":
			body = append(body, st.Error.Render(truncate(m.unlock.err, 60)))
		default:
			body = append(body, st.Muted.Render("enter unlock · ctrl+c quit"))
		}
	}
	bw := min(m.width-2, 66)
	b := box("unlock", body, bw, len(body)+2, st.DialogBorder, st.DialogTitle)
	screen := make([]string, m.height)
	for i := range screen {
		screen[i] = strings.Repeat(" ", m.width)
	}
	drawOver(screen, b, max((m.width-bw)/2, 0), max((m.height-len(b))/2, 0))
	return strings.Join(screen, "\n")
}
