package ui

import (
	"fmt"
	"os"
	"os/exec"
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
	args := strings.Fields(editor)
	if len(args) == 0 {
		args = []string{"vi"}
	}
	c := exec.Command(args[0], append(args[1:], path)...)
	return tea.ExecProcess(c, func(err error) tea.Msg { return editorDoneMsg{path: path, err: err} })
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
