package ui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vaultchat/vaultchat/ui/styles"
)

// paneSection is one section of the side pane: a title line (none for
// the key's name at the top) and its lines, already w columns wide.
// The zero paneSection is a section with nothing to show.
type paneSection struct {
	title   string // plain; drawn in the pane title style
	heading string // an optional column heading, right-aligned on the title line
	body    []string
	// short is a shorter body that says the same in brief (budgets
	// without their bars, the chart's caption without the chart), tried
	// before lines are left out; nil when there is none.
	short []string
	// noun names what the body's lines are in the "… 3 more keys" line
	// (singular); "" for "line".
	noun string
	// pin is a body line kept when lines are left out (the active key
	// among all keys); the lines before it go first.
	pin int
	// prio orders the sections when rows are short: 0 is served first.
	prio int
}

// fitSections lays the sections out in order in at most h rows. When
// they do not all fit, the blank lines between them go first; then the
// sections are served in priority order, each whole if the rows left
// allow (keeping one row for each section after it), else in its short
// form, else its first lines and a "… N more" line, else only its title
// and "…". Nothing is left out without a "…" saying so.
func fitSections(secs []paneSection, w, h int, st *styles.Styles) []string {
	if h <= 0 {
		return nil
	}
	secs = slices.DeleteFunc(slices.Clone(secs), func(s paneSection) bool { return s.title == "" && len(s.body) == 0 })
	var out []string
	for i, s := range secs {
		if i > 0 {
			out = append(out, "")
		}
		out = append(out, s.whole(w, st)...)
	}
	if len(out) <= h {
		return out
	}
	order := make([]int, len(secs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return secs[a].prio - secs[b].prio })
	fitted := make([][]string, len(secs))
	used, reserve, dropped := 0, len(secs), false
	for _, i := range order {
		reserve-- // a row kept for each section still to serve
		// With fewer rows than sections, the first served get a row.
		room := max(h-used-reserve, min(h-used, 1))
		fitted[i] = secs[i].fit(room, w, st)
		used += len(fitted[i])
		dropped = dropped || len(fitted[i]) == 0
	}
	out = slices.Concat(fitted...)
	if dropped {
		out = append(out[:min(len(out), h-1)], st.Muted.Render("…"))
	}
	return out
}

// whole is the section's title line and body.
func (s paneSection) whole(w int, st *styles.Styles) []string {
	if s.title == "" {
		return s.body
	}
	return append([]string{s.titleLine(w, st)}, s.body...)
}

// titleLine is the section's title with its heading right-aligned.
func (s paneSection) titleLine(w int, st *styles.Styles) string {
	t := st.PaneTitle.Render(s.title)
	if s.heading != "" {
		t += strings.Repeat(" ", max(w-ansiWidth(t)-ansiWidth(s.heading), 1)) + st.Muted.Render(s.heading)
	}
	return t
}

// fit draws the section in at most room rows (see fitSections).
func (s paneSection) fit(room, w int, st *styles.Styles) []string {
	if room <= 0 {
		return nil
	}
	if whole := s.whole(w, st); len(whole) <= room {
		return whole
	}
	// A title ending in "…" says the section is shortened.
	var head []string
	if s.title != "" {
		head = []string{s.shortTitle(w, st)}
	}
	lines := s.body
	if s.short != nil {
		if len(head)+len(s.short) <= room {
			return append(head, s.short...)
		}
		lines = s.short
	}
	if keep := room - len(head) - 1; keep >= 1 {
		kept := lines[:keep]
		if s.short == nil && s.pin >= keep {
			kept = append(slices.Clone(lines[:keep-1]), lines[s.pin])
		}
		return slices.Concat(head, kept, []string{s.moreLine(len(lines)-keep, w, st)})
	}
	if s.title == "" { // the first line (the key's name) stands for it
		return []string{truncate(s.body[0]+st.Muted.Render(" …"), w)}
	}
	return []string{s.shortTitle(w, st)}
}

// shortTitle is the title of a shortened or collapsed section: the
// title and "…" (its column heading left out with what it heads).
func (s paneSection) shortTitle(w int, st *styles.Styles) string {
	return truncate(st.PaneTitle.Render(s.title)+st.Muted.Render(" …"), w)
}

// moreLine says how many of the section's lines were left out.
func (s paneSection) moreLine(n, w int, st *styles.Styles) string {
	noun := s.noun
	if noun == "" {
		noun = "line"
	}
	if n > 1 {
		noun += "s"
	}
	return st.Muted.Render(truncate(fmt.Sprintf("… %d more %s", n, noun), w))
}
