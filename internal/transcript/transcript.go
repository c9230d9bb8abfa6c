// Package transcript exports conversations as Markdown, JSON, plain text or
// a self-contained HTML page, and imports them back from our JSON or from
// ChatGPT's data export (conversations.json).
//
// Every export is redacted and sanitized, whatever the stored conversation
// holds: each string passes through sanitize.String and then through the
// caller's redact.Redactor (a nil Redactor still masks key-shaped strings).
// Redaction runs last so that nothing the sanitizer does can leave a secret
// in the output.
//
// Exports are deterministic: the same conversation gives the same bytes,
// whatever the local time zone, so they can be diffed and kept in goldens.
// The JSON format is documented in docs/transcript-json.md; it is lossless,
// so export, import and export again gives identical bytes.
//
// Import is all or nothing: it parses and validates the whole input before
// returning any conversation, and refuses input over a size limit without
// reading all of it.
package transcript

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"io"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/vaultchat/vaultchat/internal/attach"
	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/internal/sanitize"
)

// Format is an export format.
type Format string

// Export formats.
const (
	Markdown Format = "md"
	JSON     Format = "json"
	Text     Format = "txt"
	HTML     Format = "html"
)

// Formats returns every export format, in the order a menu shows them.
func Formats() []Format { return []Format{Markdown, JSON, Text, HTML} }

// ParseFormat returns the format named by s: "md" (or "markdown"), "json",
// "txt" (or "text"), "html" (or "htm"), in any case, with or without a
// leading dot, so a file extension works too.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), ".")) {
	case "md", "markdown":
		return Markdown, nil
	case "json":
		return JSON, nil
	case "txt", "text":
		return Text, nil
	case "html", "htm":
		return HTML, nil
	}
	return "", fmt.Errorf("unknown export format %q (want md, json, txt or html)", s)
}

// Ext returns the file extension of f, without the dot.
func (f Format) Ext() string { return string(f) }

// String returns the format's name, as ParseFormat accepts it.
func (f Format) String() string { return string(f) }

// Options control an export.
type Options struct {
	// Redactor holds every secret of the unlocked vault; each is replaced
	// by its masked form wherever it appears. A nil Redactor still masks
	// strings shaped like provider keys.
	Redactor *redact.Redactor
	// AllBranches exports every message's sibling branches (replies a
	// regenerate replaced) after it; by default only the current branch
	// is exported.
	AllBranches bool
	// EmbedImages puts attached images into an HTML export (as data
	// URLs); by default it names them with their size only.
	EmbedImages bool
}

// Export writes c to w in format f, redacted and sanitized. It does not
// modify c. Nothing is written when f is unknown; a write error may leave
// partial output, so callers writing files should write to a temporary
// file and rename it.
func Export(w io.Writer, c *chat.Conversation, f Format, opts Options) error {
	if c == nil {
		return errors.New("export: nil conversation")
	}
	cc := cleanConversation(c, opts.Redactor, opts.AllBranches)
	t := headTotals(c, opts.Redactor)
	var err error
	switch f {
	case Markdown:
		err = writeMarkdown(w, cc, t)
	case JSON:
		err = writeJSON(w, cc, t)
	case Text:
		err = writeText(w, cc, t)
	case HTML:
		// Rendering can join what the Markdown kept apart ("s**k-…"
		// becomes "s<strong>k-…"): the page is masked again as a
		// browser shows it. (Markdown and text are written as cleaned,
		// and cleaning already reads text as it is displayed.)
		var buf bytes.Buffer
		var images *[]chat.Attachment
		if opts.EmbedImages {
			images = &[]chat.Attachment{}
		}
		if err = writeHTML(&buf, cc, t, images); err == nil {
			page := opts.Redactor.Displayed(buf.String())
			if images != nil {
				for i := range *images {
					page = strings.Replace(page, imageRef(i), html.EscapeString(attach.DataURL((*images)[i])), 1)
				}
			}
			_, err = io.WriteString(w, page)
		}
	default:
		return fmt.Errorf("export: unknown format %q", string(f))
	}
	if err != nil {
		return fmt.Errorf("export %s: %w", f, err)
	}
	return nil
}

// maxSlugLen bounds the file name stem FileName returns, in bytes.
const maxSlugLen = 60

// FileName returns a safe file name for c in format f: a lowercase ASCII
// slug of the title ("Café: ideas?" → "cafe-ideas.md"), at most 60
// characters before the extension, with accents folded and every other
// character turned into a dash. It falls back to a slug of the ID, then
// to "conversation". The result never contains a path separator, never
// starts with a dot or a dash, and avoids names Windows reserves. Making
// it unique in a directory is up to the caller.
func FileName(c *chat.Conversation, f Format) string {
	stem := ""
	if c != nil {
		stem = slug(c.Title)
		if stem == "" {
			stem = slug(c.ID)
		}
	}
	if stem == "" {
		stem = "conversation"
	}
	if windowsReserved[stem] {
		stem += "-chat"
	}
	return stem + "." + f.Ext()
}

