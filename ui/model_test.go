package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/ui/styles"
)

func TestUnlockFlow(t *testing.T) {
	tests := []struct {
		name     string
		pass     string
		inUse    bool
		wantMain bool
		wantErr  string
	}{
		{"right passphrase", "correct horse", false, true, ""},
		{"wrong passphrase", "hunter2x", false, false, "wrong passphrase"},
		{"vault in use", "correct horse", true, false, "vault in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, 80, 24, Options{})
			h.b.inUse = tt.inUse
			h.start()
			h.typeText(tt.pass)
			h.key("enter")
			if got := h.m.screen == screenMain; got != tt.wantMain {
				t.Fatalf("main screen = %v, want %v", got, tt.wantMain)
			}
			if tt.wantErr != "" && !strings.Contains(h.screen(), tt.wantErr) {
				t.Fatalf("screen lacks %q:\n%s", tt.wantErr, h.screen())
			}
			if strings.Contains(h.screen(), tt.pass) {
				t.Fatal("the passphrase is visible on screen")
			}
		})
	}
}

func TestIdentityVaultSkipsUnlock(t *testing.T) {
	h := newHarness(t, 80, 24, Options{})
	h.b.needsPass = false
	h.start()
	if h.m.screen != screenMain {
		t.Fatalf("screen %d, want main without a passphrase", h.m.screen)
	}
}

func TestSendStreamDone(t *testing.T) {
	h := newHarness(t, 100, 30, Options{}).unlocked()
	h.typeText("What is 2+2?")
	h.key("enter")
	if len(h.b.sends) != 1 {
		t.Fatalf("%d sends, want 1", len(h.b.sends))
	}
	req := h.b.sends[0]
	if req.Prompt != "What is 2+2?" || req.KeyID != "k1" || req.Model != "gpt-4o-mini" || req.ConversationID == "" {
		t.Fatalf("request %+v", req)
	}
	if !h.m.input.Empty() {
		t.Fatal("input not cleared after send")
	}
	h.b.stream <- chat.Delta{Text: "It is "}
	h.b.stream <- chat.Delta{Text: "**four**."}
	h.pump(false)
	if !strings.Contains(h.screen(), "It is four.") || !strings.Contains(h.screen(), "streaming") {
		t.Fatalf("deltas not shown while streaming:\n%s", h.screen())
	}
	cost := 0.00042
	h.b.stream <- chat.Done{Usage: chat.Usage{PromptTokens: 30, CompletionTokens: 12}, Duration: 1500 * time.Millisecond,
		Message: &chat.Message{ID: "a1", Role: chat.RoleAssistant, Content: "It is **four**.", Turn: &chat.Turn{
			KeyID: "k1", KeyName: "work", Model: "gpt-4o-mini", Usage: chat.Usage{PromptTokens: 30, CompletionTokens: 12},
			CostUSD: &cost, Duration: 1500 * time.Millisecond}}}
	close(h.b.stream)
	h.pump(false)
	s := h.screen()
	for _, want := range []string{"work · gpt-4o-mini · 42 tok · $0.0004 · 1.5s", "idle"} {
		if !strings.Contains(s, want) {
			t.Errorf("screen lacks %q:\n%s", want, s)
		}
	}
	if h.m.turn.streaming {
		t.Error("still streaming after Done")
	}
}

func TestEstimatedUsageMarked(t *testing.T) {
	h := newHarness(t, 100, 30, Options{}).unlocked()
	h.typeText("hi")
	h.key("enter")
	h.b.stream <- chat.Delta{Text: "hello"}
	h.b.stream <- chat.Done{Usage: chat.Usage{PromptTokens: 5, CompletionTokens: 1, Estimated: true}}
	close(h.b.stream)
	h.pump(false)
	if !strings.Contains(h.screen(), "~6 tok") {
		t.Fatalf("estimated tokens not marked with ~:\n%s", h.screen())
	}
}

