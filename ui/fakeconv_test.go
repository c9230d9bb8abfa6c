package ui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vaultchat/vaultchat/internal/attach"
	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/view"
)

// The fake backend's roles, forks, branches, search and attachments.

// fakeRole is a role file of the fake: its listing and what Role
// returns (or the error a bad file gives).
type fakeRole struct {
	entry view.Role
	ref   chat.RoleRef
	err   error
}

func (f *fakeBackend) CreateWithRole(role chat.RoleRef) (*chat.Conversation, bool, error) {
	c, masked, err := f.Create(role.Text)
	if err != nil {
		return nil, false, err
	}
	r := role
	r.Text = c.SystemPrompt
	c.Role = &r
	return c, masked, nil
}

func (f *fakeBackend) ForkFrom(id, msgID string) (*chat.Conversation, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.convs[id]
	if !ok {
		return nil, fmt.Errorf("no conversation %s", id)
	}
	i := slices.IndexFunc(c.Messages, func(m chat.Message) bool { return m.ID == msgID })
	if i < 0 {
		return nil, fmt.Errorf("no message %s", msgID)
	}
	f.nextID++
	fork := &chat.Conversation{ID: fmt.Sprintf("c%d", f.nextID), Title: c.Title + " (fork)", SystemPrompt: c.SystemPrompt,
		Parent:   &chat.ForkRef{ConversationID: id, MessageID: msgID, MessageNumber: c.Number(i)},
		Messages: slices.Clone(c.Messages[:i+1])}
	f.add(fork)
	f.forks = append(f.forks, [2]string{id, msgID})
	return fork, nil
}

func (f *fakeBackend) SwitchBranch(id, msgID string, k int) (*chat.Conversation, error) {
	f.mu.Lock()
	c, ok := f.convs[id]
	f.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("no conversation %s", id)
	}
	if err := c.SwitchBranch(msgID, k); err != nil {
		return nil, err
	}
	return f.Load(id)
}

// Search matches every word in titles and message texts, any case, in
// the order of Conversations (the real matching is internal/textmatch's,
// tested there).
func (f *fakeBackend) Search(query string, opts view.SearchOptions) ([]view.SearchHit, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.searches = append(f.searches, query)
	words := strings.Fields(strings.ToLower(query))
	if len(words) == 0 {
		return nil, fmt.Errorf("the search has no word to look for")
	}
	holds := func(s string) bool {
		s = strings.ToLower(s)
		for _, w := range words {
			if !strings.Contains(s, w) {
				return false
			}
		}
		return true
	}
	var hits []view.SearchHit
	for i := len(f.order) - 1; i >= 0; i-- {
		c := f.convs[f.order[i]]
		h := view.SearchHit{ID: c.ID, Title: c.Title, TitleMatch: holds(c.Title)}
		for j, m := range c.Messages {
			if m.Role != chat.RoleNote && holds(m.Content) {
				h.Matches++
				if len(h.Snippets) < 1 {
					h.Snippets = append(h.Snippets, view.SearchSnippet{Number: c.Number(j), MessageID: m.ID, Role: m.Role, Text: m.Content})
				}
			}
		}
		if h.TitleMatch || h.Matches > 0 {
			hits = append(hits, h)
		}
	}
	return hits, nil
}

func (f *fakeBackend) Roles() ([]view.Role, error) {
	var out []view.Role
	for _, r := range f.roles {
		out = append(out, r.entry)
	}
	return out, nil
}

func (f *fakeBackend) Role(name string) (chat.RoleRef, error) {
	for _, r := range f.roles {
		if r.entry.Name == name {
			return r.ref, r.err
		}
	}
	return chat.RoleRef{}, fmt.Errorf("role %q: no such role", name)
}

// Attach reads the file as the session does, with f.maxFile as the
// per-file limit (0: the default).
func (f *fakeBackend) Attach(path string) (chat.Attachment, error) {
	return attach.ReadFile(path, attach.Limits{MaxFile: f.maxFile})
}
