package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigEditWithoutEditorOffTerminal: no $VISUAL, no $EDITOR and no
// terminal is refused as roles edit refuses it (vi would write its
// escape sequences into stdout), and nothing is created first: neither
// the template nor a missing directory of --config.
func TestConfigEditWithoutEditorOffTerminal(t *testing.T) {
	e := newEnv(t)
	res := e.run(tty{}, "config", "edit")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "vaultchat: error: no editor: $VISUAL and $EDITOR are not set", "vaultchat: hint: set EDITOR")
	if res.stdout != "" {
		t.Errorf("stdout:\n%q", res.stdout)
	}
	if _, err := os.Stat(e.configFile()); !os.IsNotExist(err) {
		t.Errorf("the template was created: %v", err)
	}

	e.vars["EDITOR"] = editorScript(t, e.dir, "max_retries = 4")
	missing := filepath.Join(e.dir, "nonexistent", "dir", "c.toml")
	res = e.run(tty{}, "--config", missing, "config", "edit")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "nonexistent")
	if _, err := os.Stat(filepath.Dir(missing)); !os.IsNotExist(err) {
		t.Errorf("--config's missing directory was created: %v", err)
	}
}

// TestEditorNotFoundOrFailingLeavesNoTemplate: an editor that does not
// exist is named with a hint before anything is created, and one that
// fails leaves no half-made template behind (config edit and roles edit).
func TestEditorNotFoundOrFailingLeavesNoTemplate(t *testing.T) {
	e := newEnv(t)
	rolesDir := filepath.Join(e.vars["XDG_CONFIG_HOME"], "vaultchat", "roles")

	e.vars["EDITOR"] = "no-such-editor-here --wait"
	for _, args := range [][]string{{"roles", "edit", "r3"}, {"config", "edit"}} {
		res := e.run(tty{}, args...)
		wantCode(t, res, 1)
		wantContains(t, "stderr", res.stderr, `editor "no-such-editor-here" not found`, "vaultchat: hint: set EDITOR")
	}
	if _, err := os.Stat(filepath.Join(rolesDir, "r3.md")); !os.IsNotExist(err) {
		t.Errorf("roles edit left r3.md: %v", err)
	}
	if _, err := os.Stat(e.configFile()); !os.IsNotExist(err) {
		t.Errorf("config edit left config.toml: %v", err)
	}

	failing := filepath.Join(e.dir, "fail.sh")
	os.WriteFile(failing, []byte("#!/bin/sh\nexit 3\n"), 0o700)
	e.vars["EDITOR"] = failing
	for _, args := range [][]string{{"roles", "edit", "r3"}, {"config", "edit"}} {
		res := e.run(tty{}, args...)
		wantCode(t, res, 1)
		wantContains(t, "stderr", res.stderr, "exit status 3")
	}
	if _, err := os.Stat(filepath.Join(rolesDir, "r3.md")); !os.IsNotExist(err) {
		t.Errorf("a failing editor left r3.md: %v", err)
	}
	if _, err := os.Stat(e.configFile()); !os.IsNotExist(err) {
		t.Errorf("a failing editor left config.toml: %v", err)
	}
	if list := e.mustRun(tty{}, "roles", "list").stdout; strings.Contains(list, "r3") {
		t.Errorf("roles list shows the half-made role:\n%s", list)
	}
}

// TestFailedEditLeavesNothingMade: config edit and roles edit share one
// way to make a file from its template: on a fresh machine, an editor
// that fails leaves neither the file nor the directories made for it;
// one that succeeds keeps both, and each command says it created the
// file. A file the editor changed is kept even when the editor fails.
func TestFailedEditLeavesNothingMade(t *testing.T) {
	configDir := func(e *env) string { return filepath.Join(e.vars["XDG_CONFIG_HOME"], "vaultchat") }
	for _, args := range [][]string{{"roles", "edit", "r4"}, {"config", "edit"}} {
		e := newEnv(t)
		failing := filepath.Join(e.dir, "fail.sh")
		os.WriteFile(failing, []byte("#!/bin/sh\nexit 3\n"), 0o700)
		e.vars["EDITOR"] = failing
		res := e.run(tty{}, args...)
		wantCode(t, res, 1)
		if _, err := os.Stat(configDir(e)); !os.IsNotExist(err) {
			entries, _ := filepath.Glob(filepath.Join(configDir(e), "*"))
			t.Errorf("%s with a failing editor left %s (%v): %v", args, configDir(e), entries, err)
		}

		// The editor types, then fails: what it typed is kept.
		typing := filepath.Join(e.dir, "type-then-fail.sh")
		os.WriteFile(typing, []byte("#!/bin/sh\necho '# mine' >> \"$1\"\nexit 3\n"), 0o700)
		e.vars["EDITOR"] = typing
		res = e.run(tty{}, args...)
		wantCode(t, res, 1)
		wantContains(t, "stdout", res.stdout, "from the template")
		file := e.configFile()
		if args[0] == "roles" {
			file = filepath.Join(configDir(e), "roles", "r4.md")
		}
		if data, err := os.ReadFile(file); err != nil || !strings.Contains(string(data), "# mine") {
			t.Errorf("%s: the edited file was not kept: %v", args, err)
		}
	}
}
