package ui

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/figures"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/ui/styles"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// sizes are the terminal sizes every golden screen is drawn at: the
// smallest supported (80×24), a common laptop one (120×40) and a wide one.
var sizes = [][2]int{{80, 24}, {120, 40}, {160, 48}}

// checkGolden compares a plain-text frame with testdata/<name>.golden.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test ./ui -update): %v", err)
	}
	if got != string(want) {
		t.Errorf("frame differs from %s (run with -update after checking)\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// longCodeReply has code lines longer than the chat at 80 columns, one
// of them indented.
const longCodeReply = "A function with long lines:\n\n```go\nfunc describe(name string, count int) string {\n\tif count > 1 {\n\t\treturn fmt.Sprintf(\"%s has %d items, which is more than one, so the plural is used here\", name, count)\n\t}\n\treturn name\n}\n```\n"

const markdownReply = "Here is a **Go** example:\n\n```go\nfunc add(a, b int) int {\n\treturn a + b\n}\n```\n\n| op | result |\n|----|--------|\n| add(1, 2) | 3 |\n| add(2, 2) | 4 |\n\n- fast\n- simple\n"

func cost(v float64) *float64 { return &v }

// withConversation stores a conversation with one finished markdown turn.
func withConversation(b *fakeBackend) {
	b.add(&chat.Conversation{ID: "c100", Title: "go arithmetic", Messages: []chat.Message{
		{ID: "m1", Role: chat.RoleUser, Content: "Show me a Go add function with a table of results."},
		{ID: "m2", Role: chat.RoleAssistant, Content: markdownReply, Turn: &chat.Turn{
			KeyID: "k1", KeyName: "work", Model: "gpt-4o-mini",
			Usage:   chat.Usage{PromptTokens: 1200, CompletionTokens: 234},
			CostUSD: cost(0.0012), Duration: 2300 * time.Millisecond}},
	}})
}

// blockQuoteReply is the start of the demo simulator's reply, with its
// block quote of the user's message.
const blockQuoteReply = "You are talking to **sim-smart**, the vaultchat simulator.\n\n" +
	"> **Your message:** \"Suggest a name for a terminal app that keeps API keys encrypted.\"\n>\n" +
	"> **Before that:** nothing; this is the first turn.\n>\n> **System prompt:** none was sent.\n\n" +
	"That is all for this turn.\n"

// wideTableReply holds a table wider than an 80-column chat beside the
// usage pane: too many columns for glamour to shrink it with a "…" in
// every cut cell.
const wideTableReply = "Tokens by day:\n\n" +
	"| Key | Mon | Tue | Wed | Thu | Fri | Sat | Sun | Total |\n" +
	"|---|---:|---:|---:|---:|---:|---:|---:|---:|\n" +
	"| work | 12,400 | 9,800 | 15,100 | 7,300 | 11,000 | 0 | 2,100 | 57,700 |\n" +
	"| personal | 1,200 | 0 | 3,400 | 800 | 0 | 5,600 | 0 | 11,000 |\n\n" +
	"Most of it is the work key.\n"

func richUsage(now time.Time) view.Usage {
	daily := make([]view.Day, 14)
	for i := range daily {
		daily[i] = view.Day{Day: now.AddDate(0, 0, i-13), Tokens: int64((i*7919)%23) * 1000, Estimated: i == 12}
	}
	return view.Usage{
		Conversation: view.Total{Tokens: 1434, Cost: figures.Cost{USD: 0.0012}},
		Today:        view.Total{Tokens: 12_300, Cost: figures.Cost{USD: 0.12}},
		Month:        view.Total{Tokens: 345_000, Estimated: true, Cost: figures.Cost{USD: 3.45, Estimated: true}},
		Lifetime:     view.Total{Tokens: 1_200_000, Cost: figures.Cost{USD: 12}},
		Budgets: []view.Budget{
			{Name: "daily USD", Spent: 0.5, Limit: 1, USD: true, ResetsAt: now.Add(9 * time.Hour)},
			{Name: "monthly tokens", Spent: 345_000, Limit: 400_000, Hard: true, ResetsAt: now.Add(17 * 24 * time.Hour)},
			{Name: "monthly USD", Spent: 3.45, Limit: 3, USD: true},
		},
		RateLimits: chat.RateLimits{LimitRequests: 5000, RemainingRequests: 4999, LimitTokens: 150_000, RemainingTokens: 9_000,
			ResetRequests: now.Add(12 * time.Second), ResetTokens: now.Add(80 * time.Second), Observed: now.Add(-30 * time.Second)},
		ContextWindow: 128_000, ContextUsed: 15_400,
		Daily: daily,
	}
}

// goldenCase is one screen of the golden tests: setup drives a fresh
// harness to it.
type goldenCase struct {
	name  string
	setup func(h *harness)
	opts  Options
}

// goldenCases are the screens checked against testdata and for glyphs.
var goldenCases = []goldenCase{
	{"unlock", func(h *harness) { h.start() }, Options{}},
	{"wrong-passphrase", func(h *harness) {
		h.start()
		h.typeText("nope")
		h.key("enter")
	}, Options{}},
	{"empty-chat", func(h *harness) { h.unlocked() }, Options{}},
	{"streaming", func(h *harness) {
		h.unlocked()
		h.typeText("Explain goroutines briefly.")
		h.key("enter")
		h.b.stream <- chat.Delta{Text: "Goroutines are **lightweight threads** managed by the Go runtime.\n\nThey start with the `go` keyword:\n\n```go\ngo work()\n"}
		h.pump(false)
	}, Options{}},
	{"markdown-reply", func(h *harness) {
		withConversation(h.b)
		h.unlocked()
	}, Options{}},
	{"long-code", func(h *harness) {
		h.b.add(&chat.Conversation{ID: "c1", Title: "long code", Messages: []chat.Message{
			{ID: "m1", Role: chat.RoleUser, Content: "A long line of code?"},
			{ID: "m2", Role: chat.RoleAssistant, Content: longCodeReply, Turn: &chat.Turn{KeyName: "work", Model: "gpt-4o-mini"}},
		}})
		h.unlocked()
	}, Options{}},
	{"conversation-list", func(h *harness) {
		twoConversations(h.b)
		h.unlocked()
		h.key("ctrl+o")
		h.typeText("js")
	}, Options{}},
	{"conversation-list-side-pane", func(h *harness) {
		twoConversations(h.b)
		h.b.usage = richUsage(testNow)
		h.unlocked()
		if !h.m.sideVisible() {
			h.key("ctrl+t")
		}
		h.key("ctrl+o")
	}, Options{}},
	{"demo-banner", func(h *harness) {
		withConversation(h.b)
		h.unlocked()
	}, Options{Demo: true}},
	{"side-pane", func(h *harness) {
		withConversation(h.b)
		h.b.usage = richUsage(testNow)
		h.unlocked()
		if !h.m.sideVisible() {
			h.key("ctrl+t")
		}
	}, Options{}},
	{"key-picker", func(h *harness) {
		h.unlocked()
		h.key("ctrl+k")
		h.typeText("per")
	}, Options{}},
	{"help", func(h *harness) {
		h.unlocked()
		h.key("?")
	}, Options{}},
	{"error-turn", func(h *harness) {
		h.unlocked()
		h.typeText("hello")
		h.key("enter")
		h.b.stream <- chat.Failed{Err: &chat.Error{Class: chat.ErrInvalidKey, Status: 401, Message: "invalid API key (HTTP 401)",
			Hint: "run \"vaultchat keys check work\", or rotate it with \"vaultchat keys rotate work\""}}
		close(h.b.stream)
		h.pump(false)
		h.typeText("again")
		h.key("enter")
		h.b.stream <- chat.Failed{Err: &chat.Error{Class: chat.ErrRateLimited, Status: 429, Message: "rate limited (HTTP 429)",
			RetryAfter: 20 * time.Second, Hint: "rate limited; retry in 20s or switch key"}}
		close(h.b.stream)
		h.pump(false)
	}, Options{}},
	{"export-dialog", func(h *harness) {
		withConversation(h.b)
		h.unlocked()
		h.key("ctrl+s")
		h.key("tab")
	}, Options{}},
	{"export-overwrite", func(h *harness) {
		withConversation(h.b)
		h.b.existing = map[string]bool{fakeCwd + "/go-arithmetic.html": true}
		h.unlocked()
		h.key("ctrl+s")
		h.key("shift+tab")
		h.key("enter")
	}, Options{}},
	{"message-versions", func(h *harness) {
		withVersions(h.b)
		h.unlocked()
		h.key("alt+m")
		h.key("up")
		h.key("up")
		h.key("left")
	}, Options{}},
	{"list-search", func(h *harness) {
		twoConversations(h.b)
		withVersions(h.b)
		h.b.convs["c200"].Parent = &chat.ForkRef{ConversationID: "c100", MessageNumber: 1}
		h.unlocked()
		h.key("ctrl+o")
		h.typeText("so")
	}, Options{}},
	{"role-picker", func(h *harness) {
		withRoles(h.b)
		h.unlocked()
		h.key("alt+p")
		h.key("down")
		h.key("down")
	}, Options{}},
	{"attachments", func(h *harness) {
		dir := attachDir(h.t)
		h.b.usage = view.Usage{ContextWindow: 128_000, ContextUsed: 15_400}
		h.b.add(&chat.Conversation{ID: "c1", Title: "files", Messages: []chat.Message{
			{ID: "m1", Role: chat.RoleUser, Content: "What is in this picture?", Attachments: []chat.Attachment{
				{Name: "logo.png", MediaType: "image/png", Size: 2048, Data: []byte{1}}}},
			{ID: "m2", Role: chat.RoleAssistant, Content: "A padlock.", Turn: &chat.Turn{KeyName: "work", Model: "gpt-4o-mini"}},
		}})
		h.unlocked()
		h.typeText("and these? @" + dir + "/notes")
		h.key("tab")
		h.typeText("@" + dir + "/notebook")
		h.key("tab")
	}, Options{}},
	// The demo's reply quotes the user's message in a block quote: at
	// 120 columns the closing `"` used to stand alone on a line.
	{"block-quote", func(h *harness) {
		h.b.add(&chat.Conversation{ID: "c1", Title: "Naming the app", Messages: []chat.Message{
			{ID: "m1", Role: chat.RoleUser, Content: "Suggest a name for a terminal app that keeps API keys encrypted."},
			{ID: "m2", Role: chat.RoleAssistant, Content: blockQuoteReply, Turn: &chat.Turn{KeyName: "personal", Model: "sim-smart"}},
		}})
		h.unlocked()
	}, Options{}},
	// A table wider than the chat is cut at the edge with "…", never
	// shrunk to cells cut without a mark.
	{"wide-table", func(h *harness) {
		h.b.add(&chat.Conversation{ID: "c1", Title: "prices", Messages: []chat.Message{
			{ID: "m1", Role: chat.RoleUser, Content: "Compare the models."},
			{ID: "m2", Role: chat.RoleAssistant, Content: wideTableReply, Turn: &chat.Turn{KeyName: "work", Model: "gpt-4o-mini",
				Usage: chat.Usage{PromptTokens: 1200, CompletionTokens: 234}, CostUSD: cost(0.0012), Duration: 2300 * time.Millisecond}},
		}})
		h.unlocked()
		if !h.m.sideVisible() {
			h.key("ctrl+t") // at 80 columns: a 45-column chat
		}
	}, Options{}},
	{"locked", func(h *harness) {
		h.unlocked()
		h.clock = h.clock.Add(DefaultIdleLock)
		h.fire()
	}, Options{}},
	{"retrying", func(h *harness) {
		h.b.usage = richUsage(testNow)
		h.unlocked()
		h.typeText("hello")
		h.key("enter")
		h.b.stream <- chat.Retrying{Attempt: 2, Wait: 7 * time.Second, Err: &chat.Error{Class: chat.ErrRateLimited, Message: "rate limited (HTTP 429)"}}
		h.pump(false)
	}, Options{}},
}

func TestGoldenViews(t *testing.T) {
	for _, c := range goldenCases {
		for _, sz := range sizes {
			name := fmt.Sprintf("%s-%dx%d", c.name, sz[0], sz[1])
			t.Run(name, func(t *testing.T) {
				h := newHarness(t, sz[0], sz[1], c.opts)
				c.setup(h)
				checkGolden(t, name, h.screen())
			})
		}
	}
}

// fontGlyphs are the non-ASCII characters the TUI may draw. Each one was
// checked to be in JetBrains Mono (the font the README screenshots are
// rendered with, and a common terminal font); most are box drawing,
// block elements or basic arrows, which terminal fonts have. Arrows such
// as ↻ or ⟳ and emoji are not in it: a new glyph must be checked before
// it is added here.
const fontGlyphs = "\u00a0·…—“”‘’é×≥" + // no-break space, punctuation, letters
	"─│┃╭╮╰╯┌┐└┘├┤┬┴┼" + // box drawing
	"█▉▊▋▌▍▎▏▁▂▃▄▅▆▇░" + // block elements
	"←→↑↓↔›▸●○•✓✗⚠" // arrows, bullets and marks

// allMarkdown is a reply with every construct glamour draws glyphs for.
const allMarkdown = "# One\n\n## Two\n\n### Three\n\n#### Four\n\n##### Five\n\n###### Six\n\n" +
	"> a quote\n\n- a\n  - b\n\n1. first\n\n- [x] done\n- [ ] todo\n\n" +
	"Term\n\n: its definition\n\n---\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```go\nx := 1\n```\n"

// TestFramesUseFontGlyphs draws every golden screen, and a reply with
// every Markdown construct, and checks each character is in fontGlyphs:
// a glyph missing from the font shows as a box in the screenshots and in
// many terminals.
func TestFramesUseFontGlyphs(t *testing.T) {
	cases := append([]goldenCase(nil), goldenCases...)
	cases = append(cases, goldenCase{"all-markdown", func(h *harness) {
		h.b.add(&chat.Conversation{ID: "c1", Title: "markdown", Messages: []chat.Message{
			{ID: "m1", Role: chat.RoleUser, Content: "everything"},
			{ID: "m2", Role: chat.RoleAssistant, Content: allMarkdown, Turn: &chat.Turn{KeyName: "work", Model: "gpt-4o-mini"}},
		}})
		h.unlocked()
	}, Options{}})
	for _, c := range cases {
		for _, sz := range sizes {
			name := fmt.Sprintf("%s-%dx%d", c.name, sz[0], sz[1])
			t.Run(name, func(t *testing.T) {
				h := newHarness(t, sz[0], sz[1], c.opts)
				c.setup(h)
				var missing []string
				for _, r := range h.screen() {
					if r >= 0x80 && !strings.ContainsRune(fontGlyphs, r) {
						missing = append(missing, fmt.Sprintf("%q (%U)", r, r))
					}
				}
				if len(missing) > 0 {
					t.Errorf("the frame draws characters not in fontGlyphs: %s\n%s", strings.Join(missing, " "), h.screen())
				}
			})
		}
	}
}

// TestSidePaneRateLimitsFit checks the rate-limit rows keep their reset
// times whole at the side pane's narrowest and widest widths.
func TestSidePaneRateLimitsFit(t *testing.T) {
	st := styles.New(true, true)
	keys := newFakeBackend(testNow).keys
	for _, w := range []int{33, 43} {
		lines := renderSide(sideInput{key: &keys[0], model: "gpt-4o-mini", keys: keys, usage: richUsage(testNow), now: testNow}, w, 100, &st)
		text := plainScreen(strings.Join(lines, "\n"))
		for _, want := range []string{"RATE LIMITS", "resets in", "requests 4,999/5,000", "12s", "tokens   9,000/150k", "1m20s"} {
			if !strings.Contains(text, want) {
				t.Errorf("width %d: the pane lacks %q:\n%s", w, want, text)
			}
		}
		for _, l := range lines {
			if got := ansiWidth(l); got > w {
				t.Errorf("width %d: a line is %d wide: %q", w, got, l)
			}
		}
	}
}

// TestSidePaneProviderLine checks that what the provider last said shows
// under the usage rows, whole (wrapped), and sanitized where it entered
// (sanitizeUsage, as the keyring does).
func TestSidePaneProviderLine(t *testing.T) {
	st := styles.New(true, true)
	keys := newFakeBackend(testNow).keys
	u := richUsage(testNow)
	u.Provider = "reconciled Dec 2 15:04: provider saw 41k more tokens than this machine sent with key work \x1b]0;pwned\x07— another program uses this key"
	u = sanitizeUsage(u)
	for _, w := range []int{33, 43} {
		lines := renderSide(sideInput{key: &keys[0], model: "gpt-4o-mini", keys: keys, usage: u, now: testNow}, w, 100, &st)
		joined := strings.Join(lines, "\n")
		if strings.Contains(joined, "\x1b]0;") || strings.Contains(joined, "\x07") {
			t.Fatalf("width %d: the provider line drives the terminal", w)
		}
		text := strings.Join(strings.Fields(plainScreen(joined)), " ")
		if !strings.Contains(text, "provider saw 41k more tokens than this machine sent with key work") || !strings.Contains(text, "another program uses this key") {
			t.Errorf("width %d: the pane lacks the provider line:\n%s", w, plainScreen(joined))
		}
		for _, l := range lines {
			if got := ansiWidth(l); got > w {
				t.Errorf("width %d: a line is %d wide: %q", w, got, l)
			}
		}
	}
}

// TestViewIsPure draws every main-screen state whose drawing used to set
// state (the list's focus, its open conversation, the filters' widths)
// twice: the frames are the same and the model is as it was.
func TestViewIsPure(t *testing.T) {
	for _, sz := range [][2]int{{120, 40}, {60, 20}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			h := newHarness(t, sz[0], sz[1], Options{})
			twoConversations(h.b)
			h.unlocked()
			h.key("ctrl+o")
			h.key("enter") // opens a conversation: the list marks it
			h.key("ctrl+o")
			for _, step := range []string{"list focused", "input focused", "key picker"} {
				switch step {
				case "input focused":
					h.key("tab")
				case "key picker":
					h.key("ctrl+k")
				}
				// %#v, not reflect.DeepEqual: the list holds funcs,
				// which DeepEqual never finds equal.
				list, focus := fmt.Sprintf("%#v", h.m.list), h.m.focus
				var filter string
				if p, ok := topOverlay[*picker](&h.m.overlays); ok {
					filter = fmt.Sprintf("%#v", p.filter)
				}
				first, second := h.m.View().Content, h.m.View().Content
				if first != second {
					t.Fatalf("%s: two frames differ:\n%s\n----\n%s", step, plainScreen(first), plainScreen(second))
				}
				if fmt.Sprintf("%#v", h.m.list) != list || focus != h.m.focus {
					t.Fatalf("%s: drawing changed the conversation list or the focus", step)
				}
				if p, ok := topOverlay[*picker](&h.m.overlays); ok && fmt.Sprintf("%#v", p.filter) != filter {
					t.Fatalf("%s: drawing changed the picker's filter", step)
				}
			}
		})
	}
}

