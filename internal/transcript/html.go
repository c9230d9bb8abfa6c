package transcript

import (
	"bufio"
	"bytes"
	"fmt"
	"html"
	"io"
	"net/url"
	"strings"
	"sync"

	"github.com/alecthomas/chroma/v2"
	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/alecthomas/chroma/v2/styles"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"

	"github.com/vaultchat/vaultchat/internal/attach"
	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/sanitize"
)

// contentSecurityPolicy forbids everything but our inline styles: no
// script, no image, font or frame, nothing fetched from anywhere, even if
// something slipped through the escaping.
const contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'"

// embedPolicy is contentSecurityPolicy for a page with embedded images
// (--embed-images): data URLs only, never a fetch.
const embedPolicy = contentSecurityPolicy + "; img-src data:"

// writeHTML writes c as one self-contained HTML page: inline CSS with a
// light and a dark scheme, no script, no external asset. Messages are
// rendered from Markdown with every piece of raw HTML shown as text,
// links kept only for http, https and mailto, images shown as their alt
// text, and code highlighted with CSS classes.
// With embed non-nil, attached images are collected there in order and
// the page refers to each by imageRef(i), for Export to put the data URL
// in after the page is masked: masking would take a data URL for a long
// random run and cut it.
func writeHTML(w io.Writer, c *chat.Conversation, t totals, embed *[]chat.Attachment) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	title := oneLine(c.Title)
	if title == "" {
		title = "Untitled conversation"
	}
	esc := html.EscapeString

	bw.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	policy := contentSecurityPolicy
	if embed != nil {
		policy = embedPolicy
	}
	bw.WriteString("<meta http-equiv=\"Content-Security-Policy\" content=\"" + policy + "\">\n")
	bw.WriteString("<meta name=\"referrer\" content=\"no-referrer\">\n")
	bw.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	bw.WriteString("<meta name=\"color-scheme\" content=\"light dark\">\n")
	bw.WriteString("<meta name=\"generator\" content=\"vaultchat\">\n")
	bw.WriteString("<title>" + esc(title) + "</title>\n<style>\n" + pageCSS() + "</style>\n</head>\n<body>\n")

	bw.WriteString("<header class=\"doc\">\n<h1>" + esc(title) + "</h1>\n<dl class=\"facts\">\n")
	for _, f := range summaryFacts(c, t) {
		bw.WriteString("<dt>" + esc(f[0]) + "</dt><dd>" + esc(f[1]) + "</dd>\n")
	}
	bw.WriteString("</dl>\n</header>\n<main>\n")

	if c.SystemPrompt != "" {
		bw.WriteString("<section class=\"msg system-prompt\">\n<h2>System prompt</h2>\n<div class=\"content\">\n")
		if err := renderMarkdownHTML(bw, c.SystemPrompt); err != nil {
			return err
		}
		bw.WriteString("</div>\n</section>\n")
	}
	if r := c.Role; r != nil && r.Text != c.SystemPrompt {
		bw.WriteString("<section class=\"msg system-prompt\">\n<h2>Role " + esc(oneLine(r.Name)) + " (as the conversation started)</h2>\n<div class=\"content\">\n")
		if err := renderMarkdownHTML(bw, r.Text); err != nil {
			return err
		}
		bw.WriteString("</div>\n</section>\n")
	}
	for _, m := range c.Messages {
		if err := writeHTMLMessage(bw, m, "", embed); err != nil {
			return err
		}
	}
	bw.WriteString("</main>\n</body>\n</html>\n")
	return bw.Flush()
}

