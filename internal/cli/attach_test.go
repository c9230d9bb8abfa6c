package cli

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// pngBytes is the start of a PNG file: enough for content sniffing.
var pngBytes = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 40)...)

// chatBody is the part of a chat request body the attachment tests read.
type chatBody struct {
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
}

func TestAskAttachesTextAndImages(t *testing.T) {
	s, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.addSimKey("work", url)
	notes := filepath.Join(e.dir, "notes.md")
	os.WriteFile(notes, []byte("line one\n```sh\nls\n```\n"), 0o600)
	pic := filepath.Join(e.dir, "screen.bin") // the bytes say png, not the name
	os.WriteFile(pic, pngBytes, 0o600)

	got := e.askJSON(tty{}, "-f", notes, "--file", pic, "what is in these?")
	reqs := testkit.ChatRequests(s)
	var body chatBody
	if err := json.Unmarshal(reqs[len(reqs)-1].Body, &body); err != nil {
		t.Fatalf("request body: %v", err)
	}
	last := body.Messages[len(body.Messages)-1]
	var parts []struct {
		Type     string `json:"type"`
		Text     string `json:"text"`
		ImageURL struct {
			URL string `json:"url"`
		} `json:"image_url"`
	}
	if err := json.Unmarshal(last.Content, &parts); err != nil || len(parts) != 2 {
		t.Fatalf("user content is not a text part and an image part: %v\n%s", err, last.Content)
	}
	if parts[0].Type != "text" || !strings.HasPrefix(parts[0].Text, "what is in these?\n\nFile notes.md:\n````\nline one\n```sh") {
		t.Errorf("text part = %q", parts[0].Text)
	}
	if want := "data:image/png;base64," + base64.StdEncoding.EncodeToString(pngBytes); parts[1].Type != "image_url" || parts[1].ImageURL.URL != want {
		t.Errorf("image part = %+v", parts[1])
	}

	// Stored inside the conversation, and shown by the exports.
	conv := e.load(got.ConversationID)
	atts := conv.Messages[0].Attachments
	if len(atts) != 2 || atts[0].Name != "notes.md" || atts[1].MediaType != "image/png" || string(atts[1].Data) != string(pngBytes) {
		t.Fatalf("stored attachments = %+v", atts)
	}
	md := e.mustRun(tty{}, "export", got.ConversationID).stdout
	wantContains(t, "markdown", md, "Attachment: notes.md · text · 22 B", "line one", "Attachment: screen.bin · image/png · 56 B")
	html := e.mustRun(tty{}, "export", got.ConversationID, "-f", "html").stdout
	if strings.Contains(html, "<img") || !strings.Contains(html, "screen.bin · image/png · 56 B") {
		t.Errorf("html without --embed-images embeds the image or lacks its chip")
	}
	html = e.mustRun(tty{}, "export", got.ConversationID, "-f", "html", "--embed-images").stdout
	wantContains(t, "html --embed-images", html, `<img alt="screen.bin" src="data:image/png;base64,`+base64.StdEncoding.EncodeToString(pngBytes)+`">`, "img-src data:")

	// A text-only attachment keeps the plain string form.
	e.askJSON(tty{}, "-f", notes, "only text")
	reqs = testkit.ChatRequests(s)
	msgs := reqs[len(reqs)-1].Messages
	if c := msgs[len(msgs)-1].Content; !strings.HasPrefix(c, "only text\n\nFile notes.md:") {
		t.Errorf("text attachment sent as %q", c)
	}
}

func TestAskRefusesBadAttachmentsBeforeSending(t *testing.T) {
	s, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	secret := e.addSimKey("work", url)
	e.writeConfig("[attachments]\nmax_file_mib = 1\nmax_turn_mib = 2\n")
	write := func(name string, data []byte) string {
		p := filepath.Join(e.dir, name)
		os.WriteFile(p, data, 0o600)
		return p
	}
	big := strings.Repeat("x", 1<<20+1)
	half := strings.Repeat("y", 800<<10)
	cases := []struct {
		name  string
		files []string
		want  string
	}{
		{"binary", []string{write("tool", []byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0})}, "it is a binary file"},
		{"latin-1", []string{write("latin1.txt", []byte("caf\xe9 latin1\n"))}, "attach latin1.txt: not UTF-8 text (byte 0xE9 at line 1)"},
		{"too large", []string{write("big.txt", []byte(big))}, "over the limit of 1.0 MiB a file"},
		{"turn too large", []string{write("a.txt", []byte(half)), write("b.txt", []byte(half)), write("c.txt", []byte(half))}, "over the limit of 2.0 MiB a message"},
		{"holds a vault key", []string{write("env.txt", []byte("OPENAI_API_KEY="+secret+"\n"))}, "attach env.txt: the file holds an API key stored in the vault"},
		{"missing", []string{filepath.Join(e.dir, "nope.txt")}, "nope.txt"},
		{"image to a text-only model", []string{write("p.png", pngBytes), "model=gpt-3.5-turbo"}, "model gpt-3.5-turbo does not accept images"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"ask"}
			for _, f := range tc.files {
				if model, ok := strings.CutPrefix(f, "model="); ok {
					args = append(args, "--model", model)
					continue
				}
				args = append(args, "-f", f)
			}
			res := e.run(tty{}, append(args, "hello")...)
			wantCode(t, res, 1)
			wantContains(t, "stderr", res.stderr, tc.want)
			if strings.Contains(res.stderr, secret) {
				t.Errorf("the error shows the key")
			}
			if n := len(testkit.ChatRequests(s)); n != 0 {
				t.Errorf("%d requests sent", n)
			}
			if files := e.conversationFiles(); len(files) != 0 {
				t.Errorf("conversations left behind: %v", files)
			}
		})
	}
}

// TestAskDropsDuplicateFiles: the same file given twice (by another
// spelling of its path, or through a symlink) is sent once, with a note.
func TestAskDropsDuplicateFiles(t *testing.T) {
	s, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.addSimKey("work", url)
	main := filepath.Join(e.dir, "main.go")
	os.WriteFile(main, []byte("package main\n"), 0o600)
	link := filepath.Join(e.dir, "link.go")
	if err := os.Symlink(main, link); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(e.dir, "other.go")
	os.WriteFile(other, []byte("package other\n"), 0o600)

	res := e.mustRun(tty{}, "ask", "--no-save", "-f", main, "-f", e.dir+"/./main.go", "-f", link, "-f", other, "x")
	reqs := testkit.ChatRequests(s)
	msgs := reqs[len(reqs)-1].Messages
	sent := msgs[len(msgs)-1].Content
	if n := strings.Count(sent, "package main"); n != 1 {
		t.Errorf("main.go sent %d times:\n%s", n, sent)
	}
	if !strings.Contains(sent, "package other") {
		t.Errorf("other.go not sent:\n%s", sent)
	}
	wantContains(t, "stderr", res.stderr, "vaultchat: -f "+e.dir+"/./main.go is the same file as "+main+": attached once",
		"vaultchat: -f "+link+" is the same file as "+main+": attached once")
	if n := strings.Count(res.stderr, "attached once"); n != 2 {
		t.Errorf("%d notes for 2 duplicates:\n%s", n, res.stderr)
	}
}
