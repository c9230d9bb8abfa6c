package transcript_test

import (
	"fmt"
	"os"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/internal/transcript"
)

func ExampleExport() {
	cost := 0.00042
	c := &chat.Conversation{
		ID:      "20250314-092653-a1b2c3",
		Title:   "Hello",
		Created: time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC),
		Messages: []chat.Message{
			{Role: chat.RoleUser, Content: "Say hi. My key is sk-proj-" + "EXAMPLEonlyEXAMPLEonly1234"},
			{Role: chat.RoleAssistant, Content: "Hi!", Turn: &chat.Turn{
				KeyName: "work", Model: "gpt-4o-mini", CostUSD: &cost, Duration: 900 * time.Millisecond,
				Usage: chat.Usage{PromptTokens: 12, CompletionTokens: 3},
			}},
		},
	}
	// The Redactor would hold every secret of the unlocked vault.
	opts := transcript.Options{Redactor: redact.New()}
	if err := transcript.Export(os.Stdout, c, transcript.Markdown, opts); err != nil {
		fmt.Println(err)
	}
	fmt.Println(transcript.FileName(c, transcript.Markdown))
	// Output:
	// ---
	// title: "Hello"
	// id: "20250314-092653-a1b2c3"
	// created: 2025-03-14T09:26:53Z
	// keys: ["work"]
	// models: ["gpt-4o-mini"]
	// messages: 2
	// total_tokens: 15
	// total_cost_usd: 0.00042
	// estimated: false
	// ---
	//
	// # Hello
	//
	// ## User
	//
	// Say hi. My key is sk-proj-…1234
	//
	// ## Assistant
	//
	// *key work · gpt-4o-mini · 15 tokens · $0.0004 · 900ms*
	//
	// Hi!
	//
	// hello.md
}
