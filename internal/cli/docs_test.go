package cli

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"golang.org/x/crypto/ssh"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// wantErrorLines fails the test unless every stderr line has the shape
// README promises (errorLine, from cli_test.go: "vaultchat: error: …",
// then optional "vaultchat: hint: …" lines, lowercase, no trailing
// period) and the first is the error.
func wantErrorLines(t *testing.T, what, stderr string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if !strings.HasPrefix(lines[0], "vaultchat: error: ") {
		t.Errorf("%s: stderr does not start with the error:\n%s", what, stderr)
	}
	for _, l := range lines {
		if !errorLine.MatchString(l) {
			t.Errorf("%s: stderr line %q is not \"vaultchat: error|hint: lowercase text\" without a trailing period", what, l)
		}
	}
}

// TestDocsBadInput runs commands the way README's examples do, with the
// mistakes people make, and checks each fails with a clear error, a hint
// and the documented exit code.
func TestDocsBadInput(t *testing.T) {
	e := newVault(t)
	_, url := testkit.Sim(t, sim.Options{})
	e.addSimKey("work", url)
	convID := e.askJSON(tty{}, "first topic").ConversationID

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	notJSON := filepath.Join(e.dir, "notes.txt")
	if err := os.WriteFile(notJSON, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const unknownID = "20261126-150405-ab12cd34"

	for _, c := range []struct {
		name string
		args []string
		code int
		want []string // substrings of stderr
		not  []string // must not appear in stderr
	}{
		{"provider without base url", []string{"keys", "add", "x", "--provider", "azure"}, 2,
			[]string{"vaultchat: error: --provider azure needs --base-url URL", `hint: see "vaultchat keys add --help"`}, []string{"a azure"}},
		{"bad --since", []string{"usage", "--since", "2026-13-01"}, 2,
			[]string{`error: --since "2026-13-01" is not a date like 2026-11-01`, `hint: see "vaultchat usage --help"`}, nil},
		{"bad --expires", []string{"keys", "edit", "work", "--expires", "31-12-2026"}, 2,
			[]string{`error: --expires "31-12-2026" is not a number of days (30d) or a date (2026-12-31)`}, nil},
		{"export unknown conversation", []string{"export", unknownID}, 1,
			[]string{"no such conversation", `hint: list the conversations with "vaultchat conversations list"`}, nil},
		{"ask unknown conversation", []string{"ask", "--conversation", unknownID, "more"}, 1,
			[]string{"no such conversation", `"vaultchat conversations list"`}, nil},
		{"rename unknown conversation", []string{"conversations", "rename", unknownID, "t"}, 1,
			[]string{"no such conversation", `"vaultchat conversations list"`}, nil},
		{"rm unknown conversation", []string{"conversations", "rm", "--yes", unknownID}, 1,
			[]string{"no such conversation", `"vaultchat conversations list"`}, nil},
		{"rm conversation without a terminal", []string{"conversations", "rm", convID}, 1,
			[]string{"refusing to delete a conversation without confirmation: stdin is not a terminal", "hint: pass --yes"}, nil},
		{"export into a missing directory", []string{"export", "--last", "-o", filepath.Join(e.dir, "missing", "dir", "chat.md")}, 1,
			[]string{"directory " + filepath.Join(e.dir, "missing", "dir") + " does not exist", "hint: create the directory first"},
			[]string{".chat.md"}},
		{"import a file that is not JSON", []string{"import", notJSON}, 1,
			[]string{"not JSON", "hint: nothing was imported"}, nil},
		{"import a missing file", []string{"import", filepath.Join(e.dir, "nope.json")}, 1,
			[]string{"no such file", "hint: nothing was imported"}, nil},
		{"import a directory", []string{"import", e.dir}, 1,
			[]string{"import: " + e.dir + " is a directory", "hint: give the JSON files in it"}, []string{"read: read"}},
		{"simulate on a busy port", []string{"simulate", "--addr", busy.Addr().String()}, 1,
			[]string{"error: start simulator: listen", "hint: give a free loopback address"},
			[]string{"start simulator: start simulator", "listens on loopback only"}},
		{"unknown command", []string{"bogus"}, 2, []string{`hint: see "vaultchat --help"`}, nil},
		{"missing argument", []string{"keys", "show"}, 2, []string{`hint: see "vaultchat keys show --help"`}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := e.run(tty{}, c.args...)
			wantCode(t, res, c.code)
			wantErrorLines(t, c.name, res.stderr)
			wantContains(t, "stderr", res.stderr, c.want...)
			for _, s := range c.not {
				if strings.Contains(res.stderr, s) {
					t.Errorf("stderr contains %q:\n%s", s, res.stderr)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(e.dir, "missing")); !os.IsNotExist(err) {
		t.Errorf("a failed export created its directory: %v", err)
	}
	if n := len(e.conversationFiles()); n != 1 {
		t.Errorf("%d conversations after the failed commands; want 1", n)
	}
}

// TestDocsConversationsCommands checks that the conversation commands
// behave like their "keys" counterparts: a confirmation line on stdout,
// and declining a removal is not an error.
func TestDocsConversationsCommands(t *testing.T) {
	e := newVault(t)
	_, url := testkit.Sim(t, sim.Options{})
	e.addSimKey("work", url)
	id := e.askJSON(tty{}, "first topic").ConversationID

	res := e.mustRun(tty{}, "conversations", "rename", id, "flock notes")
	if want := "renamed conversation " + id + " to \"flock notes\"\n"; res.stdout != want {
		t.Errorf("rename stdout %q; want %q", res.stdout, want)
	}

	res = e.run(tty{stdinTTY: true, stdin: "n\n"}, "conversations", "rm", id)
	wantCode(t, res, 0)
	wantContains(t, "stderr", res.stderr, `delete conversation "flock notes" (2 messages)? [y/N]`)
	if want := "kept conversation " + id + "\n"; res.stdout != want {
		t.Errorf("declined rm stdout %q; want %q", res.stdout, want)
	}
	if n := len(e.conversationFiles()); n != 1 {
		t.Fatalf("declined rm: %d conversation files; want 1", n)
	}

	res = e.run(tty{stdinTTY: true, stdin: "y\n"}, "conversations", "rm", id)
	wantCode(t, res, 0)
	if want := "deleted conversation " + id + "\n"; res.stdout != want {
		t.Errorf("rm stdout %q; want %q", res.stdout, want)
	}
	if n := len(e.conversationFiles()); n != 0 {
		t.Fatalf("after rm: %d conversation files; want 0", n)
	}
}

// TestDocsExportEncryptToSSHComment checks that --encrypt-to takes an SSH
// public key line as it is, comment included: a comma in the comment
// must not split it into two recipients.
func TestDocsExportEncryptToSSHComment(t *testing.T) {
	e := newVault(t)
	_, url := testkit.Sim(t, sim.Options{})
	e.addSimKey("work", url)
	e.askJSON(tty{}, "a secret topic")

	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub))) + " me@laptop,work"
	out := filepath.Join(e.dir, "chat.md.age")
	e.mustRun(tty{}, "export", "--last", "--encrypt-to", line, "-o", out)

	id, err := agessh.NewEd25519Identity(priv)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	r, err := age.Decrypt(bytes.NewReader(data), id)
	if err != nil {
		t.Fatalf("decrypt the export with the SSH key: %v", err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, "decrypted export", string(plain), "a secret topic")
}

// TestDocsHelp checks the help of every command: exit 0, the usage line,
// and a one-line description that is a sentence.
func TestDocsHelp(t *testing.T) {
	e := newEnv(t)
	for _, cmd := range [][]string{
		{}, {"init"}, {"passwd"}, {"keys"}, {"keys", "add"}, {"keys", "list"}, {"keys", "show"}, {"keys", "edit"},
		{"keys", "rename"}, {"keys", "rm"}, {"keys", "rotate"}, {"keys", "check"}, {"exec"},
		{"vault", "recipients", "list"}, {"vault", "recipients", "add"}, {"vault", "recipients", "rm"},
		{"vault", "restore"}, {"ask"}, {"usage"}, {"conversations", "list"}, {"conversations", "rename"},
		{"conversations", "rm"}, {"export"}, {"import"}, {"simulate"},
	} {
		name := strings.Join(append([]string{"vaultchat"}, cmd...), " ")
		res := e.run(tty{}, append(cmd, "--help")...)
		if res.code != 0 || res.stderr != "" {
			t.Errorf("%s --help: exit %d, stderr %q", name, res.code, res.stderr)
			continue
		}
		lines := strings.Split(res.stdout, "\n")
		if len(lines) < 3 || !strings.HasPrefix(lines[0], "Usage: "+name) {
			t.Errorf("%s --help does not start with its usage line:\n%s", name, res.stdout)
			continue
		}
		d, _, _ := strings.Cut(strings.Join(lines[2:], " "), "  ") // up to the blank line
		if d == "" || !strings.HasSuffix(d, ".") || strings.ToUpper(d[:1]) != d[:1] {
			t.Errorf("%s --help: description %q is not one sentence", name, d)
		}
		// Arguments read the same in every usage line: lowercase.
		if m := regexp.MustCompile(`<[^>]*[A-Z][^>]*>`).FindString(lines[0]); m != "" {
			t.Errorf("%s --help: argument %s is not lowercase like the others", name, m)
		}
	}
}
