package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/ui/styles"
)

// twoConversations stores "go arithmetic" (c100) and a newer "json
// tricks" (c200).
func twoConversations(b *fakeBackend) {
	withConversation(b)
	b.add(&chat.Conversation{ID: "c200", Title: "json tricks", Messages: []chat.Message{{ID: "x", Role: chat.RoleUser, Content: "hi"}}})
}

// TestListNeverTakesKeysUnseen opens the conversation list with the side
// pane on at widths where the list, the pane and the chat do not all fit,
// and types "djson": the list is on screen while it has the focus, the
// letters go into its filter, and nothing is deleted or created.
func TestListNeverTakesKeysUnseen(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {90, 30}, {100, 30}, {60, 20}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			h := newHarness(t, sz[0], sz[1], Options{})
			twoConversations(h.b)
			h.unlocked()
			if !h.m.sideVisible() {
				h.key("ctrl+t")
			}
			h.key("ctrl+o")
			if h.m.focus != focusConvs || !strings.Contains(h.screen(), "CONVERSATIONS") {
				t.Fatalf("the focused list is not on screen:\n%s", h.screen())
			}
			h.typeText("djson")
			if !h.m.overlays.empty() {
				t.Fatalf("typing opened a dialog:\n%s", h.screen())
			}
			if len(h.b.convs) != 2 || h.b.nextID != 0 {
				t.Fatalf("typing changed the conversations: %d stored, %d created", len(h.b.convs), h.b.nextID)
			}
			s := h.screen()
			if !strings.Contains(s, "/ djson") || !strings.Contains(s, "no match") {
				t.Fatalf("the filter is not shown:\n%s", s)
			}
			h.key("esc") // clears the filter
			h.typeText("ARITH")
			if s := h.screen(); len(h.m.list.shown) != 1 || h.m.list.shown[0].ID != "c100" || !strings.Contains(s, "  go arithmetic") {
				t.Fatalf("filter by title, any case:\n%s", s)
			}
			h.key("alt+d") // the selected one, asks first
			if !strings.Contains(h.screen(), "Delete “go arithmetic”?") {
				t.Fatalf("alt+d in the list does not ask about the selected conversation:\n%s", h.screen())
			}
			h.key("n")
			h.key("enter")
			if h.m.convID != "c100" || h.m.focus != focusInput {
				t.Fatalf("enter did not open the filtered conversation: open %q, focus %d", h.m.convID, h.m.focus)
			}
			if len(h.b.convs) != 2 {
				t.Fatal("a conversation was deleted")
			}
			h.key("ctrl+o")
			h.send(tea.PasteMsg{Content: "tricks"})
			if len(h.m.list.shown) != 1 || h.m.list.shown[0].ID != "c200" || !h.m.input.Empty() {
				t.Fatalf("a paste in the list did not filter it: %d shown, input %q", len(h.m.list.shown), h.m.input.Value())
			}
		})
	}
}

// TestListLeavesNoHiddenFocus checks, at every width from 20 to 200
// columns, that whenever the list has the focus it is drawn.
func TestListLeavesNoHiddenFocus(t *testing.T) {
	h := newHarness(t, 80, 24, Options{})
	twoConversations(h.b)
	h.unlocked()
	h.key("ctrl+t")
	h.key("ctrl+o")
	for w := 20; w <= 200; w++ {
		h.send(windowSize(w, 30))
		l := h.m.layout()
		if h.m.focus == focusConvs && !l.showConvs && !l.convsOver {
			t.Fatalf("width %d: the list has the focus and is not drawn", w)
		}
		if l.showConvs && l.chatW < minChatW {
			t.Fatalf("width %d: the chat is %d columns", w, l.chatW)
		}
	}
	// Narrow: the list is a box over the chat; leaving it closes it.
	h.send(windowSize(60, 20))
	h.key("tab")
	if h.m.list.open || strings.Contains(h.screen(), "CONVERSATIONS") {
		t.Fatalf("the list drawn over the chat stays after the focus left it:\n%s", h.screen())
	}
}

// TestStoppingNoteClearedWhenTurnEnds stops a reply with esc: "stopping…"
// shows until the canceled turn ends, then only the incomplete mark.
func TestStoppingNoteClearedWhenTurnEnds(t *testing.T) {
	h := newHarness(t, 100, 30, Options{}).unlocked()
	h.typeText("hi")
	h.key("enter")
	h.b.stream <- chat.Delta{Text: "partial"}
	h.pump(false)
	h.key("esc")
	if !strings.Contains(h.screen(), "stopping…") {
		t.Fatalf("no stopping note while stopping:\n%s", h.screen())
	}
	h.b.stream <- chat.Failed{Err: &chat.Error{Class: chat.ErrCanceled, Message: "canceled"},
		Message: &chat.Message{ID: "a1", Role: chat.RoleAssistant, Content: "partial",
			Turn: &chat.Turn{KeyName: "work", Model: "gpt-4o-mini", Incomplete: true, IncompleteReason: "canceled"}}}
	close(h.b.stream)
	h.pump(false)
	s := h.screen()
	if strings.Contains(s, "stopping") || !strings.Contains(s, "stopped by you") || strings.Contains(s, "canceled") {
		t.Fatalf("want the incomplete mark and no stopping note:\n%s", s)
	}
}

