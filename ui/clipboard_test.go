package ui

import (
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// lastFencedBlock returns the content of the last fenced code block of src
// as goldmark reads it, with glamour's extensions: the block the renderer
// draws.
func lastFencedBlock(src string) (string, bool) {
	md := goldmark.New(goldmark.WithExtensions(extension.GFM, extension.DefinitionList))
	b := []byte(src)
	var last *ast.FencedCodeBlock
	ast.Walk(md.Parser().Parse(text.NewReader(b)), func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if fc, ok := n.(*ast.FencedCodeBlock); ok && entering {
			last = fc
		}
		return ast.WalkContinue, nil
	})
	if last == nil {
		return "", false
	}
	var out strings.Builder
	for i := 0; i < last.Lines().Len(); i++ {
		seg := last.Lines().At(i)
		out.Write(seg.Value(b))
	}
	return strings.TrimSuffix(out.String(), "\n"), true
}

// screenShows reports whether the lines of code appear on screen one under
// another, at the same left margin, as a rendered code block does (tabs
// drawn as four spaces).
func screenShows(screen, code string) bool {
	want := strings.Split(strings.ReplaceAll(code, "\t", "    "), "\n")
	rows := strings.Split(screen, "\n")
	for i, row := range rows {
		margin := strings.Index(row, want[0])
		if margin < 0 || strings.TrimSpace(row[:margin]) != "" || i+len(want) > len(rows) {
			continue
		}
		ok := true
		for j, w := range want {
			r := rows[i+j]
			if len(r) < margin || strings.TrimSpace(r[:margin]) != "" || strings.TrimRight(r[margin:], " ") != w {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// TestCopyCodeMatchesRenderer checks that alt+y copies exactly the code
// block the screen shows for fences a simple reading gets wrong.
func TestCopyCodeMatchesRenderer(t *testing.T) {
	tests := []struct {
		name, reply, want string
	}{
		{"backtick in a backtick fence's info string is no fence",
			"```go\nfirst()\n```\n\n```not`a fence\nplain text\n", "first()"},
		{"fence indented three spaces",
			"Steps:\n\n   ```sh\n   make\n     make install\n   ```\n", "make\n  make install"},
		{"tilde fence", "~~~py\nprint(1)\n~~~\n", "print(1)"},
		{"tilde fence holding backticks", "~~~md\n```\ninner\n```\n~~~\n", "```\ninner\n```"},
		{"longer closing fence", "```\nkept\n``````\n\nAfter.\n", "kept"},
		{"shorter fence inside a longer one", "````md\n```\ninner\n```\n````\n", "```\ninner\n```"},
		{"closing fence indented four spaces is code",
			"```\na\n    ```\nb\n```\n", "a\n    ```\nb"},
		{"closing fence followed by text is code", "```\na\n``` x\n```\n", "a\n``` x"},
		{"unclosed fence at the end", "Here:\n\n```go\nfunc cut() {\n\tpanic(", "func cut() {\n\tpanic("},
		{"four-space indented code is not a fence",
			"```go\nreal()\n```\n\n    ```\n    not a fence\n    ```\n", "real()"},
		{"tab-indented fence is not a fence", "```\nreal()\n```\n\n\t```\n\tindented code\n", "real()"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := lastFencedBlock(tt.reply); !ok || got != tt.want {
				t.Fatalf("the test is wrong: goldmark's last block is %q (found %v), want %q", got, ok, tt.want)
			}
			h := newHarness(t, 100, 30, Options{})
			h.b.add(&chat.Conversation{ID: "c1", Title: "fences", Messages: []chat.Message{
				{ID: "m1", Role: chat.RoleUser, Content: "code please"},
				{ID: "m2", Role: chat.RoleAssistant, Content: tt.reply, Turn: &chat.Turn{KeyName: "work", Model: "gpt-4o-mini"}},
			}})
			h.unlocked()
			h.key("alt+y")
			if len(h.clip) != 1 {
				t.Fatalf("%d clipboard writes, want 1:\n%s", len(h.clip), h.screen())
			}
			if h.clip[0] != tt.want {
				t.Fatalf("alt+y copied %q, want %q", h.clip[0], tt.want)
			}
			if s := h.screen(); !screenShows(s, tt.want) {
				t.Fatalf("the screen does not show the copied block %q:\n%s", tt.want, s)
			}
		})
	}
}

// TestCopyMasksKeysAsDisplayed checks that ctrl+y and alt+y copy a key
// disguised in a reply (escaped, as entities, under emphasis, with a
// zero-width joiner) masked, as the screen shows it: the clipboard is an
// output like the screen.
func TestCopyMasksKeysAsDisplayed(t *testing.T) {
	body := strings.Repeat("4b87", 6) // built at run time: no key in the source
	reply := "Your key, escaped: sk\\-test\\-" + body + "\n\n" +
		"As entities: sk&#45;test&#45;" + body + "\n\n" +
		"Emphasised: s**k-test-" + body + "**\n\n" +
		"With a joiner: sk-\u200dtest-" + body + "\n\n" +
		"```\nexport KEY=sk-test-" + body + "\n```\n"
	for _, k := range []string{"ctrl+y", "alt+y"} {
		t.Run(k, func(t *testing.T) {
			h := newHarness(t, 100, 40, Options{})
			h.b.add(&chat.Conversation{ID: "c1", Title: "keys", Messages: []chat.Message{
				{ID: "m1", Role: chat.RoleUser, Content: "echo my key"},
				{ID: "m2", Role: chat.RoleAssistant, Content: reply, Turn: &chat.Turn{KeyName: "work", Model: "gpt-4o-mini"}},
			}})
			h.unlocked()
			if s := h.screen(); strings.Contains(s, body[len(body)-12:]) {
				t.Fatalf("the test is wrong: the screen shows the key:\n%s", s)
			}
			h.key(k)
			if len(h.clip) != 1 {
				t.Fatalf("%d clipboard writes, want 1", len(h.clip))
			}
			if strings.Contains(h.clip[0], body[len(body)-12:]) {
				t.Fatalf("%s copied a key the screen masks:\n%s", k, h.clip[0])
			}
			if !strings.Contains(h.clip[0], "sk-…") {
				t.Fatalf("%s copied no masked key:\n%s", k, h.clip[0])
			}
		})
	}
}
