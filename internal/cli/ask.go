package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/vaultchat/vaultchat/internal/attach"
	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/internal/sanitize"
	"github.com/vaultchat/vaultchat/internal/session"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/ui/markdown"
)

// maxPromptInput bounds what ask reads from stdin.
const maxPromptInput = 8 << 20

type askCmd struct {
	Key          string   `name:"key" placeholder:"NAME" help:"Key to use (name or ID; default: config default_key, the conversation's last key, or the only key)."`
	Model        string   `name:"model" placeholder:"MODEL" help:"Model to use (default: the key's default model)."`
	System       string   `name:"system" placeholder:"TEXT" xor:"system" help:"System prompt for a new conversation."`
	Role         string   `name:"role" placeholder:"NAME" xor:"system" help:"Start the conversation with a role (roles/NAME.md: system prompt, model, key, temperature)."`
	Continue     bool     `name:"continue" short:"c" xor:"conversation" help:"Continue the most recent conversation."`
	Conversation string   `name:"conversation" placeholder:"ID" xor:"conversation" help:"Continue the conversation with this ID."`
	JSON         bool     `name:"json" help:"Print the reply, its usage and the conversation ID as JSON."`
	NoSave       bool     `name:"no-save" help:"Keep no conversation (usage is still recorded)."`
	Raw          bool     `name:"raw" help:"Print plain text even when stdout is a terminal."`
	Files        []string `name:"file" short:"f" sep:"none" placeholder:"FILE" help:"Attach a text file (sent inline) or a png, jpeg, gif or webp image; repeatable."`
	Prompt       []string `arg:"" optional:"" help:"The prompt. Text piped on stdin is appended to it."`
}

// askResult is the --json output.
type askResult struct {
	ConversationID string      `json:"conversation_id,omitempty"`
	Key            string      `json:"key"`
	Model          string      `json:"model"`
	Reply          string      `json:"reply"`
	Usage          chat.Usage  `json:"usage"`
	CostUSD        *float64    `json:"cost_usd,omitempty"`
	FinishReason   string      `json:"finish_reason,omitempty"`
	DurationMS     int64       `json:"duration_ms"`
	Incomplete     bool        `json:"incomplete,omitempty"`
	Error          *chat.Error `json:"error,omitempty"`
}

// Run sends one prompt and prints the reply as it streams.
func (c *askCmd) Run(a *app) error {
	if c.NoSave && (c.Continue || c.Conversation != "") {
		return usagef("--no-save cannot continue a saved conversation")
	}
	if c.System != "" && (c.Continue || c.Conversation != "") {
		return usagef("--system sets the system prompt of a new conversation; it cannot change one being continued")
	}
	if c.Role != "" && (c.Continue || c.Conversation != "") {
		return usagef("--role starts a new conversation; it cannot change one being continued")
	}
	// A sent turn depends on these settings: one that is wrong stops it
	// rather than sending with a default the user did not mean.
	if _, err := a.config("default_key", "prices", "max_retries", "response_timeout", "stream_idle_timeout", "attachments"); err != nil {
		return err
	}
	prompt, err := c.prompt(a)
	if err != nil {
		return err
	}
	atts, err := c.attachments(a)
	if err != nil {
		return err
	}
	sess, err := a.openTurnSession(c.NoSave)
	if err != nil {
		return err
	}
	defer sess.Close()
	var role *chat.RoleRef
	if c.Role != "" {
		if role, c.Key, c.Model, err = roleForAsk(a, sess, c.Role, c.Key, c.Model); err != nil {
			return err
		}
	}
	convID, created, err := c.conversation(sess, role)
	if err != nil {
		return err
	}
	// Ctrl+C or SIGTERM stops the turn; the engine saves what arrived,
	// then the command exits 128+N (signalContext).
	ctx, stopped, stop := signalContext()
	defer stop()
	// When stdout is closed early ("vaultchat ask … | head") a write
	// fails with EPIPE (System ignores SIGPIPE); print then stops the
	// turn, and what arrived is kept.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The key and model are the session's choice when not given (the
	// rule the app follows too: session.Resolve).
	if c.Key == "" {
		c.sayWhichKey(a, sess, convID)
	}
	c.warnExpired(a, sess, convID)
	// A key in the prompt is masked by the engine, which says so in the
	// turn's first event (a warning, printed below); one in --system or
	// the role's prompt was masked when the conversation was made.
	if created {
		c.warnMaskedSystem(a, sess, role)
	}
	events, err := sess.Send(ctx, view.SendRequest{ConversationID: convID, Prompt: prompt, KeyID: c.Key, Model: c.Model, Attachments: atts})
	if err != nil {
		// Nothing was sent or typed into it (an unknown key, say): do
		// not leave an empty conversation behind.
		if created && !c.NoSave {
			sess.Delete(convID)
		}
		if errors.Is(err, session.ErrConversationInUse) {
			// Failing beats waiting: a reply can take minutes, and a
			// question written before it arrived may not be the one to
			// send after it.
			return withHint(err, "another vaultchat (the app or an ask) is waiting for a reply in it; the prompt was not saved: send it again once that reply is in, or leave out --continue and --conversation to start a new conversation")
		}
		return err
	}
	err = c.print(a, events, convID, cancel)
	if note := sess.LedgerAttention(); note != "" {
		// The request is kept in the ledger's journal; say why the
		// figures of "usage" are short.
		a.warn("%s", note)
	}
	return stopped(err)
}

