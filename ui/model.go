package ui

import (
	"context"
	"fmt"
	"github.com/vaultchat/vaultchat/internal/view"
	"strings"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/sanitize"
	"github.com/vaultchat/vaultchat/internal/transcript"
	"github.com/vaultchat/vaultchat/ui/markdown"
	"github.com/vaultchat/vaultchat/ui/styles"
)

type screen int

const (
	screenStart  screen = iota // asking the backend whether a passphrase is needed
	screenUnlock               // the unlock (or locked) screen
	screenLoading
	screenMain
)

type overlayKind int

const (
	overlayNone overlayKind = iota
	overlayHelp
	overlayPicker
	overlayPrompt
	overlayConfirm
	overlayExport
)

type focusKind int

const (
	focusInput focusKind = iota
	focusConvs
)

// promptKind says what a one-line prompt dialog is for.
type promptKind int

const (
	promptRename promptKind = iota
	promptSystem
)

// Model is the TUI's single Bubble Tea model. Components (chat list,
// editor, pickers, panes) are plain structs driven by its Update; every
// Backend call happens in a command.
type Model struct {
	b    Backend
	opts Options
	ctx  context.Context
	now  func() time.Time
	// tick and wait are tea.Tick and waitEvent; tests replace them to
	// control time and stream delivery.
	tick func(time.Duration, func(time.Time) tea.Msg) tea.Cmd
	wait func(seq int, ch <-chan chat.Event) tea.Cmd

	width, height int
	st            styles.Styles
	md            *markdown.Renderer
	gen           int

	screen     screen
	needsPass  bool
	pass       textinput.Model
	unlocking  bool
	unlockErr  string
	lockReason string

	// Unlocked state. lock() clears all of it.
	keys         []view.Key
	keyID        string
	model        string
	convs        []chat.Summary
	convID       string
	convTitle    string
	systemPrompt string
	chat         chatList
	input        editor
	editingLast  bool
	usage        view.Usage
	modelCache   map[string][]string

	showConvs bool
	showSide  bool
	sideSet   bool // the user toggled the side pane; stop choosing by width
	convSel   int
	focus     focusKind

	overlay     overlayKind
	picker      picker
	promptKind  promptKind
	promptID    string
	promptTitle string
	promptInput textinput.Model
	confirmText string
	confirmID   string
	helpOff     int
	exp         exportDialog
	exportSeq   int

	streaming bool
	streamSeq int
	cancel    context.CancelFunc
	events    <-chan chat.Event
	cur       *chatItem
	// replaced holds what a regenerate or edit-and-resend took off the
	// screen, and replacedAt where it stood. The backend replaces those
	// messages only when the new reply is complete, so a failed resend
	// puts them back where they were, as they are on disk.
	replaced   []*chatItem
	replacedAt int

	countSeq int
	counting bool
	idleSeq  int
	// lastActive is the time of the last input or stream event: the
	// idle lock counts from it.
	lastActive time.Time

	notice    string
	noticeErr bool

	side    []string
	sideKey string
	hint    string
	hintKey string
}

// New returns the model for opts without starting a program (tests drive
// it with Update and View).
func New(b Backend, opts Options) *Model {
	if opts.IdleLock == 0 {
		opts.IdleLock = DefaultIdleLock
	}
	if opts.Editor == "" {
		opts.Editor = "vi"
	}
	m := &Model{
		b:          b,
		opts:       opts,
		ctx:        context.Background(),
		now:        time.Now,
		tick:       tea.Tick,
		wait:       waitEvent,
		width:      80,
		height:     24,
		chat:       newChatList(),
		input:      newEditor(),
		modelCache: map[string][]string{},
	}
	m.setTheme(!opts.Light)
	m.pass = m.newPassInput()
	return m
}

func (m *Model) setTheme(dark bool) {
	m.st = styles.New(dark, m.opts.NoColor)
	m.md = markdown.New(m.st.Markdown)
	m.gen++
	m.sideKey = ""
}

func (m *Model) newPassInput() textinput.Model {
	ti := textinput.New()
	ti.Prompt = "passphrase: "
	ti.EchoMode = textinput.EchoPassword
	ti.EchoCharacter = '•'
	s := textinput.DefaultStyles(m.st.IsDark)
	s.Cursor.Blink = false
	s.Focused.Prompt = m.st.Muted
	s.Focused.Text = m.st.UnlockFieldText
	ti.SetStyles(s)
	ti.Focus()
	return ti
}

// Init asks for the terminal's background colour and whether the vault
// needs a passphrase.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(tea.RequestBackgroundColor, passInfoCmd(m.b))
}

func (m *Model) env() *renderEnv {
	return &renderEnv{st: &m.st, md: m.md, gen: m.gen, now: m.now()}
}

func (m *Model) activeKey() *view.Key {
	for i := range m.keys {
		if m.keys[i].ID == m.keyID {
			return &m.keys[i]
		}
	}
	return nil
}

func (m *Model) setNotice(s string, isErr bool) {
	m.notice, m.noticeErr = sanitize.String(oneLine(s)), isErr
}

