package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/vaultchat/vaultchat/ui/styles"
)

// lineInput returns a focused one-line input holding value, styled like
// every other prompt.
func lineInput(st *styles.Styles, value string) textinput.Model {
	ti := textinput.New()
	ti.Prompt = "› "
	s := textinput.DefaultStyles(st.IsDark)
	s.Cursor.Blink = false
	s.Focused.Prompt = st.Accent
	s.Focused.Text = st.Base
	ti.SetStyles(s)
	ti.SetValue(oneLine(value))
	ti.CursorEnd()
	ti.Focus()
	return ti
}

// promptDialog asks for one line of text (a new title, a system prompt).
type promptDialog struct {
	km    *keyMap
	st    *styles.Styles
	title string
	input textinput.Model
	// submit is called with the trimmed text when the user presses enter.
	submit func(value string) tea.Cmd
}

func newPromptDialog(km *keyMap, st *styles.Styles, title, value string, submit func(string) tea.Cmd) *promptDialog {
	return &promptDialog{km: km, st: st, title: title, input: lineInput(st, value), submit: submit}
}

func (d *promptDialog) update(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case tea.PasteMsg:
		d.input.SetValue(d.input.Value() + oneLine(cleanInput(msg.Content)))
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, d.km.Cancel):
			return nil, true
		case key.Matches(msg, d.km.Choose):
			return d.submit(strings.TrimSpace(d.input.Value())), true
		}
		var cmd tea.Cmd
		d.input, cmd = d.input.Update(msg)
		return cmd, false
	}
	return nil, false
}

func (d *promptDialog) view(width, _ int) []string {
	st := d.st
	w := min(width-4, 72)
	d.input.SetWidth(w - 8)
	body := []string{d.input.View(), "", st.Muted.Render(keyName(d.km.Choose) + " save · " + keyName(d.km.Cancel) + " cancel")}
	return box(d.title, body, w, len(body)+2, st.DialogBorder, st.DialogTitle)
}

// confirmDialog asks a yes/no question before something that cannot be
// undone.
type confirmDialog struct {
	km       *keyMap
	st       *styles.Styles
	title    string
	question string
	yesWord  string // what y does ("delete")
	noWord   string // what n does ("keep")
	// yes is called when the user answers y.
	yes func() tea.Cmd
}

func (d *confirmDialog) update(msg tea.Msg) (tea.Cmd, bool) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil, false
	}
	switch {
	case key.Matches(k, d.km.Yes):
		return d.yes(), true
	case key.Matches(k, d.km.No):
		return nil, true
	}
	return nil, false
}

func (d *confirmDialog) view(width, _ int) []string {
	st := d.st
	w := min(width-4, 64)
	footer := keyName(d.km.Yes) + " " + d.yesWord + " · " + keyName(d.km.No) + " " + d.noWord
	body := append(wrapLines(d.question, w-4), "", st.Muted.Render(truncate(footer, w-4)))
	return box(d.title, body, w, len(body)+2, st.DialogBorder, st.DialogTitle)
}