// warnMaskedSystem warns when the system prompt of the new conversation
// (--system or the role's prompt) held a key: the session masked it with
// its redactor before saving (session.Create), as the engine masks the
// message, and the user is told in the engine's words.
func (c *askCmd) warnMaskedSystem(a *app, sess *session.Session, role *chat.RoleRef) {
	what, text := "the system prompt", c.System
	if role != nil {
		what, text = "role "+role.Name+"'s prompt", role.Text
	}
	if sess.Redactor().String(text) != text {
		a.warn("%s", chat.MaskedWarning(what))
	}
}

// sayWhichKey tells stderr, once, which key pays when none was named and
// the vault holds several: default_key's, or the key used last.
func (c *askCmd) sayWhichKey(a *app, sess *session.Session, convID string) {
	ch := sess.Choice(convID)
	if ch.Key.ID == "" || (ch.Why != session.WhyDefaultKey && ch.Why != session.WhyUsedLast) {
		return
	}
	fmt.Fprintf(a.io.ErrOut, "vaultchat: using key %s (%s)\n", a.clean(ch.Key.Name), ch.Why)
	c.Key = ch.Key.ID // the key announced is the key used
}

// warnExpired warns when the key the turn will use has expired: it is
// still sent (the server decides), but not without a word.
func (c *askCmd) warnExpired(a *app, sess *session.Session, convID string) {
	key := c.Key
	if key == "" {
		ref, _, err := sess.Resolve(convID, "", c.Model)
		if err != nil {
			return // the send reports it
		}
		key = ref.ID
	}
	if name, at, expired := sess.KeyExpired(key); expired {
		a.warn("key %q expired on %s; rotate it with \"vaultchat keys rotate %s\" or pick another with --key", name, at.Format(dateLayout), name)
	}
}

// prompt joins the arguments and piped stdin.
func (c *askCmd) prompt(a *app) (string, error) {
	prompt := strings.Join(c.Prompt, " ")
	if !a.io.IsStdinTTY {
		b, err := io.ReadAll(io.LimitReader(a.io.In, maxPromptInput+1))
		if err != nil {
			return "", fmt.Errorf("read stdin: %w", err)
		}
		if len(b) > maxPromptInput {
			return "", fmt.Errorf("stdin holds over %d MiB; that is too much for one prompt", maxPromptInput>>20)
		}
		if in := strings.TrimRight(string(b), "\n"); strings.TrimSpace(in) != "" {
			if prompt != "" {
				prompt += "\n\n"
			}
			prompt += in
		}
	}
	if strings.TrimSpace(prompt) == "" {
		return "", usagef("nothing to ask: give a prompt as arguments or on stdin")
	}
	return prompt, nil
}

