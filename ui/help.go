package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/vaultchat/vaultchat/ui/styles"
)

// helpOverlay shows every key binding, grouped, drawn from the key map.
type helpOverlay struct {
	km *keyMap
	st *styles.Styles
	// size is the screen's size now, for update to keep off within the
	// help's lines (view only reads it).
	size func() (width, height int)
	off  int // first line shown, when the help is taller than the screen
}

func newHelpOverlay(km *keyMap, st *styles.Styles, size func() (width, height int)) *helpOverlay {
	return &helpOverlay{km: km, st: st, size: size}
}

// update scrolls with the help's own keys; any other key closes it.
func (o *helpOverlay) update(msg tea.Msg) (tea.Cmd, bool) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil, false
	}
	lines, room := o.body(o.size())
	last := max(len(lines)-room, 0) // the scroll that shows the end
	switch {
	case key.Matches(k, o.km.HelpUp):
		o.off = max(min(o.off, last)-1, 0)
	case key.Matches(k, o.km.HelpDown):
		o.off = min(o.off+1, last)
	default:
		return nil, true
	}
	return nil, false
}

// view flows the groups into as many columns as fit, scrollable when even
// that is too tall.
func (o *helpOverlay) view(width, height int) []string {
	st := o.st
	w, h := helpBox(width, height)
	lines, room := o.body(width, height)
	off := min(o.off, max(len(lines)-room, 0)) // the screen may have grown
	lines = lines[off:]
	if len(lines) > room {
		lines = append(lines[:room-1], st.Muted.Render("↓ more below"))
	}
	lines = append(lines, st.Muted.Render(o.km.HelpUp.Help().Key+"  "+o.km.HelpDown.Help().Key+" scroll · any other key closes"))
	return box("keys", lines, w, h, st.DialogBorder, st.DialogTitle)
}

// helpBox is the help's box size on a width×height screen.
func helpBox(width, height int) (w, h int) { return min(width-2, 150), height - 2 }

// body is the help's lines, all of them, for a width×height screen, and
// how many show at once.
func (o *helpOverlay) body(width, height int) (lines []string, room int) {
	st := o.st
	w, h := helpBox(width, height)
	const colW = 44
	cols := max(min((w-4)/colW, 3), 1)
	// Lay groups out column by column, balancing line counts.
	var blocks [][]string
	total := 0
	for _, g := range helpGroups(o.km) {
		var b []string
		b = append(b, st.PaneTitle.Render(g.name))
		for _, r := range g.rows {
			b = append(b, fmt.Sprintf("%s %s", st.HintKey.Render(fmt.Sprintf("%-18s", r.keys)), st.Base.Render(r.what)))
		}
		b = append(b, "")
		blocks = append(blocks, b)
		total += len(b)
	}
	per := (total + cols - 1) / cols
	columns := make([][]string, cols)
	c := 0
	for _, b := range blocks {
		if c < cols-1 && len(columns[c]) > 0 && len(columns[c])+len(b) > per+2 {
			c++
		}
		columns[c] = append(columns[c], b...)
	}
	tallest := 0
	for _, col := range columns {
		tallest = max(tallest, len(col))
	}
	innerW := w - 4
	cw := innerW / cols
	for i := 0; i < tallest; i++ {
		var b strings.Builder
		for _, col := range columns {
			b.WriteString(fit(lineAt(col, i), cw-2) + "  ")
		}
		lines = append(lines, b.String())
	}
	return lines, max(h-3, 1)
}
