package transcript

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/redact"
)

func importBytes(t testing.TB, data []byte, opts ImportOptions) *ImportResult {
	t.Helper()
	res, err := Import(bytes.NewReader(data), "input.json", opts)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return res
}

func TestJSONRoundTrip(t *testing.T) {
	r := redact.New(fixtureCanary)
	first := export(t, loadFixture(t), JSON, r)
	res := importBytes(t, first, ImportOptions{Redactor: r})
	if len(res.Conversations) != 1 || len(res.Notes) != 0 {
		t.Fatalf("got %d conversations, notes %q", len(res.Conversations), res.Notes)
	}
	c := res.Conversations[0]
	if c.Source != SourceVaultchatJSON {
		t.Errorf("Source = %q, want %q", c.Source, SourceVaultchatJSON)
	}
	second := export(t, c, JSON, r)
	if !bytes.Equal(first, second) {
		checkGolden(t, "conversation.json.golden", second) // shows the first differing line
		t.Fatal("export → import → export is not byte-identical")
	}

	// What came back is the cleaned fixture, field for field.
	want := cleanConversation(loadFixture(t), r, true)
	want.Source = SourceVaultchatJSON
	if !reflect.DeepEqual(c, want) {
		for i := range want.Messages {
			if i < len(c.Messages) && !reflect.DeepEqual(c.Messages[i], want.Messages[i]) {
				t.Fatalf("message %d differs:\n got %#v\nwant %#v", i, c.Messages[i], want.Messages[i])
			}
		}
		t.Fatalf("imported conversation differs:\n got %#v\nwant %#v", c, want)
	}
}

// TestJSONRoundTripEdgeCases covers values that are easy to lose: zero
// times, a known zero cost, a nil turn on an assistant message, a turn on
// a note, nanosecond durations, an original source.
func TestJSONRoundTripEdgeCases(t *testing.T) {
	zero := 0.0
	tiny := 1e-9
	tests := []struct {
		name string
		c    *chat.Conversation
	}{
		{"empty", &chat.Conversation{ID: "a", Messages: []chat.Message{}}},
		{"zero cost and nil turn", &chat.Conversation{ID: "b", Title: "t", Messages: []chat.Message{
			{Role: chat.RoleAssistant, Content: "x", Turn: &chat.Turn{CostUSD: &zero}},
			{Role: chat.RoleAssistant, Content: "no turn"},
			{Role: chat.RoleSystem, Content: "a system message"},
		}}},
		{"durations", &chat.Conversation{ID: "c", Messages: []chat.Message{
			{ID: "1", Role: chat.RoleAssistant, Turn: &chat.Turn{Duration: 1, CostUSD: &tiny}},
			{ID: "2", Role: chat.RoleAssistant, Turn: &chat.Turn{Duration: 123456789012345, Error: &chat.Error{Class: chat.ErrServer, RetryAfter: 1500 * time.Microsecond}}},
			{ID: "3", Role: chat.RoleAssistant, Turn: &chat.Turn{Duration: -5 * time.Millisecond}},
		}}},
		{"role and fork parent", &chat.Conversation{ID: "e", SystemPrompt: "changed later",
			Role:   &chat.RoleRef{Name: "reviewer", Description: "d", Text: "You review.", Model: "gpt-4o", Key: "work", Temperature: new(0.25)},
			Parent: &chat.ForkRef{ConversationID: "a", MessageID: "m_1", MessageNumber: 3}, Messages: []chat.Message{}}},
		{"attachments", &chat.Conversation{ID: "g", Messages: []chat.Message{{ID: "u", Role: chat.RoleUser, Content: "see", Attachments: []chat.Attachment{
			{Name: "notes.md", MediaType: "text/plain", Size: 6, Text: "hello\n"},
			{Name: "p.png", MediaType: "image/png", Size: 4, Data: []byte{0x89, 'P', 'N', 'G'}},
		}}}}},
		{"role without settings", &chat.Conversation{ID: "f", Role: &chat.RoleRef{Name: "plain", Text: "t"}, Messages: []chat.Message{}}},
		{"note with turn and source", &chat.Conversation{ID: "d", Source: "chatgpt", Created: time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC), Messages: []chat.Message{
			{ID: "n", Role: chat.RoleNote, Content: "switched", Time: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), Turn: &chat.Turn{KeyID: "k_1", KeyName: "work", Model: "m"}},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := export(t, tt.c, JSON, nil)
			res := importBytes(t, first, ImportOptions{})
			got := res.Conversations[0]
			want := *tt.c
			if want.Source == "" {
				want.Source = SourceVaultchatJSON
			}
			if !reflect.DeepEqual(got, &want) {
				t.Fatalf("round trip changed the conversation:\n got %#v\nwant %#v", got, &want)
			}
			if second := export(t, got, JSON, nil); !bytes.Equal(first, second) {
				t.Fatalf("not byte-identical:\n%s\n---\n%s", first, second)
			}
		})
	}
}