// attachments reads the -f files, each checked against config.toml's
// limits before anything is sent (the session checks the turn's total
// and secrets).
func (c *askCmd) attachments(a *app) ([]chat.Attachment, error) {
	if len(c.Files) == 0 {
		return nil, nil
	}
	cfg, err := a.config("attachments")
	if err != nil {
		return nil, err
	}
	limits := attach.Limits{MaxFile: cfg.Attachments.MaxFile, MaxTurn: cfg.Attachments.MaxTurn}
	var out []chat.Attachment
	seen := map[string]string{} // the file's resolved path: the -f that gave it first
	for _, path := range c.Files {
		if path == "-" {
			return nil, usagef("-f - is not supported: text piped on stdin is already added to the prompt")
		}
		same := sameFile(path)
		if first, ok := seen[same]; ok {
			fmt.Fprintf(a.io.ErrOut, "vaultchat: -f %s is the same file as %s: attached once\n", a.clean(path), a.clean(first))
			continue
		}
		seen[same] = path
		att, err := attach.ReadFile(path, limits)
		switch {
		case errors.Is(err, attach.ErrTooLarge):
			return nil, withHint(err, "the limits are max_file_mib and max_turn_mib under [attachments] in config.toml")
		case err != nil:
			return nil, err
		}
		out = append(out, att)
	}
	if err := attach.CheckTurn(out, limits); err != nil {
		return nil, withHint(err, "the limits are max_file_mib and max_turn_mib under [attachments] in config.toml")
	}
	return out, nil
}

// sameFile is what two -f paths of one file have in common: the path
// cleaned, made absolute and with its symlinks resolved (as far as they
// resolve; a missing file is reported by the read).
func sameFile(path string) string {
	p, err := filepath.Abs(path)
	if err != nil {
		p = filepath.Clean(path)
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	return p
}

// conversation returns the ID to send to, creating a conversation when
// needed (created is then true).
func (c *askCmd) conversation(sess *session.Session, role *chat.RoleRef) (id string, created bool, err error) {
	switch {
	case c.Conversation != "":
		return c.Conversation, false, nil
	case c.Continue:
		id, err := sess.Latest()
		if errors.Is(err, session.ErrNotFound) {
			return "", false, withHint(errors.New("there is no conversation to continue"), "drop --continue to start one")
		}
		if err != nil {
			return "", false, err
		}
		return id, false, nil
	}
	// Written with the user's message, by the turn: one write before the
	// request instead of two.
	sys := c.System
	if role != nil {
		sys = role.Text
	}
	conv, err := sess.Begin(sys, role)
	if err != nil {
		return "", false, err
	}
	return conv.ID, true, nil
}

// print streams the reply to stdout and reports the outcome.
func (c *askCmd) print(a *app, events <-chan chat.Event, convID string, stopTurn func()) error {
	var res askResult
	var failure *chat.Error
	var out replyWriter = discardReply{}
	if !c.JSON {
		out = a.replyWriter(c.Raw)
	}
	for ev := range events {
		switch ev := ev.(type) {
		case chat.Delta:
			if err := out.write(ev.Text); err != nil {
				// Nobody reads the reply any more: stop paying for it.
				stopTurn()
			}
		case chat.Retrying:
			a.warn("%s; retrying in %s (attempt %d)", ev.Err.Message, ev.Wait.Round(1e8), ev.Attempt)
		case chat.Warning:
			a.warn("%s", ev.Text)
		case chat.Trimmed:
			a.warn("the oldest %d turns were left out of the request to fit the model's context window", ev.Turns)
		case chat.Done:
			res.FinishReason = ev.FinishReason
			fillResult(&res, ev.Message, ev.Usage)
		case chat.Failed:
			failure = ev.Err
			res.Error = ev.Err
			res.Incomplete = true
			fillResult(&res, ev.Message, ev.Usage)
		}
	}
	if err := out.finish(); err != nil {
		// A closed stdout ("ask … | head -1") still exits 0 quietly
		// through the wrap (isClosedStdout); what arrived is saved.
		return fmt.Errorf("write reply: %w", err)
	}
	if !c.NoSave {
		res.ConversationID = convID
	}
	if c.JSON {
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err // a closed stdout exits 0 quietly (isClosedStdout)
		}
	}
	if failure != nil {
		hints := []string{}
		partial := res.Reply != "" && !c.NoSave
		// A cut reply's own hint ("send the message again") would
		// contradict "continue with …": the one hint says both.
		cut := failure.Class == chat.ErrNetwork || failure.Class == chat.ErrTimeout
		if failure.Hint != "" && !(partial && cut) {
			hints = append(hints, failure.Hint)
		}
		if partial {
			hints = append(hints, fmt.Sprintf("the partial reply is saved; continue with \"vaultchat ask --conversation %s\"", convID))
		}
		return withHint(failure, hints...)
	}
	return nil
}

