package ui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/sahilm/fuzzy"

	"github.com/vaultchat/vaultchat/ui/styles"
)

type pickerKind int

const (
	pickKey pickerKind = iota
	pickModel
	pickRole
	pickFile
)

// pickerRow is one choice. text is both what is shown and what the fuzzy
// filter matches, so matched characters can be highlighted in place.
type pickerRow struct {
	id     string
	text   string
	detail string // shown under the list for the selected row
	// match is more text the filter matches after text, not shown:
	// every value of the row, so that what matches does not depend on
	// which columns the screen's width leaves out.
	match string
	// name is what the row is called (a key's name), ranked before the
	// other columns: see nameRank. Empty: the row's id.
	name string
}

type pickerMatch struct {
	row int
	idx []int // byte offsets of matched characters in the row text
}

// picker is a filterable list overlay (keys, models). What a choice does
// is its opener's choose callback; refresh, when set, reloads the rows
// (ctrl+r in the model picker).
type picker struct {
	km      *keyMap
	st      *styles.Styles
	choose  func(id string) tea.Cmd
	refresh func() tea.Cmd
	kind    pickerKind
	title   string
	header  string
	filter  textinput.Model
	rows    []pickerRow
	matches []pickerMatch
	sel     int
	// free offers the filter text itself as a choice (model names for
	// servers without a list).
	free    bool
	loading bool
	err     string
}

// newPicker is an empty picker of kind over the model's keys and styles,
// its filter showing placeholder; choose acts on the chosen row's id.
func (m *Model) newPicker(kind pickerKind, title, placeholder string, choose func(id string) tea.Cmd) *picker {
	return &picker{km: &m.km, st: &m.st, kind: kind, title: title, filter: newFilterInput(&m.st, placeholder), choose: choose}
}

func newFilterInput(st *styles.Styles, placeholder string) textinput.Model {
	ti := textinput.New()
	ti.Prompt = "filter: "
	ti.Placeholder = placeholder
	s := textinput.DefaultStyles(st.IsDark)
	s.Cursor.Blink = false
	s.Focused.Prompt = st.Muted
	s.Focused.Placeholder = st.Placeholder
	s.Focused.Text = st.Base
	ti.SetStyles(s)
	ti.Focus()
	return ti
}

// setRows replaces the rows, keeping the selection on the same id.
func (p *picker) setRows(rows []pickerRow) {
	var selID string
	if c, ok := p.current(); ok {
		selID = c.id
	}
	p.rows = rows
	p.refilter()
	for i, mt := range p.matches {
		if p.rows[mt.row].id == selID {
			p.sel = i
		}
	}
}

// selectID moves the selection to the row with id, if shown.
func (p *picker) selectID(id string) {
	for i, mt := range p.matches {
		if p.rows[mt.row].id == id {
			p.sel = i
		}
	}
}

// refilter applies the filter text.
func (p *picker) refilter() {
	q := strings.TrimSpace(p.filter.Value())
	p.matches = p.matches[:0]
	if q == "" {
		for i := range p.rows {
			p.matches = append(p.matches, pickerMatch{row: i})
		}
	} else {
		texts := make([]string, len(p.rows))
		for i, r := range p.rows {
			texts[i] = r.text + r.match
		}
		for _, m := range fuzzy.Find(q, texts) {
			p.matches = append(p.matches, pickerMatch{row: m.Index, idx: m.MatchedIndexes})
		}
		// fuzzy's order is by score, within which a match in another
		// column can beat the name typed whole.
		slices.SortStableFunc(p.matches, func(a, b pickerMatch) int {
			return cmp.Compare(nameRank(p.rows[a.row], q), nameRank(p.rows[b.row], q))
		})
	}
	p.sel = min(p.sel, max(p.count()-1, 0))
}

// nameRank ranks a row for the filter text q by its name: 0 when the
// name is q, 1 when it starts with q, 2 when it holds q, 3 otherwise (a
// match in another column), ignoring case like the fuzzy filter.
func nameRank(r pickerRow, q string) int {
	name := r.name
	if name == "" {
		name = r.id
	}
	name, q = strings.ToLower(name), strings.ToLower(q)
	switch {
	case name == q:
		return 0
	case strings.HasPrefix(name, q):
		return 1
	case strings.Contains(name, q):
		return 2
	}
	return 3
}

// count is the number of choices, including a free-text one.
func (p *picker) count() int {
	n := len(p.matches)
	if p.freeChoice() != "" {
		n++
	}
	return n
}

