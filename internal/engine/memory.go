package engine

import (
	"fmt"
	"sync"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/store"
)

// Memory keeps conversations in memory only, for turns that must leave
// no conversation behind ("vaultchat ask --no-save"). It implements
// Conversations; the zero value is ready to use.
type Memory struct {
	mu    sync.Mutex
	convs map[string]*chat.Conversation
}

// Load returns a copy of conversation id, or an error wrapping
// store.ErrNotFound.
func (m *Memory) Load(id string) (*chat.Conversation, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.convs[id]
	if !ok {
		return nil, fmt.Errorf("conversation %s: %w", id, store.ErrNotFound)
	}
	return clone(c), nil
}

// Update applies change to conversation id and keeps the result.
func (m *Memory) Update(id string, change func(*chat.Conversation) error) (*chat.Conversation, error) {
	c, err := m.Load(id)
	if err != nil {
		return nil, err
	}
	if err := change(c); err != nil {
		return nil, err
	}
	if err := m.Save(c); err != nil {
		return nil, err
	}
	return c, nil
}

// UpdateFile is Update: memory has no index to leave for later.
func (m *Memory) UpdateFile(id string, change func(*chat.Conversation) error) (*chat.Conversation, error) {
	return m.Update(id, change)
}

// LockTurn does nothing: conversations in memory belong to one process,
// whose turns the engine already runs one at a time (Engine.Hold).
func (m *Memory) LockTurn(string) (func(), error) { return func() {}, nil }

// Save keeps a copy of c.
func (m *Memory) Save(c *chat.Conversation) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.convs == nil {
		m.convs = map[string]*chat.Conversation{}
	}
	m.convs[c.ID] = clone(c)
	return nil
}

func clone(c *chat.Conversation) *chat.Conversation {
	cp := *c
	cp.Messages = append([]chat.Message(nil), c.Messages...)
	return &cp
}