// Update applies one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = max(msg.Width, 20), max(msg.Height, 8)
		if m.overlay == overlayPicker {
			m.rebuildPickerRows()
		}
		return m, nil
	case tea.BackgroundColorMsg:
		m.setTheme(msg.IsDark())
		v := m.pass.Value()
		m.pass = m.newPassInput()
		m.pass.SetValue(v)
		return m, nil
	case tea.KeyPressMsg:
		m.lastActive = m.now()
		return m, m.handleKey(msg)
	case tea.PasteMsg:
		m.lastActive = m.now()
		return m, m.handlePaste(msg.Content)
	case tea.MouseWheelMsg:
		m.lastActive = m.now()
		if m.screen == screenMain && m.overlay == overlayNone {
			w, h := m.chatSize()
			switch msg.Mouse().Button {
			case tea.MouseWheelUp:
				m.chat.scrollUp(3, w, h, m.env())
			case tea.MouseWheelDown:
				m.chat.scrollDown(3, w, h, m.env())
			}
		}
		return m, nil

	case passInfoMsg:
		m.needsPass = msg.needs
		m.screen = screenUnlock
		if !msg.needs {
			m.unlocking = true
			return m, unlockCmd(m.b, nil)
		}
		return m, nil
	case unlockedMsg:
		m.unlocking = false
		if msg.err != nil {
			switch {
			case msg.wrong:
				m.unlockErr = "wrong passphrase — the vault is unchanged; try again"
			case msg.inUse:
				m.unlockErr = "vault in use by another vaultchat — close it and try again"
			default:
				m.unlockErr = sanitize.String(msg.err.Error())
			}
			// The way to unlock may have changed (an agent went away).
			m.needsPass = msg.needs
			m.pass.Reset()
			return m, nil
		}
		m.unlockErr, m.lockReason = "", ""
		m.pass.Reset()
		m.screen = screenLoading
		return m, loadCmd(m.b)
	case lockedMsg:
		m.needsPass = msg.needs
		return m, nil
	case loadedMsg:
		if m.screen != screenLoading {
			return m, nil
		}
		return m, m.applyLoaded(msg)
	case convLoadedMsg:
		if m.screen != screenMain {
			return m, nil
		}
		if msg.err != nil {
			m.setNotice("open conversation: "+msg.err.Error(), true)
			return m, nil
		}
		m.openConversation(msg.conv)
		return m, usageCmd(m.b, m.keyID, m.convID)
	case keysMsg:
		if m.screen == screenMain {
			m.keys = sanitizeKeys(msg.keys)
			m.sideKey = ""
			if m.overlay == overlayPicker && m.picker.kind == pickKey {
				m.rebuildPickerRows()
			}
		}
		return m, nil
	case convsMsg:
		if m.screen == screenMain && msg.err == nil {
			m.convs = sanitizeSummaries(msg.convs)
			m.convSel = min(m.convSel, max(len(m.convs)-1, 0))
			m.adoptTitle()
		}
		return m, nil
	case usageMsg:
		if m.screen == screenMain && msg.keyID == m.keyID && msg.convID == m.convID {
			m.usage = sanitizeUsage(msg.view)
			m.sideKey = ""
		}
		return m, nil
	case modelsMsg:
		return m, m.applyModels(msg)
	case noteMsg:
		if m.screen != screenMain || msg.convID != m.convID {
			return m, nil
		}
		if msg.err != nil {
			m.setNotice("save note: "+msg.err.Error(), true)
			return m, nil
		}
		m.chat.add(&chatItem{kind: itemNote, id: msg.msg.ID, text: sanitize.String(msg.msg.Content)})
		return m, nil

	case streamOpenedMsg:
		if msg.seq != m.streamSeq || m.screen != screenMain {
			return m, nil
		}
		m.adoptCreated(msg.created)
		m.events = msg.events
		if msg.created != nil {
			// Send saved the new conversation with the title derived
			// from its first message: list it and show the title now.
			return m, tea.Batch(m.wait(msg.seq, msg.events), convsCmd(m.b))
		}
		return m, m.wait(msg.seq, msg.events)
	case streamStartErrMsg:
		if msg.seq != m.streamSeq || m.screen != screenMain {
			return m, nil
		}
		m.adoptCreated(msg.created)
		m.finishTurn(nil, &chat.Error{Class: chat.ErrOther, Message: msg.err.Error()}, nil)
		m.endStream()
		return m, m.refreshAfterTurn()
	case streamEventMsg:
		if msg.seq != m.streamSeq || m.screen != screenMain {
			return m, nil
		}
		// A reply arriving is activity: the idle lock waits for the
		// user to have had the whole idle time to read it.
		m.lastActive = m.now()
		cmd := m.applyEvent(msg.ev)
		if m.events == nil {
			return m, cmd
		}
		return m, tea.Batch(cmd, m.wait(msg.seq, m.events))
	case streamClosedMsg:
		if msg.seq != m.streamSeq {
			return m, nil
		}
		if m.cur != nil && m.cur.streaming {
			// The stream ended without Done or Failed.
			m.finishTurn(nil, &chat.Error{Class: chat.ErrNetwork, Message: "the reply stopped unexpectedly"}, nil)
		}
		m.endStream()
		return m, nil

	case opDoneMsg:
		return m, m.applyOp(msg)
	case exportDoneMsg:
		return m, m.applyExport(msg)
	case draftFileMsg:
		if msg.err != nil {
			m.setNotice(msg.err.Error(), true)
			return m, nil
		}
		if m.screen != screenMain {
			return m, removeFileCmd(msg.path)
		}
		return m, editorCmd(m.opts.Editor, msg.path)
	case editorDoneMsg:
		if msg.err != nil {
			m.setNotice("editor: "+msg.err.Error(), true)
		}
		return m, readDraftCmd(msg.path)
	case draftReadMsg:
		if msg.err != nil {
			m.setNotice(msg.err.Error(), true)
			return m, nil
		}
		if m.screen == screenMain {
			m.input.SetValue(strings.TrimRight(msg.text, "\n"))
		}
		return m, nil
	case idleMsg:
		return m, m.checkIdle(msg.seq)
	case countdownMsg:
		return m, m.tickCountdown(msg.seq)
	}
	return m, nil
}

