package cli

import "github.com/alecthomas/kong"

// A command group given alone ("vaultchat keys") prints its help, as gh
// does, rather than kong's "expected one of …" cut after five names.
// kong runs a group that has a Run method instead of asking for one of
// its commands, and also before the command chosen in it: groupHelp
// prints only when the group itself is what was selected.

func groupHelp(kctx *kong.Context) error {
	if len(kctx.Selected().Children) == 0 {
		return nil // a command of the group runs
	}
	return kctx.PrintUsage(false)
}

// Run prints the keys commands.
func (c *keysCmd) Run(kctx *kong.Context) error { return groupHelp(kctx) }

// Run prints the conversations commands.
func (c *conversationsCmd) Run(kctx *kong.Context) error { return groupHelp(kctx) }

// Run prints the roles commands.
func (c *rolesCmd) Run(kctx *kong.Context) error { return groupHelp(kctx) }

// Run prints the vault commands.
func (c *vaultCmd) Run(kctx *kong.Context) error { return groupHelp(kctx) }

// Run prints the config commands.
func (c *configCmd) Run(kctx *kong.Context) error { return groupHelp(kctx) }

// Run prints the agent commands.
func (c *agentCmd) Run(kctx *kong.Context) error { return groupHelp(kctx) }

// helpCmd is "vaultchat help [COMMAND…]": the same as --help.
type helpCmd struct {
	Command []string `arg:"" optional:"" help:"The command to describe."`
}

// Run prints the help of the command named, or of vaultchat.
func (c *helpCmd) Run(a *app) error { return a.run(append(c.Command, "--help")) }

// versionCmd is "vaultchat version": the same as --version.
type versionCmd struct{}

// Run prints the version line.
func (c *versionCmd) Run(a *app) error {
	a.printf("%s\n", versionLine())
	return nil
}
