package transcript

import (
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/mdfence"
)

func TestWrapProse(t *testing.T) {
	long := "The quick brown fox jumps over the lazy dog and keeps running far beyond the eighty column limit of a pager."
	tests := []struct {
		name, in, want string
	}{
		{"short line kept with trailing spaces", "short line   ", "short line   "},
		{"prose", long,
			"The quick brown fox jumps over the lazy dog and keeps running far beyond the\neighty column limit of a pager."},
		{"width is exactly 80", strings.Repeat("a", 80), strings.Repeat("a", 80)},
		{"long word kept whole", "see " + strings.Repeat("x", 90) + " end",
			"see\n" + strings.Repeat("x", 90) + "\nend"},
		{"fenced code untouched", "```\n" + long + "   \n```\n" + long,
			"```\n" + long + "   \n```\nThe quick brown fox jumps over the lazy dog and keeps running far beyond the\neighty column limit of a pager."},
		{"tilde fence and info", "~~~python\n\t" + long + "\n~~~", "~~~python\n\t" + long + "\n~~~"},
		{"unclosed fence untouched to the end", "```\n" + long, "```\n" + long},
		{"table untouched", "| a | " + long + " |\n|---|---|\n| 1 | 2 |", "| a | " + long + " |\n|---|---|\n| 1 | 2 |"},
		{"table without outer pipes", "a | " + long + "\n--- | ---\n1 | 2", "a | " + long + "\n--- | ---\n1 | 2"},
		{"indented code after a blank line", "text\n\n    " + long, "text\n\n    " + long},
		{"list item with hanging indent", "- " + long,
			"- The quick brown fox jumps over the lazy dog and keeps running far beyond the\n  eighty column limit of a pager."},
		{"numbered item", "10. " + long,
			"10. The quick brown fox jumps over the lazy dog and keeps running far beyond the\n    eighty column limit of a pager."},
		{"list continuation is prose", "- item\n\n    " + long,
			"- item\n\n    The quick brown fox jumps over the lazy dog and keeps running far beyond the\n    eighty column limit of a pager."},
		{"block quote", "> " + long,
			"> The quick brown fox jumps over the lazy dog and keeps running far beyond the\n> eighty column limit of a pager."},
		{"CJK breaks between characters", strings.Repeat("日本語", 20),
			strings.Repeat("日本語", 13) + "日\n本語" + strings.Repeat("日本語", 6)},
		{"no line starts with 。", strings.Repeat("あ", 40) + "。あ" + strings.Repeat("い", 10),
			strings.Repeat("あ", 39) + "\nあ。あ" + strings.Repeat("い", 10)},
		{"emoji count two columns", strings.Repeat("🙂 ", 30),
			strings.Repeat("🙂 ", 26) + "🙂\n" + strings.Repeat("🙂 ", 2) + "🙂"},
		{"combining marks count zero", strings.Repeat("e\u0301", 85),
			strings.Repeat("e\u0301", 85)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := wrapProse(tt.in, textWidth)
			if got != tt.want {
				t.Fatalf("wrapProse:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestTextExportFits checks every prose line of the plain-text export of
// the fixture: at most 80 columns, unless it is a single long word.
func TestTextExportFits(t *testing.T) {
	out := string(export(t, loadFixture(t), Text, nil))
	fences := mdfence.Scanner{AnyIndent: true}
	for i, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "── ") {
			fences = mdfence.Scanner{AnyIndent: true} // a message ends any code block it left open
		}
		if fences.Next(line) != mdfence.Text {
			continue
		}
		if strings.HasPrefix(strings.TrimSpace(line), "|") {
			continue
		}
		if displayWidth(line) > textWidth && strings.Contains(strings.TrimSpace(line), " ") {
			t.Errorf("line %d is %d columns: %q", i+1, displayWidth(line), line)
		}
	}
}
