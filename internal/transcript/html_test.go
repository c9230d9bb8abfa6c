package transcript

import (
	"bytes"
	"io"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// allowedTags are the only elements an HTML export may contain: our page
// structure and what Markdown renders to. No script, no embedded or
// external content, no forms.
var allowedTags = map[string]bool{
	"html": true, "head": true, "meta": true, "title": true, "style": true, "body": true,
	"header": true, "main": true, "section": true, "article": true, "aside": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"dl": true, "dt": true, "dd": true, "p": true, "div": true, "span": true,
	"strong": true, "em": true, "del": true, "code": true, "pre": true, "a": true,
	"ul": true, "ol": true, "li": true, "blockquote": true, "hr": true, "br": true,
	"table": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true,
	"input": true, // GFM task list checkboxes, always disabled
}

// allowedAttrs are the only attributes, by name.
var allowedAttrs = map[string]bool{
	"lang": true, "charset": true, "http-equiv": true, "name": true, "content": true,
	"class": true, "id": true, "href": true, "rel": true, "title": true, "style": true,
	"start": true, "checked": true, "disabled": true, "type": true, "tabindex": true,
}

var cellStyle = regexp.MustCompile(`^text-align:(left|right|center)$`)

// checkHTMLSafe parses an HTML export the way a browser's tokenizer does
// and fails on anything that could run code or fetch something.
func checkHTMLSafe(t *testing.T, doc []byte) {
	t.Helper()
	lower := strings.ToLower(string(doc))
	if strings.Contains(lower, "<script") {
		t.Errorf("output contains <script")
	}
	if !strings.Contains(string(doc), `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`) {
		t.Errorf("output lacks the Content-Security-Policy")
	}
	z := html.NewTokenizer(bytes.NewReader(doc))
	styles := 0
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				t.Fatalf("tokenize: %v", z.Err())
			}
			break
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		if !allowedTags[tok.Data] {
			t.Errorf("element <%s> in output", tok.Data)
		}
		if tok.Data == "style" {
			styles++
		}
		for _, a := range tok.Attr {
			name, val := strings.ToLower(a.Key), a.Val
			switch {
			case strings.HasPrefix(name, "on"):
				t.Errorf("event attribute %s=%q on <%s>", name, val, tok.Data)
			case !allowedAttrs[name]:
				t.Errorf("attribute %s=%q on <%s>", name, val, tok.Data)
			case name == "href":
				u, err := url.Parse(val)
				ok := err == nil && (u.Scheme == "mailto" && u.Opaque != "" || (u.Scheme == "http" || u.Scheme == "https") && u.Host != "")
				if !ok {
					t.Errorf("unsafe href %q", val)
				}
			case name == "style" && !cellStyle.MatchString(val):
				t.Errorf("style attribute %q", val)
			case name == "type" && val != "checkbox":
				t.Errorf("type=%q", val)
			case strings.Contains(strings.ToLower(val), "javascript:"):
				t.Errorf("attribute %s=%q holds javascript:", name, val)
			}
		}
	}
	if styles != 1 {
		t.Errorf("%d <style> elements, want our one", styles)
	}
}

