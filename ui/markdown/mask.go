package markdown

import (
	"slices"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/internal/sanitize"
)

// maskRendered masks key-shaped strings in rendered lines as they read on
// screen: after the renderer has decoded entities, dropped backslash
// escapes, turned emphasis into styles and wrapped long words over several
// lines, a key masked nowhere in the source can appear whole. The lines'
// visible text (styling stripped, margins and padding trimmed, a line that
// ends inside a word joined to the next) is matched with
// redact.DisplayedSpans, and each key found is replaced on screen by its
// masked form. The renderer never sees vault secrets, so only key-shaped
// strings are caught here; secrets were masked by value before the text
// was stored.
func maskRendered(lines []string) []string {
	type seg struct {
		vis        string // visible text of the line
		left       int    // bytes of margin before the text
		start, end int    // where the text is in joined
	}
	segs := make([]seg, len(lines))
	var joined strings.Builder
	for i, l := range lines {
		vis := visible(l)
		text := trimPadding(vis)
		trimmed := strings.TrimLeft(text, " ")
		left := len(text) - len(trimmed)
		if i > 0 && !(endsInWord(joined.String()) && startsWord(trimmed)) {
			joined.WriteByte('\n')
		}
		segs[i] = seg{vis: vis, left: left, start: joined.Len()}
		joined.WriteString(trimmed)
		segs[i].end = joined.Len()
	}
	spans := (*redact.Redactor)(nil).DisplayedSpans(joined.String())
	if len(spans) == 0 {
		return lines
	}
	out := slices.Clone(lines)
	edits := make([][]edit, len(lines))
	for _, sp := range spans {
		first := true
		for i, s := range segs {
			from, to := max(sp.Start, s.start), min(sp.End, s.end)
			if from >= to {
				continue
			}
			e := edit{
				from: ansi.StringWidth(s.vis[:s.left+from-s.start]),
				to:   ansi.StringWidth(s.vis[:s.left+to-s.start]),
			}
			if first {
				e.insert, first = sp.Mask, false
			}
			edits[i] = append(edits[i], e)
		}
	}
	kept := out[:0]
	for i, l := range out {
		// Right to left, so earlier columns stay valid.
		for j := len(edits[i]) - 1; j >= 0; j-- {
			e := edits[i][j]
			l = ansi.Truncate(l, e.from, "") + e.insert + ansi.TruncateLeft(l, e.to, "")
		}
		if len(edits[i]) > 0 && isBlankRendered(l) {
			continue // the line held nothing but part of a key
		}
		kept = append(kept, l)
	}
	return kept
}

// visible returns line without its escape sequences: glamour writes SGR
// styles (CSI) and OSC 8 hyperlinks. It is ansi.Strip for that output, and
// several times faster, which matters because it runs on every render.
func visible(line string) string {
	i := strings.IndexByte(line, 0x1b)
	if i < 0 {
		return line
	}
	var b strings.Builder
	b.Grow(len(line) / 2)
	for i >= 0 {
		b.WriteString(line[:i])
		line = line[i+sanitize.EscapeLen(line[i:]):]
		i = strings.IndexByte(line, 0x1b)
	}
	b.WriteString(line)
	return b.String()
}

// trimPadding removes the spaces and no-break spaces glamour pads lines
// with.
func trimPadding(s string) string {
	for {
		switch {
		case strings.HasSuffix(s, " "):
			s = s[:len(s)-1]
		case strings.HasSuffix(s, "\u00a0"):
			s = s[:len(s)-2]
		default:
			return s
		}
	}
}

// edit replaces the cells [from, to) of a styled line with insert.
type edit struct {
	from, to int
	insert   string
}

func endsInWord(s string) bool { return s != "" && isWordByte(s[len(s)-1]) }

func startsWord(s string) bool { return s != "" && isWordByte(s[0]) }

// isWordByte reports whether c is a key character: a wrapped line ending
// and the next starting with one may be one key cut in two.
func isWordByte(c byte) bool {
	return c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// MaskSource masks the key-shaped strings of src, plain or disguised, as
// Render's screen shows them masked: what leaves the app as text (the
// clipboard) follows the screen's rule. Like Render it sees no vault
// secrets; those were masked by value before the text reached the ui.
func MaskSource(src string) string {
	if !redact.MayShowKey(src) {
		return src
	}
	return maskKeys(src)
}

// maskKeys is MaskSource for text redact.MayShowKey already flagged.
func maskKeys(src string) string { return (*redact.Redactor)(nil).Displayed(src) }
