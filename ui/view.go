package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/vaultchat/vaultchat/internal/figures"
)

// layout is the geometry of the main screen.
type layout struct {
	bannerH      int
	convW, sideW int
	chatW, mainH int
	inputH       int
	inputW       int
	showConvs    bool
	showSide     bool
	// convsOver draws the conversation list as a box over the chat:
	// the list is open but the terminal is too narrow for its pane.
	// convsFit says whether the pane would fit at all.
	convsOver bool
	convsFit  bool
}

const (
	minChatW  = 40
	sepW      = 1
	convPaneW = 28
)

// sideVisible reports whether the usage pane is shown: by default only
// when the terminal is wide enough, until the user toggles it.
func (m *Model) sideVisible() bool { return m.side.visible(m.width) }

// layout lays out the main screen. The chat keeps at least minChatW
// columns: an open conversation list goes before the usage pane, and
// where even the list alone leaves too little, it is drawn over the chat
// while it has the focus — the list never takes keys unseen.
func (m *Model) layout() layout {
	l := layout{}
	if m.opts.Demo {
		l.bannerH = 1 + boolInt(m.opts.DemoHint != "")
	}
	w := m.width
	l.showSide = m.sideVisible()
	l.convsFit = w-convPaneW-sepW >= minChatW
	l.showConvs = m.list.open && l.convsFit
	l.convsOver = m.list.open && !l.convsFit && m.focus == focusConvs
	if l.showSide {
		l.sideW = min(max(w/4, 34), 44)
	}
	if l.showConvs {
		l.convW = convPaneW
	}
	if l.showSide && w-l.convW-sepW-l.sideW-boolInt(l.showConvs)*sepW < minChatW {
		l.showSide, l.sideW = false, 0
	}
	l.chatW = max(w-l.convW-l.sideW-sepW*(boolInt(l.showConvs)+boolInt(l.showSide)), 10)
	// The input grows with the draft up to a quarter of the screen.
	maxInput := max(3, m.height/4)
	l.inputW = max(w-2, 4)
	l.inputH = min(max(m.input.visualLines(l.inputW, maxInput), 1), maxInput)
	l.mainH = max(m.height-l.bannerH-l.inputH-1-2, 1) // rule above input, status, hints
	return l
}

// View draws the screen. It only reads state (render caches aside):
// what a key changes is changed in Update, so that the next key sees it
// whether or not a frame was drawn between.
func (m *Model) View() tea.View {
	var content string
	switch m.screen {
	case screenMain:
		content = m.mainView()
	default:
		content = m.unlockView()
	}
	v := tea.NewView(content)
	v.AltScreen = true
	if m.screen == screenMain {
		v.MouseMode = tea.MouseModeCellMotion
	}
	v.WindowTitle = "vaultchat"
	return v
}

func (m *Model) mainView() string {
	st := &m.st
	l := m.layout()
	rows := make([]string, 0, m.height)
	if l.bannerH > 0 {
		rows = append(rows, st.Banner.Render(fit(demoBanner(m.width, keyName(m.km.Quit)), m.width)))
		if m.opts.DemoHint != "" {
			rows = append(rows, st.Muted.Render(truncate(m.opts.DemoHint, m.width)))
		}
	}

	env := m.env()
	chatH := l.mainH
	if !m.chat.follow {
		chatH-- // the "more below" marker takes the last row
	}
	chatLines := m.chat.view(l.chatW, chatH, env)
	empty := len(m.chat.items) == 0
	var convLines, sideLines []string
	if l.showConvs {
		convLines = m.list.view(l.convW, l.mainH, m.convID)
	}
	if l.showSide {
		sideLines = m.side.view(m.sideInput(), l.sideW-1, l.mainH, m.gen, &m.st)
	}
	var welcome []string
	if empty {
		welcome = m.welcome(l.chatW)
	}
	sep := st.PaneBorder.Render("│")
	welcomeTop := max((l.mainH-len(welcome))/2, 0)
	for i := 0; i < l.mainH; i++ {
		var b strings.Builder
		if l.showConvs {
			b.WriteString(fit(lineAt(convLines, i), l.convW))
			b.WriteString(sep)
		}
		line := lineAt(chatLines, i)
		if empty && i >= welcomeTop && i-welcomeTop < len(welcome) {
			line = welcome[i-welcomeTop]
		}
		switch {
		case i == l.mainH-1 && !m.chat.follow:
			// Scrolled up: say that more is below, and the key back.
			what := " ↓ more below · "
			if m.chat.newBelow {
				what = " ↓ new below · "
			}
			marker := st.NewMarker.Render(what + keyName(m.km.Latest) + " ")
			line = fit("", l.chatW-ansi.StringWidth(marker)) + marker
		case i >= len(chatLines) || (empty && line != ""):
			line = fit(line, l.chatW)
		}
		b.WriteString(line)
		if l.showSide {
			b.WriteString(sep)
			b.WriteString(" ")
			if i < len(sideLines) {
				b.WriteString(sideLines[i])
			} else {
				b.WriteString(strings.Repeat(" ", l.sideW-1))
			}
		}
		rows = append(rows, b.String())
	}

	rows = append(rows, m.inputRule(m.width))
	prompt := st.InputPrompt.Render("› ")
	cont := "  "
	focused := m.focus == focusInput && m.overlays.empty()
	inLines := m.input.view(l.inputW, l.inputH, focused, st.Cursor)
	for i := 0; i < l.inputH; i++ {
		p := cont
		if i == 0 {
			p = prompt
		}
		text := lineAt(inLines, i)
		if i == 0 && m.input.Empty() && !focused {
			text = st.Placeholder.Render("message")
		} else if i == 0 && m.input.Empty() {
			text = st.Cursor.Render(" ") + st.Placeholder.Render("message · enter sends · alt+enter newline")
		}
		rows = append(rows, fit(p+text, m.width))
	}
	rows = append(rows, m.statusLine(), m.hintLine())

	if l.convsOver {
		bw := min(convPaneW+4, m.width)
		drawOver(rows, box("", m.list.view(bw-4, l.mainH-2, m.convID), bw, l.mainH, st.DialogBorder, st.DialogTitle), 0, l.bannerH)
	}
	for _, o := range m.overlays.items {
		m.drawCentered(rows, o.view(m.width, m.height))
	}
	return strings.Join(rows, "\n")
}

