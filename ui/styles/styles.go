// Package styles holds every colour and text style of the vaultchat TUI in
// one Styles value. It is a leaf package (it imports only lipgloss) so that
// any ui package can take a Styles without an import cycle, and the value is
// passed in, never kept in a package global: a test can build a NO_COLOR
// set next to a dark one.
package styles

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// Markdown style names understood by ui/markdown (glamour standard styles).
const (
	MarkdownDark  = "dark"
	MarkdownLight = "light"
)

// Styles is the full set of styles for one theme.
type Styles struct {
	// IsDark and NoColor record what the set was built from.
	IsDark  bool
	NoColor bool
	// Markdown is the glamour style name for rendered replies.
	Markdown string

	Base   lipgloss.Style // plain text
	Muted  lipgloss.Style // secondary text: timestamps, footers, hints
	Faint  lipgloss.Style // separators, empty chart cells
	Accent lipgloss.Style // titles, the app name, selection marks
	Bold   lipgloss.Style

	UserLabel      lipgloss.Style // "you"
	UserBar        lipgloss.Style // the bar left of a user message
	AssistantLabel lipgloss.Style // "assistant"
	Note           lipgloss.Style // key switches and other notes
	Footer         lipgloss.Style // under each reply
	Incomplete     lipgloss.Style // "incomplete" in a footer
	Error          lipgloss.Style
	Hint           lipgloss.Style
	Warning        lipgloss.Style
	OK             lipgloss.Style
	NewMarker      lipgloss.Style // "↓ new"

	PaneBorder lipgloss.Style // vertical rules between panes
	PaneTitle  lipgloss.Style

	StatusBar       lipgloss.Style
	StatusKey       lipgloss.Style
	StatusModel     lipgloss.Style
	StatusIdle      lipgloss.Style
	StatusStreaming lipgloss.Style
	StatusRetrying  lipgloss.Style
	StatusLocked    lipgloss.Style
	HintKey         lipgloss.Style // "ctrl+k" in the hint line
	HintText        lipgloss.Style

	InputBorder     lipgloss.Style
	InputPrompt     lipgloss.Style
	Placeholder     lipgloss.Style
	Cursor          lipgloss.Style // the virtual cursor cell
	Selected        lipgloss.Style // the selected row of a list or picker
	Match           lipgloss.Style // fuzzy-matched characters
	ActiveKey       lipgloss.Style // the active key in the all-keys list
	DialogBorder    lipgloss.Style
	DialogTitle     lipgloss.Style
	BarOK           lipgloss.Style
	BarWarn         lipgloss.Style
	BarOver         lipgloss.Style
	BarEmpty        lipgloss.Style
	Chart           lipgloss.Style
	ChartEstimated  lipgloss.Style
	Banner          lipgloss.Style // the --demo banner
	UnlockTitle     lipgloss.Style
	UnlockFieldText lipgloss.Style
}

type palette struct {
	fg, muted, faint, accent, user, assistant, note  color.Color
	err, warn, ok, border, statusBg, selectBg, match color.Color
	chart, bannerBg                                  color.Color
}