func (m *Model) applyLoaded(msg loadedMsg) tea.Cmd {
	m.screen = screenMain
	m.keys = sanitizeKeys(msg.keys)
	m.convs = sanitizeSummaries(msg.convs)
	if msg.err != nil {
		m.setNotice("load conversations: "+msg.err.Error(), true)
	}
	m.keyID, m.model = "", ""
	if msg.conv != nil {
		m.openConversation(msg.conv)
	} else {
		m.newConversation()
	}
	if m.opts.InitialKeyID != "" {
		for _, k := range m.keys {
			if k.ID == m.opts.InitialKeyID || k.Name == m.opts.InitialKeyID {
				m.keyID, m.model = k.ID, k.DefaultModel
			}
		}
	}
	if m.activeKey() == nil && len(m.keys) > 0 {
		m.keyID, m.model = m.keys[0].ID, m.keys[0].DefaultModel
	}
	if m.opts.InitialModel != "" {
		m.model = m.opts.InitialModel
	}
	m.idleSeq++
	m.lastActive = m.now()
	var cmds []tea.Cmd
	cmds = append(cmds, usageCmd(m.b, m.keyID, m.convID))
	if m.opts.IdleLock > 0 {
		cmds = append(cmds, m.idleTick(m.idleSeq, m.opts.IdleLock))
	}
	return tea.Batch(cmds...)
}

// openConversation shows a loaded conversation. The key and model of its
// last reply become active when that key still exists, so a restored
// conversation continues where it left off.
func (m *Model) openConversation(c *chat.Conversation) {
	m.convID = c.ID
	m.convTitle = sanitize.String(c.Title)
	m.systemPrompt = c.SystemPrompt
	m.editingLast = false
	items := make([]*chatItem, 0, len(c.Messages))
	var lastTurn *chat.Turn
	for _, msg := range c.Messages {
		if it := itemFromMessage(msg); it != nil {
			items = append(items, it)
		}
		if msg.Role == chat.RoleAssistant && msg.Turn != nil {
			lastTurn = msg.Turn
		}
	}
	m.chat.reset(items)
	if lastTurn != nil {
		for _, k := range m.keys {
			if k.ID == lastTurn.KeyID {
				m.keyID, m.model = k.ID, sanitize.String(lastTurn.Model)
			}
		}
	}
	for i, s := range m.convs {
		if s.ID == c.ID {
			m.convSel = i
		}
	}
}

func itemFromMessage(msg chat.Message) *chatItem {
	it := &chatItem{id: msg.ID, text: sanitize.String(msg.Content)}
	switch msg.Role {
	case chat.RoleUser:
		it.kind = itemUser
	case chat.RoleAssistant:
		it.kind = itemAssistant
		if t := msg.Turn; t != nil {
			tc := *t
			it.turn = &tc
			it.keyName = sanitize.String(t.KeyName)
			it.model = sanitize.String(t.Model)
			if t.Error != nil && t.Error.Class != chat.ErrCanceled {
				it.errMsg = sanitize.String(t.Error.Message)
				it.hint = sanitize.String(t.Error.Hint)
				it.errClass = t.Error.Class
			}
		}
	case chat.RoleNote:
		it.kind = itemNote
	default:
		return nil // the system prompt is shown in its dialog, not as a message
	}
	return it
}

func (m *Model) newConversation() {
	m.convID, m.convTitle, m.systemPrompt = "", "", ""
	m.editingLast = false
	m.chat.reset(nil)
}

// adoptCreated records a conversation created by the first send. Its
// title is the one at creation (usually empty); the backend derives the
// real one from the first message, and adoptTitle takes it from the next
// conversation list.
func (m *Model) adoptCreated(c *chat.Conversation) {
	if c == nil {
		return
	}
	m.convID = c.ID
	if m.convTitle == "" {
		m.convTitle = sanitize.String(c.Title)
	}
}

// adoptTitle shows the stored title of the open conversation, as the
// latest conversation list has it: the backend sets the title after the
// conversation was created (from its first message) and a rename made
// elsewhere shows up too.
func (m *Model) adoptTitle() {
	if m.convID == "" {
		return
	}
	for _, s := range m.convs {
		if s.ID == m.convID {
			if s.Title != "" {
				m.convTitle = s.Title // sanitized by sanitizeSummaries
			}
			return
		}
	}
}

func sanitizeKeys(keys []view.Key) []view.Key {
	out := make([]view.Key, len(keys))
	for i, k := range keys {
		k.Name = sanitize.String(oneLine(k.Name))
		k.Provider = sanitize.String(oneLine(k.Provider))
		k.Host = sanitize.String(oneLine(k.Host))
		k.Fingerprint = sanitize.String(oneLine(k.Fingerprint))
		k.DefaultModel = sanitize.String(oneLine(k.DefaultModel))
		allowed := make([]string, len(k.AllowedModels))
		for j, a := range k.AllowedModels {
			allowed[j] = sanitize.String(oneLine(a))
		}
		k.AllowedModels = allowed
		out[i] = k
	}
	return out
}

func sanitizeSummaries(in []chat.Summary) []chat.Summary {
	out := make([]chat.Summary, len(in))
	for i, s := range in {
		s.Title = sanitize.String(oneLine(s.Title))
		out[i] = s
	}
	return out
}

func sanitizeUsage(u view.Usage) view.Usage {
	budgets := make([]view.Budget, len(u.Budgets))
	for i, b := range u.Budgets {
		b.Name = sanitize.String(oneLine(b.Name))
		budgets[i] = b
	}
	u.Budgets = budgets
	return u
}

// ---- keys ----

func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := msg.String()
	if k == "ctrl+c" {
		m.stopStream()
		return tea.Quit
	}
	switch m.screen {
	case screenStart, screenLoading:
		return nil
	case screenUnlock:
		return m.unlockKey(msg)
	}
	if k == "ctrl+l" {
		if onLock := m.opts.OnLock; onLock != nil {
			return tea.Sequence(func() tea.Msg { onLock(); return nil }, m.lock("locked"))
		}
		return m.lock("locked")
	}
	switch m.overlay {
	case overlayHelp:
		switch k {
		case "up", "k":
			m.helpOff = max(m.helpOff-1, 0)
		case "down", "j":
			m.helpOff++
		default:
			m.overlay = overlayNone
		}
		return nil
	case overlayPicker:
		return m.pickerKey(msg)
	case overlayPrompt:
		return m.promptKey(msg)
	case overlayConfirm:
		return m.confirmKey(msg)
	case overlayExport:
		return m.exportKey(msg)
	}
	return m.mainKey(msg)
}

