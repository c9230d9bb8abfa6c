package session

import (
	"context"
	"fmt"
	"slices"

	"github.com/vaultchat/vaultchat/internal/attach"
	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/engine"
	"github.com/vaultchat/vaultchat/internal/figures"
	"github.com/vaultchat/vaultchat/internal/models"
	"github.com/vaultchat/vaultchat/internal/store"
	"github.com/vaultchat/vaultchat/internal/tokens"
	"github.com/vaultchat/vaultchat/internal/view"
)

// Create starts a new conversation with an optional system prompt
// (secrets in it masked) and saves it (its file: the conversation list's
// index catches up at the first reply, or when listed). masked says a key
// in the prompt was masked, so the caller can tell the user
// (chat.MaskedWarning).
func (s *Session) Create(systemPrompt string) (c *chat.Conversation, masked bool, err error) {
	return s.create(systemPrompt, nil)
}

// CreateWithRole starts a new conversation from a role: the role's text
// is the system prompt, its temperature goes with every request, and the
// conversation records the role as it is now (secrets in it masked;
// masked says one was).
func (s *Session) CreateWithRole(role chat.RoleRef) (c *chat.Conversation, masked bool, err error) {
	return s.create(role.Text, &role)
}

// Begin returns a new conversation, as Create and CreateWithRole (role
// may be nil), that is written with its first message: the turn that
// sends it writes one file before its request, not two, and a send
// refused before anything was saved leaves nothing behind ("vaultchat
// ask"). Until then it is not listed; Delete forgets it.
func (s *Session) Begin(systemPrompt string, role *chat.RoleRef) (*chat.Conversation, error) {
	h, err := s.open()
	if err != nil {
		return nil, err
	}
	c, _ := h.newConversation(systemPrompt, role)
	h.pending.add(c)
	return c, nil
}

func (s *Session) create(systemPrompt string, role *chat.RoleRef) (*chat.Conversation, bool, error) {
	h, err := s.open()
	if err != nil {
		return nil, false, err
	}
	c, masked := h.newConversation(systemPrompt, role)
	if err := saveNew(h.pending.Conversations, c); err != nil {
		return nil, false, err
	}
	return c, masked, nil
}

// newConversation is a new conversation with its system prompt and role
// (secrets in them masked; masked says one was), not saved.
func (h *home) newConversation(systemPrompt string, role *chat.RoleRef) (c *chat.Conversation, masked bool) {
	now := h.cfg.Now().UTC()
	red := h.redactor()
	c = &chat.Conversation{
		ID:           store.NewID(),
		SystemPrompt: red.String(systemPrompt),
		Created:      now,
		Updated:      now,
		Messages:     []chat.Message{},
	}
	masked = c.SystemPrompt != systemPrompt
	if role != nil {
		r := *role
		r.Text, r.Description = red.String(r.Text), red.String(r.Description)
		masked = masked || r.Text != role.Text || r.Description != role.Description
		c.Role = &r
	}
	return c, masked
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
	if err := h.checkAttachments(req.Attachments); err != nil {
		return nil, err
	}
	if err := h.checkImageModel(req); err != nil {
		return nil, err
	}
	if err := h.checkContext(req); err != nil {
		return nil, err
	}
	return h.engine.Send(ctx, engine.SendRequest{
		ConversationID: req.ConversationID,
		Prompt:         req.Prompt,
		Key:            req.KeyID,
		Model:          req.Model,
		Regenerate:     req.Regenerate,
		EditLast:       req.EditLast,
		Attachments:    req.Attachments,
	})
}

// checkImageModel refuses images for a model known not to take them,
// before anything is saved; an unknown model gets them and the server
// says.
func (h *home) checkImageModel(req view.SendRequest) error {
	if !slices.ContainsFunc(req.Attachments, chat.Attachment.IsImage) {
		return nil
	}
	c, err := h.loadSaved(req.ConversationID)
	if err != nil {
		return err
	}
	_, model, err := h.Resolve(c, req.KeyID, req.Model)
	if err != nil {
		return err
	}
	if accepts, known := models.AcceptsImages(model); known && !accepts {
		return fmt.Errorf("model %s does not accept images; choose one that does (gpt-4o, gpt-4.1, gpt-5, …) with --model", model)
	}
	return nil
}

