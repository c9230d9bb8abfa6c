package transcript

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
)

func importChatGPTFixture(t *testing.T) *ImportResult {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "chatgpt-conversations.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := Import(f, "conversations.json", ImportOptions{})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return res
}

// TestImportChatGPTGolden records the whole import: each conversation as
// our JSON, then the notes.
func TestImportChatGPTGolden(t *testing.T) {
	res := importChatGPTFixture(t)
	var buf bytes.Buffer
	for _, c := range res.Conversations {
		buf.Write(export(t, c, JSON, nil))
	}
	buf.WriteString("notes:\n")
	for _, n := range res.Notes {
		buf.WriteString(n + "\n")
	}
	checkGolden(t, "chatgpt-import.golden", buf.Bytes())
}

func TestImportChatGPT(t *testing.T) {
	res := importChatGPTFixture(t)
	byTitle := map[string]*chat.Conversation{}
	for _, c := range res.Conversations {
		byTitle[c.Title] = c
		if c.Source != SourceChatGPT {
			t.Errorf("%q: Source = %q", c.Title, c.Source)
		}
	}
	if len(res.Conversations) != 4 {
		t.Fatalf("got %d conversations, want 4 (the empty one skipped): %v", len(res.Conversations), byTitle)
	}
	// The file's order is kept (ChatGPT writes newest first).
	if res.Conversations[0].Title != "What's in this photo?" || res.Conversations[1].Title != "List comprehension vs map()" {
		t.Errorf("order: %q, %q", res.Conversations[0].Title, res.Conversations[1].Title)
	}

	t.Run("branch with regenerated answer", func(t *testing.T) {
		c := byTitle["List comprehension vs map()"]
		text := contents(c)
		if !strings.Contains(text, "Generally **yes**") || strings.Contains(text, "first answer") {
			t.Errorf("wrong branch:\n%s", text)
		}
		roles := roles(c)
		if want := []chat.Role{"user", "assistant", "user", "assistant"}; !reflect.DeepEqual(roles, want) {
			t.Errorf("roles = %v, want %v (hidden system node skipped)", roles, want)
		}
		if c.SystemPrompt != "" {
			t.Errorf("hidden system prompt imported: %q", c.SystemPrompt)
		}
		a := c.Messages[1]
		if a.Turn == nil || a.Turn.Model != "gpt-4o" || a.Turn.KeyName != ChatGPTKeyName || a.Turn.KeyID != "" || a.Turn.FinishReason != "stop" {
			t.Errorf("turn = %+v", a.Turn)
		}
		if want := time.Date(2024, 6, 10, 6, 13, 50, 750000000, time.UTC); !a.Time.Equal(want) {
			t.Errorf("time = %v, want %v", a.Time, want)
		}
		if want := time.Date(2024, 6, 10, 6, 13, 20, 123456000, time.UTC); !c.Created.Equal(want) {
			t.Errorf("created = %v, want %v (microseconds kept)", c.Created, want)
		}
		if !strings.Contains(c.Messages[3].Content, "\tprint(timeit.timeit(\"[str(i) for i in range(100)]\", number=10_000))  \n") {
			t.Errorf("code not kept byte for byte: %q", c.Messages[3].Content)
		}
	})

	t.Run("multimodal, tools, interrupted", func(t *testing.T) {
		c := byTitle["What's in this photo?"]
		var got []string
		for _, m := range c.Messages {
			got = append(got, string(m.Role)+": "+m.Content)
		}
		want := []string{
			"user: What breed is this dog?",
			"note: Not imported from this user message: 1 image part (attachments are separate files in a ChatGPT export).",
			"assistant: It looks like a Shiba Inu: curled tail, fox-like face, and a",
			"note: Not imported from this user message: 2 image parts (attachments are separate files in a ChatGPT export).",
			"assistant: Both are the same dog from a different angle.",
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("messages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if tu := c.Messages[2].Turn; tu == nil || !tu.Incomplete || tu.IncompleteReason != "interrupted" {
			t.Errorf("interrupted reply: turn = %+v", tu)
		}
		if strings.Contains(contents(c), "Osaka") {
			t.Error("hidden custom instructions imported")
		}
	})

	t.Run("edited question, visible system prompt, null content", func(t *testing.T) {
		c := byTitle["Edited question 🤔 about <b>HTML</b>"]
		text := contents(c)
		if !strings.Contains(text, "HTML *attributes*") || strings.Contains(text, "original question") {
			t.Errorf("wrong branch:\n%s", text)
		}
		if c.SystemPrompt != "You are ChatGPT. Be concise." {
			t.Errorf("SystemPrompt = %q", c.SystemPrompt)
		}
		if len(c.Messages) != 2 || c.Messages[1].Turn.Model != "o1" {
			t.Errorf("messages = %+v", c.Messages)
		}
		if !c.Messages[0].Time.IsZero() {
			t.Errorf("a null create_time became %v", c.Messages[0].Time)
		}
		if !c.Updated.Equal(c.Created) {
			t.Errorf("null update_time: Updated = %v, want Created %v", c.Updated, c.Created)
		}
	})

	t.Run("no current node", func(t *testing.T) {
		c := byTitle["No current node"]
		if text := contents(c); !strings.Contains(text, "newest one") || strings.Contains(text, "older one") {
			t.Errorf("without current_node the newest branch should win:\n%s", text)
		}
	})

	t.Run("notes", func(t *testing.T) {
		want := []string{
			`"What's in this photo?": skipped 3 image parts and 2 tool messages`,
			`"Edited question 🤔 about <b>HTML</b>": skipped 1 "reasoning_recap" message and 1 "thoughts" message`,
			"skipped 1 conversation with no messages",
		}
		if !reflect.DeepEqual(res.Notes, want) {
			t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(res.Notes, "\n"), strings.Join(want, "\n"))
		}
	})

	t.Run("deterministic ids", func(t *testing.T) {
		again := importChatGPTFixture(t)
		seen := map[string]bool{}
		for i, c := range res.Conversations {
			if c.ID != again.Conversations[i].ID {
				t.Errorf("ID changed between imports: %q, %q", c.ID, again.Conversations[i].ID)
			}
			if !chat.ValidID(c.ID) || seen[c.ID] {
				t.Errorf("bad or duplicate ID %q", c.ID)
			}
			seen[c.ID] = true
		}
		if got := byTitle["List comprehension vs map()"].ID; !strings.HasPrefix(got, "20240610-061320-") {
			t.Errorf("ID %q does not start with the creation time", got)
		}
	})

	t.Run("round trip through our JSON", func(t *testing.T) {
		for _, c := range res.Conversations {
			first := export(t, c, JSON, nil)
			back := importBytes(t, first, ImportOptions{})
			if back.Conversations[0].Source != SourceChatGPT {
				t.Errorf("source lost: %q", back.Conversations[0].Source)
			}
			if second := export(t, back.Conversations[0], JSON, nil); !bytes.Equal(first, second) {
				t.Errorf("%q: not byte-identical after a round trip", c.Title)
			}
		}
	})
}