func (m *Model) unlockKey(msg tea.KeyPressMsg) tea.Cmd {
	if m.unlocking {
		return nil
	}
	if msg.String() == "enter" {
		pass := []byte(m.pass.Value())
		if m.needsPass && len(pass) == 0 {
			m.unlockErr = "type the vault's passphrase"
			return nil
		}
		m.unlocking = true
		m.unlockErr = ""
		m.pass.Reset()
		return unlockCmd(m.b, pass)
	}
	if !m.needsPass {
		return nil
	}
	var cmd tea.Cmd
	m.pass, cmd = m.pass.Update(msg)
	return cmd
}

func (m *Model) handlePaste(s string) tea.Cmd {
	switch {
	case m.screen == screenUnlock && !m.unlocking:
		m.pass.SetValue(m.pass.Value() + oneLine(cleanInput(s)))
	case m.screen != screenMain:
	case m.overlay == overlayPicker:
		m.picker.filter.SetValue(m.picker.filter.Value() + oneLine(cleanInput(s)))
		m.picker.refilter()
	case m.overlay == overlayPrompt:
		m.promptInput.SetValue(m.promptInput.Value() + oneLine(cleanInput(s)))
	case m.overlay == overlayExport && !m.exp.busy && m.exp.confirm == "":
		m.exp.path.SetValue(m.exp.path.Value() + oneLine(cleanInput(s)))
		m.exp.path.CursorEnd()
	case m.overlay == overlayNone:
		m.focus = focusInput
		m.input.Insert(s)
	}
	return nil
}

// chatSize is the chat viewport's size for the current layout.
func (m *Model) chatSize() (int, int) {
	l := m.layout()
	return l.chatW, l.mainH
}

func (m *Model) mainKey(msg tea.KeyPressMsg) tea.Cmd {
	k := msg.String()
	m.notice = ""
	w, h := m.chatSize()
	switch k {
	case "ctrl+k":
		return m.openKeyPicker()
	case "ctrl+p":
		return m.openModelPicker()
	case "ctrl+t":
		m.showSide = !m.sideVisible()
		m.sideSet = true
		return nil
	case "ctrl+s":
		return m.exportSelected()
	case "ctrl+o":
		m.showConvs = !m.showConvs
		if m.showConvs {
			m.focus = focusConvs
		} else {
			m.focus = focusInput
		}
		return tea.Batch(convsCmd(m.b))
	case "tab":
		if m.showConvs {
			if m.focus == focusInput {
				m.focus = focusConvs
			} else {
				m.focus = focusInput
			}
			return nil
		}
	case "ctrl+n":
		return m.startNewConversation()
	case "alt+r":
		return m.openRename(m.convID, m.convTitle)
	case "alt+d":
		return m.openDelete(m.convID, m.convTitle)
	case "alt+s":
		return m.openSystemPrompt()
	case "alt+e":
		return m.openExport(m.convID, m.convTitle, transcript.Markdown, "")
	case "f1":
		m.overlay, m.helpOff = overlayHelp, 0
		return nil
	case "ctrl+y":
		return m.copyLast(false)
	case "alt+y":
		return m.copyLast(true)
	case "ctrl+r":
		return m.regenerate()
	case "ctrl+e":
		if m.streaming {
			return nil
		}
		return writeDraftCmd(m.input.Value())
	case "pgup":
		m.chat.scrollUp(max(h/2, 1), w, h, m.env())
		return nil
	case "pgdown":
		m.chat.scrollDown(max(h/2, 1), w, h, m.env())
		return nil
	case "shift+up", "alt+up":
		m.chat.scrollUp(1, w, h, m.env())
		return nil
	case "shift+down", "alt+down":
		m.chat.scrollDown(1, w, h, m.env())
		return nil
	case "ctrl+end", "ctrl+g":
		m.chat.toBottom()
		return nil
	case "ctrl+home":
		m.chat.scrollUp(1<<30, w, h, m.env())
		return nil
	case "esc":
		if m.streaming {
			m.cancelStream()
			return nil
		}
		if m.editingLast {
			m.editingLast = false
			m.input.Reset()
			return nil
		}
		if m.focus == focusConvs {
			m.focus = focusInput
		}
		return nil
	}
	if m.focus == focusConvs {
		return m.convListKey(k)
	}
	return m.inputKey(msg)
}

func (m *Model) inputKey(msg tea.KeyPressMsg) tea.Cmd {
	e := &m.input
	switch msg.String() {
	case "enter":
		return m.submit()
	case "alt+enter", "ctrl+j", "shift+enter":
		e.Insert("\n")
	case "?":
		if e.Empty() {
			m.overlay, m.helpOff = overlayHelp, 0
			return nil
		}
		e.Insert("?")
	case "up":
		if e.Empty() && !m.streaming {
			m.editLast()
			return nil
		}
		e.Up()
	case "down":
		e.Down()
	case "left", "ctrl+b":
		e.Left()
	case "right", "ctrl+f":
		e.Right()
	case "home", "ctrl+a":
		e.Home()
	case "end":
		e.End()
	case "alt+left", "ctrl+left", "alt+b":
		e.WordLeft()
	case "alt+right", "ctrl+right", "alt+f":
		e.WordRight()
	case "backspace", "ctrl+h":
		e.Backspace()
	case "delete", "ctrl+d":
		e.Delete()
	case "ctrl+w", "alt+backspace":
		e.DeleteWordLeft()
	case "ctrl+u":
		e.DeleteToLineStart()
	case "alt+k":
		e.DeleteToLineEnd()
	default:
		if msg.Text != "" && !msg.Mod.Contains(tea.ModCtrl) && !msg.Mod.Contains(tea.ModAlt) {
			e.Insert(msg.Text)
		}
	}
	return nil
}

