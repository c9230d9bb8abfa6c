// Package markdown renders model replies for a terminal with glamour, fast
// enough for long streaming chats.
//
// A Renderer memoizes one glamour renderer per width (glamour setup is
// costly, and a renderer is not safe for concurrent use, so a Renderer
// must be used from one goroutine). Render sanitizes its input, so the only
// escape sequences in the output are the renderer's own styling.
//
// A Stream renders text that grows: it finds the last safe block boundary
// (a blank line outside any open construct), renders the stable prefix once
// and re-renders only the unfinished tail. The TUI uses Lines for the
// streaming message; a line-oriented printer (vaultchat ask) uses
// TakeStable and Finish to print each rendered block once, append-only.
package markdown

import (
	"strings"

	"charm.land/glamour/v2"
	gansi "charm.land/glamour/v2/ansi"
	"charm.land/glamour/v2/styles"
	"github.com/charmbracelet/x/ansi"

	"github.com/vaultchat/vaultchat/internal/mdfence"
	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/internal/sanitize"
)

// Renderer renders Markdown at any width in one glamour style.
type Renderer struct {
	style string
	terms map[int]*glamour.TermRenderer
	// quoteBar is the bar drawn for a block quote's placeholders
	// (countedQuoteIndent); "" before the first glamour renderer.
	quoteBar string
}

// New returns a Renderer for a glamour standard style ("dark", "light",
// "notty", "ascii"). An unknown style falls back to "notty".
func New(style string) *Renderer {
	return &Renderer{style: style, terms: make(map[int]*glamour.TermRenderer)}
}

// Style returns the glamour style name.
func (r *Renderer) Style() string { return r.style }

// minWidth is the narrowest width passed to glamour; narrower panes still
// get readable (if truncated) output.
const minWidth = 20

func (r *Renderer) term(width int) *glamour.TermRenderer {
	if t, ok := r.terms[width]; ok {
		return t
	}
	cfg, ok := standardStyle(r.style)
	if !ok {
		cfg, _ = standardStyle("notty")
	}
	cfg.BlockQuote, r.quoteBar = countedQuoteIndent(cfg.BlockQuote)
	t, err := glamour.NewTermRenderer(glamour.WithStyles(cfg), glamour.WithWordWrap(width), glamour.WithTableWrap(false))
	if err != nil {
		return nil
	}
	r.terms[width] = t
	return t
}

// definitionPrefix replaces glamour's "🠶" before a definition list's
// description: that arrow (U+1F836) is missing from most terminal fonts,
// JetBrains Mono included; "→" is in nearly all of them.
const definitionPrefix = "\n→ "

// standardStyle returns a copy of a glamour standard style with glyphs
// that terminal fonts lack replaced.
func standardStyle(name string) (gansi.StyleConfig, bool) {
	std, ok := styles.DefaultStyles[name]
	if !ok {
		return gansi.StyleConfig{}, false
	}
	cfg := *std // the copy shares pointers; only value fields are changed
	if strings.ContainsRune(cfg.DefinitionDescription.BlockPrefix, '\U0001F836') {
		cfg.DefinitionDescription.BlockPrefix = definitionPrefix
	}
	return cfg, true
}

// Render renders src at width columns and returns the output lines, with
// leading and trailing blank lines removed. No line is wider than width:
// prose wraps, a table too wide is cut at the edge with "…" rather than
// wrapped mid-word or shrunk (narrowTableSegments), and key-shaped
// strings are masked as displayed.
func (r *Renderer) Render(src string, width int) []string {
	width = max(width, 1)
	// Tabs would move the terminal cursor; code keeps its indentation
	// as spaces (copying uses the source text, tabs intact). The quote
	// placeholder must come only from glamour: in text, a noncharacter
	// means nothing.
	src = strings.NewReplacer("\t", "    ", quotePlaceholder, "\uFFFD").Replace(Clean(src))
	src = wrapCode(src, width)
	if strings.TrimSpace(src) == "" {
		return nil
	}
	mayShowKey := redact.MayShowKey(src)
	if mayShowKey {
		// Masked in the source first: a table cell elided with "…"
		// would show a key's first characters, too few for the
		// rendered lines' masking below to recognise.
		src = maskKeys(src)
	}
	var lines []string
	if segs := narrowTableSegments(src, width); segs != nil {
		for _, seg := range segs {
			var part []string
			if seg.cells == nil || seg.mayShrink(width) {
				part = r.renderAt(seg.text, width)
			}
			if seg.cells != nil && (part == nil || !shrunkKeepsCells(part, seg.cells)) {
				part = r.renderAt(seg.text, seg.width) // the table whole, cut below
			}
			if len(lines) > 0 && len(part) > 0 {
				lines = append(lines, "") // the blank line between blocks
			}
			lines = append(lines, part...)
		}
	} else {
		lines = r.renderAt(src, width)
	}
	if mayShowKey {
		lines = maskRendered(lines) // keys the rendering itself makes whole
	}
	return cutLines(lines, width)
}

// renderAt renders prepared src with glamour at width and returns its
// lines, quote bars drawn, without leading and trailing blank lines.
func (r *Renderer) renderAt(src string, width int) []string {
	t := r.term(max(width, minWidth))
	var out string
	var err error
	if t != nil {
		out, err = t.Render(src)
	}
	if t == nil || err != nil {
		// Show the source as plain text rather than nothing.
		out = ansi.Wrap(src, width, "")
	}
	return drawQuoteBars(trimBlankLines(strings.Split(out, "\n")), r.quoteBar)
}

// Clean prepares model text for rendering: sanitize.Markdown neutralises
// every escape sequence and control or invisible character, and also the
// character references (numeric and named, such as &#27; or &lrm;) that the
// Markdown parser would decode into one after the sanitizer ran. Outside
// fenced code, invisible format characters are dropped (sanitize.Prose):
// in prose they only hide things, such as a key split by a zero-width
// joiner; in code they are shown, as "<U+200D>".
func Clean(src string) string {
	if isASCII(src) {
		return sanitize.Markdown(src) // Prose would drop nothing
	}
	// Prose runs from prose to the next opening fence (inclusive); code
	// from there to its closing fence (exclusive).
	var b strings.Builder
	b.Grow(len(src))
	var fences mdfence.Scanner
	prose := 0
	for start := 0; start < len(src); {
		end := strings.IndexByte(src[start:], '\n') + 1
		if end == 0 {
			end = len(src) - start
		}
		switch fences.Next(strings.TrimRight(src[start:start+end], "\n")) {
		case mdfence.Opening:
			b.WriteString(sanitize.Prose(src[prose : start+end]))
			prose = start + end
		case mdfence.Closing:
			b.WriteString(sanitize.Markdown(src[prose:start]))
			prose = start
		}
		start += end
	}
	if _, open := fences.Open(); open {
		b.WriteString(sanitize.Markdown(src[prose:]))
	} else {
		b.WriteString(sanitize.Prose(src[prose:]))
	}
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func isBlankRendered(line string) bool {
	return strings.TrimSpace(ansi.Strip(line)) == ""
}

func trimBlankLines(lines []string) []string {
	for len(lines) > 0 && isBlankRendered(lines[0]) {
		lines = lines[1:]
	}
	for len(lines) > 0 && isBlankRendered(lines[len(lines)-1]) {
		lines = lines[:len(lines)-1]
	}
	return lines
}
