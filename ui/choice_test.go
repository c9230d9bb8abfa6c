package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/view"
)

// TestKeySwitchSurvivesLockAndReopen: a switch of key and model is the
// backend's (stored with the conversation); after ctrl+l and an unlock,
// and after reopening the conversation, the TUI shows and sends what the
// backend says, not the default key.
func TestKeySwitchSurvivesLockAndReopen(t *testing.T) {
	h := newHarness(t, 100, 30, Options{})
	withConversation(h.b)
	h.unlocked()
	h.key("ctrl+k")
	h.typeText("personal")
	h.key("enter")
	if len(h.b.chooses()) == 0 {
		t.Fatal("the switch was not asked of the backend")
	}
	h.key("ctrl+l")
	if h.m.screen != screenUnlock {
		t.Fatal("ctrl+l did not lock")
	}
	h.typeText(h.b.pass)
	h.key("enter")
	if h.m.convID != "c100" || h.m.keyring.keyID != "k2" || h.m.keyring.model != "llama-3.1-70b" {
		t.Fatalf("after unlock: conversation %q, key %q, model %q; want c100 on personal", h.m.convID, h.m.keyring.keyID, h.m.keyring.model)
	}
	if !strings.Contains(h.screen(), "switched to key personal · llama-3.1-70b") {
		t.Fatalf("the switch note is gone:\n%s", h.screen())
	}
	h.typeText("next")
	h.key("enter")
	if got := h.b.sends[len(h.b.sends)-1]; got.KeyID != "k2" || got.Model != "llama-3.1-70b" {
		t.Fatalf("the next turn went to %s · %s, want personal's", got.KeyID, got.Model)
	}
}

// TestNoModelRefusesAndOpensThePicker: a key without a model refuses to
// send with the backend's hint, keeps the draft, and opens the model
// picker, so that what is typed next picks a model instead of landing in
// the draft.
func TestNoModelRefusesAndOpensThePicker(t *testing.T) {
	h := newHarness(t, 100, 30, Options{})
	h.b.keys[0].DefaultModel = ""
	h.unlocked()
	if h.m.keyring.model != "" {
		t.Fatalf("a model was made up: %q", h.m.keyring.model)
	}
	h.typeText("hello")
	h.key("enter")
	if len(h.b.sends) != 0 {
		t.Fatal("sent without a model")
	}
	if !strings.Contains(h.m.notice, "ctrl+p") || strings.Contains(h.m.notice, "--model") {
		t.Fatalf("notice %q lacks the hint", h.m.notice)
	}
	if _, ok := topOverlay[*picker](&h.m.overlays); !ok {
		t.Fatal("the model picker did not open")
	}
	h.typeText("o3")
	if h.m.input.Value() != "hello" {
		t.Fatalf("typed text went to the draft: %q", h.m.input.Value())
	}
	h.key("enter")
	h.key("enter")
	if len(h.b.sends) != 1 || h.b.sends[0].Model != "o3-mini" || h.b.sends[0].Prompt != "hello" {
		t.Fatalf("sends %+v, want the draft with o3-mini", h.b.sends)
	}
}

// TestModelPickerMarksAndRefusesModelsOutsideTheAllowedList: models the
// key may not use are listed, marked, and refused when picked, with a
// notice; the model stays.
func TestModelPickerMarksAndRefusesModelsOutsideTheAllowedList(t *testing.T) {
	h := newHarness(t, 100, 30, Options{})
	h.b.keys[0].AllowedModels = []string{"gpt-4o-mini", "gpt-4o"}
	h.unlocked()
	h.key("ctrl+p")
	s := h.screen()
	if !strings.Contains(s, "o3-mini") || !strings.Contains(s, "not allowed") {
		t.Fatalf("o3-mini not listed as not allowed:\n%s", s)
	}
	h.typeText("o3")
	h.key("enter")
	if h.m.keyring.model != "gpt-4o-mini" {
		t.Fatalf("a model outside the allowed list was chosen: %q", h.m.keyring.model)
	}
	if !strings.Contains(h.m.notice, "may not use model o3-mini") || !strings.Contains(h.m.notice, "allowed: gpt-4o-mini, gpt-4o") {
		t.Fatalf("notice %q", h.m.notice)
	}
}

