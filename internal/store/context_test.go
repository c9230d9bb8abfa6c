package store

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// countChars is a stand-in tokenizer: one token per byte of content plus
// four per message.
func countChars(m chat.Message) int { return len(m.Content) + 4 }

// countAll is what a whole request costs under countChars.
func countAll(msgs []chat.Message) int {
	n := 0
	for _, m := range msgs {
		n += countChars(m)
	}
	return n
}

// conv builds a conversation from "role:content" strings (u, a, n for
// user, assistant, note).
func conv(system string, items ...string) *chat.Conversation {
	c := &chat.Conversation{ID: "c", SystemPrompt: system}
	roles := map[string]chat.Role{"u": chat.RoleUser, "a": chat.RoleAssistant, "n": chat.RoleNote}
	for i, it := range items {
		r, content, _ := strings.Cut(it, ":")
		m := chat.Message{ID: fmt.Sprint(i), Role: roles[r], Content: content}
		if r == "a" && strings.HasPrefix(content, "partial") {
			m.Turn = &chat.Turn{Incomplete: true, IncompleteReason: "canceled"}
		}
		c.Messages = append(c.Messages, m)
	}
	return c
}

// render shows messages as "role:content" joined by spaces.
func render(msgs []chat.Message) string {
	parts := make([]string, len(msgs))
	for i, m := range msgs {
		parts[i] = string(m.Role)[:1] + ":" + m.Content
	}
	return strings.Join(parts, " ")
}

// pad is content that costs about n tokens under countChars.
func pad(name string, n int) string { return name + strings.Repeat(".", n-len(name)-4) }

func TestContextMessages(t *testing.T) {
	big := func(name string) string { return pad(name, 1000) }
	tests := []struct {
		name    string
		c       *chat.Conversation
		window  int
		want    string
		trimmed int
	}{
		{"empty with system", conv("sys"), 0, "s:sys", 0},
		{"empty", conv(""), 8000, "", 0},
		{"no window means no trimming",
			conv("sys", "u:"+big("q1"), "a:"+big("a1"), "u:"+big("q2")), 0,
			"s:sys u:" + big("q1") + " a:" + big("a1") + " u:" + big("q2"), 0},
		{"notes skipped, partial reply kept, empty reply dropped",
			conv("sys", "u:q1", "a:partial answer", "n:switched key", "u:q2", "a:", "u:q3"), 100000,
			"s:sys u:q1 a:partial answer u:q2 u:q3", 0},
		{"no system prompt", conv("", "u:q1", "a:a1"), 100000, "u:q1 a:a1", 0},
		{"fits exactly",
			// 3 messages of 1000 plus the 7-token system message: 3007
			// tokens; window 4031 keeps 1024 free.
			conv("sys", "u:"+big("q1"), "a:"+big("a1"), "u:"+big("q2")), 4031,
			"s:sys u:" + big("q1") + " a:" + big("a1") + " u:" + big("q2"), 0},
		{"one token over drops the oldest turn",
			conv("sys", "u:"+big("q1"), "a:"+big("a1"), "u:"+big("q2")), 4030,
			"s:sys u:" + big("q2"), 1},
		{"drops several whole turns, never half a turn",
			conv("sys", "u:"+big("q1"), "a:"+big("a1"), "u:"+big("q2"), "a:"+big("a2"), "a:"+big("a2b"), "u:"+big("q3"), "a:"+big("a3"), "u:"+big("q4")), 4031,
			"s:sys u:" + big("q3") + " a:" + big("a3") + " u:" + big("q4"), 2},
		{"the newest user message stays even when too long",
			conv("sys", "u:"+big("q1"), "a:"+big("a1"), "u:"+pad("q2", 9000)), 4031,
			"s:sys u:" + pad("q2", 9000), 1},
		{"trailing reply stays with its question",
			conv("", "u:"+big("q1"), "a:"+big("a1"), "u:"+big("q2"), "a:partial"+strings.Repeat(".", 500)), 3000,
			"u:" + big("q2") + " a:partial" + strings.Repeat(".", 500), 1},
		{"a reply before any question is a turn of its own",
			conv("", "a:"+big("hello"), "u:"+big("q1"), "a:"+big("a1"), "u:"+big("q2")), 4030,
			"u:" + big("q1") + " a:" + big("a1") + " u:" + big("q2"), 1},
		{"large window reserves an eighth",
			// 64000-token window keeps 8000 free: 56000 usable.
			conv("", "u:"+pad("q1", 20000), "a:"+pad("a1", 20000), "u:"+pad("q2", 16001)), 64000,
			"u:" + pad("q2", 16001), 1},
		{"small window reserves at most half",
			conv("", "u:"+pad("q1", 300), "a:"+pad("a1", 300), "u:"+pad("q2", 300)), 1200,
			"u:" + pad("q2", 300), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, trimmed := ContextMessages(tt.c, tt.window, countChars)
			if got := render(msgs); got != tt.want {
				t.Errorf("messages:\n got %.200s\nwant %.200s", got, tt.want)
			}
			if trimmed != tt.trimmed {
				t.Errorf("trimmed = %d, want %d", trimmed, tt.trimmed)
			}
			// The conversation itself is never changed.
			for _, m := range tt.c.Messages {
				if m.Role == chat.RoleSystem {
					t.Fatal("the conversation was modified")
				}
			}
		})
	}
}