// replyWriter prints a reply as it streams. Its input has already passed
// the engine's redaction and sanitizer.
type replyWriter interface {
	// write prints what it can of the next piece of the reply and
	// returns the first write error so far.
	write(text string) error
	// finish prints the rest and reports the first write error.
	finish() error
}

// replyWriter returns the writer for stdout: rendered Markdown on a
// terminal unless raw, plain text otherwise.
func (a *app) replyWriter(raw bool) replyWriter {
	if !a.io.IsStdoutTTY || raw {
		return &plainReply{w: a.io.Out, mask: a.redactor.DisplayedStream()}
	}
	r := markdown.New(a.markdownStyle())
	return &markdownReply{
		w:       bufio.NewWriter(a.io.Out),
		s:       r.NewStream(a.termWidth()),
		noColor: a.getenv("NO_COLOR") != "",
	}
}

// discardReply prints nothing, for --json.
type discardReply struct{}

func (discardReply) write(string) error { return nil }
func (discardReply) finish() error      { return nil }

// plainReply prints the text as it arrives, a word at a time, and ends it
// with a newline. Plain text is read as it is, so a key disguised with
// Markdown escapes or invisible characters reads as the key: mask masks
// what a reader would see (redact.DisplayedStream), holding back only
// the word not yet ended.
type plainReply struct {
	w    io.Writer
	mask *redact.DisplayedStream
	last byte
	err  error
}

func (p *plainReply) write(text string) error {
	return p.out(p.mask.Write(text))
}

func (p *plainReply) finish() error {
	p.out(p.mask.Flush())
	if p.err == nil && p.last != 0 && p.last != '\n' {
		_, p.err = io.WriteString(p.w, "\n")
	}
	return p.err
}

// out writes text unless a write failed before.
func (p *plainReply) out(text string) error {
	if text == "" || p.err != nil {
		return p.err
	}
	_, p.err = io.WriteString(p.w, text)
	p.last = text[len(text)-1]
	return p.err
}

// markdownReply renders the reply as Markdown, append-only: each delta is
// appended to a markdown.Stream, which renders a block once when it is
// complete, and only the lines that became stable are printed. The
// unfinished tail is rendered once, at the end. Rendering cost is linear
// in the reply's length: nothing printed is ever rendered again.
type markdownReply struct {
	w *bufio.Writer
	s *markdown.Stream
	// noColor drops all styling (NO_COLOR): the rendered layout (tables,
	// bullets, quotes) is kept, without colour.
	noColor bool
	shown   bool // some of the reply has been written out
	err     error
}

func (m *markdownReply) write(text string) error {
	// A delta can hold a large part of the reply when the provider is
	// fast. Appending it a line at a time lets the Stream render each
	// block on its own as it completes, instead of one large render of
	// everything up to the last boundary, which costs more than the
	// blocks' sum; each block is buffered as soon as it is rendered.
	for text != "" {
		line := text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line = text[:i+1]
		}
		m.s.Append(line)
		text = text[len(line):]
		m.buffer(m.s.TakeStable())
		if !m.shown && m.w.Buffered() > 0 {
			// The reply's first lines go out as soon as they are
			// rendered, not after the rest of a large first delta.
			m.flush()
		}
	}
	m.flush()
	return m.err
}