// TestScrolledUpShowsWayBack scrolls up in a long conversation: the last
// chat row says more is below and names the key from the key map; the
// key jumps back and the marker goes.
func TestScrolledUpShowsWayBack(t *testing.T) {
	h := newHarness(t, 80, 24, Options{})
	var msgs []chat.Message
	for i := range 30 {
		msgs = append(msgs, chat.Message{ID: fmt.Sprint(i), Role: chat.RoleUser, Content: fmt.Sprintf("line %d", i)})
	}
	h.b.add(&chat.Conversation{ID: "c1", Title: "long", Messages: msgs})
	h.unlocked()
	latest := keyName(h.m.km.Latest)
	if strings.Contains(h.screen(), "below") {
		t.Fatalf("a marker at the bottom:\n%s", h.screen())
	}
	h.key("pgup")
	if !strings.Contains(h.screen(), "↓ more below · "+latest) {
		t.Fatalf("scrolled up without a way back shown:\n%s", h.screen())
	}
	h.key(latest)
	if strings.Contains(h.screen(), "below") {
		t.Fatalf("the marker stays at the bottom:\n%s", h.screen())
	}
}

func windowSize(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }

// TestDemoBannerFits: at every width from 60 columns the demo banner is
// whole and says how to quit.
func TestDemoBannerFits(t *testing.T) {
	for _, w := range []int{60, 80, 100, 120, 160} {
		h := newHarness(t, w, 24, Options{Demo: true})
		h.unlocked()
		first := strings.SplitN(h.screen(), "\n", 2)[0]
		if !strings.Contains(first, "ctrl+c quits and deletes it") || !strings.Contains(first, "DEMO") {
			t.Errorf("width %d: banner %q", w, first)
		}
		if w >= 80 && !strings.Contains(first, "nothing leaves this machine") {
			t.Errorf("width %d: banner %q", w, first)
		}
	}
}

// TestSidePaneValuesWhole renders the pane at its width on a 120-column
// screen with long values: none is cut.
func TestSidePaneValuesWhole(t *testing.T) {
	st := styles.New(true, true)
	k := newFakeBackend(testNow).keys[1]
	k.Provider, k.Host = "openai-compatible", "127.0.0.1:18080"
	u := richUsage(testNow)
	u.Budgets[0].ResetsAt = testNow.Add(29 * 24 * time.Hour)
	u.Budgets[0].Spent, u.Budgets[0].Limit = 1234.5678, 5000
	u.Daily[len(u.Daily)-1] = view.Day{Day: testNow, Tokens: 1_600, Estimated: true}
	h := newHarness(t, 120, 40, Options{})
	w := h.m.layout().sideW - 1
	if !h.m.layout().showSide {
		t.Fatal("no side pane at 120 columns")
	}
	lines := renderSide(sideInput{key: &k, model: "llama-3.1-70b", keys: []view.Key{k}, usage: u, now: testNow}, w, 100, &st)
	text := plainScreen(strings.Join(lines, "\n"))
	if strings.Contains(strings.ReplaceAll(text, k.Fingerprint, ""), "…") {
		t.Errorf("a value is cut:\n%s", text)
	}
	for _, want := range []string{"openai-compatible", "127.0.0.1:18080", "resets in 29d00h", "today ~1.6k", "$1234.57 / $5000.00"} {
		if !strings.Contains(text, want) {
			t.Errorf("the pane lacks %q:\n%s", want, text)
		}
	}
	for _, l := range lines {
		if got := ansiWidth(l); got > w {
			t.Errorf("a line is %d wide: %q", got, l)
		}
	}
}

// TestScrollMarkerTakesItsOwnRow: at 80 columns, the "more below" marker
// has a row of its own; it never paints over the end of a content row.
func TestScrollMarkerTakesItsOwnRow(t *testing.T) {
	h := newHarness(t, 80, 24, Options{})
	var msgs []chat.Message
	for i := range 30 {
		msgs = append(msgs, chat.Message{ID: fmt.Sprint(i), Role: chat.RoleUser,
			Content: fmt.Sprintf("line %d %s", i, strings.Repeat("wordy ", 11))})
	}
	h.b.add(&chat.Conversation{ID: "c1", Title: "long", Messages: msgs})
	h.unlocked()
	h.key("pgup")
	s := h.screen()
	for _, row := range strings.Split(s, "\n") {
		before, _, ok := strings.Cut(row, "↓ more below")
		if !ok {
			continue
		}
		if i := strings.LastIndex(before, "│"); i >= 0 {
			before = before[i+len("│"):] // the list pane's border
		}
		if strings.TrimSpace(before) != "" {
			t.Fatalf("the marker shares its row with %q:\n%s", before, s)
		}
		return
	}
	t.Fatalf("no marker:\n%s", s)
}

