package ui

import (
	"context"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/sanitize"
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

// focusKind says which part of the main screen takes the keys when no
// overlay is open.
type focusKind int

const (
	focusInput focusKind = iota
	focusConvs
	// focusMessages is the message-selection mode (alt+m): ↑ ↓ select
	// a message, ← → flip its versions, f forks from it.
	focusMessages
)

// screenSize is the terminal's size, for overlays that keep their
// scroll within what the screen shows.
func (m *Model) screenSize() (width, height int) { return m.width, m.height }

// setFocus gives the keys to f; the list's filter follows at once, so
// that what is typed next goes where the screen says.
func (m *Model) setFocus(f focusKind) {
	m.focus = f
	m.list.setFocused(f == focusConvs)
}

// Model is the TUI's single Bubble Tea model. Its parts are plain structs
// with methods, each in a file of its own: the unlock screen (unlock.go),
// the turn in flight (turn.go), the chat view (chatitem.go, chatlist.go),
// the input (editor.go), the conversation list (convlist.go), the keys
// and usage (keyring.go, sidepane.go), and the dialogs on the overlay
// stack (overlay.go). Update routes each message to the part it concerns;
// every Backend call happens in a command.
type Model struct {
	b    Backend
	opts Options
	ctx  context.Context
	now  func() time.Time
	// tick and wait are tea.Tick and waitEvent; tests replace them to
	// control time and stream delivery.
	tick func(time.Duration, func(time.Time) tea.Msg) tea.Cmd
	wait func(seq int, ch <-chan chat.Event) tea.Cmd
	km   keyMap

	width, height int
	st            styles.Styles
	md            *markdown.Renderer
	gen           int // the theme's generation: renders of another theme are stale

	screen screen
	unlock unlockScreen
	// typeahead keeps what is typed while the vault unlocks, replayed
	// on the main screen (typeahead.go); replaying is true meanwhile,
	// and heldSend records an enter it kept from sending.
	typeahead typeahead
	replaying bool
	heldSend  bool
	// reopen is the conversation open when the app was locked, opened
	// again after the unlock (an ID, not its content).
	reopen string

	// Unlocked state. lock() clears all of it.
	keyring      keyring
	list         convList
	convID       string
	convTitle    string
	systemPrompt string
	// role is the role a new conversation starts with when its first
	// message creates it (nil: none); roleName is the open
	// conversation's role, shown in the status line.
	role     *chat.RoleRef
	roleName string
	// attachments are the chips: files read for the next message;
	// chipGen numbers the restores of a message's chips (attach.go).
	attachments []pendingAttachment
	chipGen     int
	chat        chatList
	input       editor
	editingLast bool
	// draftKept says the backend keeps a draft for the open
	// conversation (drafts.go); quitAsk is the question ctrl+c asks
	// when a draft is typed.
	draftKept bool
	quitAsk   *confirmDialog
	focus     focusKind
	// msgSel is the chat item selected in the message-selection mode
	// (-1 outside it).
	msgSel    int
	overlays  overlayStack
	turn      turn
	side      sidePane
	exportSeq int

	countSeq int
	counting bool
	idleSeq  int
	// lastActive is the time of the last input or stream event: the
	// idle lock counts from it.
	lastActive time.Time

	notice    string
	noticeErr bool
	hint      string
	hintKey   string
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
		b:       b,
		opts:    opts,
		ctx:     context.Background(),
		now:     time.Now,
		tick:    tea.Tick,
		wait:    waitEvent,
		km:      defaultKeyMap(),
		width:   80,
		height:  24,
		keyring: newKeyring(),
		chat:    newChatList(),
		input:   newEditor(),
		msgSel:  -1,
	}
	m.list = m.newConvList()
	m.setTheme(!opts.Light)
	m.unlock.pass = m.newPassInput()
	return m
}

func (m *Model) setTheme(dark bool) {
	m.st = styles.New(dark, m.opts.NoColor)
	m.md = markdown.New(m.st.Markdown)
	m.gen++
}

// Init asks for the terminal's background colour and whether the vault
// needs a passphrase.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(tea.RequestBackgroundColor, passInfoCmd(m.b))
}

func (m *Model) env() *renderEnv {
	return &renderEnv{st: &m.st, md: m.md, gen: m.gen, now: m.now()}
}

// setNotice shows a one-line result or error above the status bar until
// the next key.
func (m *Model) setNotice(s string, isErr bool) {
	m.notice, m.noticeErr = cleanLine(s), isErr
}