func (m *markdownReply) finish() error {
	m.buffer(m.s.Finish())
	m.flush()
	return m.err
}

// buffer adds rendered lines to the output buffer.
func (m *markdownReply) buffer(lines []string) {
	if m.err != nil {
		return
	}
	for _, l := range lines {
		l = trimPadding(l)
		if m.noColor {
			l = stripStyles(l)
		}
		m.w.WriteString(l)
		m.w.WriteByte('\n')
	}
}

// flush writes the buffered lines out.
func (m *markdownReply) flush() {
	if m.err != nil || m.w.Buffered() == 0 {
		return
	}
	m.err = m.w.Flush()
	m.shown = true
}

// trimPadding drops the spaces glamour pads a rendered line with after its
// last visible character, and the colour codes around them, so that a
// terminal that rewraps on resize or a copied selection gets no trailing
// blanks. Other escape sequences there (the end of a hyperlink) are kept,
// and one reset ends the line when colour codes were dropped.
func trimPadding(line string) string {
	end := 0 // just after the last visible character that is not a space
	for i := 0; i < len(line); {
		if line[i] == 0x1b {
			i += sanitize.EscapeLen(line[i:])
			continue
		}
		r, size := utf8.DecodeRuneInString(line[i:])
		if r != ' ' {
			end = i + size
		}
		i += size
	}
	if end == len(line) {
		return line
	}
	var b strings.Builder
	b.WriteString(line[:end])
	reset := false
	for i := end; i < len(line); {
		if line[i] != 0x1b {
			i++ // only spaces are left after end
			continue
		}
		j := i + sanitize.EscapeLen(line[i:])
		if seq := line[i:j]; strings.HasPrefix(seq, "\x1b[") && strings.HasSuffix(seq, "m") {
			reset = true
		} else {
			b.WriteString(seq)
		}
		i = j
	}
	if reset && end > 0 {
		b.WriteString("\x1b[m")
	}
	return b.String()
}

// stripStyles removes the SGR (colour and emphasis) sequences from a
// rendered line.
func stripStyles(line string) string {
	if !strings.Contains(line, "\x1b[") {
		return line
	}
	var b strings.Builder
	for i := 0; i < len(line); {
		if line[i] != 0x1b {
			j := strings.IndexByte(line[i:], 0x1b)
			if j < 0 {
				j = len(line) - i
			}
			b.WriteString(line[i : i+j])
			i += j
			continue
		}
		j := i + sanitize.EscapeLen(line[i:])
		if seq := line[i:j]; !strings.HasPrefix(seq, "\x1b[") || !strings.HasSuffix(seq, "m") {
			b.WriteString(seq)
		}
		i = j
	}
	return b.String()
}

// maxMarkdownWidth caps the width replies are wrapped at, as in the app:
// long lines are hard to read.
const maxMarkdownWidth = 100

// termWidth returns the width of the terminal on stdout, at most
// maxMarkdownWidth; 80 when it cannot be told.
func (a *app) termWidth() int {
	if f, ok := a.io.Out.(*os.File); ok {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return min(w, maxMarkdownWidth)
		}
	}
	return 80
}

// markdownStyle picks the glamour style for a terminal: "light" when
// COLORFGBG says the background is light (rxvt, Konsole and others set
// it), else "dark". Under NO_COLOR the styling is removed when printed.
func (a *app) markdownStyle() string {
	if v := a.getenv("COLORFGBG"); v != "" {
		bg := v[strings.LastIndexByte(v, ';')+1:]
		if bg == "7" || bg == "15" {
			return "light"
		}
	}
	return "dark"
}

// fillResult fills the reply and its figures from the final event: the
// stored message holds the whole reply as the streamed deltas built it.
func fillResult(res *askResult, msg *chat.Message, u chat.Usage) {
	res.Usage = u
	if msg != nil {
		res.Reply = msg.Content
	}
	if msg != nil && msg.Turn != nil {
		res.Key, res.Model = msg.Turn.KeyName, msg.Turn.Model
		res.CostUSD = msg.Turn.Cost().JSON()
		res.DurationMS = msg.Turn.Duration.Milliseconds()
	}
}