// TestSwitchBackToAKeyBringsItsModel: the backend remembers the model
// chosen for a key in the conversation, and the TUI shows it.
func TestSwitchBackToAKeyBringsItsModel(t *testing.T) {
	h := newHarness(t, 100, 30, Options{})
	withConversation(h.b)
	h.unlocked()
	h.key("ctrl+p")
	h.typeText("o3")
	h.key("enter")
	for _, name := range []string{"personal", "work"} {
		h.key("ctrl+k")
		h.typeText(name)
		h.key("enter")
	}
	if h.m.keyring.keyID != "k1" || h.m.keyring.model != "o3-mini" {
		t.Fatalf("back on work: %s · %s, want o3-mini", h.m.keyring.keyID, h.m.keyring.model)
	}
	if s := h.screen(); !strings.Contains(s, "switched to key work · o3-mini") {
		t.Fatalf("the note does not name the model of the next turn:\n%s", s)
	}
}

// chooses is the conversations' stored choices (for tests).
func (f *fakeBackend) chooses() map[string]view.Choice { return f.choices }

// TestModelSwitchSurvivesIdleLock: a model picked with ctrl+p is the
// backend's after the idle lock too; the conversation open before the
// lock (not the most recent one) is opened again.
func TestModelSwitchSurvivesIdleLock(t *testing.T) {
	h := newHarness(t, 100, 30, Options{IdleLock: time.Minute})
	withConversation(h.b)
	h.b.add(&chat.Conversation{ID: "c200", Title: "newer"})
	h.unlocked()
	h.send(convLoadedMsg{conv: must(h.b.Load("c100")), choice: h.b.Choice("c100")})
	h.key("ctrl+p")
	h.typeText("o3")
	h.key("enter")
	h.clock = h.clock.Add(2 * time.Minute)
	h.fire()
	if h.m.screen != screenUnlock {
		t.Fatal("not locked after the idle time")
	}
	h.typeText(h.b.pass)
	h.key("enter")
	if h.m.convID != "c100" || h.m.keyring.keyID != "k1" || h.m.keyring.model != "o3-mini" {
		t.Fatalf("after the idle lock: %s on %s · %s, want c100 on work · o3-mini", h.m.convID, h.m.keyring.keyID, h.m.keyring.model)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestRemovedConversationKeyRefusesUntilPicked: a conversation whose key
// was removed opens with the backend's problem on screen and no key;
// enter sends nothing, keeps the draft and opens the key picker; once a
// key is picked, enter sends with it.
func TestRemovedConversationKeyRefusesUntilPicked(t *testing.T) {
	h := newHarness(t, 100, 30, Options{})
	h.b.add(&chat.Conversation{ID: "c7", Title: "orphan", Messages: []chat.Message{
		{ID: "m1", Role: chat.RoleUser, Content: "hi"},
		{ID: "m2", Role: chat.RoleAssistant, Content: "hello", Turn: &chat.Turn{KeyID: "k9", KeyName: "gone", Model: "gpt-4o"}},
	}})
	h.unlocked()
	if h.m.convID != "c7" || h.m.keyring.keyID != "" {
		t.Fatalf("conversation %q on key %q, want c7 on no key", h.m.convID, h.m.keyring.keyID)
	}
	if s := h.screen(); !strings.Contains(s, "key gone of this conversation was removed") || !strings.Contains(s, "ctrl+k") {
		t.Fatalf("the problem is not shown:\n%s", s)
	}
	h.typeText("again")
	h.key("enter")
	if len(h.b.sends) != 0 {
		t.Fatalf("sent with another key: %+v", h.b.sends)
	}
	p, ok := topOverlay[*picker](&h.m.overlays)
	if !ok || p.kind != pickKey {
		t.Fatal("the key picker did not open")
	}
	if h.m.input.Value() != "again" {
		t.Fatalf("the draft is %q", h.m.input.Value())
	}
	h.typeText("personal")
	h.key("enter")
	h.key("enter")
	if len(h.b.sends) != 1 || h.b.sends[0].KeyID != "k2" || h.b.sends[0].Prompt != "again" {
		t.Fatalf("sends %+v, want the draft with personal", h.b.sends)
	}
}

// TestNoKeyChosenWithKeysLeftSaysCtrlK: with keys in the vault but none
// chosen (the chosen one gone from the list), enter says to pick one
// with ctrl+k, not to add one.
func TestNoKeyChosenWithKeysLeftSaysCtrlK(t *testing.T) {
	h := newHarness(t, 100, 30, Options{})
	h.unlocked()
	h.send(keysMsg{keys: h.b.keys[1:]}) // the active key k1 was removed
	h.typeText("hi")
	h.key("enter")
	if len(h.b.sends) != 0 {
		t.Fatal("sent without a key")
	}
	if !strings.Contains(h.m.notice, "ctrl+k") || strings.Contains(h.m.notice, "keys add") {
		t.Fatalf("notice %q, want ctrl+k and no \"keys add\"", h.m.notice)
	}
}

// TestSidePaneWithoutAChosenKeySaysCtrlK: with keys in the vault but none
// chosen (the conversation's key was removed), the side pane says to
// pick one with ctrl+k, not to add one.
func TestSidePaneWithoutAChosenKeySaysCtrlK(t *testing.T) {
	h := newHarness(t, 160, 40, Options{})
	h.b.add(&chat.Conversation{ID: "c7", Title: "orphan", Messages: []chat.Message{
		{ID: "m1", Role: chat.RoleUser, Content: "hi"},
		{ID: "m2", Role: chat.RoleAssistant, Content: "hello", Turn: &chat.Turn{KeyID: "k9", KeyName: "gone", Model: "gpt-4o"}},
	}})
	h.unlocked()
	s := h.screen()
	if strings.Contains(s, "keys add") || !strings.Contains(s, "NO KEY CHOSEN") {
		t.Fatalf("the side pane does not say to pick a key:\n%s", s)
	}
}

// appHintedErr is an error with a hint for the commands and one for the
// app, as the session's ChoiceError.
type appHintedErr struct{ hintedErr }

func (e appHintedErr) AppHint() string { return "pick one with ctrl+k" }

// TestErrorsShowTheAppHint: an error that has a hint for the app shows
// that one, not the commands' flags.
func TestErrorsShowTheAppHint(t *testing.T) {
	err := appHintedErr{hintedErr{"no key chosen", "name one with --key"}}
	if got := errorWithHint(err); got != "no key chosen: pick one with ctrl+k" {
		t.Fatalf("errorWithHint = %q", got)
	}
	if got := errorWithHint(hintedErr{"x", "y"}); got != "x: y" {
		t.Fatalf("errorWithHint = %q", got)
	}
}

// TestModelPickerServerDown opens the model picker of a key whose server
// cannot be reached (#33): one message, the reason first and then the
// hint how to start the server, whole at 80 columns; not also "the server
// lists no models".
func TestModelPickerServerDown(t *testing.T) {
	h := newHarness(t, 80, 24, Options{})
	h.b.modelsErr = &chat.Error{
		Class:   chat.ErrNetwork,
		Message: "cannot reach 127.0.0.1:11434: dial tcp 127.0.0.1:11434: connect: connection refused",
		Hint:    `is Ollama running? start it with "ollama serve"; or fix the base URL: vaultchat keys edit loc --base-url URL`,
	}
	h.unlocked()
	h.key("ctrl+p")
	s := h.screen()
	if strings.Contains(s, "lists no models") || strings.Contains(s, "no match") {
		t.Fatalf("the picker says the server lists no models though it could not be asked:\n%s", s)
	}
	flat := strings.Join(strings.Fields(plainScreen(strings.ReplaceAll(s, "│", " "))), " ")
	reason := "cannot reach 127.0.0.1:11434: dial tcp 127.0.0.1:11434: connect: connection refused"
	hint := `is Ollama running? start it with "ollama serve"`
	at, hintAt := strings.Index(flat, reason), strings.Index(flat, hint)
	if at < 0 || hintAt < at {
		t.Fatalf("want the reason, then the hint, whole:\n%s", s)
	}
	if !strings.Contains(flat, "type a model name") {
		t.Fatalf("the picker does not say a model name may be typed:\n%s", s)
	}
}