// windowsReserved are device names that cannot be file names on Windows,
// whatever the extension.
var windowsReserved = map[string]bool{
	"con": true, "prn": true, "aux": true, "nul": true,
	"com1": true, "com2": true, "com3": true, "com4": true, "com5": true,
	"com6": true, "com7": true, "com8": true, "com9": true,
	"lpt1": true, "lpt2": true, "lpt3": true, "lpt4": true, "lpt5": true,
	"lpt6": true, "lpt7": true, "lpt8": true, "lpt9": true,
}

// latinLetters spells the Latin letters that NFKD does not split into a
// base letter and an accent, so that "Straße" is "strasse", not "stra-e".
var latinLetters = strings.NewReplacer(
	"ß", "ss", "ẞ", "SS", "æ", "ae", "Æ", "AE", "œ", "oe", "Œ", "OE",
	"ø", "o", "Ø", "O", "ł", "l", "Ł", "L", "đ", "d", "Đ", "D",
	"ð", "d", "Ð", "D", "þ", "th", "Þ", "TH", "ı", "i",
)

// slug folds s to lowercase ASCII letters and digits separated by single
// dashes, cut at a dash when longer than maxSlugLen.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(latinLetters.Replace(s)) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
		case r >= 'A' && r <= 'Z':
			r = unicode.ToLower(r)
		case unicode.Is(unicode.Mn, r):
			continue // a combining accent left by NFKD: "é" is "e" + U+0301
		default:
			dash = b.Len() > 0
			continue
		}
		if dash {
			b.WriteByte('-')
			dash = false
		}
		b.WriteRune(r)
	}
	out := b.String()
	if len(out) > maxSlugLen {
		out = out[:maxSlugLen]
		if i := strings.LastIndexByte(out, '-'); i > maxSlugLen/2 {
			out = out[:i]
		}
		out = strings.TrimRight(out, "-")
	}
	return out
}

// cleanConversation returns a deep copy of c with every string sanitized
// and redacted, with the messages' sibling branches only when branches
// is set. Exports render only from the copy.
func cleanConversation(c *chat.Conversation, r *redact.Redactor, branches bool) *chat.Conversation {
	clean := func(s string) string { return cleanText(r, s) }
	cc := &chat.Conversation{
		ID:           clean(c.ID),
		Title:        clean(c.Title),
		SystemPrompt: clean(c.SystemPrompt),
		Created:      c.Created,
		Updated:      c.Updated,
		Source:       clean(c.Source),
		Messages:     make([]chat.Message, len(c.Messages)),
	}
	if r := c.Role; r != nil {
		cr := chat.RoleRef{Name: clean(r.Name), Description: clean(r.Description), Text: clean(r.Text), Model: clean(r.Model), Key: clean(r.Key)}
		if r.Temperature != nil {
			temp := *r.Temperature
			cr.Temperature = &temp
		}
		cc.Role = &cr
	}
	if p := c.Parent; p != nil {
		cc.Parent = &chat.ForkRef{ConversationID: clean(p.ConversationID), MessageID: clean(p.MessageID), MessageNumber: p.MessageNumber}
	}
	for i, m := range c.Messages {
		cc.Messages[i] = cleanMessage(m, clean, branches)
	}
	return cc
}

// headTotals are the figures at the head of an export, made from the
// whole conversation: the versions a regenerate or an edit-and-resend
// replaced are written only with --all-branches, but what they spent is
// part of what the conversation spent.
func headTotals(c *chat.Conversation, r *redact.Redactor) totals {
	t := computeTotals(c)
	for i, k := range t.Keys {
		t.Keys[i] = cleanText(r, k)
	}
	for i, m := range t.Models {
		t.Models[i] = cleanText(r, m)
	}
	return t
}

// cleanMessage is cleanConversation for one message and, with branches,
// its sibling branches.
func cleanMessage(m chat.Message, clean func(string) string, branches bool) chat.Message {
	m.ID = clean(m.ID)
	m.Role = chat.Role(clean(string(m.Role)))
	m.Content = clean(m.Content)
	if len(m.Attachments) > 0 {
		atts := make([]chat.Attachment, len(m.Attachments))
		for k, a := range m.Attachments {
			a.Name, a.MediaType, a.Text = clean(a.Name), clean(a.MediaType), clean(a.Text)
			a.Data = bytes.Clone(a.Data)
			atts[k] = a
		}
		m.Attachments = atts
	}
	if m.Turn != nil {
		t := m.Turn.Cleaned(clean)
		m.Turn = &t
	}
	if !branches || len(m.Siblings) == 0 {
		m.Siblings = nil
		return m
	}
	sibs := make([]chat.Branch, len(m.Siblings))
	for j, b := range m.Siblings {
		sibs[j].Messages = make([]chat.Message, len(b.Messages))
		for k, bm := range b.Messages {
			sibs[j].Messages[k] = cleanMessage(bm, clean, branches)
		}
	}
	m.Siblings = sibs
	return m
}

// cleanText sanitizes s and then redacts it, secrets disguised in Markdown
// or HTML included (redact.Displayed). Redaction comes last so that
// nothing the sanitizer changes can leave a secret behind.
func cleanText(r *redact.Redactor, s string) string {
	if s == "" {
		return s
	}
	return r.Displayed(sanitize.String(s))
}
