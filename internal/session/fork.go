package session

import (
	"fmt"
	"slices"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/store"
)

// Fork copies conversation id into a new conversation up to and
// including message number at (chat.Conversation.Number: notes are not
// counted; 0 copies every message), with the same system prompt and role,
// and records where it branched (chat.Conversation.Parent). The parent is
// not changed. The copied replies keep their attribution, so the fork's
// totals include what its history cost.
func (s *Session) Fork(id string, at int) (*chat.Conversation, error) {
	h, err := s.open()
	if err != nil {
		return nil, err
	}
	parent, err := h.convs.Load(id)
	if err != nil {
		return nil, err
	}
	return h.fork(parent, at)
}

// fork is Fork of parent, already loaded.
func (h *home) fork(parent *chat.Conversation, at int) (*chat.Conversation, error) {
	id := parent.ID
	count := 0
	for _, m := range parent.Messages {
		if m.Role != chat.RoleNote {
			count++
		}
	}
	if count == 0 {
		return nil, fmt.Errorf("conversation %s has no message to fork from", id)
	}
	if at == 0 {
		at = count
	}
	last := parent.IndexOf(at)
	if last < 0 {
		return nil, fmt.Errorf("conversation %s has no message %d (it has %d)", id, at, count)
	}
	now := h.cfg.Now().UTC()
	fork := &chat.Conversation{
		ID:           store.NewID(),
		Title:        forkTitle(parent.Title),
		SystemPrompt: parent.SystemPrompt,
		Created:      now,
		Updated:      now,
		Role:         parent.Role,
		Parent:       &chat.ForkRef{ConversationID: parent.ID, MessageID: parent.Messages[last].ID, MessageNumber: at},
		Messages:     inherit(parent.Messages[:last+1]),
	}
	if err := h.convs.Save(fork); err != nil {
		return nil, err
	}
	return fork, nil
}

// inherit copies msgs for a fork, each marked Inherited with the versions
// it holds: the parent paid for them (chat.Conversation.Totals).
func inherit(msgs []chat.Message) []chat.Message {
	out := make([]chat.Message, len(msgs))
	for i, m := range msgs {
		m.Inherited = true
		if len(m.Siblings) > 0 {
			sibs := make([]chat.Branch, len(m.Siblings))
			for k, b := range m.Siblings {
				sibs[k] = chat.Branch{Messages: inherit(b.Messages)}
			}
			m.Siblings = sibs
		}
		out[i] = m
	}
	return out
}

func forkTitle(title string) string {
	if title == "" {
		title = store.DefaultTitle
	}
	return title + " (fork)"
}

// SwitchBranch makes version k (0-based, oldest first:
// chat.Conversation.Versions) of message msgID current in conversation
// id, keeping the version it replaces as a sibling
// (chat.Conversation.SwitchBranch). It waits for a turn of the
// conversation in progress.
func (s *Session) SwitchBranch(id, msgID string, k int) (*chat.Conversation, error) {
	h, err := s.open()
	if err != nil {
		return nil, err
	}
	defer h.engine.Hold(id)()
	return h.convs.Update(id, func(c *chat.Conversation) error { return c.SwitchBranch(msgID, k) })
}

// ForkFrom is Fork at the message with ID msgID (the TUI names messages
// by ID; the command line by number).
func (s *Session) ForkFrom(id, msgID string) (*chat.Conversation, error) {
	h, err := s.open()
	if err != nil {
		return nil, err
	}
	c, err := h.convs.Load(id)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(c.Messages, func(m chat.Message) bool { return m.ID == msgID })
	if i < 0 {
		return nil, fmt.Errorf("conversation %s has no message %q", id, msgID)
	}
	n := c.Number(i)
	if n == 0 {
		return nil, fmt.Errorf("a note cannot be forked from; choose a message")
	}
	return h.fork(c, n)
}
