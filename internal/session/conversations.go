package session

import (
	"errors"
	"fmt"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/store"
)

// Conversations lists saved conversations, newest first, each with its
// totals (chat.Conversation.Totals).
func (s *Session) Conversations() ([]chat.Summary, error) {
	h, err := s.open()
	if err != nil {
		return nil, err
	}
	return h.store.List()
}

// Latest returns the ID of the most recently updated conversation that
// opens; with none, an error wrapping ErrNotFound.
func (s *Session) Latest() (string, error) {
	h, err := s.open()
	if err != nil {
		return "", err
	}
	return h.store.Latest()
}

// Load returns one conversation.
func (s *Session) Load(id string) (*chat.Conversation, error) {
	h, err := s.open()
	if err != nil {
		return nil, err
	}
	return h.convs.Load(id)
}

// Rename sets a conversation's title (secrets in it masked). It waits for
// a turn of the conversation in progress, so that the turn's save does
// not undo it.
func (s *Session) Rename(id, title string) error {
	h, err := s.open()
	if err != nil {
		return err
	}
	defer h.engine.Hold(id)()
	return h.store.Rename(id, h.redactor().String(title))
}

// Delete removes a conversation, after a turn of it in progress has ended
// (else the turn's save would bring it back). A conversation that does
// not open can be deleted.
func (s *Session) Delete(id string) error {
	h, err := s.open()
	if err != nil {
		return err
	}
	defer h.engine.Hold(id)()
	if err := h.store.Delete(id); err != nil {
		return err
	}
	if err := h.removeDraft(id); err != nil {
		return fmt.Errorf("delete conversation %s: draft: %w", id, err)
	}
	return nil
}

// Stored reports whether a conversation with the ID is stored, whether
// or not it opens: an import must never replace it.
func (s *Session) Stored(id string) bool {
	h, err := s.open()
	if err != nil {
		return false
	}
	_, err = h.store.Load(id)
	return !errors.Is(err, store.ErrNotFound)
}

// Import stores imported conversations exactly as given, all or none: an
// ID already stored refuses the lot, and a failure removes those already
// written.
func (s *Session) Import(convs []*chat.Conversation) error {
	h, err := s.open()
	if err != nil {
		return err
	}
	for i, c := range convs {
		if err := h.store.Import(c); err != nil {
			for _, done := range convs[:i] {
				h.store.Delete(done.ID)
			}
			return err
		}
	}
	return nil
}
