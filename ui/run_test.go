package ui

import (
	"bytes"
	"context"
	"image/color"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/view"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// TestRunQuitsAndLocks drives Run with a scripted input: ctrl+c quits,
// and the backend is locked on the way out.
func TestRunQuitsAndLocks(t *testing.T) {
	b := newFakeBackend(time.Now())
	b.needsPass = false
	var out bytes.Buffer
	err := Run(context.Background(), b, Options{Input: strings.NewReader("\x03"), Output: &out})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if b.lockCalls == 0 {
		t.Fatal("Run returned without locking the backend")
	}
	if out.Len() == 0 {
		t.Fatal("no frame written")
	}
}

func TestDeltaRendersOnlyStreamingItem(t *testing.T) {
	h := newHarness(t, 160, 48, Options{})
	h.b.add(historyConversation(20))
	h.unlocked()
	h.typeText("more")
	h.key("enter")
	_ = h.m.View()
	before := map[*chatItem]*string{}
	for _, it := range h.m.chat.items[:len(h.m.chat.items)-1] {
		if it.cache != nil {
			before[it] = &it.cache[0]
		}
	}
	if len(before) == 0 {
		t.Fatal("no finished item was rendered")
	}
	streaming := h.m.chat.last()
	ver := streaming.ver
	h.send(streamEventMsg{seq: h.m.turn.seq, ev: chat.Delta{Text: "new text"}})
	_ = h.m.View()
	for it, p := range before {
		if it.cache == nil || &it.cache[0] != p {
			t.Fatal("a finished item was rendered again for a delta")
		}
	}
	if streaming.ver == ver || streaming.cacheVer != streaming.ver {
		t.Fatal("the streaming item was not re-rendered")
	}
	// A resize re-renders at the new width; finished items then stay
	// cached again.
	h.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	_ = h.m.View()
	if w := h.m.chat.items[len(h.m.chat.items)-2].cacheWidth; w != h.m.layout().chatW {
		t.Fatalf("cache width %d after resize, want %d", w, h.m.layout().chatW)
	}
}

func TestStartsWithTheBackendsChoiceAndDemoBanner(t *testing.T) {
	h := newHarness(t, 100, 30, Options{Demo: true})
	h.b.choices = map[string]view.Choice{"": {Key: h.b.keys[2].KeyRef, Model: "gpt-4.1"}}
	h.unlocked()
	if h.m.keyring.keyID != "k3" || h.m.keyring.model != "gpt-4.1" {
		t.Fatalf("key %q model %q", h.m.keyring.keyID, h.m.keyring.model)
	}
	if s := h.screen(); !strings.HasPrefix(s, " DEMO") {
		t.Fatalf("no demo banner:\n%s", s)
	}
}

func TestResizeAnyTime(t *testing.T) {
	h := newHarness(t, 80, 24, Options{})
	withConversation(h.b)
	h.b.usage = richUsage(testNow)
	h.unlocked()
	for _, sz := range [][2]int{{250, 70}, {20, 8}, {80, 24}, {121, 40}} {
		h.send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		lines := strings.Split(strings.TrimSuffix(h.m.View().Content, "\n"), "\n")
		if len(lines) != max(sz[1], 8) {
			t.Fatalf("%dx%d: %d lines", sz[0], sz[1], len(lines))
		}
		for i, l := range lines {
			if w := ansi.StringWidth(l); w > max(sz[0], 20) {
				t.Fatalf("%dx%d: line %d is %d columns wide", sz[0], sz[1], i, w)
			}
		}
	}
}

func TestDraftFileRoundTrip(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	msg := writeDraftCmd("draft with\ttab\n")().(draftFileMsg)
	if msg.err != nil {
		t.Fatal(msg.err)
	}
	fi, err := os.Stat(msg.path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("draft file mode %v, want 0600", fi.Mode().Perm())
	}
	if err := os.WriteFile(msg.path, []byte("edited\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	read := readDraftCmd(msg.path)().(draftReadMsg)
	if read.err != nil || read.text != "edited\n" {
		t.Fatalf("read back %q, %v", read.text, read.err)
	}
	if _, err := os.Stat(msg.path); !os.IsNotExist(err) {
		t.Fatal("draft file left behind")
	}
	h := newHarness(t, 80, 24, Options{}).unlocked()
	h.send(read)
	if h.m.input.Value() != "edited" {
		t.Fatalf("draft %q after the editor", h.m.input.Value())
	}
}

func TestThemeFollowsBackground(t *testing.T) {
	h := newHarness(t, 80, 24, Options{})
	gen := h.m.gen
	h.send(tea.BackgroundColorMsg{Color: color.White})
	if h.m.st.IsDark || h.m.md.Style() != "light" || h.m.gen == gen {
		t.Fatal("a light background did not switch to the light theme")
	}
}
