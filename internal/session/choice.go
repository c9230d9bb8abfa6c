package session

import (
	"errors"
	"fmt"
	"strings"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/engine"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/vault"
)

// The key and model of a conversation's next turn, for the TUI: what the
// rule (home.Resolve) picks when a conversation opens, after an unlock or
// a restart, and a switch stored with the conversation at once, so that
// nothing but the conversation itself decides what the next turn uses.

// Choice says which key and model the next turn of the conversation (ID;
// "" for one not saved yet) uses, by the rule every turn follows
// (home.Resolve), except that with several keys and nothing to choose by
// it gives the first key of the list, which the app shows before it is
// used. What cannot be chosen is said in Problem.
func (s *Session) Choice(conversationID string) view.Choice {
	h, err := s.open()
	if err != nil {
		return view.Choice{Problem: err.Error()}
	}
	c, err := h.loadSaved(conversationID)
	if err != nil {
		return view.Choice{Problem: err.Error()}
	}
	ch, err := h.choice(c, "", "")
	if errors.Is(err, ErrNoKey) {
		// The app shows the key in its status line before it pays, so
		// with nothing else to go by it starts on the first key of the
		// list; "ask", which shows nothing before paying, refuses.
		ch, _ = h.choice(c, chatKeys(h.vault.Keys())[0].ID, "")
		ch.Why = WhyFirstShown
	}
	return ch
}

// choice is the rule's answer as a view.Choice; err is the problem, if
// any (also in Problem).
func (h *home) choice(c *chat.Conversation, key, model string) (view.Choice, error) {
	k, why, err := h.resolveKey(c, key)
	if err != nil {
		return view.Choice{Problem: problem(err)}, err
	}
	ch := view.Choice{Key: keyRef(k), Why: why}
	m, err := resolveModel(c, k, model)
	if err != nil {
		ch.Problem = problem(err)
		return ch, err
	}
	ch.Model = m
	return ch, nil
}

// problem is err with its hint for the app, as one line for the status
// bar.
func problem(err error) string {
	var ce *ChoiceError
	if errors.As(err, &ce) {
		return ce.Error() + ": " + ce.AppHint()
	}
	return err.Error()
}

// Choose makes key (ID or name; "" keeps the conversation's) and model (""
// brings back the model chosen or used with that key in the conversation,
// else the key's default) the choice for the next turn of the
// conversation (ID; "" for one not saved yet, where nothing is stored). In
// a saved conversation the choice is stored with it at once, with a note
// that names what the next turn will use, which Choose returns; so a
// lock, an idle lock, a restart or reopening it restores the choice. A
// model the key may not use is refused with an error and nothing changes.
func (s *Session) Choose(conversationID, key, model string) (view.Choice, *chat.Message, error) {
	h, err := s.open()
	if err != nil {
		return view.Choice{}, nil, err
	}
	c, err := h.loadSaved(conversationID)
	if err != nil {
		return view.Choice{}, nil, err
	}
	if key == "" {
		k, _, err := h.resolveKey(c, "")
		if err != nil {
			return view.Choice{}, nil, err
		}
		key = k.ID
	}
	k, err := h.vault.Key(key)
	if err != nil {
		return view.Choice{}, nil, err
	}
	if err := h.checkModelName(model); err != nil {
		return view.Choice{}, nil, err
	}
	if model != "" && !k.AllowsModel(model) {
		return view.Choice{}, nil, &ChoiceError{err: ErrModelNotAllowed,
			msg:  fmt.Sprintf("key %s may not use model %s", k.Name, model),
			hint: fmt.Sprintf("allowed: %s; or run \"vaultchat keys edit %s --allow-model %s\"", strings.Join(k.AllowedModels, ", "), k.Name, model)}
	}
	ch, _ := h.choice(c, k.ID, model)
	ch.Why = ""
	if c == nil {
		return ch, nil, nil
	}
	switched := c.ChosenKey() != k.ID
	note := chat.Message{ID: engine.NewMessageID("n_"), Role: chat.RoleNote, Time: s.cfg.Now().UTC(),
		Content: switchNote(k, ch.Model, switched)}
	defer h.engine.Hold(c.ID)()
	_, err = h.convs.Update(c.ID, func(c *chat.Conversation) error {
		c.Choose(k.ID, ch.Model)
		c.Messages = append(c.Messages, note)
		return nil
	})
	if err != nil {
		return view.Choice{}, nil, err
	}
	return ch, &note, nil
}

// switchNote is the note a switch leaves in the conversation: it names
// the key and model the next turn will use.
func switchNote(k vault.Key, model string, keySwitched bool) string {
	if model == "" {
		model = "no model chosen"
	}
	if keySwitched {
		return "switched to key " + k.Name + " · " + model
	}
	return "switched model to " + model + " (key " + k.Name + ")"
}
