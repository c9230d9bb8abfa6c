package ui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/figures"
	"github.com/vaultchat/vaultchat/internal/view"
)

var (
	errWrongPass = errors.New("wrong passphrase")
	errInUse     = errors.New("vault in use")
)

// fakeBackend is an in-memory Backend. Streams are driven by the test
// through the channel of the last Send.
type fakeBackend struct {
	mu        sync.Mutex
	needsPass bool
	pass      string
	inUse     bool
	unlocked  bool
	lockCalls int

	keys   []view.Key
	models map[string][]string
	convs  map[string]*chat.Conversation
	order  []string
	nextID int
	usage  view.Usage

	sends   []view.SendRequest
	sendCtx context.Context
	stream  chan chat.Event
	notes   []string

	// choices is what Choose stored per conversation; remembered the
	// model chosen per conversation and key.
	choices    map[string]view.Choice
	remembered map[string]map[string]string
	drafts     map[string]string // conversation ID ("" new) → saved draft
	draftSaves int

	// forks are the (conversation, message) pairs ForkFrom was called
	// with; searches the queries Search was asked; roles and files what
	// Roles, Role and Attach find (fakeconv_test.go).
	forks    [][2]string
	searches []string
	roles    []fakeRole
	maxFile  int64
	// sendErr, when set, is what Send returns (nothing sent or saved),
	// as the session refuses attachments over the limits or holding a
	// secret.
	sendErr error
	// stored, when set, is the fake's one stored key: Create,
	// CreateWithRole and SetSystemPrompt mask it, as the session masks
	// the vault's keys.
	stored string
	// modelsErr, when set, is what Models returns.
	modelsErr error

	exports   []exportCall
	existing  map[string]bool // absolute paths Export refuses without overwrite
	exportErr error
}

func newFakeBackend(now time.Time) *fakeBackend {
	return &fakeBackend{
		needsPass: true,
		pass:      "correct horse",
		keys: []view.Key{
			{KeyRef: chat.KeyRef{ID: "k1", Name: "work", Provider: "openai", Host: "api.openai.com", Fingerprint: "sk-proj-…a1b2"},
				DefaultModel: "gpt-4o-mini", LastUsed: now.Add(-2 * time.Hour), Month: view.Total{Tokens: 345_000, Cost: figures.Cost{USD: 3.45}}, Budget: view.BudgetOK},
			{KeyRef: chat.KeyRef{ID: "k2", Name: "personal", Provider: "openai-compatible", Host: "llm.example.net", Fingerprint: "sk-…c3d4"},
				DefaultModel: "llama-3.1-70b", LastUsed: now.Add(-50 * time.Hour), Month: view.Total{Tokens: 12_400, Cost: figures.Cost{USD: 0.09}}, Budget: view.BudgetWarn},
			{KeyRef: chat.KeyRef{ID: "k3", Name: "team-azure", Provider: "azure", Host: "team.openai.azure.com", Fingerprint: "az-…e5f6"},
				DefaultModel: "gpt-4o", Month: view.Total{Tokens: 8_000, Estimated: true, Cost: figures.Cost{Unknown: true}}, Budget: view.BudgetOver, CheckFailed: true},
		},
		models: map[string][]string{"k1": {"gpt-4o", "gpt-4o-mini", "o3-mini"}},
		convs:  map[string]*chat.Conversation{},
	}
}

func (f *fakeBackend) NeedsPassphrase() bool { return f.needsPass }

func (f *fakeBackend) Unlock(p []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.inUse {
		return errInUse
	}
	if f.needsPass && string(p) != f.pass {
		return errWrongPass
	}
	f.unlocked = true
	return nil
}

func (f *fakeBackend) IsWrongPassphrase(err error) bool { return errors.Is(err, errWrongPass) }
func (f *fakeBackend) IsInUse(err error) bool           { return errors.Is(err, errInUse) }

func (f *fakeBackend) Lock() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unlocked = false
	f.lockCalls++
}

func (f *fakeBackend) Keys() []view.Key { return append([]view.Key(nil), f.keys...) }

func (f *fakeBackend) Models(_ context.Context, keyID string, _ bool) ([]string, error) {
	if f.modelsErr != nil {
		return nil, f.modelsErr
	}
	return f.models[keyID], nil
}