func TestMillis(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0"},
		{1, "0.000001"},
		{1500 * time.Microsecond, "1.5"},
		{2 * time.Second, "2000"},
		{4250 * time.Millisecond, "4250"},
		{1234567891, "1234.567891"},
		{-3 * time.Millisecond, "-3"},
	}
	for _, tt := range tests {
		got := millis(tt.d)
		if string(got) != tt.want {
			t.Errorf("millis(%d) = %s, want %s", tt.d, got, tt.want)
		}
		back, err := parseMillis(got)
		if err != nil || back != tt.d {
			t.Errorf("parseMillis(%s) = %d, %v; want %d", got, back, err, tt.d)
		}
	}
	for _, bad := range []string{"1e3", "1.0000001", "abc", "1.", ".5", "9999999999999"} {
		if _, err := parseMillis(json.Number(bad)); err == nil {
			t.Errorf("parseMillis(%q): no error", bad)
		}
	}
}

// validDoc returns our JSON for a small conversation with one change made
// by edit to the text.
func validDoc(t *testing.T, edit func(string) string) []byte {
	t.Helper()
	c := &chat.Conversation{ID: "conv-1", Title: "t", Messages: []chat.Message{
		{ID: "m1", Role: chat.RoleUser, Content: "hi", Time: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
		{ID: "m2", Role: chat.RoleAssistant, Content: "hello", Turn: &chat.Turn{KeyName: "k", Model: "m", Duration: time.Second}},
	}}
	s := string(export(t, c, JSON, nil))
	if edit == nil {
		return []byte(s)
	}
	out := edit(s)
	if out == s {
		t.Fatalf("edit changed nothing in:\n%s", s)
	}
	return []byte(out)
}

func replace(old, new string) func(string) string {
	return func(s string) string { return strings.Replace(s, old, new, 1) }
}

func TestImportBadInput(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", []byte(""), "file is empty"},
		{"spaces", []byte(" \n\t "), "file is empty"},
		{"not json", []byte("hello, world"), "not JSON"},
		{"markdown", []byte("---\ntitle: x\n---\n"), "not JSON"},
		{"a number", []byte("42"), "not an object or an array"},
		{"broken object", []byte(`{"format": "vaultchat-transcript", "version": 1,`), "ends too early"},
		{"syntax error", []byte("{\n  \"format\": \"vaultchat-transcript\",\n  \"version\": 1 x\n}"), "line 3, column"},
		{"other object", []byte(`{"name": "x"}`), `neither "format" nor "mapping"`},
		{"wrong format", validDoc(t, replace(`"vaultchat-transcript"`, `"other-transcript"`)), `format is "other-transcript"`},
		{"newer version", validDoc(t, replace(`"version": 1`, `"version": 3`)), "version 3 is newer"},
		{"version 0", validDoc(t, replace(`"version": 1`, `"version": 0`)), "unsupported transcript version 0"},
		{"version as string", validDoc(t, replace(`"version": 1`, `"version": "1"`)), "version is a JSON string"},
		{"unknown field", validDoc(t, replace(`"title": "t"`, `"title": "t", "color": "red"`)), `unknown field "color"`},
		{"unknown role", validDoc(t, replace(`"role":"user"`, `"role":"tool"`)), `unknown role "tool"`},
		{"path in id", validDoc(t, replace(`"id": "conv-1"`, `"id": "../../x"`)), "conversation id \"../../x\" is not valid"},
		{"empty id", validDoc(t, replace(`"id": "conv-1"`, `"id": ""`)), "is not valid"},
		{"duplicate message ids", validDoc(t, replace(`"id":"m2"`, `"id":"m1"`)), `messages 1 and 2 have the same id "m1"`},
		{"bad time", validDoc(t, replace(`"2025-01-01T00:00:00Z"`, `"yesterday"`)), `time "yesterday" is not RFC 3339`},
		{"bad duration", validDoc(t, replace(`"duration_ms":1000`, `"duration_ms":1e3`)), "duration_ms"},
		{"content not a string", validDoc(t, replace(`"content":"hi"`, `"content":["hi"]`)), "messages.content is a JSON array, want string"},
		{"trailing data", validDoc(t, func(s string) string { return s + "{}" }), "unexpected data after the end of the JSON"},
		{"array of numbers", []byte("[1, 2]"), "conversation 1: not a ChatGPT conversation"},
		{"array without mapping", []byte(`[{"title": "x", "id": "1"}]`), `conversation 1: not a ChatGPT conversation (no "mapping")`},
		{"empty array", []byte(`[]`), "holds no conversation with messages"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Import(bytes.NewReader(tt.data), "bad.json", ImportOptions{})
			if err == nil {
				t.Fatalf("no error; imported %d conversations", len(res.Conversations))
			}
			if res != nil {
				t.Fatal("a result came with the error")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "import bad.json: ") {
				t.Fatalf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

// endless is a reader of infinite JSON-ish bytes that counts what was read.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	e.n += int64(len(p))
	return len(p), nil
}

func TestImportTooLarge(t *testing.T) {
	const limit = 1 << 20
	t.Run("stream", func(t *testing.T) {
		src := &endless{}
		_, err := Import(src, "huge.json", ImportOptions{MaxSize: limit})
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "1 MiB") {
			t.Fatalf("err = %v", err)
		}
		if src.n > limit+1 {
			t.Fatalf("read %d bytes of an endless input with a %d byte limit", src.n, limit)
		}
	})
	t.Run("exactly the limit", func(t *testing.T) {
		doc := validDoc(t, nil)
		doc = append(doc, bytes.Repeat([]byte(" "), 4096-len(doc))...)
		if _, err := Import(bytes.NewReader(doc), "x.json", ImportOptions{MaxSize: 4096}); err != nil {
			t.Fatalf("a file of exactly MaxSize bytes was refused: %v", err)
		}
		doc = append(doc, ' ')
		if _, err := Import(bytes.NewReader(doc), "x.json", ImportOptions{MaxSize: 4096}); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("a file one byte over: err = %v", err)
		}
	})
	t.Run("2 GiB file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "conversations.json")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString("["); err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(2 << 30); err != nil { // sparse: no disk used
			t.Skipf("cannot make a sparse file: %v", err)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		_, err = Import(f, "conversations.json", ImportOptions{})
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err = %v", err)
		}
		want := "import conversations.json: file is larger than the import limit (512 MiB)"
		if err.Error() != want {
			t.Fatalf("error %q, want %q", err, want)
		}
		if pos, _ := f.Seek(0, io.SeekCurrent); pos != 0 {
			t.Fatalf("read %d bytes before refusing", pos)
		}
	})
}

