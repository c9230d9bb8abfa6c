package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
	"github.com/vaultchat/vaultchat/internal/transcript"
)

// exportFixture is a vault with two conversations: the first quotes the
// key's secret and a stray key-shaped string back and forth (the
// redaction canaries), the second is the latest.
type exportFixture struct {
	e        *env
	first    string // conversation IDs
	second   string
	canaries []string
}

func newExportFixture(t *testing.T) *exportFixture {
	t.Helper()
	_, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	secret := e.addSimKey("work", url)
	stray := testkit.Canary(t) // key-shaped, but not in the vault
	f := &exportFixture{e: e, canaries: []string{secret, stray, strings.TrimPrefix(secret, "sk-proj-"), strings.TrimPrefix(stray, "sk-proj-")}}
	f.first = e.askJSON(tty{}, "Keys: mine is "+secret+" and a stray one "+stray).ConversationID
	// The simulator echoes the Authorization header into the reply.
	e.askJSON(tty{}, "--continue", "--model", "sim-echo-auth", "echo it")
	f.second = e.askJSON(tty{}, "Second topic").ConversationID
	return f
}

// export runs a successful export and returns stdout.
func (f *exportFixture) export(args ...string) string {
	f.e.t.Helper()
	return f.e.mustRun(tty{}, append([]string{"export"}, args...)...).stdout
}

func (f *exportFixture) checkRedacted(t *testing.T, what string, data []byte) {
	t.Helper()
	for _, c := range f.canaries {
		if bytes.Contains(data, []byte(c)) {
			t.Errorf("%s holds a secret", what)
		}
	}
}

func TestExportFormats(t *testing.T) {
	f := newExportFixture(t)
	markers := map[string][]string{
		"md":   {"---\ntitle: ", `id: "` + f.first + `"`, `keys: ["work"]`},
		"json": {`"format": "vaultchat-transcript"`, `"id": "` + f.first + `"`},
		"txt":  {"Keys: mine is"},
		"html": {"<!DOCTYPE html>", "Keys: mine is"},
	}
	for _, format := range []string{"md", "json", "txt", "html"} {
		t.Run(format, func(t *testing.T) {
			out := f.export(f.first, "--format", format)
			wantContains(t, format, out, markers[format]...)
			// The secret was sent and echoed, so its masked form is
			// in every export; never the secret.
			wantContains(t, format, out, "…"+f.canaries[0][len(f.canaries[0])-4:])
			f.checkRedacted(t, format, []byte(out))
			if format == "json" && !json.Valid([]byte(out)) {
				t.Error("the JSON export is not JSON")
			}
			if strings.ContainsAny(out, "\x1b\x07") {
				t.Error("export holds terminal controls")
			}
		})
	}

	// Without an ID, and with --last: the latest conversation.
	latest := f.export("--format", "json", f.second)
	if got := f.export("--format", "json"); got != latest {
		t.Error("export without an ID is not the latest conversation")
	}
	if got := f.export("--format", "json", "--last"); got != latest {
		t.Error("export --last is not the latest conversation")
	}
	wantContains(t, "latest", latest, "Second topic")

	for _, args := range [][]string{
		{"export", "--format", "pdf"},
		{"export", "--all"},
		{"export", "--last", f.first},
		{"export", f.first, f.second},
		{"export", "--armor"},
		{"export", "--last", "--all", "-o", f.e.dir},
	} {
		res := f.e.run(tty{}, args...)
		wantCode(t, res, 2)
	}
	res := f.e.run(tty{}, "export", "no-such-conversation")
	wantCode(t, res, 1)

	empty := newVault(t)
	res = empty.run(tty{}, "export")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "there are no conversations to export")
}

func TestExportFiles(t *testing.T) {
	f := newExportFixture(t)
	first, second := f.export(f.first), f.export(f.second)
	path := filepath.Join(f.e.dir, "out.md")
	res := f.e.mustRun(tty{}, "export", f.first, "-o", path)
	wantContains(t, "stderr", res.stderr, "wrote "+path)
	checkFile(t, path, first)

	res = f.e.run(tty{}, "export", f.second, "-o", path)
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "already exists", "hint: add --force")
	checkFile(t, path, first)

	f.e.mustRun(tty{}, "export", f.second, "-o", path, "--force")
	checkFile(t, path, second)

	// One file per conversation, with safe names, in a new directory.
	dir := filepath.Join(f.e.dir, "exports", "all")
	f.e.mustRun(tty{}, "export", "--all", "-o", dir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	safe := regexp.MustCompile(`^[a-z0-9][a-z0-9-]*\.md$`)
	var contents []string
	for _, en := range entries {
		if !safe.MatchString(en.Name()) {
			t.Errorf("unsafe file name %q", en.Name())
		}
		data, err := os.ReadFile(filepath.Join(dir, en.Name()))
		if err != nil {
			t.Fatal(err)
		}
		f.checkRedacted(t, en.Name(), data)
		contents = append(contents, string(data))
	}
	want := []string{first, second}
	sort.Strings(contents)
	sort.Strings(want)
	if strings.Join(contents, "\x00") != strings.Join(want, "\x00") {
		t.Errorf("--all wrote %d files that are not the two exports", len(contents))
	}

	// Again: refused as a whole, nothing touched; --force replaces.
	if err := os.WriteFile(filepath.Join(dir, entries[0].Name()), []byte("changed"), 0o600); err != nil {
		t.Fatal(err)
	}
	res = f.e.run(tty{}, "export", "--all", "-o", dir)
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "already exists")
	checkFile(t, filepath.Join(dir, entries[0].Name()), "changed")
	f.e.mustRun(tty{}, "export", "--all", "-o", dir, "--force", "--format", "html")
	if names, _ := filepath.Glob(filepath.Join(dir, "*.html")); len(names) != 2 {
		t.Errorf("--all --format html wrote %v", names)
	}
}

