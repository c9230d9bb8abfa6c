package ui

import (
	"errors"
	"strings"

	"github.com/vaultchat/vaultchat/internal/view"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/sanitize"
	"github.com/vaultchat/vaultchat/internal/transcript"
)

// The export dialog. The UI imports internal/transcript only for its pure
// helpers (the list of formats and FileName's safe names), so the default
// path is known the moment the dialog opens, without a Backend round trip;
// the export itself, which reads the conversation and writes the file,
// happens in the Backend, in a command.

// exportFormats are the formats the dialog offers, in menu order.
var exportFormats = transcript.Formats()

// exportFormatInfo says in a few words what each format is for.
var exportFormatInfo = map[transcript.Format]string{
	transcript.Markdown: "Markdown with front matter and per-turn attribution",
	transcript.JSON:     "versioned JSON, lossless: vaultchat import reads it back",
	transcript.Text:     "plain text wrapped at 80 columns, for a pager",
	transcript.HTML:     "one self-contained HTML page, light and dark",
}

// exportDialog is the export overlay's state.
type exportDialog struct {
	convID string
	title  string
	format int // index into exportFormats
	path   textinput.Model
	// confirm is the path the user is asked to overwrite; "" while
	// editing.
	confirm string
	// busy is set while an export runs; seq tells its result from that
	// of an earlier attempt.
	busy bool
	seq  int
	err  string
}

// defaultExportPath is ./<safe title>.<ext> in the current directory.
func defaultExportPath(id, title string, f transcript.Format) string {
	return "./" + transcript.FileName(&chat.Conversation{ID: id, Title: title}, f)
}

func (d *exportDialog) formatName() transcript.Format { return exportFormats[d.format] }

// setFormat selects another format; a path the user has not edited
// follows it, so its extension always matches the format.
func (d *exportDialog) setFormat(i int) {
	n := len(exportFormats)
	i = (i%n + n) % n
	if d.path.Value() == defaultExportPath(d.convID, d.title, d.formatName()) {
		d.path.SetValue(defaultExportPath(d.convID, d.title, exportFormats[i]))
		d.path.CursorEnd()
	}
	d.format = i
}

// formatIndex returns the menu position of f (0, Markdown, if unknown).
func formatIndex(f transcript.Format) int {
	for i, x := range exportFormats {
		if x == f {
			return i
		}
	}
	return 0
}

// openExport opens the export dialog for a conversation with format f
// and, if path is not empty, that path instead of the default.
func (m *Model) openExport(id, title string, f transcript.Format, path string) tea.Cmd {
	if id == "" {
		m.setNotice("nothing to export yet: send a message first", true)
		return nil
	}
	d := exportDialog{convID: id, title: title, format: formatIndex(f)}
	if path == "" {
		path = defaultExportPath(id, title, d.formatName())
	}
	d.path = m.lineInput(path)
	m.exportSeq++
	d.seq = m.exportSeq
	m.exp = d
	m.overlay = overlayExport
	return nil
}

// exportSelected opens the dialog for the conversation selected in the
// list when the list has the focus, else for the open one.
func (m *Model) exportSelected() tea.Cmd {
	if m.showConvs && m.focus == focusConvs && m.convSel < len(m.convs) {
		c := m.convs[m.convSel]
		return m.openExport(c.ID, c.Title, transcript.Markdown, "")
	}
	return m.openExport(m.convID, m.convTitle, transcript.Markdown, "")
}

// exportCommand handles "/export [FORMAT] [PATH]" typed in the input. It
// reports false for any other text, which is then sent as a message. With
// a path it exports at once (still asking before replacing a file); the
// format defaults to the path's extension, then to Markdown.
func (m *Model) exportCommand(text string) (tea.Cmd, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(text), "/export")
	if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '\t') || strings.Contains(rest, "\n") {
		return nil, false
	}
	rest = strings.TrimSpace(rest)
	f := transcript.Markdown
	fromExt := true
	if rest != "" {
		first, after, _ := strings.Cut(rest, " ")
		if pf, err := transcript.ParseFormat(first); err == nil && !strings.ContainsAny(first, "./") {
			f, fromExt = pf, false
			rest = strings.TrimSpace(after)
		}
	}
	if fromExt && rest != "" {
		if i := strings.LastIndexByte(rest, '.'); i >= 0 && !strings.ContainsAny(rest[i:], "/") {
			if pf, err := transcript.ParseFormat(rest[i:]); err == nil {
				f = pf
			}
		}
	}
	m.input.Reset()
	m.editingLast = false
	cmd := m.openExport(m.convID, m.convTitle, f, rest)
	if rest == "" || m.overlay != overlayExport {
		return cmd, true
	}
	return m.startExport(false), true
}

