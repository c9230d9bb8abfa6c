package markdown

import (
	"regexp"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/vaultchat/vaultchat/internal/mdfence"
)

// A table wider than the pane is shrunk by glamour (lipgloss), which
// elides its cells with "…" — mostly: in a narrow pane it also cuts a
// cell without a mark, draws columns of no width or leaves the last
// ones out, text gone unsaid. Such a table is rendered on its own and
// its shrunk rendering checked cell by cell (shrunkKeepsCells); when it
// fails, the table is rendered at its natural width and its lines are
// cut at the pane's edge with "…" (cutLines, which marks any line
// Render cuts): what is not shown is marked.

// tableDelimiter matches a table's delimiter row: "|---|:---:|", with or
// without the outer pipes.
var tableDelimiter = regexp.MustCompile(`^ {0,3}\|? *:?-+:? *(\| *:?-+:? *)*\|? *$`)

// tableMargin is the document margin glamour puts left of a table and
// the slack it is given right of it.
const tableMargin = 2

// tableWidth is the render width at which a table shows every cell
// whole: the margins, each column's widest cell (its source text, which
// can only be wider) and padding, and the rules between columns.
func tableWidth(rows []string, n int) int {
	widths := make([]int, n)
	for _, row := range rows {
		for c, cell := range tableCells(row) {
			if c < n {
				widths[c] = max(widths[c], ansi.StringWidth(strings.TrimSpace(cell)))
			}
		}
	}
	w := 2*tableMargin + n - 1
	for _, cw := range widths {
		w += cw + 2
	}
	return w
}

// tableCells splits a table row's source into its cells.
func tableCells(row string) []string {
	row = strings.TrimSpace(strings.TrimRight(row, "\n"))
	row = strings.TrimSuffix(strings.TrimPrefix(row, "|"), "|")
	return strings.Split(row, "|")
}

// segment is a run of source lines: prose and the like, or one table
// that needs width columns to show whole (0 for prose), and its rows'
// cells (header first).
type segment struct {
	text  string
	width int
	cells [][]string
}

// mayShrink reports whether the table can show every cell's start and
// "…" in width columns (a space either side and a rule a column), so
// that glamour's shrunk rendering is worth trying.
func (s segment) mayShrink(width int) bool {
	n := len(s.cells[0])
	return 2*tableMargin+n*5 <= width
}

// narrowTableSegments splits src around its top-level tables wider than
// width. It returns nil when there is none, the common case, so that
// the document renders whole.
func narrowTableSegments(src string, width int) []segment {
	if !strings.Contains(src, "|") {
		return nil
	}
	lines := strings.SplitAfter(src, "\n")
	var segs []segment
	var cur strings.Builder
	var fences mdfence.Scanner
	found := false
	for i := 0; i < len(lines); i++ {
		if fences.Next(strings.TrimRight(lines[i], "\n")) != mdfence.Text || i+1 >= len(lines) {
			cur.WriteString(lines[i])
			continue
		}
		n := tableColumns(lines[i], lines[i+1])
		if n == 0 {
			cur.WriteString(lines[i])
			continue
		}
		end := i + 2
		for end < len(lines) && strings.TrimSpace(lines[end]) != "" && strings.Contains(lines[end], "|") {
			end++
		}
		rows := append([]string{lines[i]}, lines[i+2:end]...)
		tw := tableWidth(rows, n)
		cells := make([][]string, len(rows))
		for r, row := range rows {
			cells[r] = tableCells(row)
		}
		if tw <= width {
			cur.WriteString(strings.Join(lines[i:end], ""))
			i = end - 1
			continue
		}
		if cur.Len() > 0 {
			segs = append(segs, segment{text: cur.String()})
			cur.Reset()
		}
		segs = append(segs, segment{text: strings.Join(lines[i:end], ""), width: tw, cells: cells})
		found = true
		i = end - 1
	}
	if !found {
		return nil
	}
	if cur.Len() > 0 {
		segs = append(segs, segment{text: cur.String()})
	}
	return segs
}

// tableColumns is the number of columns of the table whose header and
// delimiter rows are header and delim, 0 when they do not start one.
func tableColumns(header, delim string) int {
	header, delim = strings.TrimRight(header, "\n"), strings.TrimRight(delim, "\n")
	if !strings.Contains(header, "|") || !strings.Contains(delim, "-") || !tableDelimiter.MatchString(delim) {
		return 0
	}
	if strings.HasPrefix(strings.TrimLeft(header, " "), ">") || strings.HasPrefix(header, "    ") {
		return 0 // in a quote, or code: left to glamour
	}
	d := strings.Trim(strings.TrimSpace(delim), "|")
	return strings.Count(d, "|") + 1
}

// shrunkKeepsCells reports whether a table rendered narrower than its
// natural width shows every cell of cells (rows, header first) whole or
// cut with "…" after a start of it. Cell text with inline markup
// other than ** and ` may not compare, and then the answer is no, which
// only costs the shrunk rendering.
func shrunkKeepsCells(lines []string, cells [][]string) bool {
	var rows []string
	for _, l := range lines {
		s := strings.TrimSpace(ansi.Strip(l))
		if strings.Contains(s, "│") {
			rows = append(rows, s)
		}
	}
	if len(rows) != len(cells) {
		return false
	}
	for r, row := range rows {
		shown := strings.Split(row, "│")
		if len(shown) != len(cells[r]) {
			return false
		}
		for c, cell := range shown {
			got := strings.TrimSpace(cell)
			want := strings.NewReplacer("**", "", "`", "").Replace(strings.TrimSpace(cells[r][c]))
			cut, elided := strings.CutSuffix(got, "…")
			switch {
			case got == want:
			case elided && cut != "" && strings.HasPrefix(want, strings.TrimRight(cut, " ")):
			default:
				return false
			}
		}
	}
	return true
}

// cutLines cuts the lines wider than width: with "…" where text is cut,
// without where only the padding is.
func cutLines(lines []string, width int) []string {
	for i, l := range lines {
		if ansi.StringWidth(l) <= width {
			continue
		}
		mark := ""
		if ansi.StringWidth(strings.TrimRight(ansi.Strip(l), " ")) > width {
			mark = "…"
		}
		lines[i] = ansi.Truncate(l, width, mark)
	}
	return lines
}
