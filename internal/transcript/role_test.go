package transcript

import (
	"bytes"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// TestExportsShowRoleAndFork checks every format names the role (and its
// text when the system prompt changed since) and the fork's parent, and
// that JSON is version 2 only when it carries them.
func TestExportsShowRoleAndFork(t *testing.T) {
	c := &chat.Conversation{ID: "20260101-000000-aaaaaaaa", Title: "t", SystemPrompt: "edited prompt",
		Role:     &chat.RoleRef{Name: "reviewer", Description: "reviews Go", Text: "You review Go code.", Model: "gpt-4o", Temperature: new(0.2)},
		Parent:   &chat.ForkRef{ConversationID: "20251231-000000-bbbbbbbb", MessageNumber: 4},
		Messages: []chat.Message{{Role: chat.RoleUser, Content: "hi"}}}
	for _, f := range Formats() {
		out := string(export(t, c, f, nil))
		for _, want := range []string{"reviewer", "You review Go code.", "20251231-000000-bbbbbbbb"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s export lacks %q:\n%s", f, want, out)
			}
		}
		if f != JSON && !strings.Contains(out, "at message 4") {
			t.Errorf("%s export does not say where the fork branched:\n%s", f, out)
		}
	}
	if out := export(t, c, JSON, nil); !bytes.Contains(out, []byte(`"version": 2`)) {
		t.Errorf("a role needs version 2:\n%s", out)
	}
	plain := &chat.Conversation{ID: "x", Messages: []chat.Message{}}
	if out := export(t, plain, JSON, nil); !bytes.Contains(out, []byte(`"version": 1`)) {
		t.Errorf("without role or fork the file stays version 1:\n%s", out)
	}
	// The role's text is not repeated when it is the system prompt.
	c.SystemPrompt = c.Role.Text
	if out := string(export(t, c, Markdown, nil)); strings.Count(out, "You review Go code.") != 1 {
		t.Errorf("role text repeated:\n%s", out)
	}
}
