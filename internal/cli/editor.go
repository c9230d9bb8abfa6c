package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
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

// templateFile is the file "config edit" or "roles edit" opens in the
// editor, made from a template when it was missing.
type templateFile struct {
	path     string
	template string
	// created: the file was made from the template by this command.
	created bool
	// madeDirs are the directories made for it, deepest first.
	madeDirs []string
}

// createFromTemplate makes path (0600) from template unless a file is
// there already, and its missing directories (0700) when mkdir is set (a
// --config naming a missing directory is a mistake, not a reason to make
// one). It is the one way "config edit" and "roles edit" make a file; a
// failed write leaves nothing behind.
func createFromTemplate(path, template string, mkdir bool) (*templateFile, error) {
	tf := &templateFile{path: path, template: template}
	if mkdir {
		for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
			if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) || dir == filepath.Dir(dir) {
				break
			}
			tf.madeDirs = append(tf.madeDirs, dir)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			tf.removeDirs()
			return nil, fmt.Errorf("create directory: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case errors.Is(err, fs.ErrExist):
		tf.madeDirs = nil
		return tf, nil
	case err != nil:
		tf.removeDirs()
		return nil, err
	}
	_, werr := f.WriteString(template)
	if err := errors.Join(werr, f.Close()); err != nil {
		os.Remove(path)
		tf.removeDirs()
		return nil, err
	}
	tf.created = true
	return tf, nil
}

// undo removes what createFromTemplate made while the file is still the
// untouched template: a failed edit leaves nothing half-made, and never
// loses what the user typed.
func (tf *templateFile) undo() {
	if !tf.created {
		return
	}
	if data, err := os.ReadFile(tf.path); err != nil || !bytes.Equal(data, []byte(tf.template)) {
		return
	}
	if os.Remove(tf.path) == nil {
		tf.removeDirs()
	}
}

// removeDirs removes the directories made for the file, deepest first,
// each only if empty.
func (tf *templateFile) removeDirs() {
	for _, dir := range tf.madeDirs {
		if os.Remove(dir) != nil {
			return
		}
	}
}

// edit runs the editor on the file with the terminal. When the file was
// just made from its template and the editor fails, what was made is
// removed (templateFile.undo). Only the first edit may undo: once the
// editor has run successfully the file is the user's.
func (a *app) edit(editor []string, tf *templateFile) error {
	cmd := exec.Command(editor[0], append(editor[1:], tf.path)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = a.io.In, a.io.Out, a.io.ErrOut
	cmd.Env = a.environ()
	// Ctrl+C reaches the editor too (one process group): it decides. An
	// editor that ignores it (vim) goes on; one that dies of it is a
	// failed edit, undone like any other before this process exits 130.
	// Without this, the signal killed vaultchat first and left the
	// template behind as a working role or config.
	// stop runs after the undo: a Ctrl+C the kernel delivers to this
	// process after the editor's exit then finds the handler still here.
	_, stopped, stop := signalContext()
	defer stop()
	err := cmd.Run()
	if err != nil {
		tf.undo()
		return stopped(fmt.Errorf("editor %s: %w", a.clean(editor[0]), err))
	}
	tf.created = false
	return nil
}

// editChecked runs the editor on tf, then check on the result: the one
// behaviour of "config edit" and "roles edit". On a terminal a file that
// does not pass is shown with its error and offered for another edit
// ("edit it again? [y/N]"); off a terminal, or declined, the error is
// returned. Either way the file is kept as written; command is the
// command that edits it again ("vaultchat roles edit NAME").
func (a *app) editChecked(editor []string, tf *templateFile, check func() error, command string) error {
	keptHint := fmt.Sprintf("the file is kept as written; run %q again to fix it", command)
	for {
		if err := a.edit(editor, tf); err != nil {
			return err
		}
		err := check()
		if err == nil {
			return nil
		}
		if !a.io.IsStdinTTY {
			return withHint(err, keptHint)
		}
		printError(a.io.ErrOut, err, a.redactor)
		again, cerr := a.confirm("edit it again?")
		if cerr != nil || !again {
			return withHint(err, keptHint)
		}
	}
}
