package cli

import (
	"strings"
	"testing"
)

// globalFlags are the root's flags, valid with every command.
var globalFlags = []string{"--home=DIR", "--config=FILE", "--identity=FILE", "--passphrase-file=FILE", "--demo", "--version"}

// TestHelpShowsTheCommandsFlagsFirst: a command's --help lists its own
// flags under "Flags:" first, and the global flags after them under
// "Global flags:", never mixed in.
func TestHelpShowsTheCommandsFlagsFirst(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		args []string
		own  []string // some of the command's own flags
	}{
		{[]string{"keys", "add", "--help"}, []string{"--from-env=VAR", "--provider=KIND", "--expires=30d|DATE"}},
		{[]string{"ask", "--help"}, []string{"--key=", "--model="}},
		{[]string{"keys", "list", "--help"}, []string{"--json"}},
		{[]string{"export", "--help"}, []string{"--format=", "--output="}},
	} {
		out := e.mustRun(tty{}, c.args...).stdout
		own, global, ok := strings.Cut(out, "\nGlobal flags:\n")
		if !ok {
			t.Errorf("%s: no \"Global flags:\" section:\n%s", c.args, out)
			continue
		}
		if !strings.Contains(own, "\nFlags:\n") {
			t.Errorf("%s: no \"Flags:\" section before the global flags:\n%s", c.args, out)
		}
		for _, f := range c.own {
			if !strings.Contains(own, f) {
				t.Errorf("%s: %s is not among the command's flags:\n%s", c.args, f, out)
			}
		}
		for _, f := range globalFlags {
			if strings.Contains(own, f) {
				t.Errorf("%s: the global %s is among the command's flags:\n%s", c.args, f, out)
			}
			if !strings.Contains(global, f) {
				t.Errorf("%s: %s is not among the global flags:\n%s", c.args, f, out)
			}
		}
	}
	golden(t, "keys_list_help.golden", e.mustRun(tty{}, "keys", "list", "--help").stdout)
}