// writeHTMLMessage writes one message, then its sibling branches labeled
// inside version, as writeMDMessage.
func writeHTMLMessage(bw *bufio.Writer, m chat.Message, version string, embed *[]chat.Attachment) error {
	esc := html.EscapeString
	idAttr := ""
	if chat.ValidID(m.ID) {
		idAttr = " id=\"m-" + m.ID + "\""
	}
	facts := strings.Join(messageFacts(m), factSep)
	if m.Role == chat.RoleNote {
		bw.WriteString("<aside class=\"note\"" + idAttr + ">")
		bw.WriteString("<span class=\"meta\">Note")
		if facts != "" {
			bw.WriteString(factSep + esc(facts))
		}
		bw.WriteString("</span>\n<p>" + esc(strings.TrimRight(m.Content, "\n")) + "</p></aside>\n")
		return nil
	}
	class := "other"
	switch m.Role {
	case chat.RoleUser, chat.RoleAssistant, chat.RoleSystem:
		class = string(m.Role)
	}
	bw.WriteString("<article class=\"msg " + class + "\"" + idAttr + ">\n<h2>" + esc(roleLabel(m.Role)) + "</h2>\n")
	if facts != "" {
		bw.WriteString("<p class=\"meta\">" + esc(facts) + "</p>\n")
	}
	if e := errorLine(m); e != "" {
		bw.WriteString("<p class=\"error\"><strong>Error:</strong> " + esc(e) + "</p>\n")
	}
	if m.Content != "" {
		bw.WriteString("<div class=\"content\">\n")
		if err := renderMarkdownHTML(bw, m.Content); err != nil {
			return err
		}
		bw.WriteString("</div>\n")
	} else if errorLine(m) == "" && len(m.Attachments) == 0 {
		bw.WriteString("<p class=\"meta\">(no content)</p>\n")
	}
	for _, a := range m.Attachments {
		// Name, type and size only: a text file's content is in the
		// Markdown, text and JSON exports, and an image is embedded
		// only when asked for (it makes the page large).
		bw.WriteString("<p class=\"meta attachment\">Attachment: " + esc(attach.Describe(a)) + "</p>\n")
		if a.IsImage() && embed != nil {
			bw.WriteString("<p><img alt=\"" + esc(a.Name) + "\" src=\"" + imageRef(len(*embed)) + "\"></p>\n")
			*embed = append(*embed, a)
		}
	}
	bw.WriteString("</article>\n")
	for j, b := range m.Siblings {
		label := versionLabel(version, j)
		bw.WriteString("<section class=\"branch\">\n<p class=\"meta\">" + esc(branchHeading(label, j, len(m.Siblings))) + "</p>\n")
		for _, bm := range b.Messages {
			if err := writeHTMLMessage(bw, bm, label, embed); err != nil {
				return err
			}
		}
		bw.WriteString("<p class=\"meta\">" + esc(branchEnd(label)) + "</p>\n</section>\n")
	}
	return nil
}

// markdownHTML is the Markdown renderer for message content: CommonMark
// plus GFM tables, strikethrough, task lists and bare links, with our
// safe renderers taking over every node that could carry markup or a URL.
// Raw HTML stays off (goldmark's default); attribute syntax is not
// enabled, so Markdown cannot add attributes either.
var markdownHTML = sync.OnceValue(func() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.TaskList, extension.Linkify),
		goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(safeRenderer{}, 100))),
	)
})

// renderMarkdownHTML renders one message. goldmark decodes numeric
// character references, so "&#27;" would come out as a raw ESC: the
// output is passed through neutraliseHTML to catch what that decoding
// produced.
func renderMarkdownHTML(bw *bufio.Writer, src string) error {
	var buf bytes.Buffer
	if err := markdownHTML().Convert([]byte(src), &buf); err != nil {
		return err
	}
	bw.WriteString(neutraliseHTML(buf.String()))
	return nil
}

// neutraliseHTML replaces every character the sanitizer would change by
// the sanitizer's stand-in, HTML-escaped (its "<U+202E>" form must not
// become a tag). Markup is ASCII and never changes.
func neutraliseHTML(s string) string {
	if sanitize.String(s) == s {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for _, r := range s {
		if r < 0x80 && r >= 0x20 && r != 0x7f || r == '\n' || r == '\t' {
			b.WriteRune(r)
			continue
		}
		one := string(r)
		if safe := sanitize.String(one); safe != one {
			b.WriteString(html.EscapeString(safe))
			continue
		}
		b.WriteString(one)
	}
	return b.String()
}

// safeURL returns the href for a link destination, or false when the link
// must be inert: anything but an absolute http or https URL with a host,
// or a mailto URL. javascript:, data:, vbscript:, relative and
// protocol-relative URLs all become plain text.
func safeURL(dest string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(dest))
	if err != nil {
		return "", false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		if u.Host == "" {
			return "", false
		}
	case "mailto":
		if u.Opaque == "" {
			return "", false
		}
	default:
		return "", false
	}
	return u.String(), true
}

// safeRenderer renders the Markdown nodes that could otherwise emit
// markup or URLs from the message.
type safeRenderer struct{}

