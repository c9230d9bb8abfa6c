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
