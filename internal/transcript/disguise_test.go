package transcript

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/redact"
)

// disguisedKeys writes key in the ways a Markdown or HTML renderer undoes:
// the key is shown whole once the export is rendered.
func disguisedKeys(key string) map[string]string {
	return map[string]string{
		"backslash escapes": strings.ReplaceAll(key, "-", `\-`),
		"numeric entities":  strings.ReplaceAll(key, "-", "&#45;"),
		"emphasis":          key[:1] + "**" + key[1:] + "**",
		"zero-width joiner": key[:10] + "\u200d" + key[10:],
		"zero-width space":  key[:10] + "\u200b" + key[10:],
	}
}

// readable approximates what a reader sees of an export: tags dropped,
// references decoded, Markdown markers and invisible characters gone.
func readable(out string) string {
	var b strings.Builder
	inTag := false
	for _, r := range out {
		switch {
		case r == '<':
			inTag = true
		case r == '>' && inTag:
			inTag = false
		case !inTag:
			b.WriteRune(r)
		}
	}
	s := strings.NewReplacer("&#45;", "-", "&amp;#45;", "-", `\-`, "-", "**", "", "\u200d", "", "\u200b", "", "<U+200B>", "").Replace(b.String())
	return strings.NewReplacer("&lt;U+200B&gt;", "", "U+200B", "").Replace(s)
}

func TestExportMasksDisguisedKeys(t *testing.T) {
	key := "sk-" + "proj-" + randomHex(t, 10) + "CANARY" + randomHex(t, 4)
	secret := randomHex(t, 8) + "-VALUECANARY-" + randomHex(t, 8) // masked by value only
	r := redact.New(secret)
	for name, dk := range disguisedKeys(key) {
		ds := disguisedKeys(secret)[name]
		c := &chat.Conversation{ID: "20260101-000000-abcdef12", Title: "t", Messages: []chat.Message{
			{Role: chat.RoleUser, Content: "show me"},
			{Role: chat.RoleAssistant, Content: "The key is " + dk + " and the token " + ds + ".\n\n*done*"},
		}}
		for _, f := range Formats() {
			out := readable(string(export(t, c, f, r)))
			if strings.Contains(out, "CANARY") {
				t.Errorf("%s, %s export: a disguised key reads whole", name, f)
			}
		}
	}
}

func TestImportChatGPTMasksDisguisedKeys(t *testing.T) {
	key := "sk-" + "proj-" + randomHex(t, 10) + "CANARY" + randomHex(t, 4)
	for name, dk := range disguisedKeys(key) {
		part, _ := json.Marshal("here: " + dk)
		data := `[{"id": "a", "title": "t", "current_node": "u", "mapping": {
			"u": {"message": {"author": {"role": "assistant"}, "content": {"content_type": "text", "parts": [` + string(part) + `]}}}}}]`
		res, err := Import(strings.NewReader(data), "conversations.json", ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(readable(res.Conversations[0].Messages[0].Content), "CANARY") {
			t.Errorf("%s: imported with the key readable", name)
		}
		var buf bytes.Buffer
		if err := Export(&buf, res.Conversations[0], HTML, Options{}); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(readable(buf.String()), "CANARY") {
			t.Errorf("%s: HTML export of the import shows the key", name)
		}
	}
}