// Update applies one message: input goes to the key handling, results of
// commands to the part that asked for them. Then it scrolls the input so
// that its cursor stays in view: any message may change the draft or the
// box's size, and View only reads.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	l := m.layout()
	m.input.scrollTo(l.inputW, l.inputH)
	return m, cmd
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = max(msg.Width, 20), max(msg.Height, 8)
		m.refreshPicker()
		return nil
	case tea.BackgroundColorMsg:
		m.setTheme(msg.IsDark())
		v := m.unlock.pass.Value()
		m.unlock.pass = m.newPassInput()
		m.unlock.pass.SetValue(v)
		return nil
	case tea.KeyPressMsg:
		m.lastActive = m.now()
		return m.handleKey(msg)
	case tea.PasteMsg:
		m.lastActive = m.now()
		return m.handlePaste(msg)
	case tea.MouseWheelMsg:
		m.lastActive = m.now()
		m.handleWheel(msg)
		return nil

	case passInfoMsg, unlockedMsg, lockedMsg:
		return m.updateUnlock(msg)
	case loadedMsg:
		if m.screen != screenLoading {
			return nil
		}
		return m.applyLoaded(msg)
	case streamOpenedMsg, streamStartErrMsg, streamEventMsg, streamClosedMsg:
		return m.updateTurn(msg)
	case idleMsg:
		return m.checkIdle(msg.seq)
	case countdownMsg:
		return m.tickCountdown(msg.seq)
	case draftFileMsg, editorDoneMsg, draftReadMsg:
		return m.updateDraft(msg)
	}
	if m.screen != screenMain {
		return nil // a result for the main screen arriving after a lock
	}
	switch msg := msg.(type) {
	case draftLoadedMsg:
		m.applyDraftLoaded(msg)
		return nil
	case draftSavedMsg:
		if msg.err != nil {
			m.setNotice(msg.err.Error(), true)
		}
		return nil
	}
	switch msg := msg.(type) {
	case convLoadedMsg, convsMsg, opDoneMsg, noteMsg, searchedMsg:
		return m.updateConversations(msg)
	case keysMsg, usageMsg, modelsMsg, chosenMsg:
		return m.updateKeyring(msg)
	case exportDoneMsg:
		return m.applyExport(msg)
	case forkedMsg, switchedMsg:
		return m.updateBranches(msg)
	case completedMsg, attachedMsg, chipTokensMsg:
		return m.updateAttach(msg)
	case dirListedMsg:
		m.applyDirListed(msg)
		return nil
	case rolesMsg:
		m.applyRoles(msg)
		return nil
	case roleLoadedMsg:
		return m.applyRole(msg)
	}
	return nil
}

// applyLoaded shows the main screen after an unlock: the keys, the list
// and the conversation open before the lock (else the most recent one),
// with the key and model the backend says its next turn uses.
func (m *Model) applyLoaded(msg loadedMsg) tea.Cmd {
	m.screen = screenMain
	m.keyring.setKeys(msg.keys)
	m.list.setItems(msg.convs)
	if msg.err != nil {
		m.setNotice("load conversations: "+msg.err.Error(), true)
	}
	if msg.conv != nil {
		m.openConversation(msg.conv)
	} else {
		m.newConversation()
	}
	m.restoreDraft(msg.draft)
	m.keyring.setChoice(msg.choice)
	if m.keyring.problem != "" {
		m.setNotice(m.keyring.problem, true)
	}
	m.idleSeq++
	m.lastActive = m.now()
	cmds := []tea.Cmd{m.usageCmd()}
	if m.opts.IdleLock > 0 {
		cmds = append(cmds, m.idleTick(m.idleSeq, m.opts.IdleLock))
	}
	cmds = append(cmds, m.replayTypeahead())
	return tea.Batch(cmds...)
}

// updateDraft applies the steps of the ctrl+e editor round trip. The
// draft file is read back and removed whatever the screen; after a lock
// its text is dropped.
func (m *Model) updateDraft(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case draftFileMsg:
		if msg.err != nil {
			m.setNotice(msg.err.Error(), true)
			return nil
		}
		if m.screen != screenMain {
			return removeFileCmd(msg.path)
		}
		return editorCmd(m.opts.Editor, msg.path)
	case editorDoneMsg:
		if msg.err != nil {
			m.setNotice("editor: "+msg.err.Error(), true)
		}
		return readDraftCmd(msg.path)
	case draftReadMsg:
		if msg.err != nil {
			m.setNotice(msg.err.Error(), true)
			return nil
		}
		if m.screen == screenMain {
			m.input.SetValue(strings.TrimRight(msg.text, "\n"))
		}
	}
	return nil
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

// addNote shows a note the backend stored.
func (m *Model) addNote(msg noteMsg) {
	if msg.convID != m.convID {
		return
	}
	if msg.err != nil {
		m.setNotice("save note: "+msg.err.Error(), true)
		return
	}
	m.chat.add(&chatItem{kind: itemNote, id: msg.msg.ID, text: sanitize.String(msg.msg.Content)})
}
