package ui

import (
	tea "charm.land/bubbletea/v2"
	"github.com/vaultchat/vaultchat/internal/view"
)

// keyring is what the UI knows of the vault's keys: the list (references
// and month totals, never secrets), the key and model the next turn uses,
// the usage snapshot for them, and the model lists fetched per key. Every
// change goes through its methods, which sanitize what they are given and
// bump ver, so a view drawn from it (the side pane) is cached by that
// version and never reset by hand.
type keyring struct {
	keys   []view.Key
	keyID  string
	model  string
	usage  view.Usage
	models map[string][]string // per key ID, sanitized
	ver    int
}

func newKeyring() keyring { return keyring{models: map[string][]string{}} }

// setKeys replaces the key list.
func (r *keyring) setKeys(keys []view.Key) {
	r.keys = sanitizeKeys(keys)
	r.ver++
}

// setActive makes key id, with model, the one the next turn uses.
func (r *keyring) setActive(id, model string) {
	r.keyID, r.model = id, model
	r.ver++
}

// setModel changes the active key's model.
func (r *keyring) setModel(model string) {
	r.model = model
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
	}
	return nil
}

// switchKey makes another key active for the next turn of the same
// conversation and writes a visible note into it.
func (m *Model) switchKey(id string) tea.Cmd {
	key := m.keyring.byID(id)
	if id == m.keyring.keyID || key == nil {
		return nil
	}
	m.keyring.setActive(key.ID, key.DefaultModel)
	m.keyring.setUsage(view.Usage{})
	text := "switched to key " + joinNonEmpty(" · ", key.Name, key.DefaultModel)
	return tea.Batch(m.note(text), m.usageCmd())
}

// switchModel makes another model active for the next turn.
func (m *Model) switchModel(name string) tea.Cmd {
	if name == m.keyring.model || name == "" {
		return nil
	}
	m.keyring.setModel(name)
	return tea.Batch(m.note("switched model to "+name), m.usageCmd())
}
