package cli

import (
	"strings"
	"testing"
)

// TestCommandAliases: "conversations ls" like "keys ls"; a bare group
// ("vaultchat keys") shows its commands instead of a cut-off error;
// "help" and "version" work as commands too.
func TestCommandAliases(t *testing.T) {
	e := newVault(t)
	e.mustRun(tty{}, "conversations", "ls")

	res := e.run(tty{}, "keys")
	wantCode(t, res, 2)
	wantContains(t, "bare keys", res.stderr, "vaultchat: error: keys needs a command: add, list, show", "mint, revoke", `vaultchat: hint: see "vaultchat keys --help"`)
	if strings.Contains(res.stderr, "…") {
		t.Errorf("bare keys cut the list:\n%s", res.stderr)
	}

	res = e.mustRun(tty{}, "help")
	wantContains(t, "help", res.stdout, "Usage: vaultchat", "conversations")
	res = e.mustRun(tty{}, "help", "keys", "add")
	wantContains(t, "help keys add", res.stdout, "Usage: vaultchat keys add")
	res = e.mustRun(tty{}, "version")
	if res.stdout != e.mustRun(tty{}, "--version").stdout {
		t.Errorf("version %q; --version %q", res.stdout, e.mustRun(tty{}, "--version").stdout)
	}
}