// New builds the styles for a dark or light background. With noColor
// (the NO_COLOR convention) no colour is used at all; emphasis falls back
// to bold, faint and reverse video so selection and warnings stay visible.
func New(isDark, noColor bool) Styles {
	ld := lipgloss.LightDark(isDark)
	p := palette{
		fg:        ld(lipgloss.Color("#1C1C1C"), lipgloss.Color("#E4E4E4")),
		muted:     ld(lipgloss.Color("#6C6C6C"), lipgloss.Color("#9E9E9E")),
		faint:     ld(lipgloss.Color("#BCBCBC"), lipgloss.Color("#4E4E4E")),
		accent:    ld(lipgloss.Color("#5F3FBF"), lipgloss.Color("#AF87FF")),
		user:      ld(lipgloss.Color("#005FAF"), lipgloss.Color("#5FAFFF")),
		assistant: ld(lipgloss.Color("#008760"), lipgloss.Color("#5FD7AF")),
		note:      ld(lipgloss.Color("#875F00"), lipgloss.Color("#D7AF5F")),
		err:       ld(lipgloss.Color("#D70000"), lipgloss.Color("#FF5F5F")),
		warn:      ld(lipgloss.Color("#AF5F00"), lipgloss.Color("#FFAF00")),
		ok:        ld(lipgloss.Color("#008700"), lipgloss.Color("#5FD75F")),
		border:    ld(lipgloss.Color("#BCBCBC"), lipgloss.Color("#444444")),
		statusBg:  ld(lipgloss.Color("#E4E4E4"), lipgloss.Color("#262626")),
		selectBg:  ld(lipgloss.Color("#D7D7FF"), lipgloss.Color("#3A3A5F")),
		match:     ld(lipgloss.Color("#AF005F"), lipgloss.Color("#FF87D7")),
		chart:     ld(lipgloss.Color("#5F5FAF"), lipgloss.Color("#8787D7")),
		bannerBg:  ld(lipgloss.Color("#FFD7AF"), lipgloss.Color("#5F3F00")),
	}
	if noColor {
		p = palette{}
		for _, c := range []*color.Color{&p.fg, &p.muted, &p.faint, &p.accent, &p.user, &p.assistant,
			&p.note, &p.err, &p.warn, &p.ok, &p.border, &p.statusBg, &p.selectBg, &p.match, &p.chart, &p.bannerBg} {
			*c = lipgloss.NoColor{}
		}
	}
	fg := func(c color.Color) lipgloss.Style { return lipgloss.NewStyle().Foreground(c) }

	s := Styles{IsDark: isDark, NoColor: noColor}
	// Markdown keeps its structure (bold, headings, tables) under
	// NO_COLOR; the program's colour profile removes the colours.
	s.Markdown = MarkdownLight
	if isDark {
		s.Markdown = MarkdownDark
	}
	s.Base = fg(p.fg)
	s.Muted = fg(p.muted)
	s.Faint = fg(p.faint)
	s.Accent = fg(p.accent).Bold(true)
	s.Bold = lipgloss.NewStyle().Bold(true)
	s.UserLabel = fg(p.user).Bold(true)
	s.UserBar = fg(p.user)
	s.AssistantLabel = fg(p.assistant).Bold(true)
	s.Note = fg(p.note).Italic(true)
	s.Footer = fg(p.muted)
	s.Incomplete = fg(p.warn).Bold(true)
	s.Error = fg(p.err).Bold(true)
	s.Hint = fg(p.muted).Italic(true)
	s.Warning = fg(p.warn)
	s.OK = fg(p.ok)
	s.NewMarker = lipgloss.NewStyle().Foreground(p.accent).Bold(true).Reverse(true)
	s.PaneBorder = fg(p.border)
	s.PaneTitle = fg(p.accent).Bold(true)
	s.StatusBar = lipgloss.NewStyle().Background(p.statusBg).Foreground(p.fg)
	s.StatusKey = lipgloss.NewStyle().Background(p.statusBg).Foreground(p.accent).Bold(true)
	s.StatusModel = lipgloss.NewStyle().Background(p.statusBg).Foreground(p.assistant)
	s.StatusIdle = lipgloss.NewStyle().Background(p.statusBg).Foreground(p.muted)
	s.StatusStreaming = lipgloss.NewStyle().Background(p.statusBg).Foreground(p.ok).Bold(true)
	s.StatusRetrying = lipgloss.NewStyle().Background(p.statusBg).Foreground(p.warn).Bold(true)
	s.StatusLocked = lipgloss.NewStyle().Background(p.statusBg).Foreground(p.err).Bold(true)
	s.HintKey = fg(p.accent)
	s.HintText = fg(p.muted)
	s.InputBorder = fg(p.border)
	s.InputPrompt = fg(p.accent)
	s.Placeholder = fg(p.muted)
	s.Cursor = lipgloss.NewStyle().Reverse(true)
	s.Selected = lipgloss.NewStyle().Background(p.selectBg).Bold(true)
	s.Match = fg(p.match).Underline(true)
	s.ActiveKey = fg(p.accent).Bold(true)
	s.DialogBorder = fg(p.accent)
	s.DialogTitle = fg(p.accent).Bold(true)
	s.BarOK = fg(p.ok)
	s.BarWarn = fg(p.warn)
	s.BarOver = fg(p.err)
	s.BarEmpty = fg(p.faint)
	s.Chart = fg(p.chart)
	s.ChartEstimated = fg(p.chart).Faint(true)
	s.Banner = lipgloss.NewStyle().Background(p.bannerBg).Foreground(p.fg).Bold(true)
	s.UnlockTitle = fg(p.accent).Bold(true)
	s.UnlockFieldText = fg(p.fg)
	if noColor {
		// Without colour, selection must still be visible.
		s.Selected = lipgloss.NewStyle().Reverse(true)
		s.StatusBar = lipgloss.NewStyle().Reverse(true)
		s.StatusKey = s.StatusBar.Bold(true)
		s.StatusModel = s.StatusBar
		s.StatusIdle = s.StatusBar
		s.StatusStreaming = s.StatusBar.Bold(true)
		s.StatusRetrying = s.StatusBar.Bold(true)
		s.StatusLocked = s.StatusBar.Bold(true)
		s.Banner = lipgloss.NewStyle().Reverse(true)
		s.Match = lipgloss.NewStyle().Underline(true)
	}
	return s
}
