package ui

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/figures"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/ui/styles"
)

// sidePane is the usage pane right of the chat (ctrl+t). It keeps its
// rendered lines and draws them again only when its size, the theme, the
// keyring (by version) or the second of the clock changes: every change
// to what it shows goes through the keyring, which versions it.
type sidePane struct {
	shown   bool // the user's choice, once toggled
	toggled bool // the user toggled the pane; stop choosing by width

	lines                   []string
	w, h, gen, ver, pending int
	unix                    int64
}

// visible reports whether the pane is shown at a screen width: by default
// only when the terminal is wide enough, until the user toggles it.
func (p *sidePane) visible(width int) bool {
	if p.toggled {
		return p.shown
	}
	return width >= 120
}

// toggle shows the pane if it is hidden and hides it if shown.
func (p *sidePane) toggle(visible bool) {
	p.shown, p.toggled = !visible, true
}

// clear forgets the rendered lines (they name keys and their usage).
func (p *sidePane) clear() { p.lines = nil }

// view returns the pane's lines padded to w.
func (p *sidePane) view(in sideInput, w, h, gen int, st *styles.Styles) []string {
	unix := in.now.Unix()
	if p.lines != nil && p.w == w && p.h == h && p.gen == gen && p.ver == in.ver && p.pending == in.pending && p.unix == unix {
		return p.lines
	}
	p.lines = renderSide(in, w, h, st)
	for i, l := range p.lines {
		p.lines[i] = fit(l, w)
	}
	p.w, p.h, p.gen, p.ver, p.pending, p.unix = w, h, gen, in.ver, in.pending, unix
	return p.lines
}

// sideInput returns what the side pane shows now.
func (m *Model) sideInput() sideInput {
	r := &m.keyring
	return sideInput{key: r.active(), model: r.model, keys: r.keys, usage: r.usage, pending: m.pendingTokens(), now: m.now(), ver: r.ver}
}

// sideInput is everything the usage pane shows; renderSide is a pure
// function of it.
type sideInput struct {
	key   *view.Key
	model string
	keys  []view.Key
	usage view.Usage
	// pending is the tokens of the files attached to the next message,
	// which the context meter counts as the status line's does.
	pending int
	now     time.Time
	ver     int // the keyring's version of the values above
}

// renderSide draws the usage pane for the active key, w columns wide and
// at most h rows: its sections in order, fitted to h by fitSections.
func renderSide(in sideInput, w, h int, st *styles.Styles) []string {
	if in.key == nil {
		body := []string{st.PaneTitle.Render("NO KEY"), st.Muted.Render("add one with"), st.Muted.Render("vaultchat keys add")}
		if len(in.keys) > 0 {
			body = []string{st.PaneTitle.Render("NO KEY CHOSEN"), st.Muted.Render("pick one with ctrl+k")}
		}
		return fitSections([]paneSection{{body: body}}, w, h, st)
	}
	u := in.usage
	secs := []paneSection{
		keySection(in, w, st),
		usageSection(u, w, st),
		budgetSection(u.Budgets, in.now, w, st),
		rateSection(u.RateLimits, in.now, w, st),
		contextSection(u, in.pending, w, st),
		chartSection(u.Daily, w, st),
		keysSection(in.keys, in.key.ID, w, st),
	}
	return fitSections(secs, w, h, st)
}

// The pane's sections, in the order fitSections serves them when rows
// are short (paneSection.prio): the key and its usage first, the chart
// of the last days last.
const (
	prioKey = iota
	prioUsage
	prioBudgets
	prioRates
	prioContext
	prioKeys
	prioChart
)

// paneLines collects a section's lines, w columns wide.
type paneLines struct {
	w     int
	lines []string
}

// add adds a line; one too wide is wrapped, never cut: the pane shows
// whole values.
func (p *paneLines) add(s string) { p.lines = append(p.lines, wrapLines(s, p.w)...) }

