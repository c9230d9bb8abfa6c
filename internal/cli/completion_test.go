package cli

import (
	"slices"
	"strings"
	"testing"

	"github.com/alecthomas/kong"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
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
	parser, err := newParser(newApp(Deps{}), &root{}, "")
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
	parser, err := newParser(newApp(Deps{}), &root{}, "")
	if err != nil {
		t.Fatal(err)
	}
	for path := range completeArgs {
		if n := findNode(parser.Model.Node, path); n == nil || len(n.Positional) == 0 {
			t.Errorf("completeArgs: %q is not a command with arguments", path)
		}
	}
	for spec := range completeFlags {
		path, flag := splitFlagSpec(spec)
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

// TestCompletionOffersVaultValuesEverywhere: conversation IDs for show
// and fork, role names for roles show|edit and ask --role, providers for
// keys add|edit --provider, and only chat keys for ask, models and
// conversations search --key (an admin key never chats).
func TestCompletionOffersVaultValuesEverywhere(t *testing.T) {
	e := newVault(t)
	_, url := testkit.Sim(t, sim.Options{})
	e.addSimKey("work", url)
	e.addSecretKey("org-admin", testkit.Canary(t), "--provider", "openai", "--admin")
	id := e.askJSON(tty{}, "hello").ConversationID
	e.writeRoleFile("reviewer", "---\ndescription: x\n---\nBe terse.\n")

	for line, want := range map[string]string{
		"vaultchat conversations show ":         id,
		"vaultchat conversations fork ":         id,
		"vaultchat roles show ":                 "reviewer",
		"vaultchat roles edit ":                 "reviewer",
		"vaultchat ask --role ":                 "reviewer",
		"vaultchat conversations search --key ": "work",
		"vaultchat keys edit work --provider ":  "openrouter",
		"vaultchat keys add new --provider ":    "groq",
	} {
		if got := e.completeLine(t, line); !slices.Contains(got, want) {
			t.Errorf("%q offers %q; want %q among them", line, got, want)
		}
	}
	for _, line := range []string{"vaultchat ask --key ", "vaultchat models --key ", "vaultchat conversations search --key "} {
		if got := e.completeLine(t, line); !slices.Contains(got, "work") || slices.Contains(got, "org-admin") {
			t.Errorf("%q offers %q; want work and not the admin key", line, got)
		}
	}
}
