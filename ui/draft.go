package ui

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// The ctrl+e editor round trip: the draft goes to a private temporary file
// (the only file the UI writes itself), $EDITOR runs on it with the
// terminal handed over, and the edited text comes back into the input; the
// file is removed in every case.

// writeDraftCmd saves the draft to a private temporary file for $EDITOR.
func writeDraftCmd(draft string) tea.Cmd {
	return func() tea.Msg {
		// $XDG_RUNTIME_DIR is a private, memory-backed directory where
		// there is one: the draft is conversation text in plaintext.
		f, err := os.CreateTemp(os.Getenv("XDG_RUNTIME_DIR"), "vaultchat-draft-*.md")
		if err != nil {
			return draftFileMsg{err: fmt.Errorf("create draft file: %w", err)}
		}
		_, werr := f.WriteString(draft)
		cerr := f.Close()
		if werr != nil || cerr != nil {
			os.Remove(f.Name())
			return draftFileMsg{err: fmt.Errorf("write draft file: %w", firstErr(werr, cerr))}
		}
		return draftFileMsg{path: f.Name()}
	}
}

// editorCmd runs the editor on the draft file with the terminal handed
// over to it.
func editorCmd(editor, path string) tea.Cmd {
	return tea.ExecProcess(editorCommand(editor, path), func(err error) tea.Msg { return editorDoneMsg{path: path, err: err} })
}

// editorCommand is the editor's command line for the draft file: $EDITOR
// split at spaces with the options that keep a known editor from leaving
// copies of the draft behind (editorSafeArgs) after the program, then the
// file.
func editorCommand(editor, path string) *exec.Cmd {
	args := strings.Fields(editor)
	if len(args) == 0 {
		args = []string{"vi"}
	}
	// The safe options go first: a -c of the user's own then runs after
	// vim's "set nobackup …".
	rest := append(editorSafeArgs(args[0]), args[1:]...)
	return exec.Command(args[0], append(rest, path)...)
}

// editorSafeArgs returns the options that stop a known editor from
// writing the draft anywhere but the draft file — swap, backup, undo,
// auto-save and history files, which would hold conversation text in
// plaintext and outlive the session — whatever the user's own
// configuration says. The editor is recognised by the program name
// after following symbolic links (vi is often vim); an unknown editor
// gets nothing (the README says what to configure).
func editorSafeArgs(program string) []string {
	name := filepath.Base(program)
	if p, err := exec.LookPath(program); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			name = filepath.Base(real)
		}
	}
	switch strings.TrimSuffix(name, ".exe") {
	case "vim", "vim.basic", "vim.tiny", "vim.nox", "vim.gtk3", "gvim", "nvim":
		// -n: no swap file; -i NONE: no viminfo/shada (registers
		// hold text); -c runs after the user's vimrc, so it wins.
		return []string{"-n", "-i", "NONE", "-c", "set nobackup nowritebackup noundofile"}
	case "emacs":
		return []string{"--eval", "(setq make-backup-files nil auto-save-default nil create-lockfiles nil)"}
	case "nano":
		// -I: no nanorc, so no "set backup" or "set locking" from it
		// (nano makes neither by default).
		return []string{"-I"}
	case "micro":
		return []string{"-backup", "false", "-permbackup", "false", "-saveundo", "false"}
	}
	return nil // helix (hx) and others write no swap or backup files of their own
}

// readDraftCmd reads the edited draft back and removes the file.
func readDraftCmd(path string) tea.Cmd {
	return func() tea.Msg {
		data, err := os.ReadFile(path)
		os.Remove(path)
		if err != nil {
			return draftReadMsg{err: fmt.Errorf("read draft file: %w", err)}
		}
		return draftReadMsg{text: string(data)}
	}
}

// removeFileCmd removes a draft file that is no longer wanted.
func removeFileCmd(path string) tea.Cmd {
	return func() tea.Msg {
		os.Remove(path)
		return nil
	}
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