// TestViewLeavesTheInputAlone draws a draft taller than the input box
// after a paste, after moving up, and after a resize: the frames are the
// same, the editor (its scroll anchor included) is as Update left it, and
// the frame shows the cursor's line.
func TestViewLeavesTheInputAlone(t *testing.T) {
	h := newHarness(t, 80, 24, Options{})
	h.unlocked()
	var draft strings.Builder
	for i := range 60 {
		fmt.Fprintf(&draft, "draft line %02d\n", i)
	}
	draft.WriteString("the last line")
	h.send(tea.PasteMsg{Content: draft.String()})
	check := func(step, want string) {
		t.Helper()
		before := h.m.input.state()
		first, second := h.m.View().Content, h.m.View().Content
		if first != second {
			t.Fatalf("%s: two frames differ:\n%s\n----\n%s", step, plainScreen(first), plainScreen(second))
		}
		if after := h.m.input.state(); after != before {
			t.Fatalf("%s: drawing changed the editor: %s, then %s", step, before, after)
		}
		if !strings.Contains(plainScreen(first), want) {
			t.Fatalf("%s: the cursor's line %q is not shown:\n%s", step, want, plainScreen(first))
		}
	}
	check("after the paste", "the last line")
	for range 30 {
		h.key("up")
	}
	check("after moving up", "draft line 30")
	h.send(tea.WindowSizeMsg{Width: 40, Height: 12})
	check("after a resize", "draft line 30")
}

