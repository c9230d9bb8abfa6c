package store

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// testHome is a vault home (testkit.Home) with the store's paths.
type testHome struct{ testkit.Home }

func newHome(tb testing.TB) testHome { return testHome{testkit.NewHome(tb)} }

// store returns a Store on a new vault handle whose clock is clock.
func (h testHome) store(tb testing.TB, clock *fakeClock) *Store {
	tb.Helper()
	s := New(h.Open(tb).Files())
	if clock != nil {
		s.now = clock.Now
	}
	return s
}

func (h testHome) convPath(id string) string {
	return filepath.Join(h.Dir, "conversations", id+".age")
}

// fakeClock returns base, then base plus one minute per call.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time {
	c.t = c.t.Add(time.Minute)
	return c.t
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)}
}

func cost(v float64) *float64 { return &v }

// sampleConversation has a system prompt, a note, two complete turns on two
// keys, one with an unknown cost, and an incomplete failed reply.
func sampleConversation(id string) *chat.Conversation {
	t0 := time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC)
	return &chat.Conversation{
		ID:           id,
		Title:        "Sample",
		SystemPrompt: "You are terse.",
		Created:      t0,
		Messages: []chat.Message{
			{ID: "m1", Role: chat.RoleUser, Content: "hello <b>&</b> \"quotes\" ✓", Time: t0},
			{ID: "m2", Role: chat.RoleAssistant, Content: "# Hi\n\n| a | b |\n|---|---|\n", Time: t0.Add(time.Second),
				Turn: &chat.Turn{KeyID: "k1", KeyName: "work", Model: "gpt-4o", Usage: chat.Usage{PromptTokens: 100, CachedPromptTokens: 20, CompletionTokens: 50, ReasoningTokens: 5},
					CostUSD: cost(0.0125), FinishReason: "stop", Duration: 1500 * time.Millisecond}},
			{ID: "m3", Role: chat.RoleNote, Content: "switched to key home", Time: t0.Add(2 * time.Second)},
			{ID: "m4", Role: chat.RoleUser, Content: "and again", Time: t0.Add(3 * time.Second)},
			{ID: "m5", Role: chat.RoleAssistant, Content: "partial", Time: t0.Add(4 * time.Second),
				Turn: &chat.Turn{KeyID: "k2", KeyName: "home", Model: "mystery-model", Usage: chat.Usage{PromptTokens: 30, CompletionTokens: 3, Estimated: true},
					Incomplete: true, IncompleteReason: "rate limited",
					Error: &chat.Error{Class: chat.ErrRateLimited, Status: 429, Message: "rate limited (HTTP 429)", Hint: "retry", RetryAfter: 12 * time.Second}}},
			{ID: "m6", Role: chat.RoleUser, Content: "third", Time: t0.Add(5 * time.Second)},
			{ID: "m7", Role: chat.RoleAssistant, Content: "ok", Time: t0.Add(6 * time.Second),
				Turn: &chat.Turn{KeyID: "k1", KeyName: "work", Model: "gpt-4o", Usage: chat.Usage{PromptTokens: 10, CompletionTokens: 2}, CostUSD: cost(0.0005)}},
		},
	}
}

// bigConversation has n messages alternating a short question and a
// longer markdown answer, like a long real chat.
func bigConversation(n int) *chat.Conversation {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	answer := strings.Repeat("Some *markdown* text with `code` and a list:\n- item one\n- item two\n", 8)
	c := &chat.Conversation{ID: "big", Title: "Big", SystemPrompt: "be helpful", Created: t0, Messages: make([]chat.Message, n)}
	for i := range n {
		m := chat.Message{ID: fmt.Sprintf("m%d", i), Time: t0.Add(time.Duration(i) * time.Second)}
		if i%2 == 0 {
			m.Role, m.Content = chat.RoleUser, fmt.Sprintf("Question number %d: how does this work?", i)
		} else {
			m.Role, m.Content = chat.RoleAssistant, answer
			m.Turn = &chat.Turn{KeyID: "k1", KeyName: "work", Model: "gpt-4o-mini", Usage: chat.Usage{PromptTokens: int64(i * 10), CompletionTokens: 150}, CostUSD: cost(0.0001), FinishReason: "stop", Duration: time.Second}
		}
		c.Messages[i] = m
	}
	return c
}

// jsonOf renders v for comparison: two conversations are the same when
// their JSON is.
func jsonOf(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}
