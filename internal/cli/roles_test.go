package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
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
