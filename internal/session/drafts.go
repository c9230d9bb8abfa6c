package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/vaultchat/vaultchat/internal/store"
)

// Drafts: the text typed for a conversation and not sent yet, kept across
// restarts and locks. Each is one file, drafts/<conversation id>.age (the
// draft of a conversation not created yet is drafts/_new.age, a name no
// conversation ID can have), encrypted to the vault's recipient through
// the vault's encrypted-file service, like conversations: a draft is
// never on disk in plaintext.

const (
	draftsDir = "drafts"
	// newDraft names the draft of the conversation not created yet.
	// Conversation IDs start with a letter or digit, so it is never one.
	newDraft = "_new"
	// maxDraftSize bounds a draft file read back (a draft is typed text).
	maxDraftSize = 64 << 20
	draftSchema  = 1
)

// draftFile is the vault-relative name of conversation id's draft.
func draftFile(id string) (string, error) {
	if id == "" {
		return draftsDir + "/" + newDraft + ".age", nil
	}
	if err := store.ValidateID(id); err != nil {
		return "", err
	}
	return draftsDir + "/" + id + ".age", nil
}

// draftEnvelope is the versioned content of a draft file.
type draftEnvelope struct {
	Schema int    `json:"schema"`
	Text   string `json:"text"`
}

// SaveDraft keeps text as the unsent draft of a conversation ("" for the
// new conversation not created yet), encrypted; an empty text removes the
// draft.
func (s *Session) SaveDraft(conversationID, text string) error {
	h, err := s.open()
	if err != nil {
		return fmt.Errorf("save draft: %w", err)
	}
	name, err := draftFile(conversationID)
	if err != nil {
		return fmt.Errorf("save draft: %w", err)
	}
	if text == "" {
		if err := h.vault.Files().RemoveFile(name); err != nil {
			return fmt.Errorf("remove draft: %w", err)
		}
		return nil
	}
	data, err := json.Marshal(draftEnvelope{Schema: draftSchema, Text: text})
	if err != nil {
		return fmt.Errorf("save draft: %w", err)
	}
	if err := h.vault.Files().WriteFile(name, data); err != nil {
		return fmt.Errorf("save draft: %w", err)
	}
	return nil
}

// Draft returns the kept draft of a conversation ("" for the new one, and
// "" when there is none).
func (s *Session) Draft(conversationID string) (string, error) {
	h, err := s.open()
	if err != nil {
		return "", fmt.Errorf("read draft: %w", err)
	}
	name, err := draftFile(conversationID)
	if err != nil {
		return "", fmt.Errorf("read draft: %w", err)
	}
	data, err := h.vault.Files().ReadFile(name, maxDraftSize)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read draft: %w", err)
	}
	var env draftEnvelope
	if err := json.Unmarshal(data, &env); err != nil {
		return "", fmt.Errorf("read draft: %w", err)
	}
	if env.Schema > draftSchema {
		return "", fmt.Errorf("read draft: written by a newer vaultchat (schema %d)", env.Schema)
	}
	return env.Text, nil
}

// removeDraft deletes conversation id's draft with the conversation.
func (h *home) removeDraft(id string) error {
	name, err := draftFile(id)
	if err != nil {
		return err
	}
	return h.vault.Files().RemoveFile(name)
}