func TestEscCancelsStream(t *testing.T) {
	h := newHarness(t, 100, 30, Options{}).unlocked()
	h.typeText("long story please")
	h.key("enter")
	h.b.stream <- chat.Delta{Text: "Once upon a time"}
	h.pump(false)
	ctx := h.b.sendCtx
	stream := h.b.stream
	// The backend answers a cancel with Failed(canceled) and the partial
	// reply, as the Backend contract says.
	go func() {
		<-ctx.Done()
		stream <- chat.Failed{Err: &chat.Error{Class: chat.ErrCanceled, Message: "canceled"},
			Message: &chat.Message{ID: "a1", Role: chat.RoleAssistant, Content: "Once upon a time",
				Turn: &chat.Turn{KeyID: "k1", KeyName: "work", Model: "gpt-4o-mini", Incomplete: true, IncompleteReason: "canceled"}}}
		close(stream)
	}()
	h.key("esc")
	if ctx.Err() == nil {
		t.Fatal("esc did not cancel the request context")
	}
	h.pump(true)
	it := h.m.chat.last()
	if it.streaming || it.turn == nil || !it.turn.Incomplete {
		t.Fatalf("item not finished as incomplete: %+v", it)
	}
	s := h.screen()
	if !strings.Contains(s, "Once upon a time") || !strings.Contains(s, "stopped by you") {
		t.Fatalf("partial reply or mark missing:\n%s", s)
	}
}

func TestKeySwitchAddsNoteAndNextSendUsesKey(t *testing.T) {
	h := newHarness(t, 100, 30, Options{}).unlocked()
	h.typeText("first")
	h.key("enter")
	h.b.stream <- chat.Done{}
	close(h.b.stream)
	h.pump(false)

	h.key("ctrl+k")
	h.typeText("personal")
	h.key("enter")
	if len(h.b.notes) != 1 || h.b.notes[0] != "switched to key personal · llama-3.1-70b" {
		t.Fatalf("notes %q", h.b.notes)
	}
	if !strings.Contains(h.screen(), "switched to key personal · llama-3.1-70b") {
		t.Fatalf("note not shown:\n%s", h.screen())
	}
	h.typeText("second")
	h.key("enter")
	if got := h.b.sends[len(h.b.sends)-1]; got.KeyID != "k2" || got.Model != "llama-3.1-70b" || got.ConversationID != h.b.sends[0].ConversationID {
		t.Fatalf("second send %+v, want key k2 in the same conversation", got)
	}
}

func TestModelPicker(t *testing.T) {
	h := newHarness(t, 100, 30, Options{}).unlocked()
	h.key("ctrl+p")
	if !strings.Contains(h.screen(), "o3-mini") {
		t.Fatalf("models not listed:\n%s", h.screen())
	}
	h.typeText("o3")
	h.key("enter")
	if h.m.keyring.model != "o3-mini" {
		t.Fatalf("model %q, want o3-mini", h.m.keyring.model)
	}
	// Free text for a model the server does not list.
	h.key("ctrl+p")
	h.typeText("my-finetune")
	h.key("enter")
	if h.m.keyring.model != "my-finetune" {
		t.Fatalf("model %q, want the typed name", h.m.keyring.model)
	}
}

func TestWithAllowed(t *testing.T) {
	tests := []struct {
		models, allowed, want []string
	}{
		{[]string{"a", "b"}, nil, []string{"a", "b"}},
		{[]string{"a", "b", "c"}, []string{"c", "a"}, []string{"a", "b", "c"}},
		{nil, []string{"x"}, []string{"x"}},
	}
	for _, tt := range tests {
		if got := withAllowed(tt.models, tt.allowed); strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("withAllowed(%v, %v) = %v, want %v", tt.models, tt.allowed, got, tt.want)
		}
	}
}

