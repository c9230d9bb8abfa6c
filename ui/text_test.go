package ui

import (
	"slices"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
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
