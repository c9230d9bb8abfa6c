package ui

import (
	"errors"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/view"
)

// withRoles gives the fake two good role files and a bad one.
func withRoles(b *fakeBackend) {
	b.roles = []fakeRole{
		{entry: view.Role{Name: "coder", Description: "terse senior engineer", Model: "o3-mini"},
			ref: chat.RoleRef{Name: "coder", Description: "terse senior engineer", Text: "You write terse Go.", Model: "o3-mini"}},
		{entry: view.Role{Name: "pirate", Description: "answers like a pirate"},
			ref: chat.RoleRef{Name: "pirate", Text: "Answer like a pirate."}},
		{entry: view.Role{Name: "broken", Problem: "role file /home/ada/.config/vaultchat/roles/broken.md, line 3: unknown field \"modle\""},
			err: errors.New("role file /home/ada/.config/vaultchat/roles/broken.md, line 3: unknown field \"modle\"")},
	}
}

// TestRolePickerStartsConversation picks a role with alt+p: the next
// message creates the conversation with the role (CreateWithRole), its
// model is chosen, and the status line names the role.
func TestRolePickerStartsConversation(t *testing.T) {
	h := newHarness(t, 120, 40, Options{})
	withRoles(h.b)
	h.unlocked()
	h.key("alt+p")
	s := h.screen()
	if !strings.Contains(s, "coder — terse senior engineer") || !strings.Contains(s, "broken  ✗ does not parse") {
		t.Fatalf("the role picker does not list the roles:\n%s", s)
	}
	h.typeText("cod")
	h.key("enter")
	if h.m.keyring.model != "o3-mini" {
		t.Errorf("model %q after picking the role; want the role's o3-mini", h.m.keyring.model)
	}
	if s := h.screen(); !strings.Contains(s, "role coder") {
		t.Errorf("the status line does not name the role:\n%s", s)
	}
	h.typeText("hello")
	h.key("enter")
	c := h.b.convs[h.m.convID]
	if c == nil || c.Role == nil || c.Role.Name != "coder" || c.SystemPrompt != "You write terse Go." {
		t.Fatalf("created %+v; want a conversation recording role coder with its text", c)
	}
	if len(h.b.sends) != 1 || h.b.sends[0].Model != "o3-mini" {
		t.Errorf("sends %+v; want one with o3-mini", h.b.sends)
	}
}

// TestRoleCommandBadFile types "/role broken": the notice names the file
// and line, nothing is sent or created, and the input keeps the text.
func TestRoleCommandBadFile(t *testing.T) {
	h := newHarness(t, 160, 48, Options{})
	withRoles(h.b)
	h.unlocked()
	h.typeText("/role broken")
	h.key("enter")
	s := h.screen()
	if !strings.Contains(s, "broken.md, line 3") {
		t.Fatalf("no notice naming the file and line:\n%s", s)
	}
	if len(h.b.sends) != 0 || len(h.b.convs) != 0 || h.m.role != nil {
		t.Errorf("a bad role sent %d, created %d conversations, role %v", len(h.b.sends), len(h.b.convs), h.m.role)
	}
	if h.m.input.Value() != "/role broken" {
		t.Errorf("input %q; want the command kept", h.m.input.Value())
	}
}

