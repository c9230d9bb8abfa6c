package ui

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestEditorSafeArgs checks the command line ctrl+e starts for known
// editors: their no-swap, no-backup, no-undo-file options come right after
// the program and before the user's own options and the file.
func TestEditorSafeArgs(t *testing.T) {
	vimArgs := []string{"-n", "-i", "NONE", "-c", "set nobackup nowritebackup noundofile"}
	tests := []struct {
		editor string
		want   []string
	}{
		{"vim", append(append([]string{"vim"}, vimArgs...), "/d.md")},
		{"nvim -p", append(append([]string{"nvim"}, vimArgs...), "-p", "/d.md")},
		{"/opt/bin/emacs -nw", []string{"/opt/bin/emacs", "--eval", "(setq make-backup-files nil auto-save-default nil create-lockfiles nil)", "-nw", "/d.md"}},
		{"nano", []string{"nano", "-I", "/d.md"}},
		{"micro", []string{"micro", "-backup", "false", "-permbackup", "false", "-saveundo", "false", "/d.md"}},
		{"hx", []string{"hx", "/d.md"}},
		{"code --wait", []string{"code", "--wait", "/d.md"}},
	}
	for _, tt := range tests {
		if got := editorCommand(tt.editor, "/d.md").Args; !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: %q, want %q", tt.editor, got, tt.want)
		}
	}
}

// TestVimLeavesNoCopyOfTheDraft runs the real vim, configured by a vimrc
// to keep swap, backup, undo and viminfo files, on a draft: started as
// ctrl+e starts it, it writes none of them. The same run without the
// safe options does (so the test can fail).
func TestVimLeavesNoCopyOfTheDraft(t *testing.T) {
	if _, err := exec.LookPath("vim"); err != nil {
		t.Skip("vim not installed")
	}
	run := func(safe bool) []string {
		home := t.TempDir()
		for _, d := range []string{"swap", "bk", "undo"} {
			if err := os.Mkdir(filepath.Join(home, d), 0o700); err != nil {
				t.Fatal(err)
			}
		}
		rc := filepath.Join(home, ".vimrc")
		os.WriteFile(rc, []byte("set nocompatible swapfile directory="+home+"/swap// backup backupdir="+home+"/bk// writebackup undofile undodir="+home+"/undo// viminfo='20\n"), 0o600)
		draftDir := t.TempDir()
		path := filepath.Join(draftDir, "vaultchat-draft-1.md")
		os.WriteFile(path, []byte("secret draft text\n"), 0o600)
		seen := filepath.Join(home, "seen")
		// Ex mode runs the commands: note the swap files while the
		// draft is open, edit, write, quit.
		user := []string{"-u", rc, "-es", "-c", "call writefile(glob('" + home + "/swap/*', 0, 1), '" + seen + "')",
			"-c", "normal! Amore", "-c", "wq"}
		cmd := exec.Command("vim", append(user, path)...)
		if safe {
			cmd = editorCommand("vim", path)
			cmd.Args = append(append(cmd.Args[:len(cmd.Args)-1:len(cmd.Args)-1], user...), path)
		}
		cmd.Env = append(os.Environ(), "HOME="+home)
		cmd.Dir = draftDir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("vim: %v\n%s", err, out)
		}
		if data, _ := os.ReadFile(path); !strings.Contains(string(data), "more") {
			t.Fatalf("the edit was not written: %q", data)
		}
		var left []string
		if data, _ := os.ReadFile(seen); len(strings.TrimSpace(string(data))) > 0 {
			left = append(left, "swap: "+strings.TrimSpace(string(data)))
		}
		for _, d := range []string{"bk", "undo"} {
			entries, _ := os.ReadDir(filepath.Join(home, d))
			for _, e := range entries {
				left = append(left, d+": "+e.Name())
			}
		}
		if _, err := os.Stat(filepath.Join(home, ".viminfo")); err == nil {
			left = append(left, ".viminfo")
		}
		return left
	}
	if left := run(false); len(left) == 0 {
		t.Fatal("vim as configured left nothing behind: the test cannot tell")
	}
	if left := run(true); len(left) > 0 {
		t.Fatalf("vim started as ctrl+e starts it left copies of the draft: %q", left)
	}
}
