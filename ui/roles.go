package ui

import (
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/view"
)

// Roles: the role picker (alt+p) and "/role NAME" typed in the input
// start a new conversation with a role (a role file: system prompt, and
// optionally a key, model and temperature). The role is checked by the
// backend when chosen (Backend.Role: a bad file is a notice naming the
// file and line, and nothing changes) and recorded when the first
// message creates the conversation (Backend.CreateWithRole).

// roleCommandUsage is how the help names the /role command.
const roleCommandUsage = "/role NAME"

type (
	rolesMsg struct {
		roles []view.Role
		err   error
	}
	roleLoadedMsg struct {
		name    string
		ref     chat.RoleRef
		err     error
		command string // the /role text typed, cleared from the input once the role is taken
	}
)

func rolesCmd(b Backend) tea.Cmd {
	return func() tea.Msg {
		r, err := b.Roles()
		return rolesMsg{roles: r, err: err}
	}
}

func roleCmd(b Backend, name, command string) tea.Cmd {
	return func() tea.Msg {
		ref, err := b.Role(name)
		return roleLoadedMsg{name: name, ref: ref, err: err, command: command}
	}
}

// openRolePicker opens the role picker; its rows come with rolesMsg.
func (m *Model) openRolePicker() tea.Cmd {
	if m.refuseWhileStreaming() {
		return nil
	}
	p := m.newPicker(pickRole, "role for a new conversation", "name or description",
		func(name string) tea.Cmd { return roleCmd(m.b, name, "") })
	p.loading = true
	m.overlays.push(p)
	return rolesCmd(m.b)
}

// applyRoles shows the role files in the open role picker.
func (m *Model) applyRoles(msg rolesMsg) {
	p, ok := topOverlay[*picker](&m.overlays)
	if !ok || p.kind != pickRole {
		return
	}
	p.loading = false
	if msg.err != nil {
		p.err = cleanLine(msg.err.Error())
		return
	}
	rows := make([]pickerRow, 0, len(msg.roles))
	for _, r := range msg.roles {
		name := cleanLine(r.Name)
		if r.Problem != "" {
			rows = append(rows, pickerRow{id: name, text: name + "  ✗ does not parse", detail: cleanLine(r.Problem)})
			continue
		}
		text := name
		if d := cleanLine(r.Description); d != "" {
			text += " — " + d
		}
		rows = append(rows, pickerRow{id: name, text: text,
			detail: joinNonEmpty(" · ", prefixed("model ", cleanLine(r.Model)), prefixed("key ", cleanLine(r.Key)))})
	}
	if len(rows) == 0 {
		p.header = "no roles yet: create one with \"vaultchat roles edit NAME\""
	}
	p.setRows(rows)
}

// prefixed is p+s, or "" for an empty s.
func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

// roleCommand handles "/role NAME" typed in the input.
func (m *Model) roleCommand(text string) (tea.Cmd, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(text), "/role")
	if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '\t') || strings.Contains(rest, "\n") {
		return nil, false
	}
	name := strings.TrimSpace(rest)
	if name == "" {
		return m.openRolePicker(), true
	}
	if m.refuseWhileStreaming() {
		return nil, true
	}
	return roleCmd(m.b, name, text), true
}

// applyRole starts a new conversation with the role the backend loaded,
// or says why it cannot (nothing changes then).
func (m *Model) applyRole(msg roleLoadedMsg) tea.Cmd {
	if msg.err != nil {
		m.setNotice(errorWithHint(msg.err), true)
		return nil
	}
	if m.refuseWhileStreaming() {
		return nil
	}
	var cmds []tea.Cmd
	if msg.command != "" && m.input.Value() == msg.command {
		m.input.Reset()
	}
	if m.convID != "" || len(m.chat.items) > 0 {
		cmds = append(cmds, m.startNewConversation())
	}
	ref := msg.ref
	m.role = &ref
	m.roleName = cleanLine(ref.Name)
	m.systemPrompt = ref.Text
	m.setNotice("role "+m.roleName+": the next message starts the conversation with it", false)
	if ref.Key != "" || ref.Model != "" {
		keyID := ""
		if ref.Key != "" {
			for _, k := range m.keyring.keys {
				if k.Name == ref.Key || k.ID == ref.Key {
					keyID = k.ID
				}
			}
		}
		cmds = append(cmds, chooseCmd(m.b, "", keyID, ref.Model))
	}
	return tea.Batch(cmds...)
}
