package ui

import (
	"fmt"
	"strings"
	"unicode"

	tea "charm.land/bubbletea/v2"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/sanitize"
)

// Conversations: opening one (from the list or after an unlock), starting
// a new one, renaming, deleting and setting the system prompt, and the
// list's actions.

// updateConversations applies the results of the conversation commands.
func (m *Model) updateConversations(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case convLoadedMsg:
		if msg.err != nil {
			m.setNotice("open conversation: "+msg.err.Error(), true)
			return nil
		}
		m.openConversation(msg.conv)
		m.keyring.setChoice(msg.choice)
		m.restoreDraft(msg.draft)
		switch {
		case m.keyring.problem != "":
			m.setNotice(m.keyring.problem, true)
		case msg.draftErr != nil:
			m.setNotice("draft: "+msg.draftErr.Error(), true)
		}
		return m.usageCmd()
	case convsMsg:
		if msg.err == nil {
			m.list.setItems(msg.convs)
			m.adoptTitle()
		}
	case opDoneMsg:
		return m.applyOp(msg)
	case searchedMsg:
		// A failed search leaves the title matches; the notice says
		// why, unless the text has no word to look for.
		if msg.err != nil && msg.query == m.list.query() && strings.ContainsFunc(msg.query, unicode.IsLetter) {
			m.setNotice("search: "+msg.err.Error(), true)
		}
		if msg.err == nil {
			m.list.applyHits(msg.query, msg.hits)
		}
		return m.list.searchDone()
	case noteMsg:
		m.addNote(msg)
	}
	return nil
}

// newConvList returns the conversation list with its keys wired to the
// conversation actions.
func (m *Model) newConvList() convList {
	return newConvList(&m.km, &m.st, listActions{
		open: func(c chat.Summary) tea.Cmd {
			if m.refuseWhileStreaming() {
				return nil
			}
			m.leaveList()
			return m.switchConversation(c.ID)
		},
		search: func(q string) tea.Cmd { return searchCmd(m.b, q) },
	})
}

// openConversation shows a loaded conversation. The key and model of its
// next turn are the backend's answer (Backend.Choice), which the caller
// applies.
func (m *Model) openConversation(c *chat.Conversation) {
	m.convID = c.ID
	m.convTitle = cleanLine(c.Title)
	m.systemPrompt = c.SystemPrompt
	m.role, m.roleName = nil, ""
	if c.Role != nil {
		m.roleName = cleanLine(c.Role.Name)
	}
	m.editingLast = false
	m.dropSelection()
	items := make([]*chatItem, 0, len(c.Messages))
	for i, msg := range c.Messages {
		if it := itemFromMessage(msg); it != nil {
			if len(msg.Siblings) > 0 {
				it.version, it.versions = c.Versions(i)
			}
			items = append(items, it)
		}
	}
	m.chat.reset(items)
	m.list.selectID(c.ID)
}

// itemFromMessage returns the chat item of a stored message (nil for the
// system prompt, which is shown in its dialog).
func itemFromMessage(msg chat.Message) *chatItem {
	it := &chatItem{id: msg.ID, text: sanitize.String(msg.Content)}
	switch msg.Role {
	case chat.RoleUser:
		it.kind = itemUser
		it.chips, it.files = attachmentLabels(msg.Attachments), msg.Attachments
	case chat.RoleAssistant:
		it.kind = itemAssistant
		if msg.Turn != nil {
			t := sanitizeTurn(*msg.Turn)
			it.turn = t
			it.keyName, it.model = t.KeyName, t.Model
			if t.Error != nil && t.Error.Class != chat.ErrCanceled {
				it.errMsg, it.hint, it.errClass = t.Error.Message, t.Error.Hint, t.Error.Class
			}
		}
	case chat.RoleNote:
		it.kind = itemNote
	default:
		return nil
	}
	return it
}

// newConversation shows an empty, unsaved conversation: the first send
// creates it.
func (m *Model) newConversation() {
	m.convID, m.convTitle, m.systemPrompt = "", "", ""
	m.role, m.roleName = nil, ""
	m.editingLast = false
	m.dropSelection()
	m.chat.reset(nil)
}