func (f *fakeBackend) Conversations() ([]chat.Summary, error) {
	var out []chat.Summary
	for i := len(f.order) - 1; i >= 0; i-- {
		c := f.convs[f.order[i]]
		out = append(out, chat.Summary{ID: c.ID, Title: c.Title, Parent: c.Parent, Messages: len(c.Messages)})
	}
	return out, nil
}

func (f *fakeBackend) Load(id string) (*chat.Conversation, error) {
	c, ok := f.convs[id]
	if !ok {
		return nil, fmt.Errorf("no conversation %s", id)
	}
	cp := *c
	cp.Messages = append([]chat.Message(nil), c.Messages...)
	return &cp, nil
}

func (f *fakeBackend) add(c *chat.Conversation) {
	f.convs[c.ID] = c
	f.order = append(f.order, c.ID)
}

func (f *fakeBackend) Create(system string) (*chat.Conversation, bool, error) {
	f.nextID++
	// Created without a title, as the real backend does: Send derives
	// it from the first message.
	masked := f.mask(system)
	c := &chat.Conversation{ID: fmt.Sprintf("c%d", f.nextID), SystemPrompt: masked}
	f.add(c)
	return c, masked != system, nil
}

// mask masks the fake's stored key in s.
func (f *fakeBackend) mask(s string) string {
	if f.stored == "" {
		return s
	}
	return strings.ReplaceAll(s, f.stored, "sk-…"+f.stored[len(f.stored)-4:])
}

func (f *fakeBackend) Rename(id, title string) error { f.convs[id].Title = title; return nil }
func (f *fakeBackend) Delete(id string) error {
	delete(f.convs, id)
	delete(f.drafts, id)
	for i, o := range f.order {
		if o == id {
			f.order = append(f.order[:i], f.order[i+1:]...)
			break
		}
	}
	return nil
}
func (f *fakeBackend) SetSystemPrompt(id, p string) (bool, error) {
	f.convs[id].SystemPrompt = f.mask(p)
	return f.convs[id].SystemPrompt != p, nil
}

func (f *fakeBackend) AddNote(id, text string) (chat.Message, error) {
	f.notes = append(f.notes, text)
	m := chat.Message{ID: fmt.Sprintf("n%d", len(f.notes)), Role: chat.RoleNote, Content: text}
	f.convs[id].Messages = append(f.convs[id].Messages, m)
	return m, nil
}

func (f *fakeBackend) SaveDraft(id, text string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.draftSaves++
	if f.drafts == nil {
		f.drafts = map[string]string{}
	}
	if text == "" {
		delete(f.drafts, id)
	} else {
		f.drafts[id] = text
	}
	return nil
}

func (f *fakeBackend) Draft(id string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.drafts[id], nil
}

func (f *fakeBackend) Send(ctx context.Context, req view.SendRequest) (<-chan chat.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sendErr != nil {
		return nil, f.sendErr
	}
	f.sends = append(f.sends, req)
	if c, ok := f.convs[req.ConversationID]; ok && c.Title == "" {
		c.Title = strings.SplitN(req.Prompt, "\n", 2)[0]
	}
	f.sendCtx = ctx
	f.stream = make(chan chat.Event, 64)
	return f.stream, nil
}

func (f *fakeBackend) Usage(string, string) view.Usage { return f.usage }

// Choice is what Choose stored for the conversation, else its last
// reply's key and model (a problem if that key is gone), else the first key with its default model (the
// real rule is the session's, tested there).
func (f *fakeBackend) Choice(id string) view.Choice {
	if ch, ok := f.choices[id]; ok {
		return ch
	}
	if c := f.convs[id]; c != nil {
		for i := len(c.Messages) - 1; i >= 0; i-- {
			if t := c.Messages[i].Turn; t != nil && t.KeyID != "" && c.Messages[i].Role == chat.RoleAssistant {
				if k := f.key(t.KeyID); k != nil {
					return view.Choice{Key: k.KeyRef, Model: t.Model}
				}
				// A removed key is a problem, never another key.
				return view.Choice{Problem: "key " + t.KeyName + " of this conversation was removed: pick another with ctrl+k"}
			}
		}
	}
	if len(f.keys) == 0 {
		return view.Choice{Problem: "the vault holds no key"}
	}
	return f.choiceFor(id, f.keys[0], "")
}

func (f *fakeBackend) key(id string) *view.Key {
	for i := range f.keys {
		if f.keys[i].ID == id {
			return &f.keys[i]
		}
	}
	return nil
}