func contents(c *chat.Conversation) string {
	var b strings.Builder
	for _, m := range c.Messages {
		b.WriteString(m.Content + "\n")
	}
	return b.String()
}

func roles(c *chat.Conversation) []chat.Role {
	var r []chat.Role
	for _, m := range c.Messages {
		r = append(r, m.Role)
	}
	return r
}

func TestImportChatGPTBadInput(t *testing.T) {
	node := func(id, parent, child, role, text string) string {
		msg := "null"
		if role != "" {
			msg = `{"author": {"role": "` + role + `"}, "content": {"content_type": "text", "parts": ["` + text + `"]}}`
		}
		children := "[]"
		if child != "" {
			children = `["` + child + `"]`
		}
		p := "null"
		if parent != "" {
			p = `"` + parent + `"`
		}
		return `"` + id + `": {"id": "` + id + `", "parent": ` + p + `, "children": ` + children + `, "message": ` + msg + `}`
	}
	conv := func(id, current string, nodes ...string) string {
		return `{"id": "` + id + `", "title": "T", "create_time": 1700000000.5, "current_node": "` + current + `", "mapping": {` + strings.Join(nodes, ",") + `}}`
	}
	ok := conv("a", "u", node("r", "", "u", "", ""), node("u", "r", "", "user", "hi"))
	tests := []struct {
		name, data, want string
	}{
		{"duplicate ids", "[" + ok + "," + ok + "]", `conversations 1 and 2 have the same id "a"`},
		{"cycle", "[" + conv("c", "x", node("x", "y", "", "user", "a"), node("y", "x", "", "user", "b")) + "]", `conversation 1 ("T"): the message tree has a cycle`},
		{"no id", `[{"title": "T", "mapping": {}}]`, `conversation 1 ("T"): no id`},
		{"mapping not an object", `[{"id": "a", "mapping": []}]`, "conversation 1: not a ChatGPT conversation: at line 1"},
		{"bad time", `[{"id": "a", "mapping": {}, "create_time": "soon"}]`, `time "soon" is not a number`},
		{"parts not an array", `[{"id": "a", "mapping": {"u": {"message": {"author": {"role": "user"}, "content": {"content_type": "text", "parts": "hi"}}}}}]`, "conversation 1: not a ChatGPT conversation"},
		{"only empty conversations", "[" + conv("e", "r", node("r", "", "", "", "")) + "]", "holds no conversation with messages"},
		{"second one bad", "[" + ok + `, 7]`, "conversation 2: not a ChatGPT conversation"},
		{"position in the file", "[\n" + ok + ",\n" + `{"id": "b",` + "\n" + `  "mapping": []}` + "\n]", "conversation 2: not a ChatGPT conversation: at line 4, column"},
		{"syntax error position", "[\n" + ok + ",\n{\"id\": \"b\" \"mapping\": {}}\n]", "invalid JSON at line 3, column 12"},
		{"truncated", "[" + ok, "ends too early"},
		{"trailing data", "[" + ok + "] x", "unexpected data after the array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Import(strings.NewReader(tt.data), "conversations.json", ImportOptions{})
			if err == nil {
				t.Fatalf("no error; got %d conversations", len(res.Conversations))
			}
			if res != nil {
				t.Fatal("partial result returned with the error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not say %q", err, tt.want)
			}
		})
	}
	// The valid one alone imports.
	if _, err := Import(strings.NewReader("["+ok+"]"), "x", ImportOptions{}); err != nil {
		t.Fatalf("valid input: %v", err)
	}
}

