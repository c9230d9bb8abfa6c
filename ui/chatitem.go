package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/figures"
	"github.com/vaultchat/vaultchat/internal/sanitize"
	"github.com/vaultchat/vaultchat/ui/markdown"
	"github.com/vaultchat/vaultchat/ui/styles"
)

// renderEnv is what item rendering depends on besides the item itself.
// gen changes with the theme, so cached renders from another theme are
// not reused.
type renderEnv struct {
	st  *styles.Styles
	md  *markdown.Renderer
	gen int
	now time.Time
}

type itemKind int

const (
	itemUser itemKind = iota
	itemAssistant
	itemNote
)

// chatItem is one entry of the chat view. Text fields are sanitized when
// set; every visible change bumps ver so the render cache knows.
type chatItem struct {
	kind itemKind
	id   string
	text string

	// Assistant items: who is answering (until the Turn arrives), the
	// attribution, and the state of the turn.
	keyName   string
	model     string
	turn      *chat.Turn
	streaming bool
	stream    *markdown.Stream
	notes     []string // warnings and trimming notices
	stopping  bool     // esc asked to stop; shown until the turn ends
	errMsg    string
	hint      string
	errClass  chat.ErrorClass
	// frozen is the streamed render kept when the reply finishes with
	// the text that was streamed, so finishing costs no second render.
	frozen      []string
	frozenWidth int
	retryIn     time.Time // while waiting for an automatic retry
	attempt     int
	limitTill   time.Time // "rate limited; retry in Ns" after a failure

	// selected marks the message chosen in the message-selection mode;
	// version and versions (0-based current, total) say which version
	// of the message this is when it has siblings ("← 2/3 →").
	selected          bool
	version, versions int
	// chips are a user message's attachments as their chips show them,
	// cleaned where they entered (attachmentLabels); files are the
	// attachments themselves, never drawn: ↑ restores them as chips for
	// an edit-and-resend.
	chips []string
	files []chat.Attachment

	ver int

	cacheWidth, cacheGen, cacheVer int
	cache                          []string
	// fitted holds cache lines padded to exactly cacheWidth, filled as
	// lines are shown, so a frame at rest only concatenates strings.
	fitted []string
}

func (it *chatItem) bump() { it.ver++ }

// Every change to an item goes through one of the methods below, and each
// bumps ver: the item's render cache (keyed by width, theme and ver) is
// then never stale and never reset from outside.

// stored gives a message drawn as typed the ID and text it was saved
// with (redacted, then sanitized here): it can be selected, and shows
// what the conversation keeps.
func (it *chatItem) stored(m chat.Message) {
	it.id = m.ID
	it.text = sanitize.String(m.Content)
	it.bump()
}

// appendText adds a streamed delta (already sanitized).
func (it *chatItem) appendText(text string) {
	it.text += text
	it.stream.Append(text)
	it.retryIn = time.Time{}
	it.errMsg = ""
	it.bump()
}

// setRetrying shows that the request failed with msg and is retried at
// until (attempt n).
func (it *chatItem) setRetrying(until time.Time, attempt int, msg string) {
	it.retryIn, it.attempt, it.errMsg = until, attempt, msg
	it.bump()
}

// addNote adds a warning line (a soft budget, trimmed context, stopping).
func (it *chatItem) addNote(note string) {
	it.notes = append(it.notes, note)
	it.bump()
}

// setStopping shows that the reply is being stopped, until finish.
func (it *chatItem) setStopping() {
	it.stopping = true
	it.bump()
}

// setSelected marks or unmarks the item as the selected message.
func (it *chatItem) setSelected(on bool) {
	if it.selected != on {
		it.selected = on
		it.bump()
	}
}

// gutter is what starts the item's label line: a marker when selected.
func (it *chatItem) gutter(st *styles.Styles) string {
	if it.selected {
		return st.Accent.Render("▌ ")
	}
	return "  "
}

// versionLabel is "← 2/3 →" for a message with siblings, else "".
func (it *chatItem) versionLabel(st *styles.Styles) string {
	if it.versions < 2 {
		return ""
	}
	return st.Muted.Render(fmt.Sprintf(" ← %d/%d →", it.version+1, it.versions))
}

// tick redraws a countdown.
func (it *chatItem) tick() { it.bump() }

// finish ends a streaming reply with the stored message (nil when none
// was stored), the error it failed with (nil on success) and the
// attribution to show when the stored message carries none.
func (it *chatItem) finish(stored *chat.Message, e *chat.Error, fallback *chat.Turn, now time.Time) {
	it.streaming = false
	it.stopping = false
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
	if stored != nil && stored.Turn != nil {
		fallback = stored.Turn
	}
	if fallback == nil && e != nil {
		fallback = &chat.Turn{KeyName: it.keyName, Model: it.model, Incomplete: true, IncompleteReason: string(e.Class)}
	}
	it.turn = nil
	if fallback != nil {
		it.turn = sanitizeTurn(*fallback)
	}
	it.errMsg, it.hint, it.errClass = "", "", ""
	if e != nil && e.Class != chat.ErrCanceled {
		it.errMsg = sanitize.String(e.Message)
		it.hint = sanitize.String(e.Hint)
		it.errClass = e.Class
		if e.Class == chat.ErrRateLimited && e.RetryAfter > 0 {
			it.limitTill = now.Add(e.RetryAfter)
		}
	}
	it.bump()
}

// counting reports whether the item shows a live countdown.
func (it *chatItem) counting(now time.Time) bool {
	return it.retryIn.After(now) || it.limitTill.After(now)
}