// freeChoice is the typed text when it may be used as is.
func (p *picker) freeChoice() string {
	if !p.free {
		return ""
	}
	q := strings.TrimSpace(p.filter.Value())
	if q == "" {
		return ""
	}
	for _, r := range p.rows {
		if r.id == q {
			return ""
		}
	}
	return q
}

func (p *picker) move(d int) {
	n := p.count()
	if n == 0 {
		return
	}
	p.sel = (p.sel + d + n) % n
}

// current returns the selected row (for the free choice, a row whose id
// is the typed text).
func (p *picker) current() (pickerRow, bool) {
	if p.sel < len(p.matches) {
		return p.rows[p.matches[p.sel].row], true
	}
	if f := p.freeChoice(); f != "" && p.sel == len(p.matches) {
		return pickerRow{id: f, text: f}, true
	}
	return pickerRow{}, false
}

// pickerWidth is the width of a picker's box on a screen width columns wide.
func pickerWidth(width int) int { return min(width-4, 110) }

func (p *picker) update(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case tea.PasteMsg:
		p.filter.SetValue(p.filter.Value() + oneLine(cleanInput(msg.Content)))
		p.refilter()
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, p.km.Cancel):
			return nil, true
		case key.Matches(msg, p.km.PickerUp):
			p.move(-1)
			return nil, false
		case key.Matches(msg, p.km.PickerDown):
			p.move(1)
			return nil, false
		case key.Matches(msg, p.km.PickerRefresh):
			if p.refresh != nil {
				p.loading = true
				return p.refresh(), false
			}
			return nil, false
		case key.Matches(msg, p.km.Choose):
			row, ok := p.current()
			if !ok {
				return nil, false
			}
			return p.choose(row.id), true
		}
		var cmd tea.Cmd
		before := p.filter.Value()
		p.filter, cmd = p.filter.Update(msg)
		if p.filter.Value() != before {
			p.sel = 0
			p.refilter()
		}
		return cmd, false
	}
	return nil, false
}

func (p *picker) view(width, height int) []string {
	st := p.st
	w := pickerWidth(width)
	h := min(height-4, 22)
	return box(p.title, p.lines(w-4, h-2), w, h, st.DialogBorder, st.DialogTitle)
}

// lines renders the picker's inner lines for a box of w×h.
func (p *picker) lines(w, h int) []string {
	st := p.st
	var out []string
	f := p.filter // a copy: drawing sets nothing
	f.SetWidth(max(w-len(f.Prompt)-1, 4))
	out = append(out, f.View())
	if p.header != "" {
		out = append(out, st.Muted.Render(truncate(p.header, w)))
	}
	if p.loading {
		out = append(out, st.Muted.Render("loading…"))
	}
	if p.err != "" {
		// Whole, wrapped: the useful part of a server's error (the
		// hint) comes last.
		for _, l := range wrapLines(p.err, w) {
			out = append(out, st.Error.Render(l))
		}
	}
	listH := max(h-len(out)-2, 1)
	first := 0
	if p.sel >= listH {
		first = p.sel - listH + 1
	}
	n := p.count()
	for i := first; i < n && i < first+listH; i++ {
		var line string
		if i < len(p.matches) {
			mt := p.matches[i]
			line = highlight(p.rows[mt.row].text, mt.idx, st)
		} else {
			line = st.Accent.Render(fmt.Sprintf("use “%s”", p.freeChoice()))
		}
		if i == p.sel {
			line = st.Selected.Render(fit("▸ "+stripForSelect(line, p, i), w))
		} else {
			line = "  " + line
		}
		out = append(out, truncate(line, w))
	}
	if n == 0 && !p.loading && p.err == "" {
		out = append(out, st.Muted.Render("  no match"))
	}
	if c, ok := p.current(); ok && c.detail != "" {
		out = append(out, "")
		for _, l := range detailLines(c.detail, w) { // whole, on two lines if need be
			out = append(out, st.Muted.Render(l))
		}
	}
	return out
}

// stripForSelect returns the plain text of row i: the selected row is
// drawn in one style so it reads as a bar.
func stripForSelect(_ string, p *picker, i int) string {
	if i < len(p.matches) {
		return p.rows[p.matches[i].row].text
	}
	return fmt.Sprintf("use “%s”", p.freeChoice())
}

func highlight(text string, idx []int, st *styles.Styles) string {
	if len(idx) == 0 {
		return text
	}
	var b strings.Builder
	j := 0
	for i, r := range text {
		if j < len(idx) && idx[j] == i {
			b.WriteString(st.Match.Render(string(r)))
			j++
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
