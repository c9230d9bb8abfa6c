package ui

import (
	"slices"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/vaultchat/vaultchat/internal/chat"
)

func TestJoinPartsBreaksBetweenParts(t *testing.T) {
	parts := []string{"gpt-4o-mini", "", "1.2k tok", "$0.0012", "3.4s"}
	cases := []struct {
		w    int
		want []string
	}{
		{80, []string{"gpt-4o-mini · 1.2k tok · $0.0012 · 3.4s"}},
		{24, []string{"gpt-4o-mini · 1.2k tok ·", "$0.0012 · 3.4s"}},
		// The mark does not fit after "gpt-4o-mini" in 12 columns.
		{12, []string{"gpt-4o-mini", "1.2k tok ·", "$0.0012 ·", "3.4s"}},
		// A part wider than w stays whole for the caller to cut or wrap.
		{5, []string{"gpt-4o-mini", "1.2k tok", "$0.0012", "3.4s"}},
	}
	for _, c := range cases {
		if got := joinParts(parts, " · ", c.w); !slices.Equal(got, c.want) {
			t.Errorf("w=%d: got %q, want %q", c.w, got, c.want)
		}
	}
}

func TestJoinPartsKeepsAStyledSeparatorStyled(t *testing.T) {
	style := lipgloss.NewStyle().Bold(true)
	sep := style.Render(" · ")
	got := joinParts([]string{"alpha", "beta"}, sep, 8)
	if len(got) != 2 || ansi.Strip(got[0]) != "alpha ·" || got[0] != "alpha"+style.Render(" ·") {
		t.Fatalf("got %q", got)
	}
}

// TestReplyFooterCutWithEllipsis: a reply's footer breaks between its
// parts, and a part too wide for the chat alone ends with "…".
func TestReplyFooterCutWithEllipsis(t *testing.T) {
	h := newHarness(t, 80, 24, Options{})
	env := h.m.env()
	it := &chatItem{kind: itemAssistant, text: "hi", turn: &chat.Turn{KeyName: "work", Model: "a-model-with-a-very-long-name-from-a-proxy",
		Usage: chat.Usage{PromptTokens: 1200, CompletionTokens: 234}, Incomplete: true, IncompleteReason: "canceled"}}
	for _, w := range []int{24, 40, 60} {
		lines := it.lines(w, env)
		plain := ansi.Strip(strings.Join(lines, "\n"))
		if !strings.Contains(plain, "work · a-model-with") || !strings.Contains(plain, "1,434 tok") || !strings.Contains(plain, "stopped by you") {
			t.Fatalf("width %d: footer parts missing:\n%s", w, plain)
		}
		for _, l := range lines {
			if ansi.StringWidth(l) > w {
				t.Fatalf("width %d: a line is %d wide: %q", w, ansi.StringWidth(l), ansi.Strip(l))
			}
		}
		if w < 44 && !strings.Contains(plain, "…") {
			t.Fatalf("width %d: the key and model part is cut without \"…\":\n%s", w, plain)
		}
	}
}