// TestRoleCommandInSavedConversation types "/role pirate" in a saved
// conversation: a new conversation starts with the role; the saved one
// is unchanged.
func TestRoleCommandInSavedConversation(t *testing.T) {
	h := newHarness(t, 120, 40, Options{})
	withRoles(h.b)
	withConversation(h.b)
	h.unlocked()
	h.typeText("/role pirate")
	h.key("enter")
	if h.m.convID != "" || h.m.input.Value() != "" || h.m.systemPrompt != "Answer like a pirate." {
		t.Fatalf("after /role: conversation %q, input %q, system prompt %q; want a new one with the role", h.m.convID, h.m.input.Value(), h.m.systemPrompt)
	}
	if h.b.convs["c100"].Role != nil {
		t.Error("the saved conversation got the role")
	}
	h.typeText("ahoy")
	h.key("enter")
	if c := h.b.convs[h.m.convID]; c == nil || c.Role == nil || c.Role.Name != "pirate" {
		t.Fatalf("the new conversation does not record the role: %+v", c)
	}
	h.b.stream <- chat.Done{Message: &chat.Message{ID: "r1", Role: chat.RoleAssistant, Content: "Arr."}}
	close(h.b.stream)
	h.pump(true)
	id := h.m.convID
	h.key("ctrl+n")
	if strings.Contains(h.screen(), "role pirate") {
		t.Error("a new conversation without a role still shows it")
	}
	// Opening it again shows its role.
	h.run(h.m.switchConversation(id))
	if !strings.Contains(h.screen(), "role pirate") {
		t.Errorf("the reopened conversation does not show its role:\n%s", h.screen())
	}
}

// TestStoredRoleNameIsOneLine opens a conversation whose stored role
// name holds a line break: the status line names the role on its one
// row, as the role picker's choice does (cleanLine).
func TestStoredRoleNameIsOneLine(t *testing.T) {
	h := newHarness(t, 120, 40, Options{})
	h.unlocked()
	h.m.openConversation(&chat.Conversation{ID: "c1", Title: "t", Role: &chat.RoleRef{Name: "co\nder"}})
	if h.m.roleName != "co der" {
		t.Fatalf("role name %q; want it on one line, %q", h.m.roleName, "co der")
	}
}

// TestConversationTitleIsOneLine: a title (model-derived, or imported)
// with a line break must not split the status line.
func TestConversationTitleIsOneLine(t *testing.T) {
	h := newHarness(t, 120, 40, Options{})
	h.unlocked()
	h.m.openConversation(&chat.Conversation{ID: "c1", Title: "two\nlines"})
	if h.m.convTitle != "two lines" {
		t.Fatalf("title %q; want it on one line, %q", h.m.convTitle, "two lines")
	}
}

// TestMaskedPromptsAreTold stores a key in the fake and puts it in a
// role's prompt (alt+p), in a new conversation's system prompt and in a
// saved conversation's (alt+s): each is saved masked and the user is
// told so, in the words a masked message gets.
func TestMaskedPromptsAreTold(t *testing.T) {
	stored := "sk-" + strings.Repeat("q7", 12) + "wxyz" // built at run time: no key in the source
	for _, tc := range []struct {
		name, what string
		steps      func(h *harness)
	}{
		{"role's prompt", "the role's prompt", func(h *harness) {
			h.b.roles = []fakeRole{{entry: view.Role{Name: "keyed"}, ref: chat.RoleRef{Name: "keyed", Text: "call with " + stored}}}
			h.key("alt+p")
			h.key("enter")
			h.typeText("hello")
			h.key("enter")
		}},
		{"new conversation's system prompt", "the system prompt", func(h *harness) {
			h.key("alt+s")
			h.typeText("call with " + stored)
			h.key("enter")
			h.typeText("hello")
			h.key("enter")
		}},
		{"saved conversation's system prompt", "the system prompt", func(h *harness) {
			h.key("alt+s")
			h.typeText("call with " + stored)
			h.key("enter")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, 200, 40, Options{})
			if strings.HasPrefix(tc.name, "saved") {
				withConversation(h.b)
			}
			h.b.stored = stored
			h.unlocked()
			tc.steps(h)
			for id, c := range h.b.convs {
				if strings.Contains(c.SystemPrompt, stored) || (c.Role != nil && strings.Contains(c.Role.Text, stored)) {
					t.Fatalf("conversation %s saved the key", id)
				}
			}
			if strings.Contains(h.m.systemPrompt, stored) {
				t.Fatal("the app keeps the key in its copy of the system prompt (alt+s would show it)")
			}
			if s := h.screen(); !strings.Contains(s, chat.MaskedWarning(tc.what)) {
				t.Fatalf("no notice %q:\n%s", chat.MaskedWarning(tc.what), s)
			}
		})
	}
}
