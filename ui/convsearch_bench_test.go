package ui

import (
	"fmt"
	"testing"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/view"
)

// listModel is a harness at 160x48 with n conversations and the list
// open with its filter focused.
func listModel(b *testing.B, n int) *harness {
	h := newHarness(b, 160, 48, Options{IdleLock: -1})
	for i := range n {
		h.b.add(&chat.Conversation{ID: fmt.Sprintf("c%04d", i), Title: fmt.Sprintf("conversation %d about topic %d", i, i%37),
			Messages: []chat.Message{{ID: "m", Role: chat.RoleUser, Content: "hello"}}})
	}
	h.unlocked()
	h.key("ctrl+o")
	_ = h.m.View()
	return h
}

// BenchmarkListFilterKeystroke measures what one key typed in the
// conversation list's filter costs the screen with 1,000 conversations:
// Update (the title filter, the search command made but not run: it
// runs off the UI's goroutine) and the frame. Keys alternate between
// typing a letter and deleting it, so every key changes the filter.
func BenchmarkListFilterKeystroke(b *testing.B) {
	h := listModel(b, 1000)
	m := h.m
	h.typeText("topic 1")
	keys := []string{"2", "backspace"}
	b.ResetTimer()
	for i := range b.N {
		_, _ = m.Update(keyMsg(keys[i%2]))
		_ = m.View()
	}
}

// BenchmarkListFilterAnswer measures applying the search's answer (every
// one of 1,000 conversations matching, one snippet each) and drawing
// the frame.
func BenchmarkListFilterAnswer(b *testing.B) {
	h := listModel(b, 1000)
	m := h.m
	h.typeText("hello")
	hits := make([]view.SearchHit, 1000)
	for i := range hits {
		hits[i] = view.SearchHit{ID: fmt.Sprintf("c%04d", i), Matches: 1,
			Snippets: []view.SearchSnippet{{Number: 1, Role: chat.RoleUser, Text: "well hello there, a snippet of the message", Start: 5, End: 10}}}
	}
	b.ResetTimer()
	for range b.N {
		m.list.hitsQuery = ""
		_, _ = m.Update(searchedMsg{query: "hello", hits: hits})
		_ = m.View()
	}
}