// addParts adds values joined by " · ", starting a new line between two
// values where the next one would not fit.
func (p *paneLines) addParts(style lipgloss.Style, parts ...string) {
	for _, l := range joinParts(parts, " · ", p.w) {
		p.add(style.Render(l))
	}
}

// keySection names the active key: its name, provider and host,
// fingerprint and model.
func keySection(in sideInput, w int, st *styles.Styles) paneSection {
	k := in.key
	p := paneLines{w: w}
	p.add(st.Accent.Render(k.Name) + checkMark(k, st))
	parts := []string{k.Provider, k.Host}
	if k.Free {
		parts = append(parts, "free")
	}
	p.addParts(st.Muted, parts...)
	if k.Fingerprint != "" {
		p.add(st.Muted.Render(k.Fingerprint))
	}
	model := st.Bold.Render(in.model)
	if in.model == "" {
		model = st.Warning.Render("none chosen")
	}
	p.add("model " + model)
	return paneSection{prio: prioKey, body: p.lines}
}

// usageSection is the key's tokens and cost for the conversation, today,
// this month and in all, then the ledger's and the provider's notes.
func usageSection(u view.Usage, w int, st *styles.Styles) paneSection {
	p := paneLines{w: w}
	row := func(name string, t view.Total) {
		tok := figures.Tokens(t.Tokens, t.Estimated)
		cost := t.Cost.String()
		right := fmt.Sprintf("%7s %8s", tok, cost)
		p.add(fmt.Sprintf("%-*s", max(w-ansiWidth(right), 1), name) + right)
	}
	row("conversation", u.Conversation)
	row("today", u.Today)
	row("this month", u.Month)
	row("lifetime", u.Lifetime)
	if u.Ledger != "" {
		p.add(st.Warning.Render(u.Ledger))
	}
	p.lines = append(p.lines, providerLines(u.Provider, w, st)...)
	return paneSection{prio: prioUsage, title: "USAGE", heading: fmt.Sprintf("%7s %8s", "tokens", "cost"), body: p.lines}
}

// budgetSection shows each budget as a name, a bar and the figures; its
// short form is one line per budget with its percentage.
func budgetSection(budgets []view.Budget, now time.Time, w int, st *styles.Styles) paneSection {
	if len(budgets) == 0 {
		return paneSection{}
	}
	p, short := paneLines{w: w}, paneLines{w: w}
	for _, b := range budgets {
		frac := b.Fraction()
		bs := barStyle(frac, st)
		kind := "soft"
		if b.Hard {
			kind = "hard"
		}
		name := fmt.Sprintf("%s %s", b.Name, st.Muted.Render(kind))
		// Four columns at most; past 999% it says so rather than show
		// a cap as if it were the figure (the spent amount is below).
		pct := fmt.Sprintf(" %3.0f%%", frac*100)
		if frac*100 >= 999.5 {
			pct = " >999%"
		}
		p.add(name)
		p.add(bar(frac, max(w-ansiWidth(pct), 4), bs, st) + bs.Render(pct))
		spent := figures.Tokens(int64(b.Spent), false) + " / " + figures.Tokens(int64(b.Limit), false)
		if b.USD {
			spent = figures.USD(b.Spent) + " / " + figures.USD(b.Limit)
		}
		resets := ""
		if !b.ResetsAt.IsZero() {
			resets = "resets in " + formatWait(b.ResetsAt.Sub(now))
		}
		p.addParts(st.Muted, spent, resets)
		short.add(name + strings.Repeat(" ", max(w-ansiWidth(name)-ansiWidth(pct), 1)) + bs.Render(pct))
	}
	return paneSection{prio: prioBudgets, title: "BUDGETS", body: p.lines, short: short.lines, noun: "budget line"}
}