// choiceFor is key k with model, else the model remembered for it in
// conversation id, else its default.
func (f *fakeBackend) choiceFor(id string, k view.Key, model string) view.Choice {
	if model == "" {
		model = f.remembered[id][k.ID]
	}
	if model == "" {
		model = k.DefaultModel
	}
	ch := view.Choice{Key: k.KeyRef, Model: model}
	if model == "" {
		ch.Problem = "no model chosen for key " + k.Name + ", which has no default model: pick one with ctrl+p"
	}
	return ch
}

// hintedErr is an error with a hint, as the session's ChoiceError.
type hintedErr struct{ msg, hint string }

func (e hintedErr) Error() string { return e.msg }
func (e hintedErr) Hint() string  { return e.hint }

func (f *fakeBackend) Choose(id, keyID, model string) (view.Choice, *chat.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if keyID == "" {
		keyID = f.Choice(id).Key.ID
	}
	k := f.key(keyID)
	if k == nil {
		return view.Choice{}, nil, fmt.Errorf("no key %s", keyID)
	}
	if model != "" && len(k.AllowedModels) > 0 && !slices.Contains(k.AllowedModels, model) {
		return view.Choice{}, nil, hintedErr{"key " + k.Name + " may not use model " + model, "allowed: " + strings.Join(k.AllowedModels, ", ")}
	}
	prev := f.Choice(id)
	ch := f.choiceFor(id, *k, model)
	if id == "" {
		return ch, nil, nil
	}
	if f.choices == nil {
		f.choices, f.remembered = map[string]view.Choice{}, map[string]map[string]string{}
	}
	f.choices[id] = ch
	if f.remembered[id] == nil {
		f.remembered[id] = map[string]string{}
	}
	if ch.Model != "" {
		f.remembered[id][k.ID] = ch.Model
	}
	text := "switched model to " + ch.Model + " (key " + k.Name + ")"
	if prev.Key.ID != k.ID {
		text = "switched to key " + k.Name + " · " + ch.Model
	}
	f.notes = append(f.notes, text)
	note := chat.Message{ID: fmt.Sprintf("n%d", len(f.notes)), Role: chat.RoleNote, Content: text}
	f.convs[id].Messages = append(f.convs[id].Messages, note)
	return ch, &note, nil
}

// exportCall is one call of Export.
type exportCall struct {
	id, format, path string
	overwrite        bool
}

// fakeCwd is the directory the fake resolves relative export paths in.
const fakeCwd = "/home/ada/work"

// Export records the call; it refuses paths in existing unless
// overwrite, as the real backend does, and fails with exportErr if set.
func (f *fakeBackend) Export(id, format, path string, overwrite bool) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.exports = append(f.exports, exportCall{id: id, format: format, path: path, overwrite: overwrite})
	if f.exportErr != nil {
		return "", f.exportErr
	}
	if _, ok := f.convs[id]; !ok {
		return "", fmt.Errorf("no conversation %s", id)
	}
	abs := path
	if !filepath.IsAbs(path) {
		abs = filepath.Join(fakeCwd, path)
	}
	if f.existing[abs] && !overwrite {
		return "", fmt.Errorf("export to %s: %w", abs, view.ErrExists)
	}
	if f.existing == nil {
		f.existing = map[string]bool{}
	}
	f.existing[abs] = true
	return abs, nil
}

// harness drives a Model without a terminal: it runs commands
// synchronously, keeps timers and parked stream reads for the test to
// release, and owns the clock.
type harness struct {
	t       testing.TB
	m       *Model
	b       *fakeBackend
	clock   time.Time
	timers  []tea.Msg // messages of pending ticks
	parked  []parkedRead
	clip    []string
	quit    bool
	unknown []tea.Msg
}

type tickMsg struct{ msg tea.Msg }

type parkedRead struct {
	seq int
	ch  <-chan chat.Event
}

type parkedMsg struct{ p parkedRead }

var testNow = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

func newHarness(t testing.TB, w, h int, opts Options) *harness {
	t.Helper()
	opts.NoColor = true
	hs := &harness{t: t, b: newFakeBackend(testNow), clock: testNow}
	hs.m = New(hs.b, opts)
	hs.m.now = func() time.Time { return hs.clock }
	hs.m.tick = func(_ time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
		return func() tea.Msg { return tickMsg{msg: fn(hs.clock)} }
	}
	hs.m.wait = func(seq int, ch <-chan chat.Event) tea.Cmd {
		return func() tea.Msg { return parkedMsg{parkedRead{seq, ch}} }
	}
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	return hs
}