// checkFile fails unless path holds want and only its owner can read it.
func checkFile(t *testing.T, path, want string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != want {
		t.Errorf("%s holds %q…; want %q…", path, data[:min(len(data), 40)], want[:min(len(want), 40)])
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v, %v; want 0600", path, fi.Mode(), err)
	}
}

func TestExportEncrypted(t *testing.T) {
	f := newExportFixture(t)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	recipient := id.Recipient().String()
	plain := f.export(f.first)
	decrypt := func(what string, r io.Reader) string {
		t.Helper()
		dr, err := age.Decrypt(r, id)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		b, err := io.ReadAll(dr)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return string(b)
	}

	path := filepath.Join(f.e.dir, "secret.md")
	f.e.mustRun(tty{}, "export", f.first, "--encrypt-to", recipient, "-o", path)
	data, err := os.ReadFile(path + ".age")
	if err != nil {
		t.Fatalf("no .age file: %v", err)
	}
	if got := decrypt("file", bytes.NewReader(data)); got != plain {
		t.Error("the encrypted file does not decrypt to the Markdown export")
	}
	f.checkRedacted(t, "encrypted file", []byte(plain))

	armored := f.export(f.first, "--encrypt-to", recipient, "--armor")
	if !strings.HasPrefix(armored, "-----BEGIN AGE ENCRYPTED FILE-----\n") {
		t.Errorf("armored output starts with %q", armored[:min(len(armored), 40)])
	}
	if got := decrypt("armor", armor.NewReader(strings.NewReader(armored))); got != plain {
		t.Error("the armored export does not decrypt to the Markdown export")
	}
	// Binary to a pipe is fine; to a terminal it is refused.
	if got := decrypt("pipe", strings.NewReader(f.export(f.first, "--encrypt-to", recipient))); got != plain {
		t.Error("the binary export does not decrypt to the Markdown export")
	}
	res := f.e.runTerm(tty{}, "export", f.first, "--encrypt-to", recipient)
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "refusing to write binary encrypted output to a terminal", "hint: add --armor")
	if res.stdout != "" {
		t.Errorf("wrote %d bytes to the terminal", len(res.stdout))
	}
	res = f.e.runTerm(tty{}, "export", f.first, "--encrypt-to", recipient, "--armor")
	wantCode(t, res, 0)

	// A mistaken value (the key itself, pasted) is refused and not echoed.
	res = f.e.run(tty{}, "export", f.first, "--encrypt-to", f.canaries[0])
	wantCode(t, res, 2)
	f.checkRedacted(t, "stderr", []byte(res.stderr))
}

// writeTemp writes data to a file in dir and returns its path.
func writeTemp(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestImportRoundTrip(t *testing.T) {
	f := newExportFixture(t)
	exported := f.export(f.first, "--format", "json")
	file := writeTemp(t, f.e.dir, "first.json", []byte(exported))

	other := newVault(t)
	res := other.mustRun(tty{}, "import", file)
	wantContains(t, "stdout", res.stdout, "imported 1 conversation\n")
	if got := other.mustRun(tty{}, "export", f.first, "--format", "json").stdout; got != exported {
		t.Errorf("export → import → export changed the JSON:\n%s\n---\n%s", got, exported)
	}

	// Again: refused, nothing changes.
	files := other.conversationFiles()
	res = other.run(tty{}, "import", file)
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "is already in the vault", "nothing was imported", "vaultchat import --skip-existing", "vaultchat conversations rm "+f.first)
	res = other.mustRun(tty{}, "import", "--skip-existing", file)
	wantContains(t, "stdout", res.stdout, "imported 0 conversations")
	wantContains(t, "stderr", res.stderr, "skipped 1 conversation already in the vault")
	if n := len(other.conversationFiles()); n != len(files) {
		t.Errorf("%d conversations after a refused import; want %d", n, len(files))
	}

	// Two files holding one conversation, or a good file and a bad one:
	// nothing is imported.
	third := newVault(t)
	copyFile := writeTemp(t, f.e.dir, "copy.json", []byte(exported))
	notJSON := writeTemp(t, f.e.dir, "notes.txt", []byte("these are my notes, not JSON\n"))
	for _, c := range []struct {
		files []string
		want  string
	}{
		{[]string{file, copyFile}, "appears in both"},
		{[]string{file, notJSON}, "not JSON"},
		{[]string{notJSON}, "not JSON"},
		{[]string{filepath.Join(f.e.dir, "missing.json")}, "no such file"},
	} {
		res := third.run(tty{}, append([]string{"import"}, c.files...)...)
		wantCode(t, res, 1)
		wantContains(t, "stderr", res.stderr, c.want)
		if n := len(third.conversationFiles()); n != 0 {
			t.Errorf("import %v: %d conversations stored; want none", c.files, n)
		}
	}

	// A stored file with the same ID that no longer opens is not
	// replaced either.
	dir := filepath.Join(third.home, "conversations")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	damaged := writeTemp(t, dir, f.first+".age", []byte("damaged"))
	res = third.run(tty{}, "import", file)
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "is already in the vault")
	if data, err := os.ReadFile(damaged); err != nil || string(data) != "damaged" {
		t.Errorf("the damaged conversation file was replaced: %q, %v", data, err)
	}
}