func lineAt(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return ""
}

func (m *Model) drawCentered(rows, b []string) {
	if len(b) == 0 {
		return
	}
	w := ansi.StringWidth(b[0])
	drawOver(rows, b, max((m.width-w)/2, 0), max((len(rows)-len(b))/2, 0))
}

func (m *Model) welcome(w int) []string {
	st := &m.st
	lines := []string{st.Accent.Render("vaultchat")}
	if k := m.activeKey(); k != nil {
		lines = append(lines, st.Muted.Render("key ")+k.Name+st.Muted.Render(" · model ")+m.keyring.model)
	} else {
		lines = append(lines, st.Warning.Render("no key yet: add one with \"vaultchat keys add\""))
	}
	lines = append(lines, "", st.Muted.Render("type a message and press enter"),
		st.Muted.Render(keyName(m.km.SwitchKey)+" switch key · "+keyName(m.km.PickModel)+" model · "+keyName(m.km.Help)+" help"))
	out := make([]string, len(lines))
	for i, l := range lines {
		pad := max((w-ansi.StringWidth(l))/2, 0)
		out[i] = strings.Repeat(" ", pad) + l
	}
	return out
}

func (m *Model) inputRule(w int) string {
	st := &m.st
	label := ""
	switch {
	case m.editingLast && len(m.attachments) > 0:
		// The chips go with the resent message: show them too.
		label = truncate(" editing your last message ·"+m.chipsLabel()+"· enter resends · esc cancels ", max(w-4, 1))
	case m.editingLast:
		label = " editing your last message · enter resends · esc cancels "
	case len(m.attachments) > 0:
		label = m.chipsLabel()
	default:
		if n, size := m.input.Size(); n > 1 || size > 2000 {
			label = fmt.Sprintf(" draft · %s lines · %s ", figures.Count(int64(n)), formatBytes(size))
		}
	}
	if label == "" {
		return st.InputBorder.Render(strings.Repeat("─", w))
	}
	lw := ansi.StringWidth(label)
	return st.InputBorder.Render("──") + st.Muted.Render(label) + st.InputBorder.Render(strings.Repeat("─", max(w-2-lw, 0)))
}

func (m *Model) statusLine() string {
	st := &m.st
	var left []string
	keyName, model := "no key", m.keyring.model
	if k := m.activeKey(); k != nil {
		keyName = k.Name
	}
	left = append(left, st.StatusKey.Render(" "+keyName+" "), st.StatusModel.Render(model+" "))
	state := st.StatusIdle.Render("● idle")
	if m.turn.streaming && m.turn.cur != nil {
		now := m.now()
		switch {
		case m.turn.cur.retryIn.After(now):
			state = st.StatusRetrying.Render("● retrying in " + formatWait(m.turn.cur.retryIn.Sub(now)))
		default:
			state = st.StatusStreaming.Render("● streaming")
		}
	}
	left = append(left, state)
	title := m.convTitle
	if title == "" {
		title = "new conversation"
	}
	right := st.StatusBar.Render(truncate(title, 40) + " ")
	if m.roleName != "" {
		right = st.StatusBar.Render("role "+truncate(m.roleName, 20)+" · ") + right
	}
	if meter := m.meterLabel(); meter != "" {
		right = st.StatusBar.Render(meter) + right
	}
	l := strings.Join(left, st.StatusBar.Render(" "))
	gap := m.width - ansi.StringWidth(l) - ansi.StringWidth(right)
	if gap < 1 {
		return fit(l+st.StatusBar.Render(" ")+right, m.width)
	}
	return l + st.StatusBar.Render(strings.Repeat(" ", gap)) + right
}

