package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// errNoEditor is "config edit" or "roles edit" with no editor to run.
var errNoEditor = errors.New("no editor: $VISUAL and $EDITOR are not set")

// editorHint is the hint for an editor that is missing or not found.
const editorHint = "set EDITOR, for example EDITOR=nano"

// editor returns the user's editor as a command and its arguments
// ("code -w" carries one): $VISUAL, then $EDITOR, then vi, but vi only on
// a terminal, since it would write its screen into a pipe or a file. The
// command is looked up before anything is created, so a missing one
// leaves nothing behind.
func (a *app) editor() ([]string, error) {
	args := strings.Fields(firstSet(a.getenv("VISUAL"), a.getenv("EDITOR")))
	if len(args) == 0 {
		if !a.io.IsStdinTTY || !a.io.IsStdoutTTY {
			return nil, withHint(errNoEditor, editorHint)
		}
		args = []string{"vi"}
	}
	if _, err := exec.LookPath(args[0]); err != nil {
		return nil, withHint(fmt.Errorf("editor %q not found", a.clean(args[0])), editorHint)
	}
	return args, nil
}

// edit runs the editor on path with the terminal. When the file was
// just created from template and the editor fails, the untouched
// template is removed: a failed edit leaves no half-made file.
func (a *app) edit(editor []string, path, template string, created bool) error {
	cmd := exec.Command(editor[0], append(editor[1:], path)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = a.io.In, a.io.Out, a.io.ErrOut
	cmd.Env = a.environ()
	err := cmd.Run()
	if err == nil {
		return nil
	}
	if created {
		if data, rerr := os.ReadFile(path); rerr == nil && bytes.Equal(data, []byte(template)) {
			os.Remove(path)
		}
	}
	return fmt.Errorf("editor %s: %w", a.clean(editor[0]), err)
}
