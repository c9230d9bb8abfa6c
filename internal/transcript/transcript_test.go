package transcript

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/redact"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixtureCanary is the vault secret registered for the fixture in
// testdata/conversation.json; it is not key-shaped, so only value-based
// redaction can catch it.
const fixtureCanary = "VAULTCANARY-7Q2mX9pL4tR8zW"

// fixtureFakeKey is the key-shaped string in the fixture's injection
// payload, built here so that it is spelled out only in testdata.
var fixtureFakeKey = "sk-proj-" + "CANARYfake0123456789abcd"

func loadFixture(t testing.TB) *chat.Conversation {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "conversation.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c chat.Conversation
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return &c
}

func export(t testing.TB, c *chat.Conversation, f Format, r *redact.Redactor) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Export(&buf, c, f, Options{Redactor: r}); err != nil {
		t.Fatalf("export %s: %v", f, err)
	}
	return buf.Bytes()
}

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < max(len(gl), len(wl)); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs from the golden file at line %d:\n got: %q\nwant: %q\n(run go test -update and review the diff)", name, i+1, g, w)
			}
		}
		t.Fatalf("%s differs from the golden file", name)
	}
}

func TestExportGolden(t *testing.T) {
	c := loadFixture(t)
	r := redact.New(fixtureCanary)
	for _, f := range Formats() {
		t.Run(string(f), func(t *testing.T) {
			got := export(t, c, f, r)
			checkGolden(t, "conversation."+f.Ext()+".golden", got)
			// Deterministic whatever the local zone.
			old := time.Local
			time.Local = time.FixedZone("elsewhere", -7*3600)
			again := export(t, c, f, r)
			time.Local = old
			if !bytes.Equal(got, again) {
				t.Fatal("a second export (in another time zone) differs from the first")
			}
		})
	}
}

func TestExportKeepsCodeBytes(t *testing.T) {
	c := loadFixture(t)
	// The fixture's code lines, with their tabs and trailing spaces.
	lines := []string{
		"\treturn strings.Split(line, \"\\t\")   ",
		"\tr.Comma = '\\t'   ",
		"\treturn r.Read()  ",
		"| `\"a\\tb\"\\tc` | 3 fields | 2 fields |",
	}
	for _, f := range []Format{Markdown, Text} {
		out := string(export(t, c, f, nil))
		for _, l := range lines {
			if !strings.Contains(out, "\n"+l+"\n") {
				t.Errorf("%s: line %q not kept byte for byte", f, l)
			}
		}
	}
	out := string(export(t, c, JSON, nil))
	if !strings.Contains(out, `\treturn r.Read()  \n`) {
		t.Error("json: code line with a tab and trailing spaces not kept")
	}
}

func TestExportDoesNotModifyConversation(t *testing.T) {
	c := loadFixture(t)
	before := loadFixture(t)
	for _, f := range Formats() {
		export(t, c, f, redact.New(fixtureCanary))
	}
	if !reflect.DeepEqual(c, before) {
		t.Fatal("Export modified the conversation")
	}
}