func (m *Model) hintLine() string {
	key := fmt.Sprintf("%d/%d/%v/%d/%v/%s/%T", m.width, m.gen, m.turn.streaming, m.focus, m.noticeErr, m.notice, m.overlays.top())
	if key != m.hintKey {
		m.hint, m.hintKey = m.buildHintLine(), key
	}
	return m.hint
}

func (m *Model) buildHintLine() string {
	st := &m.st
	if m.notice != "" {
		style := st.OK
		if m.noticeErr {
			style = st.Error
		}
		return fit(" "+style.Render(elideWords(m.notice, m.width-1)), m.width)
	}
	km := &m.km
	var hints []keyHint
	if o := m.overlays.top(); o != nil {
		// An open picker or dialog takes the keys: the line says its
		// own, not the chat's.
		parts := [][2]string{{"esc", "close"}}
		if _, ok := o.(*picker); ok {
			parts = [][2]string{{"type", "to filter"}, {"↑↓", "choose"}, {"enter", "pick"}, {"esc", "close"}}
		}
		return m.renderHints(parts)
	}
	switch {
	case m.turn.streaming:
		hints = []keyHint{{&km.Stop, "stop"}, {&km.HalfPageUp, "scroll"}, {&km.SwitchKey, "key"}, {&km.Help, "help"}}
	case m.focus == focusMessages:
		hints = []keyHint{{&km.MessageUp, "previous"}, {&km.MessageDown, "next"}, {&km.PrevVersion, "version"},
			{&km.Fork, "fork"}, {&km.Stop, "back"}}
	case m.focus == focusConvs:
		hints = []keyHint{{&km.ListOpen, "open"}, {&km.NewConversation, "new"}, {&km.Rename, "rename"}, {&km.Delete, "delete"},
			{&km.Export, "export"}, {&km.ListClearFilter, "back"}, {&km.ToggleList, "hide"}}
	default:
		hints = []keyHint{{&km.Send, "send"}, {&km.Newline, "newline"}, {&km.SwitchKey, "key"}, {&km.PickModel, "model"},
			{&km.ToggleUsage, "usage"}, {&km.ToggleList, "chats"}, {&km.Export, "export"}, {&km.Regenerate, "retry"},
			{&km.CopyReply, "copy"}, {&km.Lock, "lock"}, {&km.Help, "help"}}
	}
	parts := make([][2]string, len(hints))
	for i, h := range hints {
		parts[i] = [2]string{h.binding.Keys()[0], h.word}
	}
	return m.renderHints(parts)
}

// renderHints draws the hint line from key and word pairs, as many as fit.
func (m *Model) renderHints(parts [][2]string) string {
	st := &m.st
	var b strings.Builder
	b.WriteString(" ")
	width := 1
	for i, p := range parts {
		part := p[0] + " " + p[1]
		if i > 0 {
			part = " · " + part
		}
		if width+ansi.StringWidth(part) > m.width {
			break
		}
		width += ansi.StringWidth(part)
		if i > 0 {
			b.WriteString(st.Faint.Render(" · "))
		}
		b.WriteString(st.HintKey.Render(p[0]) + " " + st.HintText.Render(p[1]))
	}
	return fit(b.String(), m.width)
}

// keyHint is one entry of the hint line: a binding's first key and a word.
type keyHint struct {
	binding *key.Binding
	word    string
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// demoBanner is the demo's banner line for a screen width columns wide:
// the longest wording that fits, always with how to quit.
func demoBanner(width int, quit string) string {
	tail := " · " + quit + " quits and deletes it"
	for _, b := range []string{
		" DEMO · temporary vault with demo keys on a local simulator · nothing leaves this machine" + tail,
		" DEMO · temporary vault, local simulator · nothing leaves this machine" + tail,
		" DEMO · nothing leaves this machine" + tail,
		" DEMO" + tail,
	} {
		if ansi.StringWidth(b) <= width {
			return b
		}
	}
	return " DEMO"
}
