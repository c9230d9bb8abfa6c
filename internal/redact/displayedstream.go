package redact

import "strings"

// maxHeldWord bounds what a DisplayedStream holds back: a run of text
// without a space this long is no key (the stream redactor upstream masks
// runs of key letters from 512 on) and goes out masked as it is.
const maxHeldWord = 4 << 10

// DisplayedStream is Displayed for text that arrives in pieces and is
// shown as it is, without rendering (ask's plain and --raw output): a key
// disguised with Markdown escapes, entities, emphasis or invisible
// characters is read as the key there too. A key holds no whitespace, and
// neither does any disguise of one, so the stream holds back only the
// last word of what arrived and masks everything before it with
// Displayed. Text without a space between words is released once it is
// maxHeldWord long.
type DisplayedStream struct {
	r       *Redactor
	pending strings.Builder
}

// DisplayedStream returns a stream that masks with r.
func (r *Redactor) DisplayedStream() *DisplayedStream { return &DisplayedStream{r: r} }

// Write adds piece and returns the text that can be shown now, masked.
func (d *DisplayedStream) Write(piece string) string {
	d.pending.WriteString(piece)
	s := d.pending.String()
	cut := strings.LastIndexAny(s, " \t\r\n") + 1
	if len(s)-cut >= maxHeldWord {
		cut = len(s)
	}
	if cut == 0 {
		return ""
	}
	d.pending.Reset()
	d.pending.WriteString(s[cut:])
	return d.r.Displayed(s[:cut])
}

// Flush returns what is held back, masked: the end of the text.
func (d *DisplayedStream) Flush() string {
	s := d.pending.String()
	d.pending.Reset()
	return d.r.Displayed(s)
}
