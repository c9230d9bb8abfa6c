package ui

import (
	"errors"

	tea "charm.land/bubbletea/v2"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/view"
)

// keyring is what the UI knows of the vault's keys: the list (references
// and month totals, never secrets), the key and model the next turn uses,
// the usage snapshot for them, and the model lists fetched per key. Every
// change goes through its methods, which sanitize what they are given and
// bump ver, so a view drawn from it (the side pane) is cached by that
// version and never reset by hand.
type keyring struct {
	keys  []view.Key
	keyID string
	model string
	// problem says why no key or model is chosen (from the backend,
	// with its hint); "" when both are.
	problem string
	usage   view.Usage
	models  map[string][]string // per key ID, sanitized
	ver     int
}

func newKeyring() keyring { return keyring{models: map[string][]string{}} }

// setKeys replaces the key list.
func (r *keyring) setKeys(keys []view.Key) {
	r.keys = sanitizeKeys(keys)
	r.ver++
}

// setChoice makes the backend's choice the key and model the next turn
// uses.
func (r *keyring) setChoice(c view.Choice) {
	r.keyID, r.model, r.problem = c.Key.ID, cleanLine(c.Model), cleanLine(c.Problem)
	r.ver++
}

// setUsage replaces the usage snapshot.
func (r *keyring) setUsage(u view.Usage) {
	r.usage = sanitizeUsage(u)
	r.ver++
}

// clearConversationUsage zeroes the open conversation's totals (a new
// conversation has none) until the next snapshot.
func (r *keyring) clearConversationUsage() {
	r.usage.Conversation = view.Total{}
	r.ver++
}

// setModels records the models the server lists for a key.
func (r *keyring) setModels(keyID string, models []string) {
	list := make([]string, len(models))
	for i, s := range models {
		list[i] = cleanLine(s)
	}
	r.models[keyID] = list
}

// noKeyProblem says why no key is chosen and how to choose one: the
// backend's problem, else ctrl+k while keys remain, else that the vault
// has none (added only from the command line).
func (r *keyring) noKeyProblem() string {
	switch {
	case r.problem != "":
		return r.problem
	case len(r.keys) > 0:
		return "no key chosen: pick one with ctrl+k"
	}
	return "the vault holds no key: add one with \"vaultchat keys add\""
}

// active returns the key the next turn uses, or nil.
func (r *keyring) active() *view.Key { return r.byID(r.keyID) }

// byID returns the key with id, or nil.
func (r *keyring) byID(id string) *view.Key {
	for i := range r.keys {
		if r.keys[i].ID == id {
			return &r.keys[i]
		}
	}
	return nil
}

// activeKey returns the key the next turn uses, or nil.
func (m *Model) activeKey() *view.Key { return m.keyring.active() }

// usageCmd fetches the usage snapshot for the active key and the open
// conversation.
func (m *Model) usageCmd() tea.Cmd { return usageCmd(m.b, m.keyring.keyID, m.convID) }

// updateKeyring applies fetched keys, usage and model lists.
func (m *Model) updateKeyring(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case keysMsg:
		m.keyring.setKeys(msg.keys)
		if p, ok := topOverlay[*picker](&m.overlays); ok && p.kind == pickKey {
			m.refreshPicker()
		}
	case usageMsg:
		if msg.keyID == m.keyring.keyID && msg.convID == m.convID {
			m.keyring.setUsage(msg.view)
		}
	case modelsMsg:
		m.applyModels(msg)
	case chosenMsg:
		return m.applyChosen(msg)
	}
	return nil
}

// switchKey asks the backend to make another key the one the next turn
// of the conversation uses, with the model chosen for it here before (or
// its default); the backend stores the choice with the conversation and
// writes a note naming what the next turn will use.
func (m *Model) switchKey(id string) tea.Cmd {
	if id == m.keyring.keyID || m.keyring.byID(id) == nil {
		return nil
	}
	return chooseCmd(m.b, m.convID, id, "")
}

// switchModel asks the backend to make another model the one the next
// turn uses; a model the key may not use is refused there, with a notice.
func (m *Model) switchModel(name string) tea.Cmd {
	if name == m.keyring.model || name == "" {
		return nil
	}
	return chooseCmd(m.b, m.convID, m.keyring.keyID, name)
}

// applyChosen shows the result of a switch: the new key and model, and
// the note the backend stored (a conversation not saved yet gets a note
// on screen only).
func (m *Model) applyChosen(msg chosenMsg) tea.Cmd {
	if msg.convID != m.convID {
		return nil
	}
	if msg.err != nil {
		m.setNotice(errorWithHint(msg.err), true)
		return nil
	}
	keyChanged := msg.choice.Key.ID != m.keyring.keyID
	m.keyring.setChoice(msg.choice)
	if keyChanged {
		m.keyring.setUsage(view.Usage{})
	}
	switch {
	case msg.note != nil:
		m.addNote(noteMsg{convID: msg.convID, msg: *msg.note})
	case msg.convID == "":
		model := msg.choice.Model
		if model == "" {
			model = "no model chosen"
		}
		text := "switched model to " + model
		if keyChanged {
			text = "switched to key " + cleanLine(msg.choice.Key.Name) + " · " + model
		}
		m.note(text) // on screen only: the conversation is not saved yet
	}
	if m.keyring.problem != "" {
		m.setNotice(m.keyring.problem, true)
	}
	return m.usageCmd()
}

// errorWithHint is a backend error with its hint, if it has one: the
// hint for the app (AppHint, naming keys) where the error has one, else
// its Hint (a method, or a chat.Error's field: a server's error).
func errorWithHint(err error) string {
	var app interface{ AppHint() string }
	if errors.As(err, &app) && app.AppHint() != "" {
		return err.Error() + ": " + app.AppHint()
	}
	var hinted interface{ Hint() string }
	if errors.As(err, &hinted) && hinted.Hint() != "" {
		return err.Error() + ": " + hinted.Hint()
	}
	var ce *chat.Error
	if errors.As(err, &ce) && ce.Hint != "" {
		return err.Error() + ": " + ce.Hint
	}
	return err.Error()
}