func (m *Model) convListKey(k string) tea.Cmd {
	switch k {
	case "up", "k":
		m.convSel = max(m.convSel-1, 0)
	case "down", "j":
		m.convSel = min(m.convSel+1, max(len(m.convs)-1, 0))
	case "enter":
		if m.convSel < len(m.convs) {
			if m.streaming {
				m.setNotice("a reply is streaming; esc stops it", true)
				return nil
			}
			m.focus = focusInput
			return loadConvCmd(m.b, m.convs[m.convSel].ID)
		}
	case "n":
		m.focus = focusInput
		return m.startNewConversation()
	case "r":
		if m.convSel < len(m.convs) {
			return m.openRename(m.convs[m.convSel].ID, m.convs[m.convSel].Title)
		}
	case "d":
		if m.convSel < len(m.convs) {
			return m.openDelete(m.convs[m.convSel].ID, m.convs[m.convSel].Title)
		}
	case "e":
		if m.convSel < len(m.convs) {
			return m.openExport(m.convs[m.convSel].ID, m.convs[m.convSel].Title, transcript.Markdown, "")
		}
	}
	return nil
}

// ---- sending ----

func (m *Model) submit() tea.Cmd {
	text := m.input.Value()
	if strings.TrimSpace(text) == "" {
		return nil
	}
	if strings.HasPrefix(strings.TrimSpace(text), "/") {
		if cmd, ok := m.exportCommand(text); ok {
			return cmd
		}
	}
	if m.streaming {
		m.setNotice("a reply is still streaming; esc stops it", true)
		return nil
	}
	editLast := m.editingLast
	cmd := m.send(text, false, editLast)
	if cmd != nil {
		m.input.Reset()
		m.editingLast = false
	}
	return cmd
}

// editLast puts the last user message back in the input; enter then
// replaces it and its reply.
func (m *Model) editLast() {
	for i := len(m.chat.items) - 1; i >= 0; i-- {
		if m.chat.items[i].kind == itemUser {
			m.input.SetValue(m.chat.items[i].text)
			m.editingLast = true
			return
		}
	}
}

func (m *Model) regenerate() tea.Cmd {
	if m.streaming {
		return nil
	}
	hasUser := false
	for _, it := range m.chat.items {
		if it.kind == itemUser {
			hasUser = true
		}
	}
	if !hasUser || m.convID == "" {
		m.setNotice("nothing to regenerate yet", true)
		return nil
	}
	return m.send("", true, false)
}

func (m *Model) send(prompt string, regenerate, editLast bool) tea.Cmd {
	key := m.activeKey()
	if key == nil {
		m.setNotice("no key to send with: add one with \"vaultchat keys add\"", true)
		return nil
	}
	if m.model == "" {
		m.setNotice("no model chosen: ctrl+p picks one", true)
		return nil
	}
	m.replaced, m.replacedAt = nil, 0
	switch {
	case regenerate:
		// Take off the last reply (and anything after the last user message).
		for i := len(m.chat.items) - 1; i >= 0; i-- {
			if m.chat.items[i].kind == itemUser {
				m.replaced, m.replacedAt = m.chat.cut(i+1), i+1
				break
			}
		}
	case editLast:
		for i := len(m.chat.items) - 1; i >= 0; i-- {
			if m.chat.items[i].kind == itemUser {
				m.replaced, m.replacedAt = m.chat.cut(i), i
				break
			}
		}
	}
	if !regenerate {
		m.chat.add(&chatItem{kind: itemUser, text: sanitize.String(prompt)})
	}
	it := &chatItem{kind: itemAssistant, keyName: key.Name, model: m.model, streaming: true, stream: m.md.NewStream(80)}
	m.chat.add(it)
	m.chat.toBottom()
	m.cur = it
	m.streaming = true
	m.streamSeq++
	ctx, cancel := context.WithCancel(m.ctx)
	m.cancel = cancel
	req := view.SendRequest{ConversationID: m.convID, Prompt: prompt, KeyID: key.ID, Model: m.model, Regenerate: regenerate, EditLast: editLast}
	return sendCmd(ctx, m.b, m.streamSeq, req, m.convID == "", m.systemPrompt)
}

// applyEvent applies one stream event to the streaming item.
func (m *Model) applyEvent(ev chat.Event) tea.Cmd {
	it := m.cur
	if it == nil {
		return nil
	}
	switch ev := ev.(type) {
	case chat.Delta:
		text := sanitize.String(ev.Text)
		it.text += text
		it.stream.Append(text)
		it.retryIn = time.Time{}
		it.errMsg = ""
		it.bump()
		m.chat.changed()
	case chat.Retrying:
		it.retryIn = m.now().Add(ev.Wait)
		it.attempt = ev.Attempt
		it.errMsg = "request failed"
		if ev.Err != nil {
			it.errMsg = sanitize.String(oneLine(ev.Err.Message))
		}
		it.bump()
		m.chat.changed()
		return m.startCountdown()
	case chat.Warning:
		it.notes = append(it.notes, sanitize.String(oneLine(ev.Text)))
		it.bump()
		m.chat.changed()
	case chat.Trimmed:
		it.notes = append(it.notes, fmt.Sprintf("%d earliest turns left out to fit the model's context window", ev.Turns))
		it.bump()
		m.chat.changed()
	case chat.Done:
		m.replaced = nil
		m.finishTurn(ev.Message, nil, &chat.Turn{KeyName: it.keyName, Model: it.model, Usage: ev.Usage, FinishReason: ev.FinishReason, Duration: ev.Duration})
		return m.refreshAfterTurn()
	case chat.Failed:
		fallback := &chat.Turn{KeyName: it.keyName, Model: it.model, Usage: ev.Usage, Duration: ev.Duration, Incomplete: true, Error: ev.Err}
		if ev.Err != nil {
			fallback.IncompleteReason = reasonFor(ev.Err.Class)
		}
		m.finishTurn(ev.Message, ev.Err, fallback)
		if m.replaced != nil {
			m.chat.insertAt(m.replacedAt, m.replaced)
			m.replaced = nil
		}
		return tea.Batch(m.refreshAfterTurn(), m.startCountdown())
	}
	return nil
}

