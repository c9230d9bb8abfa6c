package transcript

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// benchReply is a typical assistant reply: prose, a list, code, a table.
const benchReply = "Here is how the retry loop works. The client waits with exponential backoff and a little jitter, " +
	"so that many clients do not retry in lockstep after an outage.\n\n" +
	"1. Send the request.\n2. On a 429 or 5xx, wait `base * 2^attempt` plus jitter.\n3. Give up after five attempts.\n\n" +
	"```go\nfor attempt := 0; attempt < 5; attempt++ {\n\tresp, err := client.Do(req)\n\tif err == nil && resp.StatusCode < 500 {\n\t\treturn resp, nil\n\t}\n" +
	"\ttime.Sleep(backoff(attempt))\n}\n```\n\n| attempt | wait |\n|---|---|\n| 1 | 200ms |\n| 2 | 400ms |\n| 3 | 800ms |\n\n" +
	"That keeps the load on the server bounded while still recovering quickly from short blips.\n"

// longConversation builds an n-message conversation alternating user and
// assistant messages over two keys, with a key switch note every 100.
func longConversation(n int) *chat.Conversation {
	base := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	c := &chat.Conversation{
		ID: "20250301-090000-abcdef", Title: "A very long conversation",
		SystemPrompt: "You are a helpful assistant.",
		Created:      base, Updated: base.Add(time.Duration(n) * time.Minute),
		Messages: make([]chat.Message, 0, n),
	}
	keys := [2][2]string{{"k_1111aaaa2222bbbb", "personal"}, {"k_3333cccc4444dddd", "work"}}
	for i := 0; len(c.Messages) < n; i++ {
		at := base.Add(time.Duration(len(c.Messages)) * time.Minute)
		id := fmt.Sprintf("m_%012x", len(c.Messages))
		switch {
		case i%100 == 99:
			c.Messages = append(c.Messages, chat.Message{ID: id, Role: chat.RoleNote, Time: at, Content: "switched to key " + keys[(i/100)%2][1] + " · gpt-4o-mini"})
		case i%2 == 0:
			c.Messages = append(c.Messages, chat.Message{ID: id, Role: chat.RoleUser, Time: at,
				Content: fmt.Sprintf("Question %d: how should the client retry a request that failed with a 429, and for how long?", i)})
		default:
			k := keys[(i/100)%2]
			cost := 0.000123 * float64(i%7+1)
			c.Messages = append(c.Messages, chat.Message{ID: id, Role: chat.RoleAssistant, Time: at, Content: benchReply,
				Turn: &chat.Turn{KeyID: k[0], KeyName: k[1], Model: "gpt-4o-mini",
					Usage:   chat.Usage{PromptTokens: int64(200 + i), CompletionTokens: 180, Estimated: i%10 == 0},
					CostUSD: &cost, FinishReason: "stop", Duration: 1500*time.Millisecond + time.Duration(i)*time.Microsecond}})
		}
	}
	return c
}

// benchRedactor holds a handful of vault secrets, as a real vault would.
func benchRedactor() *redact.Redactor {
	var secrets []string
	for i := 0; i < 8; i++ {
		secrets = append(secrets, fmt.Sprintf("sk-proj-BENCH%040d", i))
	}
	return redact.New(secrets...)
}

func benchmarkExport(b *testing.B, f Format, n int) {
	c := longConversation(n)
	opts := Options{Redactor: benchRedactor()}
	var buf bytes.Buffer
	if err := Export(&buf, c, f, opts); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := Export(io.Discard, c, f, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExportMarkdown10k(b *testing.B) { benchmarkExport(b, Markdown, 10_000) }
func BenchmarkExportJSON10k(b *testing.B)     { benchmarkExport(b, JSON, 10_000) }
func BenchmarkExportText10k(b *testing.B)     { benchmarkExport(b, Text, 10_000) }
func BenchmarkExportHTML1k(b *testing.B)      { benchmarkExport(b, HTML, 1_000) }

func BenchmarkImportJSON10k(b *testing.B) {
	var buf bytes.Buffer
	if err := Export(&buf, longConversation(10_000), JSON, Options{}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Import(bytes.NewReader(data), "bench.json", ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// chatGPTExport builds a conversations.json of n conversations, each a
// root, a hidden system node and six exchanges, one of them regenerated.
func chatGPTExport(n int) []byte { return testkit.ChatGPTExport(n, benchReply) }

func BenchmarkImportChatGPT1000(b *testing.B) {
	data := chatGPTExport(1000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := Import(bytes.NewReader(data), "conversations.json", ImportOptions{Redactor: benchRedactor()})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Conversations) != 1000 {
			b.Fatalf("%d conversations", len(res.Conversations))
		}
	}
}

// TestBenchFixtures keeps the benchmark inputs honest: the generated
// ChatGPT export imports with the regenerated answer left out.
func TestBenchFixtures(t *testing.T) {
	res, err := Import(bytes.NewReader(chatGPTExport(3)), "x", ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Conversations) != 3 || len(res.Conversations[0].Messages) != 12 {
		t.Fatalf("got %d conversations, %d messages", len(res.Conversations), len(res.Conversations[0].Messages))
	}
	if strings.Contains(contents(res.Conversations[0]), "regenerated") {
		t.Fatal("regenerated answer imported")
	}
	if c := longConversation(10_000); len(c.Messages) != 10_000 {
		t.Fatalf("longConversation: %d messages", len(c.Messages))
	}
}
