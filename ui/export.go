package ui

import (
	"errors"
	"strings"

	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/ui/styles"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/vaultchat/vaultchat/internal/chat"
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

// exportCommandUsage is how the help shows the /export command.
const exportCommandUsage = "/export fmt path"

// exportDialog is the export overlay. The export itself runs in the
// Backend, in a command; the dialog shows its result (see applyExport).
type exportDialog struct {
	km *keyMap
	st *styles.Styles
	b  Backend
	// seqs counts the exports of the Model, so a result is matched to
	// the attempt that asked for it.
	seqs *int

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
	d := &exportDialog{km: &m.km, st: &m.st, b: m.b, seqs: &m.exportSeq, convID: id, title: title, format: formatIndex(f)}
	if path == "" {
		path = defaultExportPath(id, title, d.formatName())
	}
	d.path = lineInput(&m.st, path)
	m.exportSeq++
	d.seq = m.exportSeq
	m.overlays.push(d)
	return nil
}

// exportSelected opens the dialog for the conversation selected in the
// list when the list has the focus, else for the open one.
func (m *Model) exportSelected() tea.Cmd {
	if c, ok := m.listSelection(); ok {
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
		pf, err := transcript.ParseFormat(first)
		switch {
		case err == nil && !strings.ContainsAny(first, "./"):
			f, fromExt = pf, false
			rest = strings.TrimSpace(after)
		case after == "" && !strings.ContainsAny(first, "./"):
			// A lone bare word ("/export pdf") is a format asked for,
			// not a file name: a file in the current directory is
			// written "./notes".
			m.setNotice(err.Error()+`; to write a file with that name, give "./`+first+`"`, true)
			return nil, true
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
	d, open := topOverlay[*exportDialog](&m.overlays)
	if rest == "" || !open {
		return cmd, true
	}
	return d.start(false), true
}

// start runs the export the dialog describes.
func (d *exportDialog) start(overwrite bool) tea.Cmd {
	path := strings.TrimSpace(d.path.Value())
	if path == "" {
		d.err = "type a path to write to"
		return nil
	}
	d.busy, d.err = true, ""
	*d.seqs++
	d.seq = *d.seqs
	return exportCmd(d.b, d.seq, d.convID, string(d.formatName()), path, overwrite)
}

func (d *exportDialog) update(msg tea.Msg) (tea.Cmd, bool) {
	if p, ok := msg.(tea.PasteMsg); ok {
		if !d.busy && d.confirm == "" {
			d.path.SetValue(d.path.Value() + oneLine(cleanInput(p.Content)))
			d.path.CursorEnd()
		}
		return nil, false
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil, false
	}
	if d.busy {
		// esc closes the dialog; the result still arrives, as a notice.
		return nil, key.Matches(k, d.km.Cancel)
	}
	if d.confirm != "" {
		switch {
		case key.Matches(k, d.km.Yes):
			d.confirm = ""
			return d.start(true), false
		case key.Matches(k, d.km.No):
			d.confirm = ""
		}
		return nil, false
	}
	switch {
	case key.Matches(k, d.km.Cancel):
		return nil, true
	case key.Matches(k, d.km.Choose):
		return d.start(false), false
	case key.Matches(k, d.km.FormatNext):
		d.setFormat(d.format + 1)
		return nil, false
	case key.Matches(k, d.km.FormatPrev):
		d.setFormat(d.format - 1)
		return nil, false
	}
	var cmd tea.Cmd
	d.path, cmd = d.path.Update(k)
	d.err = ""
	return cmd, false
}

// applyExport shows an export's result: the path written, a question
// before replacing an existing file, or the error.
func (m *Model) applyExport(msg exportDoneMsg) tea.Cmd {
	if m.screen != screenMain {
		return nil
	}
	d, open := topOverlay[*exportDialog](&m.overlays)
	open = open && d.seq == msg.seq
	if open {
		d.busy = false
	}
	switch {
	case msg.err == nil:
		if open {
			m.overlays.remove(d)
		}
		m.setNotice("exported to "+msg.written, false)
	case errors.Is(msg.err, view.ErrExists):
		if open {
			d.confirm = cleanLine(msg.path)
			return nil
		}
		m.setNotice(msg.path+" already exists; nothing written", true)
	default:
		text := msg.err.Error()
		if !strings.HasPrefix(text, "export") {
			text = "export: " + text
		}
		if open {
			d.err = cleanLine(text)
		}
		m.setNotice(text, true)
	}
	return nil
}

func (d *exportDialog) view(width, _ int) []string {
	st := d.st
	w := min(width-4, 76)
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
		body = append(body, st.Accent.Render(pad("path", label))+truncate(d.path.Value(), inner-label))
	} else {
		path := d.path // a copy: drawing sets nothing
		path.SetWidth(max(inner-label-ansi.StringWidth(path.Prompt)-1, 4))
		body = append(body, st.Accent.Render(pad("path", label))+path.View())
	}
	body = append(body, "")
	switch {
	case d.confirm != "":
		body = append(body, st.Warning.Render(truncate(d.confirm+" already exists. Overwrite? y/n", inner)),
			st.Muted.Render("y overwrite · n keep it and edit the path"))
	case d.busy:
		body = append(body, st.Muted.Render("exporting…"), "")
	default:
		if d.err != "" {
			// Wrapped, not cut: the end of an error (what the path
			// holds, what to do) is what the user needs.
			lines := wrapLines(d.err, inner)
			if len(lines) > maxDialogErrorLines {
				lines = append(lines[:maxDialogErrorLines-1], truncate(strings.Join(lines[maxDialogErrorLines-1:], " "), inner))
			}
			for _, l := range lines {
				body = append(body, st.Error.Render(l))
			}
		} else {
			body = append(body, "")
		}
		body = append(body, st.Muted.Render(truncate("tab ↑↓ format · enter export · esc cancel", inner)))
	}
	return box("export conversation", body, w, len(body)+2, st.DialogBorder, st.DialogTitle)
}

// maxDialogErrorLines is how many rows the export dialog gives an error.
const maxDialogErrorLines = 4

// pad left-aligns s in n columns.
func pad(s string, n int) string {
	return s + strings.Repeat(" ", max(n-ansi.StringWidth(s), 0))
}
