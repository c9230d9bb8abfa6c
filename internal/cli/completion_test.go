package cli

import (
	"slices"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
)

// completeLine runs the completion of line in-process.
func (e *env) completeLine(t *testing.T, line string) []string {
	t.Helper()
	t.Setenv(envCompLine, line) // posener/complete reads the process environment
	t.Setenv("COMP_POINT", "")
	e.vars[envCompLine] = line
	defer delete(e.vars, envCompLine)
	res := e.run(tty{})
	if res.code != 0 || res.stderr != "" {
		t.Fatalf("completing %q: exit %d, stderr %q", line, res.code, res.stderr)
	}
	return strings.Fields(res.stdout)
}

// TestCompletionCoversEveryCommandAndFlag walks the kong model and checks
// that completion offers every visible command and flag where it belongs.
func TestCompletionCoversEveryCommandAndFlag(t *testing.T) {
	e := newEnv(t)
	parser, err := newParser(newApp(Deps{}), &root{})
	if err != nil {
		t.Fatal(err)
	}
	var walk func(n *kong.Node, path string)
	checked := 0
	walk = func(n *kong.Node, path string) {
		var wantCmds, wantFlags []string
		for _, c := range n.Children {
			if !c.Hidden {
				wantCmds = append(wantCmds, c.Name)
			}
		}
		for _, f := range n.Flags {
			if !f.Hidden {
				wantFlags = append(wantFlags, "--"+f.Name)
			}
		}
		if len(wantCmds) > 0 {
			got := e.completeLine(t, path+" ")
			for _, c := range wantCmds {
				if !slices.Contains(got, c) {
					t.Errorf("completing %q: %q missing from %q", path+" ", c, got)
				}
			}
		}
		if len(wantFlags) > 0 {
			got := e.completeLine(t, path+" --")
			for _, f := range wantFlags {
				if !slices.Contains(got, f) {
					t.Errorf("completing %q: %q missing from %q", path+" --", f, got)
				}
			}
		}
		checked += len(wantCmds) + len(wantFlags)
		for _, c := range n.Children {
			if !c.Hidden {
				walk(c, path+" "+c.Name)
			}
		}
	}
	walk(parser.Model.Node, "vaultchat")
	if checked < 50 {
		t.Errorf("only %d commands and flags checked", checked)
	}
}

// TestCompletionTablesMatchTheModel checks that every command and flag
// named in the tables of vault values exists, so a rename cannot silently
// end their completion.
func TestCompletionTablesMatchTheModel(t *testing.T) {
	parser, err := newParser(newApp(Deps{}), &root{})
	if err != nil {
		t.Fatal(err)
	}
	for path := range completeArgs {
		if n := findNode(parser.Model.Node, path); n == nil || len(n.Positional) == 0 {
			t.Errorf("completeArgs: %q is not a command with arguments", path)
		}
	}
	for spec := range completeFlags {
		path, flag, _ := strings.Cut(spec, " ")
		n := findNode(parser.Model.Node, path)
		if n == nil || !slices.ContainsFunc(n.Flags, func(f *kong.Flag) bool { return "--"+f.Name == flag }) {
			t.Errorf("completeFlags: %q is not a flag", spec)
		}
	}
}

// TestCompletionScripts checks that each shell's script asks vaultchat
// and that an unknown shell is refused.
func TestCompletionScripts(t *testing.T) {
	e := newEnv(t)
	for _, shell := range []string{"bash", "zsh", "fish"} {
		res := e.mustRun(tty{}, "completion", shell)
		wantContains(t, shell, res.stdout, "vaultchat")
	}
	if res := e.run(tty{}, "completion", "tcsh"); res.code == 0 {
		t.Error("completion tcsh succeeded")
	}
}