func TestImportChatGPTSanitizes(t *testing.T) {
	key := "sk-proj-CANARY" + randomHex(t, 12)
	data := `[{"id": "a", "title": "evil \u001b]0;title\u0007", "current_node": "u", "mapping": {
		"u": {"message": {"author": {"role": "user"}, "content": {"content_type": "text", "parts": ["\u001b[31mred ` + key + `"]}}}}}]`
	res, err := Import(strings.NewReader(data), "x", ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Conversations[0]
	if strings.ContainsRune(c.Title, 0x1b) || strings.ContainsRune(c.Messages[0].Content, 0x1b) {
		t.Errorf("escape sequences imported: %q, %q", c.Title, c.Messages[0].Content)
	}
	if strings.Contains(c.Messages[0].Content, key) {
		t.Error("key-shaped string imported unmasked")
	}
}

func TestGPTTime(t *testing.T) {
	tests := []struct {
		in   gptTime
		want time.Time
	}{
		{0, time.Time{}},
		{-5, time.Time{}},
		{1e12, time.Time{}},
		{1718000000.123456, time.Date(2024, 6, 10, 6, 13, 20, 123456000, time.UTC)},
		{1718000000.9999999, time.Date(2024, 6, 10, 6, 13, 21, 0, time.UTC)},
	}
	for _, tt := range tests {
		if got := tt.in.Time(); !got.Equal(tt.want) {
			t.Errorf("gptTime(%f).Time() = %v, want %v", float64(tt.in), got, tt.want)
		}
	}
}

// FuzzImport feeds arbitrary bytes to Import: it must not panic, and
// anything it accepts must survive a JSON round trip unchanged.
func FuzzImport(f *testing.F) {
	for _, name := range []string{"chatgpt-conversations.json", "conversation.json.golden"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`[{"id":"a","mapping":{"x":{"parent":"x","children":["x"]}}}]`))
	f.Add([]byte(`{"format":"vaultchat-transcript","version":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Import(bytes.NewReader(data), "fuzz", ImportOptions{MaxSize: 1 << 20})
		if err != nil {
			if res != nil {
				t.Fatal("result with error")
			}
			return
		}
		for _, c := range res.Conversations {
			var first bytes.Buffer
			if err := Export(&first, c, JSON, Options{}); err != nil {
				t.Fatal(err)
			}
			back, err := Import(bytes.NewReader(first.Bytes()), "again", ImportOptions{})
			if err != nil {
				t.Fatalf("re-import of our own export: %v\n%s", err, first.Bytes())
			}
			var second bytes.Buffer
			if err := Export(&second, back.Conversations[0], JSON, Options{}); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first.Bytes(), second.Bytes()) {
				t.Fatalf("round trip differs:\n%s\n---\n%s", first.Bytes(), second.Bytes())
			}
		}
	})
}