func reasonFor(c chat.ErrorClass) string {
	switch c {
	case chat.ErrCanceled:
		return "canceled"
	case chat.ErrRateLimited:
		return "rate limited"
	case chat.ErrBudgetExceeded:
		return "budget"
	}
	return "failed"
}

// finishTurn ends the streaming item with the stored message (or the
// fallback attribution) and an optional error.
func (m *Model) finishTurn(stored *chat.Message, e *chat.Error, fallback *chat.Turn) {
	it := m.cur
	if it == nil {
		return
	}
	it.streaming = false
	if stored != nil {
		it.id = stored.ID
		it.text = sanitize.String(stored.Content)
	}
	if it.stream != nil && it.stream.Text() == it.text {
		// The streamed render is the render of the final text.
		it.frozen = append([]string(nil), it.stream.Lines()...)
		it.frozenWidth = it.stream.Width()
	}
	it.stream = nil
	it.retryIn = time.Time{}
	if stored != nil {
		if stored.Turn != nil {
			t := *stored.Turn
			fallback = &t
		}
	}
	if fallback == nil && e != nil {
		fallback = &chat.Turn{KeyName: it.keyName, Model: it.model, Incomplete: true, IncompleteReason: reasonFor(e.Class)}
	}
	it.turn = fallback
	it.errMsg, it.hint, it.errClass = "", "", ""
	if e != nil && e.Class != chat.ErrCanceled {
		it.errMsg = sanitize.String(e.Message)
		it.hint = sanitize.String(e.Hint)
		it.errClass = e.Class
		if e.Class == chat.ErrRateLimited && e.RetryAfter > 0 {
			it.limitTill = m.now().Add(e.RetryAfter)
		}
	}
	it.bump()
	m.chat.changed()
	if m.cancel != nil {
		m.cancel()
		m.cancel = nil
	}
	m.streaming = false
}

func (m *Model) endStream() {
	m.streaming = false
	if m.cancel != nil {
		m.cancel()
		m.cancel = nil
	}
	m.events = nil
}

// cancelStream asks the backend to stop; the partial reply arrives with
// the Failed event that follows.
func (m *Model) cancelStream() {
	if m.cancel != nil {
		m.cancel()
	}
	if m.cur != nil {
		m.cur.notes = append(m.cur.notes, "stopping…")
		m.cur.bump()
	}
}

// stopStream cancels a running stream and forgets it.
func (m *Model) stopStream() {
	if m.cancel != nil {
		m.cancel()
		m.cancel = nil
	}
	m.streamSeq++
	m.streaming = false
	m.events = nil
	m.cur = nil
}

func (m *Model) refreshAfterTurn() tea.Cmd {
	return tea.Batch(usageCmd(m.b, m.keyID, m.convID), keysCmd(m.b), convsCmd(m.b))
}

// ---- countdowns and idle lock ----

func (m *Model) startCountdown() tea.Cmd {
	if m.counting {
		return nil
	}
	m.counting = true
	m.countSeq++
	return m.countdownTick(m.countSeq)
}

func (m *Model) tickCountdown(seq int) tea.Cmd {
	if seq != m.countSeq || m.screen != screenMain {
		return nil
	}
	now := m.now()
	active := false
	// Only the last few items can count down (the running or last turn).
	for i := len(m.chat.items) - 1; i >= 0 && i >= len(m.chat.items)-3; i-- {
		it := m.chat.items[i]
		if !it.retryIn.IsZero() || !it.limitTill.IsZero() {
			it.bump()
			if it.counting(now) {
				active = true
			}
		}
	}
	if !active {
		m.counting = false
		return nil
	}
	return m.countdownTick(seq)
}

func (m *Model) checkIdle(seq int) tea.Cmd {
	if seq != m.idleSeq || m.screen != screenMain || m.opts.IdleLock <= 0 {
		return nil
	}
	if m.streaming {
		// Never lock while a reply streams: the lock would cut it.
		// Look again a full period later; by then the reply's events
		// have moved lastActive.
		return m.idleTick(seq, m.opts.IdleLock)
	}
	idle := m.now().Sub(m.lastActive)
	if idle >= m.opts.IdleLock {
		return m.lock(fmt.Sprintf("locked after %s without input", formatWait(m.opts.IdleLock)))
	}
	return m.idleTick(seq, m.opts.IdleLock-idle)
}

// lock drops everything unlocked: the backend forgets keys and
// conversations, and every model field that held conversation text is
// cleared.
func (m *Model) lock(reason string) tea.Cmd {
	m.stopStream()
	m.idleSeq++
	m.countSeq++
	m.counting = false
	m.keys, m.keyID, m.model = nil, "", ""
	m.convs, m.convID, m.convTitle, m.systemPrompt = nil, "", "", ""
	m.chat = newChatList()
	m.input = newEditor()
	m.editingLast = false
	m.usage = view.Usage{}
	m.modelCache = map[string][]string{}
	m.overlay = overlayNone
	m.picker = picker{}
	m.promptInput = textinput.Model{}
	m.promptID, m.promptTitle, m.confirmID, m.confirmText = "", "", "", ""
	m.exp = exportDialog{}
	m.exportSeq++ // the result of an export still running is dropped
	m.notice = ""
	m.side, m.sideKey = nil, ""
	m.hint, m.hintKey = "", ""
	m.focus = focusInput
	m.showConvs = false
	m.screen = screenUnlock
	m.lockReason = reason
	m.unlockErr = ""
	m.pass = m.newPassInput()
	return lockCmd(m.b)
}