func TestHTMLFixtureSafe(t *testing.T) {
	out := export(t, loadFixture(t), HTML, nil)
	checkHTMLSafe(t, out)
	s := string(out)
	// The payload is there, as text.
	for _, want := range []string{
		"&lt;script&gt;alert(1)&lt;/script&gt;",
		"&lt;img src=x onerror=alert(1)&gt;",
		`<span class="inert-link">click</span>`,
		`<span class="inert-link">entity</span>`,
		"@media (prefers-color-scheme: dark)",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(s, "http://") && !strings.Contains(s, `href="http://www.example.org"`) {
		t.Error("unexpected http:// URL")
	}
}

// injectionPayloads are ways to sneak markup, script or a fetch through
// Markdown. Each must come out inert wherever it appears.
var injectionPayloads = []string{
	"<script>alert(1)</script>",
	"<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
	"<scr<script>ipt>alert(1)</script>",
	"<img src=x onerror=alert(1)>",
	"text <img src=x onerror=alert(1)> text",
	"<svg onload=alert(1)>",
	"<a href=\"javascript:alert(1)\">x</a>",
	"[x](javascript:alert(1))",
	"[x]( javascript:alert(1) )",
	"[x](<javascript:alert(1)>)",
	"[x](JAVASCRIPT:alert(1))",
	"[x](&#x6A;avascript:alert(1))",
	"[x](&#106;&#97;vascript:alert(1))",
	"[x](java&#09;script:alert(1))",
	"[x](vbscript:msgbox(1))",
	"[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
	"[x](//evil.example/)",
	"[x](/relative/path)",
	"[x](file:///etc/passwd)",
	"![x](javascript:alert(1))",
	"![tracker](http://evil.example/pixel.png)",
	"<javascript:alert(1)>",
	"[ref]\n\n[ref]: javascript:alert(1)",
	"```html\n<script>alert(1)</script>\n```",
	"```\" onload=\"alert(1)\nx\n```",
	"    <script>alert(1)</script>",
	"`<script>alert(1)</script>`",
	"<style>body{display:none}</style>",
	"<iframe src=\"https://evil.example\"></iframe>",
	"<!-- comment --><p onclick=x>",
	"<?php echo 1; ?>",
	"<![CDATA[<script>alert(1)</script>]]>",
	"x <b onmouseover=alert(1)>bold</b> y",
	"[x](https://ok.example/\"onmouseover=\"alert(1))",
	"[x](https://ok.example/ \"t\\\" onmouseover=\\\"alert(1)\")",
	"| a |\n|---|\n| <script>alert(1)</script> |",
	"www.example.com/<script>alert(1)</script>",
	"&lt;script&gt;alert(1)&lt;/script&gt;",
	"&#60;script&#62;alert(1)&#60;/script&#62;",
	"# <img src=x onerror=alert(1)>",
	"- [x] <input type=text autofocus onfocus=alert(1)>",
	"<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
	"<base href=\"https://evil.example/\">",
	"<form action=\"https://evil.example\"><button>x</button></form>",
	"\x1b]8;;javascript:alert(1)\x07link\x1b]8;;\x07",
}

// payloadConversation puts s in every place an export shows text.
func payloadConversation(s string) *chat.Conversation {
	return &chat.Conversation{
		ID: "payload", Title: s, SystemPrompt: s, Source: s,
		Messages: []chat.Message{
			{ID: s, Role: chat.RoleUser, Content: s},
			{Role: chat.RoleNote, Content: s},
			{Role: chat.Role(s), Content: s},
			{Role: chat.RoleAssistant, Content: s, Turn: &chat.Turn{
				KeyName: s, Model: s, IncompleteReason: s, Incomplete: true,
				Error: &chat.Error{Class: chat.ErrorClass(s), Message: s, Hint: s},
			}},
		},
	}
}

func TestHTMLInjectionPayloads(t *testing.T) {
	for _, p := range injectionPayloads {
		t.Run(p, func(t *testing.T) {
			checkHTMLSafe(t, export(t, payloadConversation(p), HTML, nil))
		})
	}
}

func TestSafeURL(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"https://example.com/a?b=1&c=2", "https://example.com/a?b=1&c=2", true},
		{"HTTP://Example.com", "http://Example.com", true},
		{"mailto:a@example.com", "mailto:a@example.com", true},
		{"https://example.com/a b", "https://example.com/a%20b", true},
		{"javascript:alert(1)", "", false},
		{" JavaScript:alert(1)", "", false},
		{"data:text/html,x", "", false},
		{"vbscript:x", "", false},
		{"//evil.example/", "", false},
		{"/relative", "", false},
		{"#top", "", false},
		{"https:///nohost", "", false},
		{"mailto:", "", false},
		{"ftp://example.com", "", false},
		{"https://exa\x00mple.com", "", false},
	}
	for _, tt := range tests {
		got, ok := safeURL(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("safeURL(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzExportHTML checks the HTML invariants on arbitrary message text.
func FuzzExportHTML(f *testing.F) {
	for _, p := range injectionPayloads {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var buf bytes.Buffer
		if err := Export(&buf, payloadConversation(s), HTML, Options{}); err != nil {
			t.Fatal(err)
		}
		checkHTMLSafe(t, buf.Bytes())
	})
}

// TestExportPayloadsAllFormats runs every payload through every format:
// no error, valid UTF-8, no terminal control characters.
func TestExportPayloadsAllFormats(t *testing.T) {
	payloads := append([]string{"日本", "\xff\xfe invalid", "\r\n", "a\u2028b", ""}, injectionPayloads...)
	for _, p := range payloads {
		for _, f := range Formats() {
			out := export(t, payloadConversation(p), f, nil)
			if !utf8.Valid(out) {
				t.Errorf("%s, %q: invalid UTF-8", f, p)
			}
			if i := bytes.IndexFunc(out, func(r rune) bool {
				return r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 || r == '\u2028' || r == '\u202e'
			}); i >= 0 {
				t.Errorf("%s, %q: control character at byte %d", f, p, i)
			}
		}
	}
}
