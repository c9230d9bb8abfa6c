package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"

	"github.com/vaultchat/vaultchat/internal/attach"
	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/figures"
	"github.com/vaultchat/vaultchat/internal/tokens"
)

// Attachments: "@path" typed in the input and completed with tab; when
// the completion names a file, the backend reads it (Backend.Attach:
// per-file limit, text or image) and it becomes a chip on the input's
// rule (name and size) until the message is sent; ctrl+x removes the
// last chip. The context meter counts the chips' tokens before sending.
// The whole turn (its limit, the vault's secrets) is checked by the
// backend's Send; a refusal puts the message and its chips back.
//
// Completion lists a directory in a command (a few lines of
// os.ReadDir and a prefix match: no library in the stack completes
// paths, and the editor is our own, so a completion widget would not
// plug in).

// pendingAttachment is a chip: the file read, and its token estimate.
// restored marks a chip ↑ put back with the message it was sent with
// (esc, canceling that edit, drops it).
type pendingAttachment struct {
	att    chat.Attachment
	tokens int
	// name is att.Name cleaned where it entered, for the chip.
	name     string
	restored bool
}

type (
	completedMsg struct {
		token   string // the @word completed
		typed   string // the directory part as typed ("docs/")
		dir     string // that directory, resolved
		matches []string
		err     error
	}
	attachedMsg struct {
		token string
		att   chat.Attachment
		tok   int
		err   error
	}
	// chipTokensMsg is the token estimate of chips restored for an
	// edit-and-resend, in their order; gen says which restore.
	chipTokensMsg struct {
		gen    int
		tokens []int
	}
)

// wordBeforeCursor is the run of non-space characters on the cursor's
// line that ends at the cursor.
func (e *editor) wordBeforeCursor() string {
	l := e.lines[e.row]
	i := e.col
	for i > 0 && l[i-1] != ' ' && l[i-1] != '\t' {
		i--
	}
	return string(l[i:e.col])
}

// replaceWordBeforeCursor replaces that word with s.
func (e *editor) replaceWordBeforeCursor(s string) {
	for n := len([]rune(e.wordBeforeCursor())); n > 0; n-- {
		e.Backspace()
	}
	e.Insert(s)
}

// completing reports whether tab completes a path: the word before the
// cursor is an @path.
func (m *Model) completing() bool {
	return m.focus == focusInput && strings.HasPrefix(m.input.wordBeforeCursor(), "@")
}

// expandHome turns a leading "~/" into the home directory.
func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}

// completeCmd lists the entries of the @word's directory that start with
// its last part (hidden ones only when that part starts with a dot).
func completeCmd(token string) tea.Cmd {
	return func() tea.Msg {
		path := strings.TrimPrefix(token, "@")
		typed, base := "", path
		if i := strings.LastIndexByte(path, '/'); i >= 0 {
			typed, base = path[:i+1], path[i+1:]
		}
		dir := expandHome(typed)
		if dir == "" {
			dir = "."
		}
		dirs, files, err := dirEntries(dir, func(name string) bool {
			return strings.HasPrefix(name, base) && (!strings.HasPrefix(name, ".") || strings.HasPrefix(base, "."))
		})
		if err != nil {
			return completedMsg{token: token, err: err}
		}
		matches := append(dirs, files...)
		slices.Sort(matches)
		return completedMsg{token: token, typed: typed, dir: dir, matches: matches}
	}
}

// dirEntries lists the names in dir that keep accepts: directories (and
// links to them) with a "/" after the name, then files, each sorted.
// Completion and the file picker list directories the same way.
func dirEntries(dir string, keep func(name string) bool) (dirs, files []string, err error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, de := range des {
		name := de.Name()
		switch {
		case !keep(name):
		case de.IsDir() || isDirLink(filepath.Join(dir, name), de):
			dirs = append(dirs, name+"/")
		default:
			files = append(files, name)
		}
	}
	slices.Sort(dirs)
	slices.Sort(files)
	return dirs, files, nil
}

// isDirLink reports whether a symbolic link points at a directory.
func isDirLink(path string, de os.DirEntry) bool {
	if de.Type()&os.ModeSymlink == 0 {
		return false
	}
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// attachCmd reads a file through the backend and estimates its tokens
// for model (the tokenizer runs here, off the UI's goroutine).
func attachCmd(b Backend, token, path, model string) tea.Cmd {
	return func() tea.Msg {
		a, err := b.Attach(path)
		if err != nil {
			return attachedMsg{token: token, err: err}
		}
		return attachedMsg{token: token, att: a, tok: attachmentTokens(model, a)}
	}
}

// attachmentTokens is what an attachment adds to the next request.
func attachmentTokens(model string, a chat.Attachment) int {
	if a.IsImage() {
		return tokens.ImageTokens
	}
	return tokens.Count(model, "\n\n"+attach.Inline(a))
}

// completePath handles tab on an @word.
func (m *Model) completePath() tea.Cmd {
	return completeCmd(m.input.wordBeforeCursor())
}

// updateAttach applies a completion or a file read.
func (m *Model) updateAttach(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case completedMsg:
		if m.input.wordBeforeCursor() != msg.token {
			return nil // typed on meanwhile
		}
		if msg.err != nil {
			m.setNotice("complete "+msg.token+": "+msg.err.Error(), true)
			return nil
		}
		switch len(msg.matches) {
		case 0:
			m.setNotice("no file matches "+msg.token, true)
			return nil
		case 1:
			name := msg.matches[0]
			m.input.replaceWordBeforeCursor("@" + msg.typed + name)
			if strings.HasSuffix(name, "/") {
				return nil
			}
			return attachCmd(m.b, "@"+msg.typed+name, filepath.Join(msg.dir, name), m.keyring.model)
		}
		prefix := commonPrefix(msg.matches)
		if "@"+msg.typed+prefix != msg.token {
			m.input.replaceWordBeforeCursor("@" + msg.typed + prefix)
			return nil
		}
		m.setNotice(truncate("matches: "+strings.Join(msg.matches, " · "), max(m.width-2, 10)), false)
	case attachedMsg:
		if msg.err != nil {
			m.setNotice(msg.err.Error(), true)
			return nil
		}
		if msg.token != "" && m.input.wordBeforeCursor() == msg.token {
			m.input.replaceWordBeforeCursor("")
		}
		m.attachments = append(m.attachments, pendingAttachment{att: msg.att, tokens: msg.tok, name: cleanLine(msg.att.Name)})
		m.setNotice("attached "+attach.Describe(msg.att), false)
	case chipTokensMsg:
		m.applyChipTokens(msg)
	}
	return nil
}