// RegisterFuncs implements renderer.NodeRenderer.
func (safeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindHeading, renderHeading)
	reg.Register(ast.KindLink, renderLink)
	reg.Register(ast.KindAutoLink, renderAutoLink)
	reg.Register(ast.KindImage, renderImage)
	reg.Register(ast.KindRawHTML, renderRawHTML)
	reg.Register(ast.KindHTMLBlock, renderHTMLBlock)
	reg.Register(ast.KindFencedCodeBlock, renderFencedCode)
	reg.Register(ast.KindCodeBlock, renderIndentedCode)
}

// renderHeading moves headings inside a message two levels down, below
// the page's h1 and the message's h2.
func renderHeading(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	level := min(node.(*ast.Heading).Level+2, 6)
	tag := "h" + string(rune('0'+level))
	if entering {
		w.WriteString("<" + tag + ">")
	} else {
		w.WriteString("</" + tag + ">\n")
	}
	return ast.WalkContinue, nil
}

const linkRel = ` rel="nofollow noopener noreferrer"`

// renderLink keeps a link only when its URL is safe; otherwise its text
// is rendered alone, as inert text.
func renderLink(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Link)
	href, ok := safeURL(string(n.Destination))
	switch {
	case !ok && entering:
		w.WriteString(`<span class="inert-link">`)
	case !ok:
		w.WriteString(`</span>`)
	case entering:
		w.WriteString(`<a href="` + html.EscapeString(href) + `"` + linkRel)
		if len(n.Title) > 0 {
			w.WriteString(` title="` + html.EscapeString(string(n.Title)) + `"`)
		}
		w.WriteString(">")
	default:
		w.WriteString("</a>")
	}
	return ast.WalkContinue, nil
}

func renderAutoLink(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.AutoLink)
	dest := string(n.URL(src))
	if n.AutoLinkType == ast.AutoLinkEmail && !strings.HasPrefix(strings.ToLower(dest), "mailto:") {
		dest = "mailto:" + dest
	}
	label := html.EscapeString(string(n.Label(src)))
	if href, ok := safeURL(dest); ok {
		w.WriteString(`<a href="` + html.EscapeString(href) + `"` + linkRel + `>` + label + `</a>`)
	} else {
		w.WriteString(`<span class="inert-link">` + label + `</span>`)
	}
	return ast.WalkSkipChildren, nil
}

// renderImage shows an image as "[image: alt]", linked when the URL is
// safe. Loading it would fetch an external asset (and the page's CSP
// would block it anyway).
func renderImage(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Image)
	href, ok := safeURL(string(n.Destination))
	if entering {
		if ok {
			w.WriteString(`<a class="image" href="` + html.EscapeString(href) + `"` + linkRel + `>[image: `)
		} else {
			w.WriteString(`<span class="image">[image: `)
		}
	} else if ok {
		w.WriteString("]</a>")
	} else {
		w.WriteString("]</span>")
	}
	return ast.WalkContinue, nil
}

// renderRawHTML shows inline HTML from a message as the text it is.
func renderRawHTML(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		n := node.(*ast.RawHTML)
		for i := 0; i < n.Segments.Len(); i++ {
			seg := n.Segments.At(i)
			w.WriteString(html.EscapeString(string(seg.Value(src))))
		}
	}
	return ast.WalkSkipChildren, nil
}

// renderHTMLBlock shows a block of HTML from a message as preformatted
// text.
func renderHTMLBlock(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.HTMLBlock)
	var text strings.Builder
	for i := 0; i < n.Lines().Len(); i++ {
		seg := n.Lines().At(i)
		text.Write(seg.Value(src))
	}
	if n.HasClosure() {
		text.Write(n.ClosureLine.Value(src))
	}
	w.WriteString(`<pre class="raw-html"><code>` + html.EscapeString(text.String()) + "</code></pre>\n")
	return ast.WalkSkipChildren, nil
}

func renderFencedCode(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.FencedCodeBlock)
	lang := ""
	if n.Info != nil {
		lang = string(n.Language(src))
	}
	writeCode(w, lang, codeText(n, src))
	return ast.WalkSkipChildren, nil
}

func renderIndentedCode(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		writeCode(w, "", codeText(node, src))
	}
	return ast.WalkSkipChildren, nil
}

func codeText(n ast.Node, src []byte) string {
	var b strings.Builder
	for i := 0; i < n.Lines().Len(); i++ {
		seg := n.Lines().At(i)
		b.Write(seg.Value(src))
	}
	return b.String()
}

// codeFormatter writes highlighted code with CSS classes; the classes'
// colours are in pageCSS, so nothing is inline and nothing is external.
var codeFormatter = chromahtml.New(chromahtml.WithClasses(true), chromahtml.TabWidth(4))