// lines returns the item's rendered lines at width, ending with one blank
// separator line. Finished items are rendered once per width and theme.
func (it *chatItem) lines(width int, env *renderEnv) []string {
	if it.cache != nil && it.cacheWidth == width && it.cacheGen == env.gen && it.cacheVer == it.ver {
		return it.cache
	}
	var out []string
	switch it.kind {
	case itemUser:
		out = it.renderUser(width, env)
	case itemAssistant:
		out = it.renderAssistant(width, env)
	default:
		out = it.renderNote(width, env)
	}
	out = append(out, "")
	it.cache, it.cacheWidth, it.cacheGen, it.cacheVer = out, width, env.gen, it.ver
	it.fitted = make([]string, len(out))
	return out
}

// fittedLine returns line i of the current render padded to the width
// it was rendered at.
func (it *chatItem) fittedLine(i int) string {
	if it.fitted[i] == "" {
		it.fitted[i] = fit(it.cache[i], it.cacheWidth)
	}
	return it.fitted[i]
}

func (it *chatItem) renderUser(width int, env *renderEnv) []string {
	st := env.st
	out := []string{it.gutter(st) + st.UserLabel.Render("you") + it.versionLabel(st)}
	bar := st.UserBar.Render("┃") + " "
	text := strings.ReplaceAll(it.text, "\t", "    ")
	for _, l := range strings.Split(ansi.Wrap(text, max(width-5, 1), ""), "\n") {
		out = append(out, "  "+bar+l)
	}
	return append(out, attachmentChips(it.chips, width, env)...)
}

func (it *chatItem) renderNote(width int, env *renderEnv) []string {
	text := "── " + oneLine(it.text) + " ──"
	return []string{"  " + env.st.Note.Render(truncate(text, max(width-4, 1)))}
}

func (it *chatItem) renderAssistant(width int, env *renderEnv) []string {
	st := env.st
	label := st.AssistantLabel.Render("assistant")
	if who := joinNonEmpty(" · ", it.keyName, it.model); who != "" {
		label += st.Muted.Render(" · " + who)
	}
	label += it.versionLabel(st)
	out := []string{it.gutter(st) + truncate(label, max(width-2, 1))}

	mdWidth := markdownWidth(width)
	switch {
	case it.streaming && it.stream != nil:
		it.stream.SetWidth(mdWidth)
		out = append(out, it.stream.Lines()...)
	case it.frozen != nil && it.frozenWidth == mdWidth:
		out = append(out, it.frozen...)
	default:
		it.frozen = nil
		out = append(out, env.md.Render(it.text, mdWidth)...)
	}
	if it.streaming && it.text == "" && it.retryIn.IsZero() {
		out = append(out, "  "+st.Muted.Render("…"))
	}
	ind := "  "
	for _, n := range it.notes {
		out = append(out, ind+st.Warning.Render(truncate("⚠ "+n, width-2)))
	}
	if it.stopping {
		out = append(out, ind+st.Warning.Render(truncate("⚠ stopping…", width-2)))
	}
	if it.retryIn.After(env.now) {
		msg := fmt.Sprintf("⚠ %s; retrying in %s (attempt %d)", it.errMsg, formatWait(it.retryIn.Sub(env.now)), it.attempt)
		out = append(out, ind+st.Warning.Render(truncate(msg, width-2)))
	} else if it.errMsg != "" && !it.streaming {
		for _, l := range strings.Split(ansi.Wrap("✗ "+it.errMsg, max(width-4, 1), ""), "\n") {
			out = append(out, ind+st.Error.Render(l))
		}
		if h := it.hintText(env.now); h != "" {
			for _, l := range strings.Split(ansi.Wrap(h, max(width-6, 1), ""), "\n") {
				out = append(out, ind+"  "+st.Hint.Render(l))
			}
		}
	}
	if !it.streaming {
		fw := max(width-2, 1)
		for _, f := range joinParts(it.footer(st), st.Footer.Render(" · "), fw) {
			out = append(out, ind+truncate(f, fw))
		}
	}
	return out
}

// hintText is the hint under a failed turn. A rate limit counts down.
func (it *chatItem) hintText(now time.Time) string {
	if it.errClass == chat.ErrRateLimited && !it.limitTill.IsZero() {
		if it.limitTill.After(now) {
			return fmt.Sprintf("rate limited; retry in %s (ctrl+r) or switch key (ctrl+k)", formatWait(it.limitTill.Sub(now)))
		}
		return "rate limited; retry now (ctrl+r) or switch key (ctrl+k)"
	}
	return it.hint
}

// footer is the parts of the line under a reply (key · model, tokens,
// cost, duration, incomplete), each styled.
func (it *chatItem) footer(st *styles.Styles) []string {
	t := it.turn
	parts := []string{}
	if t != nil {
		parts = append(parts, joinNonEmpty(" · ", t.KeyName, t.Model))
		if u := t.Usage.Total(); u > 0 {
			parts = append(parts, figures.Estimated(figures.Count(u), t.Usage.Estimated)+" tok")
		}
		if t.CostUSD != nil {
			parts = append(parts, t.Cost().String())
		}
		if t.Duration > 0 {
			parts = append(parts, formatDuration(t.Duration))
		}
	} else {
		parts = append(parts, joinNonEmpty(" · ", it.keyName, it.model))
	}
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, st.Footer.Render(p))
		}
	}
	if t != nil && t.Incomplete {
		out = append(out, st.Incomplete.Render(chat.IncompleteWords(t.IncompleteReason))) // the reason was sanitized with the turn
	}
	return out
}

// maxMarkdownWidth caps the width replies are wrapped at: long lines are
// hard to read, and glamour's cost grows with the width it pads to.
const maxMarkdownWidth = 100

func markdownWidth(w int) int { return max(min(w, maxMarkdownWidth), 1) }

func joinNonEmpty(sep string, parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, sep)
}