func TestIdleLockClearsState(t *testing.T) {
	h := newHarness(t, 100, 30, Options{IdleLock: time.Minute})
	withConversation(h.b)
	h.unlocked()
	h.typeText("unsent draft")
	if len(h.timers) == 0 {
		t.Fatal("no idle timer armed")
	}
	// Input before the deadline re-arms instead of locking.
	h.clock = h.clock.Add(30 * time.Second)
	h.fire()
	if h.m.screen != screenMain {
		t.Fatal("locked before the idle time passed")
	}
	h.clock = h.clock.Add(time.Minute)
	h.fire()
	if h.m.screen != screenUnlock {
		t.Fatal("not locked after the idle time")
	}
	if h.b.lockCalls != 1 {
		t.Fatalf("backend Lock called %d times", h.b.lockCalls)
	}
	m := h.m
	if len(m.chat.items) != 0 || !m.input.Empty() || m.keyring.keys != nil || m.list.items != nil || m.convID != "" || m.convTitle != "" {
		t.Fatal("conversation state left in memory after lock")
	}
	if s := h.screen(); strings.Contains(s, "unsent draft") || strings.Contains(s, "arithmetic") || !strings.Contains(s, "locked after 1m00s") {
		t.Fatalf("locked screen:\n%s", s)
	}
	// Unlocking restores the conversation from the backend.
	h.typeText(h.b.pass)
	h.key("enter")
	if h.m.screen != screenMain || h.m.convTitle != "go arithmetic" {
		t.Fatal("unlock after idle lock did not reload")
	}
}

func TestCtrlLLocksDuringStream(t *testing.T) {
	h := newHarness(t, 100, 30, Options{}).unlocked()
	h.typeText("hi")
	h.key("enter")
	ctx := h.b.sendCtx
	h.key("ctrl+l")
	if ctx.Err() == nil {
		t.Fatal("lock did not cancel the stream")
	}
	if h.m.screen != screenUnlock || h.b.lockCalls != 1 {
		t.Fatal("ctrl+l did not lock")
	}
	// Late events of the old stream are ignored.
	h.b.stream <- chat.Delta{Text: "late"}
	h.pump(false)
	if len(h.m.chat.items) != 0 {
		t.Fatal("a late event brought text back after the lock")
	}
}

func TestPasteOneMegabyte(t *testing.T) {
	h := newHarness(t, 160, 48, Options{}).unlocked()
	line := strings.Repeat("abcdefghij", 5) + "\n" // 51 bytes
	big := strings.Repeat(line, 1<<20/len(line))
	h.send(tea.PasteMsg{Content: big})
	if got := h.m.input.Value(); got != big {
		t.Fatalf("draft has %d bytes, want %d", len(got), len(big))
	}
	s := h.screen()
	if !strings.Contains(s, "draft · 20,561 lines") {
		t.Fatalf("draft size not shown:\n%s", s)
	}
	// Typing after the paste edits at the cursor (the end).
	h.typeText("!")
	if !strings.HasSuffix(h.m.input.Value(), "\n!") {
		t.Fatal("typing after paste did not append")
	}
	// One long line too.
	h.m.input.Reset()
	h.send(tea.PasteMsg{Content: strings.Repeat("x", 1<<20)})
	if n := len(h.m.input.Value()); n != 1<<20 {
		t.Fatalf("single-line paste kept %d bytes", n)
	}
	_ = h.screen()
}