// startExport runs the export the dialog describes.
func (m *Model) startExport(overwrite bool) tea.Cmd {
	d := &m.exp
	path := strings.TrimSpace(d.path.Value())
	if path == "" {
		d.err = "type a path to write to"
		return nil
	}
	d.busy, d.err = true, ""
	m.exportSeq++
	d.seq = m.exportSeq
	return exportCmd(m.b, d.seq, d.convID, string(d.formatName()), path, overwrite)
}

func (m *Model) exportKey(msg tea.KeyPressMsg) tea.Cmd {
	d := &m.exp
	k := msg.String()
	if d.busy {
		if k == "esc" {
			// The result still arrives, as a notice.
			m.overlay = overlayNone
		}
		return nil
	}
	if d.confirm != "" {
		switch k {
		case "y", "Y":
			d.confirm = ""
			return m.startExport(true)
		case "n", "N", "esc":
			d.confirm = ""
		}
		return nil
	}
	switch k {
	case "esc":
		m.overlay = overlayNone
		return nil
	case "enter":
		return m.startExport(false)
	case "tab", "down":
		d.setFormat(d.format + 1)
		return nil
	case "shift+tab", "up":
		d.setFormat(d.format - 1)
		return nil
	}
	var cmd tea.Cmd
	d.path, cmd = d.path.Update(msg)
	d.err = ""
	return cmd
}

// applyExport shows an export's result: the path written, a question
// before replacing an existing file, or the error.
func (m *Model) applyExport(msg exportDoneMsg) tea.Cmd {
	if m.screen != screenMain {
		return nil
	}
	open := m.overlay == overlayExport && m.exp.seq == msg.seq
	if open {
		m.exp.busy = false
	}
	switch {
	case msg.err == nil:
		if open {
			m.overlay = overlayNone
		}
		m.setNotice("exported to "+msg.written, false)
	case errors.Is(msg.err, view.ErrExists):
		if open {
			m.exp.confirm = msg.path
			return nil
		}
		m.setNotice(msg.path+" already exists; nothing written", true)
	default:
		text := msg.err.Error()
		if !strings.HasPrefix(text, "export") {
			text = "export: " + text
		}
		if open {
			m.exp.err = cleanLine(text)
		}
		m.setNotice(text, true)
	}
	return nil
}

// exportBox draws the dialog.
func (m *Model) exportBox() []string {
	st := &m.st
	d := &m.exp
	w := min(m.width-4, 76)
	inner := w - 4
	const label = 8
	title := d.title
	if title == "" {
		title = "untitled"
	}
	var body []string
	body = append(body, st.Muted.Render(truncate("“"+title+"”", inner)), "")

	var fb strings.Builder
	for i, f := range exportFormats {
		if i > 0 {
			fb.WriteString("  ")
		}
		if i == d.format {
			fb.WriteString(st.Selected.Render("● " + f.String()))
		} else {
			fb.WriteString(st.Muted.Render("○ " + f.String()))
		}
	}
	body = append(body, st.Accent.Render(pad("format", label))+fb.String())
	body = append(body, pad("", label)+st.Muted.Render(truncate(exportFormatInfo[d.formatName()], inner-label)))

	if d.confirm != "" || d.busy {
		body = append(body, st.Accent.Render(pad("path", label))+truncate(sanitize.String(d.path.Value()), inner-label))
	} else {
		d.path.SetWidth(max(inner-label-ansi.StringWidth(d.path.Prompt)-1, 4))
		body = append(body, st.Accent.Render(pad("path", label))+d.path.View())
	}
	body = append(body, "")
	switch {
	case d.confirm != "":
		body = append(body, st.Warning.Render(truncate(sanitize.String(d.confirm)+" already exists. Overwrite? y/n", inner)),
			st.Muted.Render("y overwrite · n keep it and edit the path"))
	case d.busy:
		body = append(body, st.Muted.Render("exporting…"), "")
	default:
		if d.err != "" {
			body = append(body, st.Error.Render(truncate(d.err, inner)))
		} else {
			body = append(body, "")
		}
		body = append(body, st.Muted.Render(truncate("tab ↑↓ format · enter export · esc cancel", inner)))
	}
	return box("export conversation", body, w, len(body)+2, st.DialogBorder, st.DialogTitle)
}

// pad left-aligns s in n columns.
func pad(s string, n int) string {
	return s + strings.Repeat(" ", max(n-ansi.StringWidth(s), 0))
}