// TestReplyFooterKeepsEveryPartWhenNarrow: at 80 columns with the side
// pane open, the line under a reply moves parts to a second line rather
// than cutting the duration off.
func TestReplyFooterKeepsEveryPartWhenNarrow(t *testing.T) {
	h := newHarness(t, 80, 24, Options{})
	h.b.add(&chat.Conversation{ID: "c1", Title: "t", Messages: []chat.Message{
		{ID: "m1", Role: chat.RoleUser, Content: "hi"},
		{ID: "m2", Role: chat.RoleAssistant, Content: "hello", Turn: &chat.Turn{
			KeyID: "k2", KeyName: "personal", Model: "llama-3.1-70b-instruct",
			Usage: chat.Usage{PromptTokens: 1200, CompletionTokens: 234}, CostUSD: cost(0.0032),
			Duration: 2300 * time.Millisecond, Incomplete: true, IncompleteReason: "canceled"}},
	}})
	h.unlocked()
	h.key("ctrl+t")
	s := h.screen()
	if !strings.Contains(s, "│") {
		t.Fatalf("the side pane is not open:\n%s", s)
	}
	for _, want := range []string{"1,434 tok", "$0.0032", "2.3s", "stopped by you"} {
		if !strings.Contains(s, want) {
			t.Errorf("the footer lost %q:\n%s", want, s)
		}
	}
}

// TestDialogsHaveAClearMargin: at 80 columns a dialog drawn over the
// chat keeps a blank column on each side, so no character from
// underneath touches its border ("╯e"); the help's last line says which
// keys scroll and that any other key closes.
func TestDialogsHaveAClearMargin(t *testing.T) {
	for _, open := range []string{"f1", "ctrl+k", "ctrl+s"} {
		t.Run(open, func(t *testing.T) {
			h := newHarness(t, 80, 24, Options{})
			long := strings.Repeat("everywhere ", 60)
			h.b.add(&chat.Conversation{ID: "c1", Title: "t", Messages: []chat.Message{
				{ID: "m1", Role: chat.RoleUser, Content: long},
				{ID: "m2", Role: chat.RoleAssistant, Content: long, Turn: &chat.Turn{KeyID: "k1", KeyName: "work", Model: "gpt-4o-mini"}},
			}})
			h.unlocked()
			h.b.usage = richUsage(testNow)
			h.key("ctrl+t") // the side pane fills the right-hand columns
			h.key(open)
			s := h.screen()
			found := false
			for _, row := range strings.Split(s, "\n") {
				rs := []rune(row)
				last := -1
				for i, r := range rs {
					if strings.ContainsRune("│╮╯┤", r) {
						last = i
					}
					if strings.ContainsRune("╮╯", r) {
						found = true
					}
				}
				if last >= 0 && last+1 < len(rs) && rs[last+1] != ' ' {
					t.Fatalf("%q follows the dialog's border:\n%s", rs[last+1], s)
				}
				if j := strings.IndexAny(row, "╭╰"); j > 0 && row[j-1] != ' ' {
					t.Fatalf("%q precedes the dialog's border:\n%s", row[j-1], s)
				}
			}
			if !found {
				t.Fatalf("no dialog:\n%s", s)
			}
			if open == "f1" && !strings.Contains(s, "scroll · any other key closes") {
				t.Fatalf("the help's footer does not name its scroll keys:\n%s", s)
			}
		})
	}
}

// TestLongNoticeElidedAtAWord: a notice wider than the screen ends with
// "…" after a whole word, never cut mid-word.
func TestLongNoticeElidedAtAWord(t *testing.T) {
	h := newHarness(t, 80, 24, Options{})
	h.unlocked()
	notice := "no model chosen for key a-rather-long-key-name, which has no default model: pick one with ctrl+p from the list"
	h.m.setNotice(notice, true)
	rows := strings.Split(strings.TrimRight(h.screen(), "\n"), "\n")
	last := strings.TrimSpace(rows[len(rows)-1])
	shown, ok := strings.CutSuffix(last, "…")
	if !ok {
		t.Fatalf("the notice is not elided: %q", last)
	}
	if !strings.HasPrefix(notice, shown) || notice[len(shown)] != ' ' {
		t.Fatalf("the notice is cut mid-word: %q", last)
	}
}