func TestFollowBottomAndNewMarker(t *testing.T) {
	h := newHarness(t, 80, 24, Options{})
	var msgs []chat.Message
	for i := range 40 {
		msgs = append(msgs, chat.Message{ID: "u" + string(rune('a'+i%26)), Role: chat.RoleUser, Content: "question number " + strings.Repeat("x", i)})
	}
	h.b.add(&chat.Conversation{ID: "c1", Title: "long", Messages: msgs})
	h.unlocked()
	if !strings.Contains(h.screen(), "question number "+strings.Repeat("x", 39)) {
		t.Fatal("the view does not start at the bottom")
	}
	h.key("pgup")
	h.key("pgup")
	if h.m.chat.follow {
		t.Fatal("pgup did not leave the bottom")
	}
	h.typeText("new question")
	h.key("enter") // sending jumps back to the bottom
	if strings.Contains(h.screen(), "↓ new") || !h.m.chat.follow {
		t.Fatal("sending did not follow the bottom")
	}
	h.key("pgup")
	h.key("pgup")
	before := h.screen()
	h.b.stream <- chat.Delta{Text: "an answer arrives"}
	h.pump(false)
	after := h.screen()
	if !strings.Contains(after, "↓ new") {
		t.Fatalf("no new-content marker while scrolled up:\n%s", after)
	}
	// The scroll position is kept: the lines above the marker row are
	// unchanged.
	bl, al := strings.Split(before, "\n"), strings.Split(after, "\n")
	for i := 0; i < 10; i++ {
		if bl[i] != al[i] {
			t.Fatalf("line %d moved while scrolled up:\n%q\n%q", i, bl[i], al[i])
		}
	}
	h.key("ctrl+g")
	if s := h.screen(); strings.Contains(s, "↓ new") || !strings.Contains(s, "an answer arrives") {
		t.Fatalf("ctrl+g did not return to the bottom:\n%s", s)
	}
	// Scrolling down to the bottom by hand resumes following too.
	h.key("pgup")
	for range 20 {
		h.key("pgdown")
	}
	if !h.m.chat.follow {
		t.Fatal("reaching the bottom did not resume following")
	}
}