// checkContext refuses, before anything is saved or sent, a message
// that cannot fit the model's known context window even alone (with the
// system prompt, as the engine always sends them): a file of megabytes
// to a model of 8,192 tokens would be a paid request the server refuses.
// It estimates as the engine trims: the byte bound first, which most
// messages pass without a tokenizer, then the tokens counted. A message
// that fits only without earlier turns is sent, and the engine's Trimmed
// event says so; an unknown window (or a conversation or key that does
// not resolve, which Send reports) is not checked.
func (h *home) checkContext(req view.SendRequest) error {
	if req.Regenerate || len(req.Prompt) > engine.MaxPromptBytes {
		return nil // the engine refuses a prompt over its limit, saying so
	}
	msg := chat.Message{Role: chat.RoleUser, Content: req.Prompt, Attachments: req.Attachments}
	if tokens.MessageBound(msg) <= smallMessage {
		return nil
	}
	c, err := h.loadSaved(req.ConversationID)
	if err != nil {
		return nil
	}
	_, model, err := h.Resolve(c, req.KeyID, req.Model)
	if err != nil {
		return nil
	}
	window, known := models.ContextWindow(model)
	if !known {
		return nil
	}
	msgs := []chat.Message{msg}
	if c != nil && c.SystemPrompt != "" {
		msgs = append(msgs, chat.Message{Role: chat.RoleSystem, Content: c.SystemPrompt})
	}
	if tokens.RequestBound(msgs) <= window {
		return nil
	}
	if n := tokens.CountMessages(model, msgs); n > window {
		return fmt.Errorf("the message is about %s tokens, over the %s-token context window of %s; attach less, or pick a model with a larger window",
			figures.Count(int64(n)), figures.Count(int64(window)), model)
	}
	return nil
}

// smallMessage is a message bound (in tokens, so bytes of text) under
// every known context window: such a message is not checked against the
// window, which spares loading the conversation for a typed prompt.
const smallMessage = 2048

// checkAttachments refuses, before anything is saved or sent, attachments
// over config.toml's limits and text that holds a secret of the vault
// (never send a stored key to a model), naming the file.
func (h *home) checkAttachments(atts []chat.Attachment) error {
	lim := h.cfg.Settings.Attachments
	if err := attach.CheckTurn(atts, attach.Limits{MaxFile: lim.MaxFile, MaxTurn: lim.MaxTurn}); err != nil {
		return err
	}
	for _, a := range atts {
		if err := h.checkSecret(a); err != nil {
			return err
		}
	}
	return nil
}

// checkSecret refuses an attachment whose name or text holds a secret of
// the vault.
func (h *home) checkSecret(a chat.Attachment) error {
	red := h.redactor()
	if red.HoldsSecret(a.Text) || red.HoldsSecret(a.Name) || red.HoldsSecretBytes(a.Data) {
		return fmt.Errorf("attach %s: the file holds an API key stored in the vault; it was not sent", red.String(a.Name))
	}
	return nil
}

// SetSystemPrompt changes a conversation's system prompt (a key in it
// masked; masked says one was).
func (s *Session) SetSystemPrompt(id, prompt string) (masked bool, err error) {
	err = s.edit(id, func(c *chat.Conversation, h *home) {
		c.SystemPrompt = h.redactor().String(prompt)
		masked = c.SystemPrompt != prompt
	})
	return masked, err
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

// Attach reads the file at path as an attachment for the next turn,
// with config.toml's per-file limit, and refuses a file that holds a
// secret of the vault at once, so that the TUI never holds one (Send
// checks the whole turn again).
func (s *Session) Attach(path string) (chat.Attachment, error) {
	h, err := s.open()
	if err != nil {
		return chat.Attachment{}, err
	}
	lim := h.cfg.Settings.Attachments
	a, err := attach.ReadFile(path, attach.Limits{MaxFile: lim.MaxFile, MaxTurn: lim.MaxTurn})
	if err != nil {
		return chat.Attachment{}, err
	}
	if err := h.checkSecret(a); err != nil {
		return chat.Attachment{}, err
	}
	return a, nil
}