// start runs Init; with a passphrase vault it stops at the unlock screen.
func (hs *harness) start() *harness {
	hs.run(hs.m.Init())
	return hs
}

// unlocked starts and unlocks.
func (hs *harness) unlocked() *harness {
	hs.start()
	if hs.m.screen == screenUnlock {
		hs.typeText(hs.b.pass)
		hs.key("enter")
	}
	if hs.m.screen != screenMain {
		hs.t.Fatalf("not on the main screen after unlock (screen %d, err %q)", hs.m.screen, hs.m.unlock.err)
	}
	return hs
}

func (hs *harness) send(msg tea.Msg) {
	_, cmd := hs.m.Update(msg)
	hs.run(cmd)
}

// run executes a command and everything it leads to.
func (hs *harness) run(cmd tea.Cmd) {
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		msg := c()
		switch msg := msg.(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case tickMsg:
			hs.timers = append(hs.timers, msg.msg)
		case parkedMsg:
			hs.parked = append(hs.parked, msg.p)
		case tea.QuitMsg:
			hs.quit = true
		default:
			if v := reflect.ValueOf(msg); v.Kind() == reflect.String && strings.Contains(fmt.Sprintf("%T", msg), "Clipboard") {
				hs.clip = append(hs.clip, v.String())
				continue
			}
			if strings.Contains(fmt.Sprintf("%T", msg), "tea.") {
				hs.unknown = append(hs.unknown, msg)
				continue
			}
			_, next := hs.m.Update(msg)
			queue = append(queue, next)
		}
	}
}

// pump delivers every event already in the parked streams' channels; with
// block it waits for at least one event (or the close) per parked read.
func (hs *harness) pump(block bool) {
	for len(hs.parked) > 0 {
		p := hs.parked[0]
		var ev chat.Event
		var ok bool
		if block {
			ev, ok = <-p.ch
		} else {
			select {
			case ev, ok = <-p.ch:
			default:
				return
			}
		}
		hs.parked = hs.parked[1:]
		if !ok {
			hs.send(streamClosedMsg{seq: p.seq})
			continue
		}
		hs.send(streamEventMsg{seq: p.seq, ev: ev})
	}
}

// fire delivers the pending timers.
func (hs *harness) fire() {
	timers := hs.timers
	hs.timers = nil
	for _, msg := range timers {
		hs.send(msg)
	}
}

func (hs *harness) key(k string) {
	hs.send(keyMsg(k))
}

func (hs *harness) typeText(s string) {
	for _, r := range s {
		hs.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// screen returns the current frame as plain text.
func (hs *harness) screen() string {
	return plainScreen(hs.m.View().Content)
}

func plainScreen(s string) string {
	lines := strings.Split(ansi.Strip(s), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n") + "\n"
}

// keyMsg builds a key press from its string form ("ctrl+k", "alt+enter").
func keyMsg(s string) tea.KeyPressMsg {
	var mod tea.KeyMod
	for {
		switch {
		case strings.HasPrefix(s, "ctrl+"):
			mod |= tea.ModCtrl
			s = s[5:]
			continue
		case strings.HasPrefix(s, "alt+"):
			mod |= tea.ModAlt
			s = s[4:]
			continue
		case strings.HasPrefix(s, "shift+"):
			mod |= tea.ModShift
			s = s[6:]
			continue
		}
		break
	}
	named := map[string]rune{
		"enter": tea.KeyEnter, "esc": tea.KeyEscape, "up": tea.KeyUp, "down": tea.KeyDown,
		"left": tea.KeyLeft, "right": tea.KeyRight, "backspace": tea.KeyBackspace, "tab": tea.KeyTab,
		"pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "home": tea.KeyHome, "end": tea.KeyEnd,
		"delete": tea.KeyDelete, "f1": tea.KeyF1, "space": tea.KeySpace,
	}
	if r, ok := named[s]; ok {
		return tea.KeyPressMsg{Code: r, Mod: mod}
	}
	r := []rune(s)[0]
	if mod == 0 {
		return tea.KeyPressMsg{Code: r, Text: s}
	}
	return tea.KeyPressMsg{Code: r, Mod: mod}
}
