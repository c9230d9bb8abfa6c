package markdown

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// testKey builds a key-shaped value at run time.
func testKey() string {
	return "sk-" + "proj-" + strings.Repeat("Zq8", 20) + "CANARY_tail9"
}

// disguised is a reply holding key in every way a renderer would undo.
func disguised(key string) map[string]string {
	return map[string]string{
		"backslash escapes": strings.ReplaceAll(key, "-", `\-`),
		"numeric entities":  strings.ReplaceAll(key, "-", "&#45;"),
		"named entities":    strings.ReplaceAll(key, "_", "&lowbar;"),
		"emphasis":          key[:1] + "**" + key[1:] + "**",
		"zero-width joiner": key[:10] + "\u200d" + key[10:],
		"inline html":       key[:1] + "<b>" + key[1:] + "</b>",
	}
}

// leaks reports whether rendered lines show the key, whole or wrapped.
func leaks(lines []string) bool {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(strings.TrimSpace(ansi.Strip(l)))
	}
	s := strings.ReplaceAll(b.String(), "\u200d", "")
	return strings.Contains(s, "CANARY") || strings.Contains(s, "Zq8Zq8Zq8")
}

func TestRenderMasksDisguisedKeys(t *testing.T) {
	key := testKey()
	for name, d := range disguised(key) {
		for _, width := range []int{40, 80, 200} {
			src := "Here is the key: " + d + " (keep it safe).\n\nNext paragraph.\n"
			lines := New("dark").Render(src, width)
			if leaks(lines) {
				t.Errorf("%s at width %d: key on screen:\n%s", name, width, plain(lines))
			}
			if !strings.Contains(plain(lines), "sk-proj-…ail9") {
				t.Errorf("%s at width %d: masked form missing:\n%s", name, width, plain(lines))
			}
			if !strings.Contains(plain(lines), "Next paragraph.") {
				t.Errorf("%s: the rest of the reply is gone:\n%s", name, plain(lines))
			}
		}
	}
}

// TestStreamMasksDisguisedKeys is what "vaultchat ask" on a terminal
// prints: the streaming renderer's stable lines and its finish.
func TestStreamMasksDisguisedKeys(t *testing.T) {
	key := testKey()
	for name, d := range disguised(key) {
		src := "# Reply\n\nThe key: " + d + "\n\n- a list\n- of items\n\nEnd.\n"
		s := New("dark").NewStream(60)
		var printed []string
		// Three bytes at a time, on character boundaries as the provider
		// delivers text.
		for i, j := 0, 0; i < len(src); i = j {
			for j = min(i+3, len(src)); !utf8.RuneStart(src[j%len(src)]) && j < len(src); j++ {
			}
			s.Append(src[i:j])
			printed = append(printed, s.TakeStable()...)
			// A key's first few characters may show until it is long
			// enough to be recognised; never the key.
			if strings.Contains(plain(s.Lines()), "CANARY") {
				t.Fatalf("%s: key on screen while streaming", name)
			}
		}
		printed = append(printed, s.Finish()...)
		if leaks(printed) {
			t.Errorf("%s: key printed:\n%s", name, plain(printed))
		}
	}
}

func TestCleanDropsInvisibleCharactersOutsideCode(t *testing.T) {
	src := "a\u200bb c\u200dd 👩\u200d💻\n\n```\nx\u200by\n```\n"
	got := Clean(src)
	if !strings.Contains(got, "ab cd 👩\u200d💻") {
		t.Errorf("prose: %q", got)
	}
	if !strings.Contains(got, "x<U+200B>y") {
		t.Errorf("code lost its visible stand-in: %q", got)
	}
}

// TestTableCellsElidedNotCut: a table wider than the pane elides its
// cells with "…" instead of wrapping them mid-word or cutting them at
// the pane's edge; a key in an elided cell shows no part of itself.
func TestTableCellsElidedNotCut(t *testing.T) {
	src := "| Model | Tokens in | Tokens out | Cost | Status |\n|---|---:|---:|---:|---|\n" +
		"| sim-injection-escapes | 1200 | 340 | $0.0002 | finished ok |\n"
	lines := New("dark").Render(src, 40)
	text := plain(lines)
	if !strings.Contains(text, "…") {
		t.Fatalf("no cell elided:\n%s", text)
	}
	if strings.Count(text, "\n") > 4 {
		t.Fatalf("the row was wrapped over several lines:\n%s", text)
	}
	key := testKey()
	for _, w := range []int{30, 44, 60} {
		lines = New("dark").Render("| key | note |\n|---|---|\n| "+key+" | the whole thing, as it was written |\n", w)
		if leaks(lines) || strings.Contains(plain(lines), "-Z") {
			t.Fatalf("an elided cell shows part of the key at width %d:\n%s", w, plain(lines))
		}
	}
}