// ---- conversations ----

func (m *Model) startNewConversation() tea.Cmd {
	if m.streaming {
		m.setNotice("a reply is streaming; esc stops it", true)
		return nil
	}
	m.newConversation()
	m.usage.Conversation = view.Total{}
	m.sideKey = ""
	return usageCmd(m.b, m.keyID, "")
}

func (m *Model) openRename(id, title string) tea.Cmd {
	if id == "" {
		m.setNotice("nothing to rename yet: send a message first", true)
		return nil
	}
	m.openPrompt(promptRename, id, "rename conversation", title)
	return nil
}

func (m *Model) openDelete(id, title string) tea.Cmd {
	if id == "" {
		m.setNotice("nothing to delete yet", true)
		return nil
	}
	if m.streaming && id == m.convID {
		m.setNotice("a reply is streaming; esc stops it", true)
		return nil
	}
	m.overlay = overlayConfirm
	m.confirmID = id
	if title == "" {
		title = "untitled"
	}
	m.confirmText = fmt.Sprintf("Delete “%s”? This cannot be undone.", title)
	return nil
}

func (m *Model) openSystemPrompt() tea.Cmd {
	m.openPrompt(promptSystem, m.convID, "system prompt for this conversation", m.systemPrompt)
	return nil
}

// lineInput returns a focused one-line input holding value, styled like
// every other prompt.
func (m *Model) lineInput(value string) textinput.Model {
	ti := textinput.New()
	ti.Prompt = "› "
	s := textinput.DefaultStyles(m.st.IsDark)
	s.Cursor.Blink = false
	s.Focused.Prompt = m.st.Accent
	s.Focused.Text = m.st.Base
	ti.SetStyles(s)
	ti.SetValue(oneLine(value))
	ti.CursorEnd()
	ti.Focus()
	return ti
}

func (m *Model) openPrompt(kind promptKind, id, title, value string) {
	ti := m.lineInput(value)
	m.promptInput = ti
	m.promptKind, m.promptID, m.promptTitle = kind, id, title
	m.overlay = overlayPrompt
}

func (m *Model) promptKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc":
		m.overlay = overlayNone
		return nil
	case "enter":
		v := strings.TrimSpace(m.promptInput.Value())
		m.overlay = overlayNone
		switch m.promptKind {
		case promptRename:
			if v == "" {
				return nil
			}
			return renameCmd(m.b, m.promptID, v)
		case promptSystem:
			if m.promptID == "" {
				m.systemPrompt = v // saved when the conversation is created
				m.setNotice("system prompt set for the new conversation", false)
				return nil
			}
			return systemPromptCmd(m.b, m.promptID, v)
		}
		return nil
	}
	var cmd tea.Cmd
	m.promptInput, cmd = m.promptInput.Update(msg)
	return cmd
}

func (m *Model) confirmKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "y", "Y":
		m.overlay = overlayNone
		return deleteCmd(m.b, m.confirmID)
	case "n", "N", "esc", "q":
		m.overlay = overlayNone
	}
	return nil
}

func (m *Model) applyOp(msg opDoneMsg) tea.Cmd {
	if m.screen != screenMain {
		return nil
	}
	if msg.err != nil {
		m.setNotice(msg.op+": "+msg.err.Error(), true)
		return nil
	}
	switch msg.op {
	case "rename":
		if msg.convID == m.convID {
			m.convTitle = sanitize.String(msg.value)
		}
		m.setNotice("renamed", false)
	case "delete":
		if msg.convID == m.convID {
			m.newConversation()
		}
		m.setNotice("conversation deleted", false)
		return tea.Batch(convsCmd(m.b), usageCmd(m.b, m.keyID, m.convID))
	case "system":
		if msg.convID == m.convID {
			m.systemPrompt = msg.value
		}
		m.setNotice("system prompt saved; it applies from the next turn", false)
	}
	return convsCmd(m.b)
}

// ---- pickers ----

func (m *Model) openKeyPicker() tea.Cmd {
	m.picker = picker{kind: pickKey, title: "switch key (for the next turn)", filter: newFilterInput(&m.st, "name, provider, host, model")}
	m.overlay = overlayPicker
	m.rebuildPickerRows()
	m.picker.selectID(m.keyID)
	return keysCmd(m.b)
}

func (m *Model) openModelPicker() tea.Cmd {
	key := m.activeKey()
	if key == nil {
		m.setNotice("no key: add one with \"vaultchat keys add\"", true)
		return nil
	}
	m.picker = picker{kind: pickModel, title: "model for " + key.Name + "  (ctrl+r refreshes)", free: true, filter: newFilterInput(&m.st, "type to filter or enter any model name")}
	m.overlay = overlayPicker
	if _, ok := m.modelCache[key.ID]; ok {
		m.rebuildPickerRows()
		m.picker.selectID(m.model)
		return nil
	}
	m.picker.loading = true
	m.rebuildPickerRows()
	return modelsCmd(m.ctx, m.b, key.ID, false)
}

func (m *Model) applyModels(msg modelsMsg) tea.Cmd {
	if m.screen != screenMain {
		return nil
	}
	if msg.err == nil {
		list := make([]string, len(msg.models))
		for i, s := range msg.models {
			list[i] = sanitize.String(oneLine(s))
		}
		m.modelCache[msg.keyID] = list
	}
	if m.overlay == overlayPicker && m.picker.kind == pickModel && msg.keyID == m.keyID {
		m.picker.loading = false
		m.picker.err = ""
		if msg.err != nil {
			m.picker.err = "could not list models: " + sanitize.String(oneLine(msg.err.Error()))
		}
		m.rebuildPickerRows()
		if m.picker.filter.Value() == "" {
			m.picker.selectID(m.model)
		}
	}
	return nil
}

