package session

import (
	"sync"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/engine"
)

// pendingConvs is the conversations as the engine and the session see
// them: the store (or memory), plus the new conversations Begin made that
// are not written yet. Such a conversation is written with its first
// message (the engine's UpdateFile before the request), so a turn that
// starts one writes one file before its request instead of two, and a
// send refused before anything was saved leaves nothing behind.
type pendingConvs struct {
	engine.Conversations
	mu  sync.Mutex
	new map[string]*chat.Conversation
}

// add keeps c until its first write.
func (p *pendingConvs) add(c *chat.Conversation) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.new == nil {
		p.new = map[string]*chat.Conversation{}
	}
	p.new[c.ID] = copyConversation(c)
}

// drop forgets conversation id if it is pending, and reports whether it
// was.
func (p *pendingConvs) drop(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.new[id]
	delete(p.new, id)
	return ok
}

// Load returns a pending conversation, else the stored one.
func (p *pendingConvs) Load(id string) (*chat.Conversation, error) {
	p.mu.Lock()
	c, ok := p.new[id]
	p.mu.Unlock()
	if ok {
		return copyConversation(c), nil
	}
	return p.Conversations.Load(id)
}

// UpdateFile writes a pending conversation, changed, as its first file
// (the list's index follows with the reply); a stored one is updated.
func (p *pendingConvs) UpdateFile(id string, change func(*chat.Conversation) error) (*chat.Conversation, error) {
	return p.update(id, change, false)
}

// Update is UpdateFile with the list's index written too.
func (p *pendingConvs) Update(id string, change func(*chat.Conversation) error) (*chat.Conversation, error) {
	return p.update(id, change, true)
}

func (p *pendingConvs) update(id string, change func(*chat.Conversation) error, index bool) (*chat.Conversation, error) {
	p.mu.Lock()
	pending, ok := p.new[id]
	if !ok {
		// A stored conversation: the store orders its own writes, and an
		// ID never becomes pending once it exists, so the lock is not
		// held over another conversation's save.
		p.mu.Unlock()
		if index {
			return p.Conversations.Update(id, change)
		}
		return p.Conversations.UpdateFile(id, change)
	}
	defer p.mu.Unlock()
	c := copyConversation(pending)
	if err := change(c); err != nil {
		return nil, err
	}
	save := p.Conversations.Save
	if !index {
		save = func(c *chat.Conversation) error { return saveNew(p.Conversations, c) }
	}
	if err := save(c); err != nil {
		return nil, err
	}
	delete(p.new, id)
	return copyConversation(c), nil
}

// Save writes c, which is then no longer pending.
func (p *pendingConvs) Save(c *chat.Conversation) error {
	if err := p.Conversations.Save(c); err != nil {
		return err
	}
	p.drop(c.ID)
	return nil
}

// copyConversation copies c so that the caller's changes to its messages
// stay its own.
func copyConversation(c *chat.Conversation) *chat.Conversation {
	cp := *c
	cp.Messages = append([]chat.Message(nil), c.Messages...)
	return &cp
}