// TestListTakesKeysBeforeItIsDrawn types into the list's filter right
// after tab gives the list the focus back, with no frame drawn between:
// the filter's focus follows the Update, not the last frame.
func TestListTakesKeysBeforeItIsDrawn(t *testing.T) {
	h := newHarness(t, 120, 40, Options{})
	twoConversations(h.b)
	h.unlocked()
	h.key("ctrl+o")
	h.typeText("ar")
	h.key("tab")
	h.screen() // drawn with the input focused
	h.key("tab")
	h.typeText("ith")
	if got := h.m.list.filter.Value(); got != "arith" || !h.m.input.Empty() {
		t.Fatalf("typed right after tab: filter %q, input %q", got, h.m.input.Value())
	}
}

// TestHelpScrollsBackAtOnce: j past the help's end stops at its end
// (in Update, drawn or not), so one k scrolls up at once; drawing leaves
// the scroll as it is.
func TestHelpScrollsBackAtOnce(t *testing.T) {
	h := newHarness(t, 80, 24, Options{})
	h.unlocked()
	h.key("f1")
	o, ok := topOverlay[*helpOverlay](&h.m.overlays)
	if !ok {
		t.Fatalf("the help is not open:\n%s", h.screen())
	}
	for range 100 {
		h.key("j")
	}
	off := o.off
	if off == 0 || off >= 100 {
		t.Fatalf("after 100 j the help's scroll is %d; want its end, short of 100", off)
	}
	bottom := h.screen()
	if o.off != off {
		t.Fatalf("drawing the help moved its scroll from %d to %d", off, o.off)
	}
	h.key("j")
	if o.off != off || h.screen() != bottom {
		t.Fatalf("j at the help's end moved it")
	}
	h.key("k")
	if up := h.screen(); up == bottom || o.off != off-1 {
		t.Fatalf("k at the help's end did not scroll up one line (scroll %d):\n%s", o.off, up)
	}
}