func TestReserve(t *testing.T) {
	for _, tt := range []struct{ window, want int }{
		{1000, 500}, {2048, 1024}, {8192, 1024}, {16384, 2048}, {128000, 16000},
	} {
		if got := reserve(tt.window); got != tt.want {
			t.Errorf("reserve(%d) = %d, want %d", tt.window, got, tt.want)
		}
	}
}

// TestContextMessagesMatchesLinear compares the newest-first count with the
// obvious loop (drop the oldest turn while too long) on random
// conversations.
func TestContextMessagesMatchesLinear(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	roles := []string{"u", "a", "a", "n", "u"}
	for i := range 500 {
		var items []string
		for j := range rng.IntN(30) {
			r := roles[rng.IntN(len(roles))]
			items = append(items, fmt.Sprintf("%s:%s", r, strings.Repeat("x", rng.IntN(400)+j%2)))
		}
		system := ""
		if rng.IntN(2) == 0 {
			system = "system prompt"
		}
		c := conv(system, items...)
		window := rng.IntN(5000) + 1
		got, gotTrimmed := ContextMessages(c, window, countChars)
		want, wantTrimmed := linearContext(c, window, countAll)
		if render(got) != render(want) || gotTrimmed != wantTrimmed {
			t.Fatalf("case %d (window %d): got %d trimmed %q, want %d trimmed %q", i, window, gotTrimmed, render(got), wantTrimmed, render(want))
		}
		// Deterministic: the same input gives the same output.
		again, againTrimmed := ContextMessages(c, window, countChars)
		if render(again) != render(got) || againTrimmed != gotTrimmed {
			t.Fatalf("case %d: second call differs", i)
		}
	}
}

// linearContext is the reference: build the turns, then drop the oldest
// one at a time while the request is too long, keeping the last.
func linearContext(c *chat.Conversation, window int, count func([]chat.Message) int) ([]chat.Message, int) {
	var turns [][]chat.Message
	for _, m := range c.Messages {
		switch {
		case m.Role == chat.RoleUser || (m.Role == chat.RoleAssistant && m.Content != "" && len(turns) == 0):
			turns = append(turns, []chat.Message{m})
		case m.Role == chat.RoleAssistant && m.Content != "":
			turns[len(turns)-1] = append(turns[len(turns)-1], m)
		}
	}
	build := func(from int) []chat.Message {
		var msgs []chat.Message
		if c.SystemPrompt != "" {
			msgs = append(msgs, chat.Message{Role: chat.RoleSystem, Content: c.SystemPrompt})
		}
		for _, t := range turns[from:] {
			msgs = append(msgs, t...)
		}
		return msgs
	}
	if window <= 0 {
		return build(0), 0
	}
	limit := window - reserve(window)
	dropped := 0
	for dropped < len(turns)-1 && count(build(dropped)) > limit {
		dropped++
	}
	return build(dropped), dropped
}

// TestFitsAgreesWithContextMessages checks that Fits says "fits" exactly
// when ContextMessages, given the same count, trims nothing from a
// conversation of several turns, for windows around the point where the
// first turn has to go.
func TestFitsAgreesWithContextMessages(t *testing.T) {
	c := &chat.Conversation{SystemPrompt: "be brief"}
	for i := range 6 {
		c.Messages = append(c.Messages,
			chat.Message{Role: chat.RoleUser, Content: strings.Repeat("q", 300+i)},
			chat.Message{Role: chat.RoleAssistant, Content: strings.Repeat("a", 500+i)})
	}
	msgs, _ := ContextMessages(c, 0, countChars)
	total := countAll(msgs)
	for window := 2 * total; window > total/2; window -= 7 {
		_, trimmed := ContextMessages(c, window, countChars)
		if fits := Fits(total, window); fits != (trimmed == 0) {
			t.Fatalf("window %d, request %d tokens: Fits %v but %d turns trimmed", window, total, fits, trimmed)
		}
	}
	if !Fits(1<<40, 0) {
		t.Error("an unknown window (0) must always fit")
	}
}