// rateSection is what the server last said of the key's rate limits.
func rateSection(rl chat.RateLimits, now time.Time, w int, st *styles.Styles) paneSection {
	// The reset times form a right-aligned column headed "resets in":
	// words rather than an arrow glyph (↻ is missing from many terminal
	// fonts), and narrow enough for the narrowest pane.
	heading := ""
	if !rl.ResetRequests.IsZero() || !rl.ResetTokens.IsZero() {
		heading = "resets in"
	}
	p := paneLines{w: w}
	if !rl.Known() {
		p.add(st.Muted.Render("no response yet"))
		return paneSection{prio: prioRates, title: "RATE LIMITS", body: p.lines}
	}
	rlRow := func(name string, rem, limit int, reset time.Time) {
		if limit <= 0 && rem < 0 {
			return
		}
		s := fmt.Sprintf("%-9s", name)
		val := formatCompact(int64(rem))
		if limit > 0 {
			val += "/" + formatCompact(int64(limit))
		}
		style := st.Base
		if limit > 0 && rem >= 0 && float64(rem) < 0.1*float64(limit) {
			style = st.Warning
		}
		s += style.Render(val)
		if !reset.IsZero() {
			wait := formatWait(reset.Sub(now))
			s += strings.Repeat(" ", max(w-ansiWidth(s)-len(wait), 1)) + st.Muted.Render(wait)
		}
		p.add(s)
	}
	rlRow("requests", rl.RemainingRequests, rl.LimitRequests, rl.ResetRequests)
	rlRow("tokens", rl.RemainingTokens, rl.LimitTokens, rl.ResetTokens)
	if rl.RetryAfter > 0 {
		p.add(st.Warning.Render("retry after " + formatWait(rl.RetryAfter)))
	}
	p.add(st.Muted.Render("as of " + formatAgo(rl.Observed, now)))
	return paneSection{prio: prioRates, title: "RATE LIMITS", heading: heading, body: p.lines}
}

// contextSection is how much of the model's context window the next
// request fills: the conversation and the files attached to the next
// message (pending tokens), as the status line's meter counts.
func contextSection(u view.Usage, pending, w int, st *styles.Styles) paneSection {
	p := paneLines{w: w}
	used := u.ContextUsed + pending
	if u.ContextWindow > 0 {
		frac := float64(used) / float64(u.ContextWindow)
		bs := barStyle(frac, st)
		label := fmt.Sprintf(" %s/%s", figures.Tokens(int64(used), u.ContextEstimated), figures.Tokens(int64(u.ContextWindow), false))
		p.add(bar(frac, max(w-ansiWidth(label), 4), bs, st) + label)
	} else {
		p.add(st.Muted.Render(figures.Tokens(int64(used), u.ContextEstimated) + " tokens · window unknown"))
	}
	if pending > 0 {
		p.add(st.Muted.Render("incl. " + figures.Count(int64(pending)) + " attached"))
	}
	return paneSection{prio: prioContext, title: "CONTEXT", body: p.lines}
}

// chartSection charts the key's last days; its short form is the
// caption alone.
func chartSection(days []view.Day, w int, st *styles.Styles) paneSection {
	if len(days) == 0 {
		return paneSection{}
	}
	caption := paneLines{w: w}
	if !slices.ContainsFunc(days, func(d view.Day) bool { return d.Tokens > 0 }) {
		caption.add(st.Muted.Render("no tokens used")) // no chart of nothing
		return paneSection{prio: prioChart, title: "LAST 14 DAYS", body: caption.lines}
	}
	caption.addParts(st.Muted, chartLabel(days)...)
	body := append(chart(days, w, st), caption.lines...)
	return paneSection{prio: prioChart, title: "LAST 14 DAYS", body: body, short: caption.lines}
}

// keysSection is every key's month, the active one marked.
func keysSection(keys []view.Key, activeID string, w int, st *styles.Styles) paneSection {
	if len(keys) == 0 {
		return paneSection{}
	}
	p, pin := paneLines{w: w}, 0
	for _, o := range keys {
		tok := figures.Tokens(o.Month.Tokens, o.Month.Estimated)
		cost := o.Month.Cost.String()
		right := fmt.Sprintf("%7s %8s", tok, cost) + budgetMark(o.Budget, st)
		name := o.Name
		mark := "  "
		style := st.Base
		if o.ID == activeID {
			mark = "▸ "
			style = st.ActiveKey
			pin = len(p.lines)
		}
		left := truncate(mark+name, max(w-ansiWidth(right)-1, 3))
		pad := max(w-ansiWidth(left)-ansiWidth(right), 1)
		p.add(style.Render(left+strings.Repeat(" ", pad)) + right)
	}
	return paneSection{prio: prioKeys, title: "ALL KEYS · MONTH", body: p.lines, noun: "key", pin: pin}
}

