package transcript

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// branchedConversation has a reply regenerated twice; the first version
// went on with another exchange.
func branchedConversation() *chat.Conversation {
	at := func(s int) time.Time { return time.Date(2026, 5, 1, 10, 0, s, 0, time.UTC) }
	turn := func(model string) *chat.Turn { return &chat.Turn{KeyID: "k_1", KeyName: "work", Model: model} }
	return &chat.Conversation{ID: "br", Title: "branches", Created: at(0), Updated: at(9), Messages: []chat.Message{
		{ID: "u1", Role: chat.RoleUser, Content: "question", Time: at(1)},
		{ID: "a3", Role: chat.RoleAssistant, Content: "third answer", Time: at(8), Turn: turn("m3"), Siblings: []chat.Branch{
			{Messages: []chat.Message{
				{ID: "a1", Role: chat.RoleAssistant, Content: "first answer", Time: at(2), Turn: turn("m1")},
				{ID: "u2", Role: chat.RoleUser, Content: "follow-up on the first", Time: at(3)},
				{ID: "a2b", Role: chat.RoleAssistant, Content: "reply to the follow-up", Time: at(4), Turn: turn("m1")},
			}},
			{Messages: []chat.Message{{ID: "a2", Role: chat.RoleAssistant, Content: "second answer", Time: at(5), Turn: turn("m2")}}},
		}},
	}}
}

func exportWith(t *testing.T, c *chat.Conversation, f Format, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Export(&buf, c, f, opts); err != nil {
		t.Fatalf("export %s: %v", f, err)
	}
	return buf.Bytes()
}

func TestExportCurrentBranchByDefault(t *testing.T) {
	c := branchedConversation()
	for _, f := range Formats() {
		out := string(exportWith(t, c, f, Options{}))
		if !strings.Contains(out, "third answer") || strings.Contains(out, "first answer") || strings.Contains(out, "second answer") {
			t.Errorf("%s export of the current branch shows other versions (or not the current one):\n%s", f, out)
		}
		all := string(exportWith(t, c, f, Options{AllBranches: true}))
		for _, want := range []string{"third answer", "first answer", "reply to the follow-up", "second answer"} {
			if !strings.Contains(all, want) {
				t.Errorf("%s --all-branches export lacks %q", f, want)
			}
		}
		if f != JSON && !strings.Contains(all, "Other version 1 of 2") {
			t.Errorf("%s --all-branches export does not mark the other versions:\n%s", f, all)
		}
	}
	if out := exportWith(t, c, JSON, Options{}); !bytes.Contains(out, []byte(`"version": 1`)) {
		t.Errorf("a current-branch export without role or fork should stay version 1")
	}
}

func TestJSONRoundTripKeepsTheTree(t *testing.T) {
	c := branchedConversation()
	first := exportWith(t, c, JSON, Options{AllBranches: true})
	if !bytes.Contains(first, []byte(`"version": 2`)) {
		t.Fatalf("branches need version 2:\n%s", first)
	}
	got := importBytes(t, first, ImportOptions{}).Conversations[0]
	want := *c
	want.Source = SourceVaultchatJSON
	if !reflect.DeepEqual(got, &want) {
		t.Fatalf("round trip changed the tree:\n got %#v\nwant %#v", got, &want)
	}
	if second := exportWith(t, got, JSON, Options{AllBranches: true}); !bytes.Equal(first, second) {
		t.Fatalf("not byte-identical:\n%s\n---\n%s", first, second)
	}
	// A version 1 file cannot carry branches.
	v1 := bytes.Replace(first, []byte(`"version": 2`), []byte(`"version": 1`), 1)
	if _, err := Import(bytes.NewReader(v1), "x.json", ImportOptions{}); err == nil || !strings.Contains(err.Error(), "version 2") {
		t.Errorf("version 1 with siblings: %v", err)
	}
}

// editedConversation has its question edited; the old question's branch
// has a reply regenerated once, so one other version nests in another
// (#34).
func editedConversation() *chat.Conversation {
	at := func(s int) time.Time { return time.Date(2026, 5, 1, 10, 0, s, 0, time.UTC) }
	turn := func(model string) *chat.Turn { return &chat.Turn{KeyID: "k_1", KeyName: "work", Model: model} }
	return &chat.Conversation{ID: "ed", Title: "edited", Created: at(0), Updated: at(9), Messages: []chat.Message{
		{ID: "u2", Role: chat.RoleUser, Content: "edited question", Time: at(6), Siblings: []chat.Branch{
			{Messages: []chat.Message{
				{ID: "u1", Role: chat.RoleUser, Content: "original question", Time: at(1)},
				{ID: "a2", Role: chat.RoleAssistant, Content: "regenerated answer", Time: at(4), Turn: turn("m2"), Siblings: []chat.Branch{
					{Messages: []chat.Message{{ID: "a1", Role: chat.RoleAssistant, Content: "first answer", Time: at(2), Turn: turn("m1")}}},
				}},
			}},
		}},
		{ID: "a3", Role: chat.RoleAssistant, Content: "answer to the edit", Time: at(7), Turn: turn("m3")},
	}}
}

// TestNestedVersionsAreTold exports nested other versions as Markdown
// and text: each version is numbered by where it nests, so every end
// line says which version it ends and no two are alike.
func TestNestedVersionsAreTold(t *testing.T) {
	for _, f := range []Format{Markdown, Text} {
		t.Run(string(f), func(t *testing.T) {
			got := exportWith(t, editedConversation(), f, Options{AllBranches: true})
			seen := map[string]bool{}
			for line := range strings.Lines(string(got)) {
				if strings.Contains(line, "(end of") {
					if seen[line] {
						t.Errorf("two end lines read %q: which version ends where?", strings.TrimSpace(line))
					}
					seen[line] = true
				}
			}
			if len(seen) != 2 {
				t.Errorf("%d distinct end lines, want 2:\n%s", len(seen), got)
			}
			checkGolden(t, "branches-nested."+f.Ext()+".golden", got)
		})
	}
}