func TestImportChatGPT(t *testing.T) {
	fixture := filepath.Join("..", "transcript", "testdata", "chatgpt-conversations.json")
	data, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	want, err := transcript.Import(bytes.NewReader(data), "conversations.json", transcript.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e := newVault(t)
	res := e.mustRun(tty{}, "import", fixture)
	wantContains(t, "stdout", res.stdout, "imported 4 conversations")
	if len(want.Conversations) != 4 {
		t.Fatalf("the fixture holds %d conversations; the test expects 4", len(want.Conversations))
	}
	for _, n := range want.Notes {
		wantContains(t, "stderr", res.stderr, n)
	}
	// Each stored conversation exports as the importer read it.
	for _, c := range want.Conversations {
		var buf bytes.Buffer
		if err := transcript.Export(&buf, c, transcript.JSON, transcript.Options{}); err != nil {
			t.Fatal(err)
		}
		if got := e.mustRun(tty{}, "export", c.ID, "--format", "json").stdout; got != buf.String() {
			t.Errorf("conversation %s changed in the vault:\n%s\n---\n%s", c.ID, got, buf.String())
		}
	}
	res = e.run(tty{}, "import", fixture)
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "already in the vault")
	if n := len(e.conversationFiles()); n != 4 {
		t.Errorf("%d conversations; want 4", n)
	}
}

// TestImportHints: ChatGPT's .zip download is met with "unzip it"; a
// ChatGPT export directory points at its conversations.json; "-" reads
// stdin.
func TestImportHints(t *testing.T) {
	e := newVault(t)
	data, err := os.ReadFile(filepath.Join("..", "transcript", "testdata", "chatgpt-conversations.json"))
	if err != nil {
		t.Fatal(err)
	}
	zip := filepath.Join(e.dir, "export.zip")
	os.WriteFile(zip, []byte("PK\x03\x04not really a zip"), 0o600)
	res := e.run(tty{}, "import", zip)
	wantCode(t, res, 1)
	wantContains(t, "zip", res.stderr, "vaultchat: hint: unzip it", "conversations.json")

	dir := filepath.Join(e.dir, "chatgpt")
	os.MkdirAll(dir, 0o700)
	os.WriteFile(filepath.Join(dir, "conversations.json"), data, 0o600)
	os.WriteFile(filepath.Join(dir, "user.json"), []byte("{}"), 0o600)
	res = e.run(tty{}, "import", dir)
	wantCode(t, res, 1)
	wantContains(t, "dir", res.stderr, filepath.Join(dir, "conversations.json"))
	if strings.Contains(res.stderr, "*.json") {
		t.Errorf("the hint suggests every .json file:\n%s", res.stderr)
	}

	res = e.mustRun(tty{stdin: string(data)}, "import", "-")
	wantContains(t, "stdin", res.stdout, "imported 4 conversations")
}

// TestExportToStdoutAndDefault: "-o -" and "-o /dev/stdout" write to
// stdout (not "file already exists"); a bare export says which
// conversation it exports.
func TestExportToStdoutAndDefault(t *testing.T) {
	e := newVault(t)
	_, url := testkit.Sim(t, sim.Options{})
	e.addSimKey("work", url)
	id := e.askJSON(tty{}, "hello there").ConversationID
	want := e.mustRun(tty{}, "export", id).stdout
	for _, out := range []string{"-", "/dev/stdout"} {
		res := e.mustRun(tty{}, "export", id, "-o", out)
		if res.stdout != want {
			t.Errorf("-o %s wrote %q", out, res.stdout)
		}
	}
	res := e.mustRun(tty{}, "export")
	wantContains(t, "bare export", res.stderr, "exporting the most recent conversation, "+id)
	if res.stdout != want {
		t.Errorf("bare export wrote %q", res.stdout)
	}
}