func TestExportUnknownFormat(t *testing.T) {
	var buf bytes.Buffer
	err := Export(&buf, loadFixture(t), Format("pdf"), Options{})
	if err == nil || !strings.Contains(err.Error(), `unknown format "pdf"`) {
		t.Fatalf("err = %v", err)
	}
	if buf.Len() != 0 {
		t.Fatal("wrote output for an unknown format")
	}
	if err := Export(&buf, nil, JSON, Options{}); err == nil {
		t.Fatal("nil conversation: no error")
	}
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// TestRedactionCanary plants a fresh vault secret and a fresh key-shaped
// string in every text field, and checks that no export holds either.
func TestRedactionCanary(t *testing.T) {
	secret := "canary-" + randomHex(t, 12)           // only value-based redaction catches this
	keyShaped := "sk-proj-CANARY" + randomHex(t, 12) // caught even without the vault
	plant := func(s string) string { return s + " " + secret + " " + keyShaped }

	c := loadFixture(t)
	c.Title = plant(c.Title)
	c.SystemPrompt = plant(c.SystemPrompt)
	c.Source = plant("imported")
	for i := range c.Messages {
		m := &c.Messages[i]
		m.Content = plant(m.Content)
		if m.Turn != nil {
			m.Turn.KeyName = plant(m.Turn.KeyName)
			m.Turn.Model = plant(m.Turn.Model)
			m.Turn.IncompleteReason = plant(m.Turn.IncompleteReason)
			if m.Turn.Error != nil {
				m.Turn.Error.Message = plant(m.Turn.Error.Message)
				m.Turn.Error.Hint = plant(m.Turn.Error.Hint)
			}
		}
	}
	// Inside a code block too: code is kept byte for byte, secrets are not.
	c.Messages[0].Content += "\n```\nexport OPENAI_API_KEY=" + secret + "\n```\n"

	r := redact.New(secret, fixtureCanary)
	for _, f := range Formats() {
		out := string(export(t, c, f, r))
		for _, bad := range []string{secret, keyShaped, fixtureCanary, fixtureFakeKey} {
			if strings.Contains(out, bad) {
				t.Errorf("%s export contains the canary %q", f, bad)
			}
		}
		if !strings.Contains(out, redact.Mask(secret)) || !strings.Contains(out, redact.Mask(keyShaped)) {
			t.Errorf("%s export does not show the masked forms", f)
		}
	}
	// The import side redacts too.
	js := export(t, c, JSON, nil) // the key-shaped one is masked, the secret is not
	if !strings.Contains(string(js), secret) {
		t.Fatal("without the vault's Redactor the secret cannot be known; test setup is wrong")
	}
	res, err := Import(bytes.NewReader(js), "x.json", ImportOptions{Redactor: r})
	if err != nil {
		t.Fatal(err)
	}
	again := export(t, res.Conversations[0], JSON, nil)
	if strings.Contains(string(again), secret) {
		t.Fatal("import did not redact the vault secret")
	}
}

// TestExportSanitized checks that no export carries a terminal control
// or a text-reordering character from the fixture's payload.
func TestExportSanitized(t *testing.T) {
	c := loadFixture(t)
	for _, f := range Formats() {
		out := export(t, c, f, nil)
		if !utf8.Valid(out) {
			t.Errorf("%s: output is not valid UTF-8", f)
		}
		for i, r := range string(out) {
			if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 || r == '\u202e' || r == '\u202c' {
				t.Errorf("%s: control character %U at byte %d", f, r, i)
				break
			}
		}
	}
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in   string
		want Format
		ok   bool
	}{
		{"md", Markdown, true},
		{"Markdown", Markdown, true},
		{".md", Markdown, true},
		{"json", JSON, true},
		{"JSON", JSON, true},
		{"txt", Text, true},
		{"text", Text, true},
		{"html", HTML, true},
		{".htm", HTML, true},
		{"pdf", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, err := ParseFormat(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	for _, f := range Formats() {
		if got, err := ParseFormat(f.Ext()); err != nil || got != f {
			t.Errorf("ParseFormat(%q.Ext()) = %q, %v", f, got, err)
		}
	}
}

func TestFileName(t *testing.T) {
	long := strings.Repeat("word ", 40)
	tests := []struct {
		title, id string
		f         Format
		want      string
	}{
		{"Fixing the \"flaky\" CSV parser", "x", Markdown, "fixing-the-flaky-csv-parser.md"},
		{"Café: crème brûlée?", "x", JSON, "cafe-creme-brulee.json"},
		{"Straße flock timeout, Ærø, Łódź", "x", Markdown, "strasse-flock-timeout-aero-lodz.md"},
		{"../../etc/passwd", "x", Text, "etc-passwd.txt"},
		{`C:\Windows\system32`, "x", HTML, "c-windows-system32.html"},
		{"日本語のタイトル", "20250314-092653-a1b2c3", Markdown, "20250314-092653-a1b2c3.md"},
		{"🙂🙂", "", Markdown, "conversation.md"},
		{"", "", JSON, "conversation.json"},
		{"...", ".hidden", Markdown, "hidden.md"},
		{"CON", "x", Text, "con-chat.txt"},
		{"  --Hello--World--  ", "x", Text, "hello-world.txt"},
		{"\x1b]0;title\x07", "x", Text, "0-title.txt"},
		{long, "x", Markdown, strings.TrimSuffix(strings.Repeat("word-", 12), "-") + ".md"},
	}
	for _, tt := range tests {
		got := FileName(&chat.Conversation{Title: tt.title, ID: tt.id}, tt.f)
		if got != tt.want {
			t.Errorf("FileName(%q, %q) = %q, want %q", tt.title, tt.id, got, tt.want)
		}
		if len(got) > maxSlugLen+len(".html") || strings.ContainsAny(got, `/\:*?"<>|`) || strings.HasPrefix(got, ".") || strings.HasPrefix(got, "-") {
			t.Errorf("FileName(%q) = %q is not a safe name", tt.title, got)
		}
	}
	if got := FileName(nil, JSON); got != "conversation.json" {
		t.Errorf("FileName(nil) = %q", got)
	}
}

func TestYAMLQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", `"plain"`},
		{`say "hi"`, `"say \"hi\""`},
		{`back\slash`, `"back\\slash"`},
		{"two\nlines\ttab", `"two\nlines\ttab"`},
		{"no", `"no"`},
		{"- item: x # c", `"- item: x # c"`},
		{"日本語 🙂", `"日本語 🙂"`},
		{"esc\x1b bell\x07 del\x7f", `"esc\u001B bell\u0007 del\u007F"`},
		{"sep\u2028par\u2029bom\ufeff", `"sep\u2028par\u2029bom\uFEFF"`},
	}
	for _, tt := range tests {
		if got := yamlQuote(tt.in); got != tt.want {
			t.Errorf("yamlQuote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestMarkdownClosesOpenFence(t *testing.T) {
	c := &chat.Conversation{ID: "c1", Title: "t", Messages: []chat.Message{
		{Role: chat.RoleAssistant, Content: "Start:\n\n  ~~~~python\nprint(1)", Turn: &chat.Turn{Incomplete: true, IncompleteReason: "canceled"}},
		{Role: chat.RoleUser, Content: "next"},
	}}
	out := string(export(t, c, Markdown, nil))
	if !strings.Contains(out, "print(1)\n  ~~~~\n\n## User\n") {
		t.Fatalf("open fence not closed before the next heading:\n%s", out)
	}
	// A closed fence gets nothing added.
	c.Messages[0].Content = "```\ncode\n```"
	out = string(export(t, c, Markdown, nil))
	if strings.Count(out, "```") != 2 {
		t.Fatalf("closed fence changed:\n%s", out)
	}
}

func TestFormatting(t *testing.T) {
	tests := []struct{ got, want string }{
		{formatDuration(4250 * time.Millisecond), "4.3s"},
		{formatDuration(812 * time.Millisecond), "812ms"},
		{formatDuration(75 * time.Second), "1m15s"},
		{humanBytes(512 << 20), "512 MiB"},
		{humanBytes(2 << 30), "2 GiB"},
		{humanBytes(1000), "1000 bytes"},
		{joinAnd([]string{"a", "b", "c"}), "a, b and c"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("case %d: got %q, want %q", i, tt.got, tt.want)
		}
	}
}

func TestReferenceSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain & simple", "plain & simple"},
		{"esc &#27;[31m red", "esc &amp;#27;[31m red"},
		{"bidi &#x202E; and &lrm;", "bidi &amp;#x202E; and &amp;lrm;"},
		{"ok &amp; &lt;b&gt; &#65;", "ok &amp; &lt;b&gt; &#65;"},
		{"```\n&#27; in code\n```\n&#27; after", "```\n&#27; in code\n```\n&amp;#27; after"},
		{"before &#27;\n~~~\n&#27;", "before &amp;#27;\n~~~\n&#27;"},
		// Lines CommonMark does not read as fences: the prose after
		// them is prose, and its references are decoded by renderers.
		{"    ```\n&#27;[2J after indented code", "    ```\n&amp;#27;[2J after indented code"},
		{"\t```\n&#27;[2J after a tab", "\t```\n&amp;#27;[2J after a tab"},
		{"```js`x\n&#27;[2J", "```js`x\n&amp;#27;[2J"},
		// A closing fence indented four spaces is code: the block goes on.
		{"```\n    ```\n&#27; still code", "```\n    ```\n&#27; still code"},
	}
	for _, tt := range tests {
		if got := referenceSafe(tt.in); got != tt.want {
			t.Errorf("referenceSafe(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
