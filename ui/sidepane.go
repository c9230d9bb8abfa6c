package ui

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/vaultchat/vaultchat/internal/view"

	"charm.land/lipgloss/v2"
	"github.com/vaultchat/vaultchat/internal/sanitize"
	"github.com/vaultchat/vaultchat/ui/styles"
)

// sideInput is everything the usage pane shows; renderSide is a pure
// function of it, so the pane is cached until one of these changes.
type sideInput struct {
	key   *view.Key
	model string
	keys  []view.Key
	usage view.Usage
	now   time.Time
}

// renderSide draws the usage pane for the active key, w columns wide and
// at most h rows.
func renderSide(in sideInput, w, h int, st *styles.Styles) []string {
	var out []string
	add := func(s string) { out = append(out, truncate(s, w)) }
	// section starts a section: a blank line, then its title with an
	// optional column heading right-aligned on the same line.
	section := func(title, heading string) {
		if len(out) > 0 {
			out = append(out, "")
		}
		t := st.PaneTitle.Render(title)
		if heading != "" {
			t += strings.Repeat(" ", max(w-ansiWidth(t)-ansiWidth(heading), 1)) + st.Muted.Render(heading)
		}
		add(t)
	}
	if in.key == nil {
		add(st.PaneTitle.Render("NO KEY"))
		add(st.Muted.Render("add one with"))
		add(st.Muted.Render("vaultchat keys add"))
		return out
	}
	k := in.key
	add(st.Accent.Render(sanitize.String(k.Name)) + checkMark(k, st))
	add(st.Muted.Render(sanitize.String(joinNonEmpty(" · ", k.Provider, k.Host))))
	if k.Fingerprint != "" {
		add(st.Muted.Render(sanitize.String(k.Fingerprint)))
	}
	add("model " + st.Bold.Render(sanitize.String(in.model)))

	u := in.usage
	section("USAGE", "")
	row := func(name string, t view.Total) {
		tok := est(formatTokens(t.Tokens), t.Estimated)
		cost := formatTotalCost(t)
		right := fmt.Sprintf("%7s %8s", tok, cost)
		add(fmt.Sprintf("%-*s", max(w-ansiWidth(right), 1), name) + right)
	}
	add(st.Muted.Render(fmt.Sprintf("%-*s%7s %8s", max(w-16, 1), "", "tokens", "cost")))
	row("conversation", u.Conversation)
	row("today", u.Today)
	row("this month", u.Month)
	row("lifetime", u.Lifetime)

	if len(u.Budgets) > 0 {
		section("BUDGETS", "")
		for _, b := range u.Budgets {
			frac := b.Fraction()
			bs := barStyle(frac, st)
			kind := "soft"
			if b.Hard {
				kind = "hard"
			}
			add(fmt.Sprintf("%s %s", sanitize.String(b.Name), st.Muted.Render(kind)))
			pct := fmt.Sprintf(" %3.0f%%", math.Min(frac*100, 999))
			add(bar(frac, max(w-ansiWidth(pct), 4), bs, st) + bs.Render(pct))
			spent := formatTokens(int64(b.Spent)) + " / " + formatTokens(int64(b.Limit))
			if b.USD {
				spent = formatUSD(b.Spent) + " / " + formatUSD(b.Limit)
			}
			if !b.ResetsAt.IsZero() {
				spent += " · resets in " + formatWait(b.ResetsAt.Sub(in.now))
			}
			add(st.Muted.Render(spent))
		}
	}

	rl := u.RateLimits
	// The reset times form a right-aligned column headed "resets in":
	// words rather than an arrow glyph (↻ is missing from many terminal
	// fonts), and narrow enough for the narrowest pane.
	heading := ""
	if !rl.ResetRequests.IsZero() || !rl.ResetTokens.IsZero() {
		heading = "resets in"
	}
	section("RATE LIMITS", heading)
	if !rl.Known() {
		add(st.Muted.Render("no response yet"))
	} else {
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
				wait := formatWait(reset.Sub(in.now))
				s += strings.Repeat(" ", max(w-ansiWidth(s)-len(wait), 1)) + st.Muted.Render(wait)
			}
			add(s)
		}
		rlRow("requests", rl.RemainingRequests, rl.LimitRequests, rl.ResetRequests)
		rlRow("tokens", rl.RemainingTokens, rl.LimitTokens, rl.ResetTokens)
		if rl.RetryAfter > 0 {
			add(st.Warning.Render("retry after " + formatWait(rl.RetryAfter)))
		}
		add(st.Muted.Render("as of " + formatAgo(rl.Observed, in.now)))
	}

	section("CONTEXT", "")
	if u.ContextWindow > 0 {
		frac := float64(u.ContextUsed) / float64(u.ContextWindow)
		bs := barStyle(frac, st)
		label := fmt.Sprintf(" %s/%s", est(formatTokens(int64(u.ContextUsed)), u.ContextEstimated), formatTokens(int64(u.ContextWindow)))
		add(bar(frac, max(w-ansiWidth(label), 4), bs, st) + label)
	} else {
		add(st.Muted.Render(est(formatTokens(int64(u.ContextUsed)), u.ContextEstimated) + " tokens · window unknown"))
	}

	if len(u.Daily) > 0 {
		section("LAST 14 DAYS", "")
		out = append(out, chart(u.Daily, w, st)...)
	}

	if len(in.keys) > 0 {
		section("ALL KEYS · MONTH", "")
		for _, o := range in.keys {
			tok := est(formatTokens(o.MonthTokens), o.Estimated)
			cost := "—"
			if o.CostKnown {
				cost = est(formatUSD(o.MonthCostUSD), o.Estimated)
			}
			right := fmt.Sprintf("%7s %8s", tok, cost) + budgetMark(o.Budget, st)
			name := sanitize.String(o.Name)
			mark := "  "
			style := st.Base
			if o.ID == k.ID {
				mark = "▸ "
				style = st.ActiveKey
			}
			left := truncate(mark+name, max(w-ansiWidth(right)-1, 3))
			pad := max(w-ansiWidth(left)-ansiWidth(right), 1)
			add(style.Render(left+strings.Repeat(" ", pad)) + right)
		}
	}
	if len(out) > h {
		out = out[:h]
	}
	return out
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
// oldest day left. Days with estimated numbers are drawn faint and the
// peak label carries "~" when any day was estimated.
func chart(days []view.Day, w int, st *styles.Styles) []string {
	const rows = 4
	var peak int64
	anyEst := false
	for _, d := range days {
		peak = max(peak, d.Tokens)
		anyEst = anyEst || d.Estimated
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
	label := fmt.Sprintf("peak %s tok/day · today %s", est(formatTokens(peak), anyEst), est(formatTokens(days[len(days)-1].Tokens), days[len(days)-1].Estimated))
	return append(lines, st.Muted.Render(truncate(label, w)))
}
