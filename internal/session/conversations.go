package session

import (
	"context"
	"fmt"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/store"
	"github.com/vaultchat/vaultchat/vault"
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
	if h.pending.drop(id) {
		return nil // never written
	}
	if err := h.store.Delete(id); err != nil {
		return err
	}
	if err := h.removeDraft(id); err != nil {
		return fmt.Errorf("delete conversation %s: draft: %w", id, err)
	}
	return nil
}

// ImportReport says what Import did.
type ImportReport struct {
	Imported int
	// Skipped are the IDs already stored, left as they are
	// (SkipExisting).
	Skipped []string
}

// Import stores imported conversations exactly as given, all or none,
// writing the index once (see store.ImportAll): without skipExisting an
// ID already stored refuses the lot (an error wrapping ErrAlreadyStored);
// a conversation too large to be read back is refused (ErrTooLarge)
// before anything is written; a canceled ctx, an error or a kill leaves
// nothing imported.
func (s *Session) Import(ctx context.Context, convs []*chat.Conversation, skipExisting bool) (ImportReport, error) {
	h, err := s.open()
	if err != nil {
		return ImportReport{}, err
	}
	res, err := h.store.ImportAll(ctx, convs, store.ImportOptions{SkipExisting: skipExisting})
	return ImportReport{Imported: res.Imported, Skipped: res.Skipped}, err
}

// Errors of Import a caller may tell apart.
var (
	// ErrAlreadyStored is wrapped when an imported ID is stored already.
	ErrAlreadyStored = store.ErrExists
	// ErrTooLarge is wrapped when a conversation is too large to store.
	ErrTooLarge = store.ErrTooLarge
)

// storeFiles hands the store the vault's batches (vault.Batch) for bulk
// imports.
type storeFiles struct{ *vault.Files }

func (f storeFiles) NewBatch(dir string) (store.Batch, error) { return f.Files.NewBatch(dir) }