// writeCode writes a code block, highlighted when the fence names a
// language chroma knows. Tabs and trailing spaces are kept: the text is
// only HTML-escaped, inside <pre>.
func writeCode(w util.BufWriter, lang, code string) {
	if lang != "" {
		if lexer := lexers.Get(lang); lexer != nil {
			if it, err := chroma.Coalesce(lexer).Tokenise(nil, code); err == nil {
				var buf bytes.Buffer
				if codeFormatter.Format(&buf, styles.Get(lightStyle), it) == nil {
					w.Write(buf.Bytes())
					w.WriteByte('\n')
					return
				}
			}
		}
	}
	w.WriteString(`<pre class="chroma"><code>` + html.EscapeString(code) + "</code></pre>\n")
}

// The chroma styles for the two colour schemes.
const (
	lightStyle = "github"
	darkStyle  = "github-dark"
)

// pageCSS is the page's whole style sheet: our layout in light and dark,
// then chroma's classes for both schemes.
var pageCSS = sync.OnceValue(func() string {
	var b strings.Builder
	b.WriteString(baseCSS)
	var light, dark bytes.Buffer
	if codeFormatter.WriteCSS(&light, styles.Get(lightStyle)) == nil {
		b.Write(light.Bytes())
	}
	if codeFormatter.WriteCSS(&dark, styles.Get(darkStyle)) == nil {
		b.WriteString("@media (prefers-color-scheme: dark) {\n")
		b.Write(dark.Bytes())
		b.WriteString("}\n")
	}
	b.WriteString(".chroma { padding: .75rem 1rem; border-radius: 6px; overflow-x: auto; background-color: var(--code-bg); }\n")
	return b.String()
})

const baseCSS = `:root {
  color-scheme: light dark;
  --fg: #1f2328; --bg: #ffffff; --muted: #59636e; --border: #d1d9e0;
  --code-bg: #f6f8fa; --user-bg: #f6f8fa; --note-bg: #fff8c5; --note-border: #d4a72c;
  --error: #d1242f; --link: #0969da;
}
@media (prefers-color-scheme: dark) {
  :root {
    --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --border: #3d444d;
    --code-bg: #151b23; --user-bg: #151b23; --note-bg: #272115; --note-border: #9e6a03;
    --error: #f85149; --link: #4493f8;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 16px/1.6 system-ui, -apple-system, "Segoe UI", "Noto Sans", sans-serif; }
header.doc, main { max-width: 52rem; margin: 0 auto; padding: 0 1rem; }
header.doc { padding-top: 1.5rem; border-bottom: 1px solid var(--border); }
h1 { font-size: 1.6rem; margin: 0 0 .5rem; overflow-wrap: anywhere; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; color: var(--muted); font-size: .9rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.msg { padding: 1rem 0; border-bottom: 1px solid var(--border); overflow-wrap: anywhere; }
.msg.user { background: var(--user-bg); padding: 1rem; border-radius: 8px; margin: 1rem 0; border: 0; }
.msg h2 { font-size: 1rem; margin: 0; }
.meta { color: var(--muted); font-size: .85rem; margin: .1rem 0 .6rem; }
.error { color: var(--error); }
.content h3, .content h4, .content h5, .content h6 { margin: 1rem 0 .5rem; }
.note { margin: 1rem 0; padding: .5rem .9rem; background: var(--note-bg); border-left: 4px solid var(--note-border); border-radius: 4px; }
.note p { margin: .2rem 0 0; white-space: pre-wrap; }
.note .meta { display: block; margin: 0; }
a { color: var(--link); }
.inert-link { text-decoration: underline dotted; }
code { font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, monospace; font-size: .9em; }
:not(pre) > code { background: var(--code-bg); padding: .1em .3em; border-radius: 4px; }
pre { background: var(--code-bg); tab-size: 4; -moz-tab-size: 4; overflow-x: auto; overflow-wrap: normal; }
pre.raw-html { padding: .75rem 1rem; border-radius: 6px; }
table { border-collapse: collapse; display: block; overflow-x: auto; }
th, td { border: 1px solid var(--border); padding: .3rem .6rem; }
blockquote { margin: 0; padding: 0 1rem; color: var(--muted); border-left: 4px solid var(--border); }
`

// imageRef stands for embedded image i until Export puts its data URL
// in.
func imageRef(i int) string { return fmt.Sprintf("vaultchat-embedded-image-%d.", i) }