func TestMouseWheelScrolls(t *testing.T) {
	h := newHarness(t, 80, 24, Options{})
	var msgs []chat.Message
	for i := range 30 {
		msgs = append(msgs, chat.Message{ID: "m", Role: chat.RoleUser, Content: "line " + strings.Repeat("y", i)})
	}
	h.b.add(&chat.Conversation{ID: "c1", Title: "t", Messages: msgs})
	h.unlocked()
	h.send(tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	if h.m.chat.follow {
		t.Fatal("wheel up did not scroll")
	}
	h.send(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	h.send(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if !h.m.chat.follow {
		t.Fatal("wheel down to the bottom did not resume following")
	}
}

func TestRegenerateAndEditLast(t *testing.T) {
	h := newHarness(t, 100, 30, Options{})
	withConversation(h.b)
	h.unlocked()
	h.key("ctrl+r")
	req := h.b.sends[len(h.b.sends)-1]
	if !req.Regenerate || req.ConversationID != "c100" {
		t.Fatalf("regenerate request %+v", req)
	}
	if n := len(h.m.chat.items); n != 2 || !h.m.chat.items[1].streaming {
		t.Fatalf("regenerate should replace the last reply, have %d items", n)
	}
	h.b.stream <- chat.Done{}
	close(h.b.stream)
	h.pump(false)

	h.key("up")
	if !h.m.editingLast || h.m.input.Value() != "Show me a Go add function with a table of results." {
		t.Fatalf("up did not load the last message: %q", h.m.input.Value())
	}
	h.key("backspace")
	h.typeText(", please.")
	h.key("enter")
	req = h.b.sends[len(h.b.sends)-1]
	if !req.EditLast || req.Prompt != "Show me a Go add function with a table of results, please." {
		t.Fatalf("edit request %+v", req)
	}
	if n := len(h.m.chat.items); n != 2 || h.m.chat.items[0].text != req.Prompt {
		t.Fatalf("edited message not replacing the old one (%d items)", n)
	}
}

func TestCopyFromSource(t *testing.T) {
	h := newHarness(t, 100, 30, Options{})
	withConversation(h.b)
	h.unlocked()
	h.key("ctrl+y")
	h.key("alt+y")
	if len(h.clip) != 2 {
		t.Fatalf("%d clipboard writes, want 2", len(h.clip))
	}
	if h.clip[0] != markdownReply {
		t.Errorf("copied reply differs from the source text: %q", h.clip[0])
	}
	if want := "func add(a, b int) int {\n\treturn a + b\n}"; h.clip[1] != want {
		t.Errorf("copied code block %q, want %q (tabs kept)", h.clip[1], want)
	}
}

func TestLastCodeBlock(t *testing.T) {
	tests := []struct {
		src, want string
		ok        bool
	}{
		{"no code", "", false},
		{"```\na\n```\ntext\n~~~py\nb\n  c\n~~~\n", "b\n  c", true},
		{"````md\n```\ninner\n```\n````", "```\ninner\n```", true},
		{"```go\ncut off", "cut off", true},
	}
	for _, tt := range tests {
		got, ok := lastCodeBlock(tt.src)
		if got != tt.want || ok != tt.ok {
			t.Errorf("lastCodeBlock(%q) = %q, %v; want %q, %v", tt.src, got, ok, tt.want, tt.ok)
		}
	}
}

func TestRetryCountdown(t *testing.T) {
	h := newHarness(t, 100, 30, Options{}).unlocked()
	h.typeText("hi")
	h.key("enter")
	h.b.stream <- chat.Retrying{Attempt: 1, Wait: 5 * time.Second, Err: &chat.Error{Class: chat.ErrRateLimited, Message: "rate limited (HTTP 429)"}}
	h.pump(false)
	if s := h.screen(); !strings.Contains(s, "retrying in 5s") {
		t.Fatalf("no countdown:\n%s", s)
	}
	h.clock = h.clock.Add(2 * time.Second)
	h.fire()
	if s := h.screen(); !strings.Contains(s, "retrying in 3s (attempt 1)") || !strings.Contains(s, "● retrying in 3s") {
		t.Fatalf("countdown did not tick:\n%s", s)
	}
	h.b.stream <- chat.Delta{Text: "finally"}
	h.pump(false)
	if s := h.screen(); strings.Contains(s, "retrying") {
		t.Fatalf("countdown still shown after text arrived:\n%s", s)
	}
}

func TestSanitizesBackendText(t *testing.T) {
	h := newHarness(t, 120, 30, Options{})
	evil := "title\x1b]52;c;aGk=\x07\x1b[2J"
	h.b.add(&chat.Conversation{ID: "c1", Title: evil, Messages: []chat.Message{
		{ID: "1", Role: chat.RoleUser, Content: "hi \x1b]0;pwned\x07"},
		{ID: "2", Role: chat.RoleAssistant, Content: "reply \x1b]8;;http://x\x07link\x1b]8;;\x07 &#27;[31m", Turn: &chat.Turn{KeyName: "k\x1b[31m", Model: "m\x9b"}},
	}})
	h.b.keys[0].Name = "work\x1b]52;c;eA==\x07"
	h.unlocked()
	h.key("ctrl+o")
	h.typeText("x")
	h.send(streamEventMsg{seq: h.m.turn.seq, ev: chat.Warning{Text: "w\x1b]52;c;eA==\x07"}})
	raw := h.m.View().Content
	for _, bad := range []string{"\x1b]", "\x07", "\u009b", "\x1b[2J", "\x1b[31m"} {
		if strings.Contains(raw, bad) {
			t.Fatalf("frame contains %q", bad)
		}
	}
}

func TestConversationManagement(t *testing.T) {
	h := newHarness(t, 120, 30, Options{})
	withConversation(h.b)
	h.unlocked()
	h.key("alt+r")
	for range len("go arithmetic") {
		h.key("backspace")
	}
	h.typeText("renamed chat")
	h.key("enter")
	if h.b.convs["c100"].Title != "renamed chat" || h.m.convTitle != "renamed chat" {
		t.Fatal("rename not applied")
	}
	h.key("alt+s")
	h.typeText("be terse")
	h.key("enter")
	if h.b.convs["c100"].SystemPrompt != "be terse" {
		t.Fatalf("system prompt %q", h.b.convs["c100"].SystemPrompt)
	}
	h.key("alt+e")
	h.key("enter")
	want := exportCall{id: "c100", format: "md", path: "./renamed-chat.md"}
	if len(h.b.exports) != 1 || h.b.exports[0] != want || !strings.Contains(h.screen(), "exported to "+fakeCwd+"/renamed-chat.md") {
		t.Fatalf("exports %+v, want %+v:\n%s", h.b.exports, want, h.screen())
	}
	h.key("alt+d")
	h.key("n")
	if _, ok := h.b.convs["c100"]; !ok {
		t.Fatal("deleted without confirmation")
	}
	h.key("alt+d")
	h.key("y")
	if _, ok := h.b.convs["c100"]; ok {
		t.Fatal("not deleted after y")
	}
	if h.m.convID != "" || len(h.m.chat.items) != 0 {
		t.Fatal("the deleted conversation is still open")
	}
}

func TestConversationListOpens(t *testing.T) {
	h := newHarness(t, 120, 30, Options{})
	withConversation(h.b)
	h.b.add(&chat.Conversation{ID: "c200", Title: "newer", Messages: []chat.Message{{ID: "x", Role: chat.RoleUser, Content: "newest text"}}})
	h.unlocked()
	if h.m.convID != "c200" {
		t.Fatalf("opened %q, want the most recent", h.m.convID)
	}
	h.key("ctrl+o")
	h.key("down")
	h.key("enter")
	if h.m.convID != "c100" || !strings.Contains(h.screen(), "Here is a Go example") {
		t.Fatalf("list did not open the conversation:\n%s", h.screen())
	}
	// The restored conversation's attribution selects its key and model.
	if h.m.keyring.keyID != "k1" || h.m.keyring.model != "gpt-4o-mini" {
		t.Fatalf("active key %q model %q", h.m.keyring.keyID, h.m.keyring.model)
	}
}

func TestStartErrorShownInline(t *testing.T) {
	h := newHarness(t, 100, 30, Options{}).unlocked()
	h.typeText("hi")
	_, cmd := h.m.Update(keyMsg("enter"))
	// Replace the command's result with a Send error.
	_ = cmd
	h.send(streamStartErrMsg{seq: h.m.turn.seq, err: errors.New("budget \"daily\" reached; resets at 00:00")})
	if s := h.screen(); !strings.Contains(s, "budget \"daily\" reached") || h.m.turn.streaming {
		t.Fatalf("start error not shown:\n%s", s)
	}
}

func TestBarColourThresholds(t *testing.T) {
	s := styles.New(true, false)
	st := &s
	tests := []struct {
		frac float64
		want string
	}{{0.5, "ok"}, {0.8, "warn"}, {0.99, "warn"}, {1.0, "over"}, {1.3, "over"}}
	for _, tt := range tests {
		got := "ok"
		switch barStyle(tt.frac, st).Render("x") {
		case st.BarWarn.Render("x"):
			got = "warn"
		case st.BarOver.Render("x"):
			got = "over"
		}
		if got != tt.want {
			t.Errorf("barStyle(%v) = %s, want %s", tt.frac, got, tt.want)
		}
	}
}

// statusOf returns the status bar of the current frame.
func statusOf(h *harness) string {
	lines := strings.Split(h.screen(), "\n")
	return lines[len(lines)-3] // the status bar, the hint line, then ""
}

func TestNewConversationShowsDerivedTitle(t *testing.T) {
	h := newHarness(t, 100, 30, Options{}).unlocked()
	if st := statusOf(h); !strings.Contains(st, "new conversation") {
		t.Fatalf("status bar before the first message: %q", st)
	}
	h.typeText("Plan a weekend in Lisbon")
	h.key("enter")
	id := h.b.sends[0].ConversationID
	// The backend derived the title from the first message when it
	// saved it; the status bar shows it while the reply streams.
	if st := statusOf(h); !strings.Contains(st, "Plan a weekend in Lisbon") || strings.Contains(st, "new conversation") {
		t.Fatalf("status bar while the first reply streams: %q", st)
	}
	// The stored title changes during the turn (a rename in another
	// vaultchat): the refresh after the reply picks it up.
	h.b.convs[id].Title = "Lisbon weekend"
	h.b.stream <- chat.Delta{Text: "Start in Alfama."}
	h.b.stream <- chat.Done{Message: &chat.Message{ID: "a1", Role: chat.RoleAssistant, Content: "Start in Alfama.",
		Turn: &chat.Turn{KeyID: "k1", KeyName: "work", Model: "gpt-4o-mini"}}}
	close(h.b.stream)
	h.pump(false)
	if st := statusOf(h); !strings.Contains(st, "Lisbon weekend") {
		t.Fatalf("status bar after the first reply: %q", st)
	}
	if h.m.convTitle != "Lisbon weekend" {
		t.Fatalf("title %q, want the stored one", h.m.convTitle)
	}
	// Rename and export use the shown title.
	h.key("alt+r")
	d, ok := topOverlay[*promptDialog](&h.m.overlays)
	if !ok {
		t.Fatal("alt+r opened no rename dialog")
	}
	if got := d.input.Value(); got != "Lisbon weekend" {
		t.Fatalf("rename dialog starts with %q", got)
	}
}

func TestIdleLockWaitsForStreamingReply(t *testing.T) {
	h := newHarness(t, 100, 30, Options{IdleLock: time.Minute}).unlocked()
	h.typeText("write a long essay")
	h.key("enter")
	ctx := h.b.sendCtx
	h.b.stream <- chat.Delta{Text: "First part."}
	h.pump(false)
	// The user walks away while the reply streams for longer than the
	// idle time.
	for range 3 {
		h.clock = h.clock.Add(50 * time.Second)
		h.b.stream <- chat.Delta{Text: " More."}
		h.pump(false)
		h.fire()
		if h.m.screen != screenMain || ctx.Err() != nil {
			t.Fatal("the idle lock fired while a reply was streaming")
		}
	}
	// A stall without events does not lock either.
	h.clock = h.clock.Add(5 * time.Minute)
	h.fire()
	if h.m.screen != screenMain || ctx.Err() != nil {
		t.Fatal("the idle lock fired during a pause in the stream")
	}
	h.b.stream <- chat.Done{Message: &chat.Message{ID: "a1", Role: chat.RoleAssistant, Content: "First part. More. More. More.",
		Turn: &chat.Turn{KeyID: "k1", KeyName: "work", Model: "gpt-4o-mini"}}}
	close(h.b.stream)
	h.pump(false)
	if h.m.turn.streaming || !strings.Contains(h.screen(), "First part. More. More. More.") {
		t.Fatalf("the reply did not finish whole:\n%s", h.screen())
	}
	// The idle time counts from the end of the reply.
	h.clock = h.clock.Add(40 * time.Second)
	h.fire()
	if h.m.screen != screenMain {
		t.Fatal("locked before the idle time after the reply passed")
	}
	h.clock = h.clock.Add(30 * time.Second)
	h.fire()
	if h.m.screen != screenUnlock {
		t.Fatal("not locked once idle for the idle time after the reply")
	}
}

// TestFailedResendPutsTheReplacedMessagesBack: the backend replaces the
// old reply (or exchange) only once the new reply is complete, so after a
// failed regenerate or edit the screen shows them again, as on disk.
func TestFailedResendPutsTheReplacedMessagesBack(t *testing.T) {
	h := newHarness(t, 100, 30, Options{})
	withConversation(h.b)
	h.unlocked()
	oldReply := h.m.chat.items[1].text
	h.key("ctrl+r")
	h.b.stream <- chat.Failed{Err: &chat.Error{Class: chat.ErrInvalidKey, Message: "invalid API key (HTTP 401)"}}
	close(h.b.stream)
	h.pump(false)
	if n := len(h.m.chat.items); n != 3 || h.m.chat.items[1].text != oldReply || h.m.chat.items[2].errMsg == "" {
		t.Fatalf("after a failed regenerate: %d items; want the old reply back before the failed one", n)
	}

	h.key("up")
	h.key("backspace")
	h.typeText("!")
	h.key("enter")
	h.b.stream <- chat.Failed{Err: &chat.Error{Class: chat.ErrServer, Message: "server error (HTTP 500)"}}
	close(h.b.stream)
	h.pump(false)
	items := h.m.chat.items
	if len(items) < 5 || items[0].kind != itemUser || items[len(items)-2].kind != itemUser || !strings.HasSuffix(items[len(items)-2].text, "!") {
		t.Fatalf("after a failed edit the old exchange should stand before the edited message; have %d items", len(items))
	}
}

// TestInboundCleansEveryUsageField feeds escape and control characters
// through every text field the side pane, the key picker and a reply's
// footer show (the provider line, the ledger note, budget, key and model
// names, a turn's key, model and reason, an attachment's name): the
// model holds them cleaned
// where they entered, and no frame drives the terminal.
func TestInboundCleansEveryUsageField(t *testing.T) {
	const evil = "\x1b]0;pwned\x07\x1b[2J\r\x08\u009b"
	h := newHarness(t, 160, 48, Options{})
	for i := range h.b.keys {
		k := &h.b.keys[i]
		k.Name += evil
		k.Provider += evil
		k.Host += evil
		k.Fingerprint += evil
		k.DefaultModel += evil
		k.AllowedModels = []string{"gpt-4o" + evil}
	}
	h.b.models["k1"] = []string{"gpt-4o" + evil, "gpt-4o-mini"}
	u := richUsage(testNow)
	u.Provider = "provider saw 41.0k more tokens" + evil + "\nthan this machine"
	u.Ledger = "ledger damaged" + evil
	for i := range u.Budgets {
		u.Budgets[i].Name += evil
	}
	h.b.usage = u
	h.b.add(&chat.Conversation{ID: "c1", Title: "t", Messages: []chat.Message{
		{ID: "1", Role: chat.RoleUser, Content: "hi", Attachments: []chat.Attachment{{Name: "notes" + evil + ".txt", MediaType: "text/plain" + evil, Size: 12, Text: "x"}}},
		{ID: "2", Role: chat.RoleAssistant, Content: "reply", Turn: &chat.Turn{KeyName: "work" + evil, Model: "gpt-4o" + evil,
			Usage: chat.Usage{PromptTokens: 10, CompletionTokens: 5}, Incomplete: true, IncompleteReason: "cut" + evil, FinishReason: "length" + evil}},
	}})
	h.unlocked()
	h.key("ctrl+o")
	h.key("enter")

	clean := func(what, s string) {
		t.Helper()
		for _, r := range s {
			if r < 0x20 || (r >= 0x7f && r < 0xa0) {
				t.Errorf("%s holds control character %U after it entered: %q", what, r, s)
				return
			}
		}
	}
	ru := h.m.keyring.usage
	clean("usage provider line", ru.Provider)
	clean("usage ledger note", ru.Ledger)
	for _, b := range ru.Budgets {
		clean("budget name", b.Name)
	}
	for _, k := range h.m.keyring.keys {
		clean("key name", k.Name)
		clean("key provider", k.Provider)
		clean("key host", k.Host)
		clean("key fingerprint", k.Fingerprint)
		clean("key default model", k.DefaultModel)
	}
	var reply *chatItem
	for _, it := range h.m.chat.items {
		if it.kind == itemAssistant {
			reply = it
		}
	}
	if reply == nil || reply.turn == nil {
		t.Fatal("the reply is not shown")
	}
	clean("turn key name", reply.turn.KeyName)
	clean("turn model", reply.turn.Model)
	clean("turn incomplete reason", reply.turn.IncompleteReason)
	clean("turn finish reason", reply.turn.FinishReason)
	for _, it := range h.m.chat.items {
		for _, c := range it.chips {
			clean("attachment chip", c)
		}
	}

	frames := map[string]string{"main": h.m.View().Content}
	h.key("ctrl+k")
	frames["key picker"] = h.m.View().Content
	h.key("esc")
	h.key("ctrl+p")
	frames["model picker"] = h.m.View().Content
	for name, raw := range frames {
		for _, bad := range []string{"\x1b]", "\x07", "\x1b[2J", "\r", "\x08", "\u009b"} {
			if strings.Contains(raw, bad) {
				t.Errorf("%s frame contains %q", name, bad)
			}
		}
	}
	main := strings.Join(strings.Fields(plainScreen(frames["main"])), " ")
	for _, want := range []string{"provider saw 41.0k more", "ledger damaged", "incomplete: cut", "[notes"} {
		if !strings.Contains(main, want) {
			t.Errorf("main frame lacks %q:\n%s", want, plainScreen(frames["main"]))
		}
	}
}