// restoreChips puts a sent message's attachments back as chips, after
// any attached meanwhile, for an edit-and-resend. Their tokens are
// counted in a command (a file of megabytes takes the tokenizer a while);
// until then the meter leaves them out.
func (m *Model) restoreChips(atts []chat.Attachment) tea.Cmd {
	if len(atts) == 0 {
		return nil
	}
	m.chipGen++
	for _, a := range atts {
		m.attachments = append(m.attachments, pendingAttachment{att: a, name: cleanLine(a.Name), restored: true})
	}
	gen, model := m.chipGen, m.keyring.model
	atts = slices.Clone(atts)
	return func() tea.Msg {
		toks := make([]int, len(atts))
		for i, a := range atts {
			toks[i] = attachmentTokens(model, a)
		}
		return chipTokensMsg{gen: gen, tokens: toks}
	}
}

// applyChipTokens fills in the estimates of the chips restoreChips put
// back, unless another restore came since.
func (m *Model) applyChipTokens(msg chipTokensMsg) {
	if msg.gen != m.chipGen {
		return
	}
	i := 0
	for j := range m.attachments {
		if p := &m.attachments[j]; p.restored && i < len(msg.tokens) {
			p.tokens = msg.tokens[i]
			i++
		}
	}
}

// dropRestoredChips removes the chips ↑ put back (esc cancels the edit).
func (m *Model) dropRestoredChips() {
	m.attachments = slices.DeleteFunc(m.attachments, func(p pendingAttachment) bool { return p.restored })
	if len(m.attachments) == 0 {
		m.attachments = nil
	}
}

// commonPrefix is the longest prefix of every string.
func commonPrefix(ss []string) string {
	p := ss[0]
	for _, s := range ss[1:] {
		for !strings.HasPrefix(s, p) {
			// A rune at a time: "café" and "cafè" share "caf", not
			// half of the accented letter.
			_, n := utf8.DecodeLastRuneInString(p)
			p = p[:len(p)-n]
		}
	}
	return p
}

// removeAttachment drops the last chip.
func (m *Model) removeAttachment() {
	if len(m.attachments) == 0 {
		m.setNotice("no attachment to remove", false)
		return
	}
	last := m.attachments[len(m.attachments)-1]
	m.attachments = m.attachments[:len(m.attachments)-1]
	m.setNotice("removed "+last.name, false)
}

// takeAttachments returns the chips' files for a send (send then moves
// the chips to the turn, which puts them back if Send refuses).
func (m *Model) takeAttachments() []chat.Attachment {
	if len(m.attachments) == 0 {
		return nil
	}
	out := make([]chat.Attachment, len(m.attachments))
	for i, p := range m.attachments {
		out[i] = p.att
	}
	return out
}

// pendingTokens is the chips' token estimate.
func (m *Model) pendingTokens() int {
	n := 0
	for _, p := range m.attachments {
		n += p.tokens
	}
	return n
}

// chipsLabel is the chips drawn on the input's rule: each file's name
// and size, and the key that removes the last.
func (m *Model) chipsLabel() string {
	if len(m.attachments) == 0 {
		return ""
	}
	parts := make([]string, len(m.attachments))
	for i, p := range m.attachments {
		parts[i] = "[" + p.name + " " + figures.Bytes(p.att.Size) + "]"
	}
	return " " + strings.Join(parts, " ") + " · " + keyName(m.km.RemoveAttachment) + " removes "
}

// attachmentChips are the lines a sent message's attachments show under
// it in the transcript: name, type and size (attachmentLabels).
func attachmentChips(labels []string, width int, env *renderEnv) []string {
	out := make([]string, 0, len(labels))
	for _, l := range labels {
		chip := "[" + l + "]"
		out = append(out, "  "+env.st.UserBar.Render("┃")+" "+env.st.Accent.Render(truncate(chip, max(width-5, 1))))
	}
	return out
}

// meterLabel is the context meter of the status line: what the next
// request takes of the model's window, with the chips' tokens.
func (m *Model) meterLabel() string {
	u := m.keyring.usage
	if u.ContextWindow <= 0 {
		return ""
	}
	n := m.pendingTokens()
	s := fmt.Sprintf("ctx %d%%", (u.ContextUsed+n)*100/u.ContextWindow)
	if n > 0 {
		s += " (+" + figures.Count(int64(n)) + " attached)"
	}
	return s + " · "
}