func checkMark(k *view.Key, st *styles.Styles) string {
	if k.CheckFailed {
		return st.Error.Render(" ✗ check failed")
	}
	return ""
}

// budgetMark is a one-column mark after a key's month spend.
func budgetMark(l view.BudgetLevel, st *styles.Styles) string {
	switch l {
	case view.BudgetWarn:
		return st.BarWarn.Render("!")
	case view.BudgetOver:
		return st.BarOver.Render("!")
	}
	return " "
}

func ansiWidth(s string) int { return lipgloss.Width(s) }

// barStyle picks the bar colour: warning from 80%, error from 100%.
func barStyle(frac float64, st *styles.Styles) lipgloss.Style {
	switch {
	case frac >= 1:
		return st.BarOver
	case frac >= 0.8:
		return st.BarWarn
	}
	return st.BarOK
}

// bar draws a horizontal meter with eighth-block precision.
func bar(frac float64, w int, fill lipgloss.Style, st *styles.Styles) string {
	frac = math.Max(0, math.Min(frac, 1))
	eighths := int(math.Round(frac * float64(w*8)))
	full := eighths / 8
	part := eighths % 8
	s := strings.Repeat("█", full)
	empty := w - full
	if part > 0 {
		s += string([]rune("▏▎▍▌▋▊▉")[part-1])
		empty--
	}
	return fill.Render(s) + st.BarEmpty.Render(strings.Repeat("░", max(empty, 0)))
}

// chart draws daily token usage as 4-row columns of block characters,
// oldest day left. Days with estimated numbers are drawn faint (and
// chartLabel's peak carries "~" when any day was estimated).
func chart(days []view.Day, w int, st *styles.Styles) []string {
	const rows = 4
	var peak int64
	for _, d := range days {
		peak = max(peak, d.Tokens)
	}
	colW := 2
	if len(days)*3-1 <= w {
		colW = 3
	}
	lines := make([]string, rows)
	levels := []rune(" ▁▂▃▄▅▆▇█")
	for r := 0; r < rows; r++ {
		var b strings.Builder
		for i, d := range days {
			if i*colW >= w {
				break
			}
			h := 0.0
			if peak > 0 {
				h = float64(d.Tokens) / float64(peak) * rows * 8
			}
			// eighths filled in this row (row 0 is the top)
			cell := int(math.Round(h)) - (rows-1-r)*8
			cell = max(0, min(cell, 8))
			if cell == 0 && r == rows-1 && d.Tokens > 0 {
				cell = 1 // a used day is never invisible
			}
			ch := string(levels[cell])
			style := st.Chart
			if d.Estimated {
				style = st.ChartEstimated
			}
			b.WriteString(style.Render(strings.Repeat(ch, colW-1)))
			if colW > 1 {
				b.WriteByte(' ')
			}
		}
		lines[r] = b.String()
	}
	return lines
}

// chartLabel is the chart's caption: its peak and today's figure.
func chartLabel(days []view.Day) []string {
	var peak int64
	anyEst := false
	for _, d := range days {
		peak = max(peak, d.Tokens)
		anyEst = anyEst || d.Estimated
	}
	last := days[len(days)-1]
	return []string{"peak " + figures.Tokens(peak, anyEst) + " tok/day", "today " + figures.Tokens(last.Tokens, last.Estimated)}
}

// wrapLines wraps s (which may be styled) into lines at most w wide, at
// spaces where it can.
func wrapLines(s string, w int) []string {
	if ansiWidth(s) <= w {
		return []string{s}
	}
	return strings.Split(ansi.Wrap(s, max(w, 1), ""), "\n")
}
