package ui

import (
	"fmt"
	"strings"
	"testing"
)

// demoHintText is a hint like the demo's (internal/cli's demoHint).
const demoHintText = " try ctrl+o: a role · files · a fork · a reply in 3 versions · type to search"

// TestDemoHintLine: with a hint, the demo banner has a second line that
// holds it, and the screen keeps its height.
func TestDemoHintLine(t *testing.T) {
	for _, sz := range sizes {
		h := newHarness(t, sz[0], sz[1], Options{Demo: true, DemoHint: demoHintText})
		withConversation(h.b)
		h.unlocked()
		lines := strings.Split(strings.TrimSuffix(h.screen(), "\n"), "\n")
		if len(lines) != sz[1] {
			t.Errorf("%dx%d: %d lines", sz[0], sz[1], len(lines))
		}
		if !strings.Contains(lines[0], "DEMO") || lines[1] != strings.TrimRight(demoHintText, " ") {
			t.Errorf("%dx%d: banner %q / %q", sz[0], sz[1], lines[0], lines[1])
		}
	}
}

// TestGoldenDemoBannerHint draws the demo banner with its hint line.
func TestGoldenDemoBannerHint(t *testing.T) {
	for _, sz := range sizes {
		name := fmt.Sprintf("demo-banner-hint-%dx%d", sz[0], sz[1])
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, sz[0], sz[1], Options{Demo: true, DemoHint: demoHintText})
			withConversation(h.b)
			h.unlocked()
			checkGolden(t, name, h.screen())
		})
	}
}

// TestDemoQuitPromisesNoKeptDraft: the demo deletes everything on exit,
// so its quit question says the draft goes with it; the app's says the
// draft is kept.
func TestDemoQuitPromisesNoKeptDraft(t *testing.T) {
	for _, demo := range []bool{false, true} {
		h := newHarness(t, 80, 24, Options{Demo: demo}) // the question whole, not cut
		h.unlocked()
		h.typeText("half a thought")
		h.key("ctrl+c")
		s := h.screen()
		kept := strings.Contains(s, "kept, encrypted")
		if kept == demo {
			t.Fatalf("demo %v: the quit question promises a kept draft: %v\n%s", demo, kept, s)
		}
		if demo && !strings.Contains(s, "draft are deleted on exit") {
			t.Fatalf("the demo's quit question does not say the draft is deleted:\n%s", s)
		}
	}
}
