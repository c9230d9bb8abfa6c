package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// writeRoleFile writes roles/NAME.md where the commands look for it and
// returns its path.
func (e *env) writeRoleFile(name, content string) string {
	e.t.Helper()
	dir := filepath.Join(e.vars["XDG_CONFIG_HOME"], "vaultchat", "roles")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		e.t.Fatal(err)
	}
	path := filepath.Join(dir, name+".md")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return path
}

func TestAskRoleSendsItsPromptAndSettingsAndRecordsIt(t *testing.T) {
	s, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.addSimKey("work", url)
	e.addSimKey("other", url)
	path := e.writeRoleFile("reviewer", "---\nkey: work\nmodel: sim-fast\ntemperature: 0.25\ndescription: reviews Go\n---\nYou review Go code.\n")
	got := e.askJSON(tty{}, "--role", "reviewer", "look at this")
	if got.Key != "work" || got.Model != "sim-fast" {
		t.Errorf("key %q model %q; want the role's work, sim-fast", got.Key, got.Model)
	}
	reqs := testkit.ChatRequests(s)
	req := reqs[len(reqs)-1]
	if m := req.Messages[0]; m.Role != "system" || m.Content != "You review Go code." {
		t.Errorf("first message sent = %+v; want the role's prompt as system", m)
	}
	var body struct {
		Temperature *float64 `json:"temperature"`
	}
	if err := json.Unmarshal(req.Body, &body); err != nil || body.Temperature == nil || *body.Temperature != 0.25 {
		t.Errorf("temperature sent = %v (%v); want 0.25", body.Temperature, err)
	}
	// The conversation keeps the role as it was, whatever happens to the
	// file later.
	os.WriteFile(path, []byte("Something else.\n"), 0o600)
	conv := e.load(got.ConversationID)
	if r := conv.Role; r == nil || r.Name != "reviewer" || r.Text != "You review Go code." || r.Key != "work" || r.Temperature == nil {
		t.Fatalf("recorded role = %+v", conv.Role)
	}
	md := e.mustRun(tty{}, "export", got.ConversationID).stdout
	wantContains(t, "markdown export", md, `role: "reviewer"`, "reviews Go")
	// Flags win over the role's settings.
	got = e.askJSON(tty{}, "--role", "reviewer", "--key", "other", "again")
	if got.Key != "other" {
		t.Errorf("--key other with a role: used %q", got.Key)
	}
}

func TestAskRoleErrorsNameFileAndLineAndSendNothing(t *testing.T) {
	s, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.addSimKey("work", url, "--allow-model", "sim-fast")
	cases := []struct {
		name, content, want string
		line                int
	}{
		{"unknown key", "---\ndescription: x\nkey: nosuchkey\n---\nhi\n", "nosuchkey", 3},
		{"model not allowed", "---\nkey: work\nmodel: gpt-4o\n---\nhi\n", "not allowed to use model gpt-4o", 3},
		{"unknown field", "---\nmodle: gpt-4o\n---\nhi\n", `unknown field "modle"`, 2},
		{"bad front matter", "---\nkey: a: b\n---\nhi\n", "invalid front matter", 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := e.writeRoleFile("bad", tc.content)
			res := e.run(tty{}, "ask", "--role", "bad", "hello")
			wantCode(t, res, 1)
			wantContains(t, "stderr", res.stderr, "vaultchat: error: role file "+path+", line "+strconv.Itoa(tc.line)+":", tc.want)
			if n := len(testkit.ChatRequests(s)); n != 0 {
				t.Errorf("%d requests sent", n)
			}
			if files := e.conversationFiles(); len(files) != 0 {
				t.Errorf("conversations left behind: %v", files)
			}
		})
	}
	res := e.run(tty{}, "ask", "--role", "absent", "hello")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, `role "absent": no such role`, "vaultchat roles edit absent")
	res = e.run(tty{}, "ask", "--role", "bad", "--system", "x", "hello")
	wantCode(t, res, 2)
	res = e.run(tty{}, "ask", "--role", "bad", "--continue", "hello")
	wantCode(t, res, 2)
	wantContains(t, "stderr", res.stderr, "--role starts a new conversation")
}