func TestImportBOMAndSingleChatGPTObject(t *testing.T) {
	doc := append([]byte("\xef\xbb\xbf"), validDoc(t, nil)...)
	if res := importBytes(t, doc, ImportOptions{}); res.Conversations[0].ID != "conv-1" {
		t.Fatal("BOM-prefixed file not imported")
	}
	single := `{"id": "abc", "title": "one", "create_time": 1700000000, "mapping": {
		"r": {"id": "r", "message": null, "parent": null, "children": ["u"]},
		"u": {"id": "u", "parent": "r", "children": [], "message": {"author": {"role": "user"}, "content": {"content_type": "text", "parts": ["hi"]}}}},
		"current_node": "u"}`
	res := importBytes(t, []byte(single), ImportOptions{})
	if len(res.Conversations) != 1 || res.Conversations[0].Messages[0].Content != "hi" {
		t.Fatalf("single ChatGPT conversation: %#v", res.Conversations)
	}
}

func ExampleImport() {
	doc := `{"format": "vaultchat-transcript", "version": 1,
	  "conversation": {"id": "c1", "title": "Hello"},
	  "messages": [{"role": "user", "content": "hi", "vaultchat": {}}],
	  "totals": {"messages": 1, "keys": [], "models": [], "prompt_tokens": 0,
	    "completion_tokens": 0, "total_tokens": 0, "estimated": false, "cost_usd": null}}`
	res, err := Import(strings.NewReader(doc), "hello.json", ImportOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	c := res.Conversations[0]
	fmt.Println(c.ID, c.Title, c.Source, len(c.Messages))
	// Output: c1 Hello vaultchat-json 1
}

// TestSchemaDocExample keeps docs/transcript-json.md honest: its example
// imports, and exporting it again gives the example's exact bytes.
func TestSchemaDocExample(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "transcript-json.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```json\n")
	example, _, ok2 := strings.Cut(rest, "```\n")
	if !ok || !ok2 {
		t.Fatal("no ```json block in the schema doc")
	}
	res := importBytes(t, []byte(example), ImportOptions{})
	if got := string(export(t, res.Conversations[0], JSON, nil)); got != example {
		t.Fatalf("the doc's example is not what vaultchat writes:\n%s", got)
	}
}