// rebuildPickerRows formats the picker's rows for the current width.
func (m *Model) rebuildPickerRows() {
	w := m.overlayWidth() - 4
	switch m.picker.kind {
	case pickKey:
		m.picker.header, m.picker.rows = keyRows(m.keys, w-2, m.now())
	case pickModel:
		key := m.activeKey()
		if key == nil {
			return
		}
		models := filterAllowed(m.modelCache[key.ID], key.AllowedModels)
		rows := make([]pickerRow, 0, len(models))
		for _, name := range models {
			text := name
			if name == m.model {
				text += "  (current)"
			}
			if name == key.DefaultModel {
				text += "  (default)"
			}
			rows = append(rows, pickerRow{id: name, text: text})
		}
		m.picker.header = ""
		if len(models) == 0 && !m.picker.loading {
			m.picker.header = "the server lists no models: type a model name"
		}
		m.picker.rows = rows
	}
	m.picker.setRows(m.picker.rows)
}

// filterAllowed keeps the models a key may use; a key without a list may
// use any. Allowed models missing from the server's list are still
// offered.
func filterAllowed(models, allowed []string) []string {
	if len(allowed) == 0 {
		return models
	}
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
	}
	var out []string
	seen := map[string]bool{}
	for _, mdl := range models {
		if ok[mdl] {
			out = append(out, mdl)
			seen[mdl] = true
		}
	}
	for _, a := range allowed {
		if !seen[a] {
			out = append(out, a)
		}
	}
	return out
}

func (m *Model) pickerKey(msg tea.KeyPressMsg) tea.Cmd {
	p := &m.picker
	switch msg.String() {
	case "esc":
		m.overlay = overlayNone
		return nil
	case "up", "ctrl+p", "shift+tab":
		p.move(-1)
		return nil
	case "down", "ctrl+n", "tab":
		p.move(1)
		return nil
	case "ctrl+r":
		if p.kind == pickModel && m.activeKey() != nil {
			p.loading = true
			return modelsCmd(m.ctx, m.b, m.keyID, true)
		}
		return nil
	case "enter":
		row, ok := p.current()
		if !ok {
			return nil
		}
		m.overlay = overlayNone
		if p.kind == pickKey {
			return m.switchKey(row.id)
		}
		return m.switchModel(row.id)
	}
	var cmd tea.Cmd
	before := p.filter.Value()
	p.filter, cmd = p.filter.Update(msg)
	if p.filter.Value() != before {
		p.sel = 0
		p.refilter()
	}
	return cmd
}

// switchKey makes another key active for the next turn of the same
// conversation and writes a visible note into it.
func (m *Model) switchKey(id string) tea.Cmd {
	if id == m.keyID {
		return nil
	}
	var key *view.Key
	for i := range m.keys {
		if m.keys[i].ID == id {
			key = &m.keys[i]
		}
	}
	if key == nil {
		return nil
	}
	m.keyID = key.ID
	m.model = key.DefaultModel
	m.sideKey = ""
	m.usage = view.Usage{}
	text := "switched to key " + joinNonEmpty(" · ", key.Name, m.model)
	return tea.Batch(m.note(text), usageCmd(m.b, m.keyID, m.convID))
}

func (m *Model) switchModel(name string) tea.Cmd {
	if name == m.model || name == "" {
		return nil
	}
	m.model = name
	m.sideKey = ""
	return tea.Batch(m.note("switched model to "+name), usageCmd(m.b, m.keyID, m.convID))
}

// note shows a note in the chat; in a saved conversation it is stored
// (and shown when the backend confirms).
func (m *Model) note(text string) tea.Cmd {
	if m.convID == "" {
		m.chat.add(&chatItem{kind: itemNote, text: text})
		return nil
	}
	return noteCmd(m.b, m.convID, text)
}

// ---- clipboard ----

// copyLast copies the last reply, or its last fenced code block, from the
// source text so indentation survives.
func (m *Model) copyLast(code bool) tea.Cmd {
	var text string
	for i := len(m.chat.items) - 1; i >= 0; i-- {
		if it := m.chat.items[i]; it.kind == itemAssistant && it.text != "" {
			text = it.text
			break
		}
	}
	if text == "" {
		m.setNotice("no reply to copy yet", true)
		return nil
	}
	what := "reply"
	if code {
		block, ok := lastCodeBlock(text)
		if !ok {
			m.setNotice("the last reply has no code block", true)
			return nil
		}
		text, what = block, "code block"
	}
	m.setNotice(fmt.Sprintf("copied the last %s (%d lines)", what, strings.Count(text, "\n")+1), false)
	return tea.SetClipboard(text)
}

// lastCodeBlock returns the content of the last fenced code block.
func lastCodeBlock(src string) (string, bool) {
	lines := strings.Split(src, "\n")
	var cur []string
	var last []string
	found := false
	var fc byte
	fl := 0
	in := false
	for _, l := range lines {
		if !in {
			if c, n, ok := openFence(l); ok {
				in, fc, fl, cur = true, c, n, nil
			}
			continue
		}
		if closeFence(l, fc, fl) {
			in = false
			last, found = cur, true
			continue
		}
		cur = append(cur, l)
	}
	if in { // an unclosed block at the end (a cut-off reply)
		last, found = cur, true
	}
	return strings.Join(last, "\n"), found
}

func openFence(l string) (byte, int, bool) {
	t := strings.TrimLeft(l, " ")
	if len(l)-len(t) > 3 || len(t) < 3 || (t[0] != '`' && t[0] != '~') {
		return 0, 0, false
	}
	n := 0
	for n < len(t) && t[n] == t[0] {
		n++
	}
	if n < 3 {
		return 0, 0, false
	}
	return t[0], n, true
}

func closeFence(l string, c byte, n int) bool {
	t := strings.TrimSpace(l)
	if len(t) < n {
		return false
	}
	for i := 0; i < len(t); i++ {
		if t[i] != c {
			return false
		}
	}
	return true
}