func TestRolesEditListShow(t *testing.T) {
	e := newEnv(t)
	// The "editor" replaces the file with a role, as a user would.
	editor := filepath.Join(e.dir, "editor.sh")
	os.WriteFile(editor, []byte("#!/bin/sh\nprintf -- '---\\nmodel: gpt-4o\\ndescription: terse\\n---\\nBe terse.\\n' > \"$1\"\n"), 0o700)
	e.vars["EDITOR"] = editor
	res := e.mustRun(tty{}, "roles", "edit", "terse")
	wantContains(t, "stdout", res.stdout, "created", "role terse saved")
	dir := filepath.Join(e.vars["XDG_CONFIG_HOME"], "vaultchat", "roles")
	for path, mode := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, "terse.md"): 0o600} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != mode {
			t.Errorf("%s: %v, mode %v; want %v", path, err, fi.Mode().Perm(), mode)
		}
	}
	e.writeRoleFile("broken", "---\nnope: 1\n---\nx\n")
	list := e.mustRun(tty{}, "roles", "list").stdout
	wantContains(t, "roles list", list, "terse", "gpt-4o", "broken", `unknown field "nope"`)
	show := e.mustRun(tty{}, "roles", "show", "terse").stdout
	wantContains(t, "roles show", show, "model:", "gpt-4o", "Be terse.")

	// An editor that leaves a bad file gets the error at once.
	os.WriteFile(editor, []byte("#!/bin/sh\nprintf -- '---\\ntemperature: 9\\n---\\nx\\n' > \"$1\"\n"), 0o700)
	res = e.run(tty{}, "roles", "edit", "terse")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "terse.md, line 2: temperature 9 is outside 0 to 2")
	res = e.run(tty{}, "roles", "edit", "../escape")
	wantCode(t, res, 2)
}

// TestRolesEditAgainLikeConfig: roles edit leaving a file that does not
// parse behaves as config edit does (the one editor helper): off a
// terminal the error and "kept as written"; on one, "edit it again?",
// and yes runs the editor again. A misspelled field gets "did you mean".
func TestRolesEditAgainLikeConfig(t *testing.T) {
	e := newEnv(t)
	editor := filepath.Join(e.dir, "editor.sh")
	count := filepath.Join(e.dir, "count")
	// The first run writes a typo, the next ones fix it; each run is
	// counted.
	os.WriteFile(editor, []byte("#!/bin/sh\necho x >> "+count+"\nif [ $(wc -l < "+count+") -eq 1 ]; then\nprintf -- '---\\nmodle: gpt-4o\\n---\\nx\\n' > \"$1\"\nelse\nprintf -- '---\\nmodel: gpt-4o\\n---\\nx\\n' > \"$1\"\nfi\n"), 0o700)
	e.vars["EDITOR"] = editor

	res := e.runFileStdin("y\n", "roles", "edit", "typo")
	wantCode(t, res, 0)
	wantContains(t, "stderr", res.stderr, `unknown field "modle"`, `did you mean "model"?`, "edit it again? [y/N]")
	wantContains(t, "stdout", res.stdout, "role typo saved")
	if data, _ := os.ReadFile(count); strings.Count(string(data), "x") != 2 {
		t.Errorf("the editor ran %d times; want 2", strings.Count(string(data), "x"))
	}

	os.Remove(count)
	res = e.run(tty{stdinTTY: true, stdin: "n\n"}, "roles", "edit", "typo2")
	wantCode(t, res, 1)
	wantContains(t, "stderr declined", res.stderr, "edit it again? [y/N]", `the file is kept as written; run "vaultchat roles edit typo2" again to fix it`)

	os.Remove(count)
	res = e.run(tty{}, "roles", "edit", "typo3")
	wantCode(t, res, 1)
	if strings.Contains(res.stderr, "[y/N]") {
		t.Errorf("asked without a terminal:\n%s", res.stderr)
	}
	wantContains(t, "stderr off a terminal", res.stderr, `the file is kept as written; run "vaultchat roles edit typo3" again to fix it`)
}

// runFileStdin is run on a terminal whose input is a file holding
// answer: a file, unlike a reader, is handed to the editor as is, and the
// editor leaves the answer to vaultchat's question.
func (e *env) runFileStdin(answer string, args ...string) result {
	e.t.Helper()
	in := filepath.Join(e.t.TempDir(), "stdin")
	if err := os.WriteFile(in, []byte(answer), 0o600); err != nil {
		e.t.Fatal(err)
	}
	f, err := os.Open(in)
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	var res result
	d := e.deps(tty{stdinTTY: true}, &res)
	d.IO.In = f
	res.code = Main(args, d)
	res.stdout = d.IO.Out.(*bytes.Buffer).String()
	res.stderr = d.IO.ErrOut.(*bytes.Buffer).String()
	return res
}
