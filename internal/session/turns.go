package session

import (
	"context"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/engine"
	"github.com/vaultchat/vaultchat/internal/store"
	"github.com/vaultchat/vaultchat/internal/view"
)

// Create starts a new conversation with an optional system prompt
// (secrets in it masked) and saves it (its file: the conversation list's
// index catches up at the first reply, or when listed).
func (s *Session) Create(systemPrompt string) (*chat.Conversation, error) {
	h, err := s.open()
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now().UTC()
	c := &chat.Conversation{
		ID:           store.NewID(),
		SystemPrompt: h.redactor().String(systemPrompt),
		Created:      now,
		Updated:      now,
		Messages:     []chat.Message{},
	}
	if err := saveNew(h.convs, c); err != nil {
		return nil, err
	}
	return c, nil
}

// saveNew saves a conversation just created. Its first message follows
// at once, so the store writes only its file (store.SaveFile) and leaves
// the list index to the turn's reply; memory has no index.
func saveNew(convs engine.Conversations, c *chat.Conversation) error {
	if st, ok := convs.(*store.Store); ok {
		return st.SaveFile(c)
	}
	return convs.Save(c)
}

// Send runs one turn (see engine.Engine.Send for the events and what a
// cancel does). req.KeyID is a key ID or name; it and req.Model may be
// empty, and Resolve picks. An error return means nothing was sent or
// saved.
func (s *Session) Send(ctx context.Context, req view.SendRequest) (<-chan chat.Event, error) {
	h, err := s.open()
	if err != nil {
		return nil, err
	}
	return h.engine.Send(ctx, engine.SendRequest{
		ConversationID: req.ConversationID,
		Prompt:         req.Prompt,
		Key:            req.KeyID,
		Model:          req.Model,
		Regenerate:     req.Regenerate,
		EditLast:       req.EditLast,
	})
}

// SetSystemPrompt changes a conversation's system prompt.
func (s *Session) SetSystemPrompt(id, prompt string) error {
	return s.edit(id, func(c *chat.Conversation, h *home) {
		c.SystemPrompt = h.redactor().String(prompt)
	})
}

// AddNote appends a note to a conversation. A note added while a reply
// streams lands after that reply.
func (s *Session) AddNote(id, text string) (chat.Message, error) {
	var note chat.Message
	err := s.edit(id, func(c *chat.Conversation, h *home) {
		note = chat.Message{ID: engine.NewMessageID("n_"), Role: chat.RoleNote, Content: h.redactor().String(text), Time: s.cfg.Now().UTC()}
		c.Messages = append(c.Messages, note)
	})
	if err != nil {
		return chat.Message{}, err
	}
	return note, nil
}

// edit changes a conversation under its turn lock. Update, not Load and
// Save: a turn another process (vaultchat ask) saves meanwhile is kept.
func (s *Session) edit(id string, fn func(*chat.Conversation, *home)) error {
	h, err := s.open()
	if err != nil {
		return err
	}
	defer h.engine.Hold(id)()
	_, err = h.convs.Update(id, func(c *chat.Conversation) error {
		fn(c, h)
		return nil
	})
	return err
}