// startNewConversation is ctrl+n (and n in the list).
func (m *Model) startNewConversation() tea.Cmd {
	if m.refuseWhileStreaming() {
		return nil
	}
	keep := m.leaveForNew()
	m.newConversation()
	m.keyring.clearConversationUsage()
	return tea.Batch(keep, m.usageCmd())
}

// adoptCreated records a conversation created by the first send. Its
// title is the one at creation (usually empty); the backend derives the
// real one from the first message, and adoptTitle takes it from the next
// conversation list.
func (m *Model) adoptCreated(c *chat.Conversation) {
	if c == nil {
		return
	}
	m.convID = c.ID
	m.role = nil                    // recorded with the conversation
	m.systemPrompt = c.SystemPrompt // as saved: a key in it masked
	if m.convTitle == "" {
		m.convTitle = cleanLine(c.Title)
	}
}

// adoptTitle shows the stored title of the open conversation, as the
// latest conversation list has it: the backend sets the title after the
// conversation was created (from its first message) and a rename made
// elsewhere shows up too.
func (m *Model) adoptTitle() {
	if m.convID == "" {
		return
	}
	if t := m.list.title(m.convID); t != "" {
		m.convTitle = t // sanitized by the list
	}
}

// openRename asks for a new title of conversation id.
func (m *Model) openRename(id, title string) tea.Cmd {
	if id == "" {
		m.setNotice("nothing to rename yet: send a message first", true)
		return nil
	}
	m.overlays.push(newPromptDialog(&m.km, &m.st, "rename conversation", title, func(v string) tea.Cmd {
		if v == "" {
			return nil
		}
		return renameCmd(m.b, id, v)
	}))
	return nil
}

// openDelete asks before deleting conversation id.
func (m *Model) openDelete(id, title string) tea.Cmd {
	if id == "" {
		m.setNotice("nothing to delete yet", true)
		return nil
	}
	if id == m.convID && m.refuseWhileStreaming() {
		return nil
	}
	if title == "" {
		title = "untitled"
	}
	m.overlays.push(&confirmDialog{km: &m.km, st: &m.st, title: "delete conversation",
		question: fmt.Sprintf("Delete “%s”? This cannot be undone.", title), yesWord: "delete", noWord: "keep",
		yes: func() tea.Cmd { return deleteCmd(m.b, id) }})
	return nil
}

// openSystemPrompt edits the open conversation's system prompt; for a new
// conversation it is kept until the first send creates it.
func (m *Model) openSystemPrompt() tea.Cmd {
	id := m.convID
	m.overlays.push(newPromptDialog(&m.km, &m.st, "system prompt for this conversation", m.systemPrompt, func(v string) tea.Cmd {
		if id == "" {
			m.systemPrompt = v // saved when the conversation is created
			m.setNotice("system prompt set for the new conversation", false)
			return nil
		}
		return systemPromptCmd(m.b, id, v)
	}))
	return nil
}

// applyOp shows the result of a rename, delete or system prompt change.
func (m *Model) applyOp(msg opDoneMsg) tea.Cmd {
	if msg.err != nil {
		m.setNotice(msg.op+": "+msg.err.Error(), true)
		return nil
	}
	switch msg.op {
	case "rename":
		if msg.convID == m.convID {
			m.convTitle = cleanLine(msg.value)
		}
		m.setNotice("renamed", false)
	case "delete":
		if msg.convID == m.convID {
			m.newConversation()
			m.draftKept = false // deleted with the conversation
		}
		m.setNotice("conversation deleted", false)
		return tea.Batch(convsCmd(m.b), m.usageCmd())
	case "system":
		if msg.convID == m.convID {
			m.systemPrompt = msg.value
		}
		if msg.masked {
			m.setNotice(chat.MaskedWarning("the system prompt"), false)
			break
		}
		m.setNotice("system prompt saved; it applies from the next turn", false)
	}
	return convsCmd(m.b)
}
