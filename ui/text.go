package ui

import (
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// fit truncates or pads a (possibly styled) line to exactly w columns.
func fit(line string, w int) string {
	if w <= 0 {
		return ""
	}
	lw := ansi.StringWidth(line)
	if lw > w {
		line = ansi.Truncate(line, w, "")
		lw = ansi.StringWidth(line)
	}
	if lw < w {
		return line + strings.Repeat(" ", w-lw)
	}
	return line
}

// truncate cuts a plain or styled string to w columns with an ellipsis.
func truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// joinParts joins the non-empty parts (plain or styled) with sep into
// lines at most w columns wide, starting a new line between two parts
// rather than splitting one; a line that breaks ends with sep's mark
// (" ·" of " · ") where it fits, so the reader sees the list goes on.
// A part wider than w alone is left whole: the caller cuts or wraps it.
func joinParts(parts []string, sep string, w int) []string {
	mark := ansi.Truncate(sep, ansi.StringWidth(strings.TrimRight(ansi.Strip(sep), " ")), "")
	var lines []string
	cur := ""
	for _, p := range parts {
		switch {
		case p == "":
		case cur == "":
			cur = p
		case ansi.StringWidth(cur)+ansi.StringWidth(sep)+ansi.StringWidth(p) <= w:
			cur += sep + p
		default:
			if ansi.StringWidth(cur)+ansi.StringWidth(mark) <= w {
				cur += mark
			}
			lines = append(lines, cur)
			cur = p
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

// elideWords shortens plain text s to w columns, ending with "…" after
// its last whole word that fits (mid-word only when the first word alone
// is too long).
func elideWords(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) <= w {
		return s
	}
	cut := ansi.Truncate(s, w-1, "")
	if i := strings.LastIndexByte(cut, ' '); i > 0 && i < len(s) && s[len(cut)] != ' ' {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ") + "…"
}

// oneLine collapses line breaks and tabs so text fits a single row.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// box draws lines inside a rounded border with a title, w columns wide
// and at most h rows tall (content is cut, never wrapped).
func box(title string, lines []string, w, h int, border, titleStyle lipgloss.Style) []string {
	if w < 4 || h < 2 {
		return nil
	}
	inner := w - 4
	out := make([]string, 0, min(h, len(lines)+2))
	t := ""
	if title != "" {
		t = " " + truncate(title, inner-2) + " "
	}
	top := border.Render("╭─") + titleStyle.Render(t) + border.Render(strings.Repeat("─", max(0, w-3-ansi.StringWidth(t)))+"╮")
	out = append(out, top)
	for i := 0; i < len(lines) && len(out) < h-1; i++ {
		out = append(out, border.Render("│ ")+fit(lines[i], inner)+border.Render(" │"))
	}
	out = append(out, border.Render("╰"+strings.Repeat("─", w-2)+"╯"))
	return out
}

// drawOver puts the rows of fg over bg with its top-left corner at (x, y),
// with a blank column on each side (where the screen has one), so that
// nothing from underneath touches a dialog's border and reads as part of
// it. bg rows must be exactly as wide as the screen.
func drawOver(bg []string, fg []string, x, y int) {
	for i, row := range fg {
		r := y + i
		if r < 0 || r >= len(bg) {
			continue
		}
		line := bg[r]
		total := ansi.StringWidth(line)
		x := x
		if x > 0 {
			row, x = " "+row, x-1
		}
		if x+ansi.StringWidth(row) < total {
			row += " "
		}
		w := ansi.StringWidth(row)
		left := ansi.Truncate(line, x, "")
		if lw := ansi.StringWidth(left); lw < x {
			left += strings.Repeat(" ", x-lw)
		}
		right := ""
		if x+w < total {
			right = ansi.TruncateLeft(line, x+w, "")
		}
		bg[r] = left + "\x1b[m" + row + "\x1b[m" + right
	}
}
