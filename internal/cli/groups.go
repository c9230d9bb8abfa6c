package cli

import (
	"strings"

	"github.com/alecthomas/kong"
)

// A command group given alone ("vaultchat keys") is a usage error that
// names all its commands, rather than kong's "expected one of …" cut
// after five names. kong runs a group that has a Run method instead of
// asking for one of its commands, and also before the command chosen in
// it: groupHelp speaks only when the group itself was selected.
func groupHelp(kctx *kong.Context) error {
	node := kctx.Selected()
	if len(node.Children) == 0 {
		return nil // a command of the group runs
	}
	var names []string
	for _, c := range node.Children {
		if !c.Hidden {
			names = append(names, c.Name)
		}
	}
	return usagef("%s needs a command: %s", node.Name, strings.Join(names, ", "))
}

// Run names the keys commands.
func (c *keysCmd) Run(kctx *kong.Context) error { return groupHelp(kctx) }

// Run names the conversations commands.
func (c *conversationsCmd) Run(kctx *kong.Context) error { return groupHelp(kctx) }

// Run names the roles commands.
func (c *rolesCmd) Run(kctx *kong.Context) error { return groupHelp(kctx) }

// Run names the vault commands.
func (c *vaultCmd) Run(kctx *kong.Context) error { return groupHelp(kctx) }

// Run names the config commands.
func (c *configCmd) Run(kctx *kong.Context) error { return groupHelp(kctx) }

// Run names the agent commands.
func (c *agentCmd) Run(kctx *kong.Context) error { return groupHelp(kctx) }

// helpCmd is "vaultchat help [COMMAND…]": the same as --help.
type helpCmd struct {
	Command []string `arg:"" optional:"" help:"The command to describe."`
}

// Run names the help of the command named, or of vaultchat.
func (c *helpCmd) Run(a *app) error { return a.run(append(c.Command, "--help")) }

// versionCmd is "vaultchat version": the same as --version.
type versionCmd struct{}

// Run names the version line.
func (c *versionCmd) Run(a *app) error {
	a.printf("%s\n", versionLine())
	return nil
}
