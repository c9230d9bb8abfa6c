package ui

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// historyConversation builds a conversation of n messages alternating
// user questions and markdown replies.
func historyConversation(n int) *chat.Conversation {
	c := &chat.Conversation{ID: "hist", Title: "history"}
	for i := range n {
		if i%2 == 0 {
			c.Messages = append(c.Messages, chat.Message{ID: fmt.Sprint(i), Role: chat.RoleUser, Content: fmt.Sprintf("Question %d: how does this work?", i)})
			continue
		}
		c.Messages = append(c.Messages, chat.Message{ID: fmt.Sprint(i), Role: chat.RoleAssistant,
			Content: fmt.Sprintf("Answer %d with **bold** text.\n\n- point one\n- point two\n\n```go\nx := %d\n```\n", i, i),
			Turn:    &chat.Turn{KeyID: "k1", KeyName: "work", Model: "gpt-4o-mini", Usage: chat.Usage{PromptTokens: 100, CompletionTokens: 50}}})
	}
	return c
}

// benchReply is a markdown reply of about 2,000 tokens.
func benchReply() string {
	var b strings.Builder
	for i := 0; b.Len() < 8000; i++ {
		fmt.Fprintf(&b, "## Step %d\n\nThis paragraph explains step %d with **emphasis**, `code` and enough words to wrap across a wide terminal line or two.\n\n", i, i)
		fmt.Fprintf(&b, "- first point\n- second point\n\n| key | value |\n|-----|-------|\n| a | %d |\n\n```go\nfunc step%d() {}\n```\n\n", i, i)
	}
	return b.String()
}

func streamingModel(b *testing.B, history int) *harness {
	h := newHarness(b, 160, 48, Options{IdleLock: -1})
	if history > 0 {
		h.b.add(historyConversation(history))
	}
	h.unlocked()
	h.m.input.SetValue("Go on.")
	h.key("enter")
	_ = h.m.View()
	return h
}

// BenchmarkStreamDelta measures Update+View for one coalesced delta
// (120 bytes, about 30 tokens) of a markdown reply at 160x48. A reply
// that reaches about 2,000 tokens is finished (Done) and a new turn sent,
// so the cost of finishing and starting turns is included.
func BenchmarkStreamDelta(b *testing.B) {
	for _, n := range []int{0, 1000, 10000} {
		b.Run(fmt.Sprintf("history=%d", n), func(b *testing.B) {
			h := streamingModel(b, n)
			m := h.m
			reply := benchReply()
			off := 0
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if off >= len(reply) {
					m.Update(streamEventMsg{seq: m.turn.seq, ev: chat.Done{}})
					m.input.SetValue("Go on.")
					_, cmd := m.Update(keyMsg("enter"))
					m.Update(cmd())
					off = 0
				}
				end := min(off+120, len(reply))
				m.Update(streamEventMsg{seq: m.turn.seq, ev: chat.Delta{Text: reply[off:end]}})
				off = end
				_ = m.View()
			}
		})
	}
}

// BenchmarkViewAtRest measures one View of an idle screen with 1,000
// messages of history and the side pane open, at 160x48.
func BenchmarkViewAtRest(b *testing.B) {
	h := newHarness(b, 160, 48, Options{IdleLock: -1})
	h.b.add(historyConversation(1000))
	h.b.usage = richUsage(testNow)
	h.unlocked()
	m := h.m
	_ = m.View()
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkPaste1MB measures pasting 1 MB (20,000 lines) into the input
// and drawing the next frame.
func BenchmarkPaste1MB(b *testing.B) {
	h := newHarness(b, 160, 48, Options{IdleLock: -1}).unlocked()
	m := h.m
	big := strings.Repeat(strings.Repeat("abcdefghij", 5)+"\n", 20000)
	b.ReportAllocs()
	for b.Loop() {
		m.input.Reset()
		m.Update(tea.PasteMsg{Content: big})
		_ = m.View()
	}
}

// BenchmarkTypeAfterPaste measures one keystroke plus View with a 1 MB
// draft.
func BenchmarkTypeAfterPaste(b *testing.B) {
	h := newHarness(b, 160, 48, Options{IdleLock: -1}).unlocked()
	m := h.m
	m.Update(tea.PasteMsg{Content: strings.Repeat(strings.Repeat("abcdefghij", 5)+"\n", 20000)})
	b.ReportAllocs()
	for b.Loop() {
		m.Update(tea.KeyPressMsg{Code: 'x', Text: "x"})
		_ = m.View()
	}
}
