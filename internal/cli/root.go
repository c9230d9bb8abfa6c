package cli

import (
	"github.com/alecthomas/kong"
)

// root is the command line: global flags, then one field per command
// group. Global flags may be given before or after the command name.
// Environment variables are read in app.resolve, not through kong, so that
// tests can inject them.
type root struct {
	Home           string           `name:"home" placeholder:"DIR" group:"global" help:"Vault home directory (env VAULTCHAT_HOME; default $$XDG_DATA_HOME/vaultchat)."`
	Config         string           `name:"config" placeholder:"FILE" group:"global" help:"Settings file (default $$XDG_CONFIG_HOME/vaultchat/config.toml)."`
	Identity       string           `name:"identity" placeholder:"FILE" group:"global" help:"Age identity file that unlocks the vault instead of a passphrase (env VAULTCHAT_IDENTITY)."`
	PassphraseFile string           `name:"passphrase-file" placeholder:"FILE" group:"global" help:"Read the vault passphrase from the first line of FILE (env VAULTCHAT_PASSPHRASE_FILE)."`
	Demo           bool             `name:"demo" group:"global" help:"Start the full-screen app against the built-in simulated provider."`
	Version        kong.VersionFlag `name:"version" group:"global" help:"Print the version and exit."`

	Init          initCmd          `cmd:"" help:"Create a new vault (passphrase, or --identity FILE)."`
	Passwd        passwdCmd        `cmd:"" help:"Change the vault passphrase."`
	Keys          keysCmd          `cmd:"" help:"Manage API keys."`
	Exec          execCmd          `cmd:"" help:"Run a command with a key in its environment."`
	Vault         vaultCmd         `cmd:"" help:"Manage vault recipients and backups."`
	Ask           askCmd           `cmd:"" help:"Ask one question and stream the reply to stdout."`
	Usage         usageCmd         `cmd:"" help:"Show tokens and cost per key, model or day."`
	Models        modelsCmd        `cmd:"" help:"List a key's models with context window and price."`
	Conversations conversationsCmd `cmd:"" help:"List, search, fork, rename and delete saved conversations."`
	Roles         rolesCmd         `cmd:"" help:"List, show and edit roles (reusable system prompts)."`
	Export        exportCmd        `cmd:"" help:"Export conversations as Markdown, JSON, text or HTML."`
	Import        importCmd        `cmd:"" help:"Import conversations (our JSON, ChatGPT's export)."`
	Simulate      simulateCmd      `cmd:"" help:"Run the built-in OpenAI-compatible test server."`
	Unlock        unlockCmd        `cmd:"" help:"Unlock once; commands then need no passphrase."`
	Lock          lockCmd          `cmd:"" help:"Make the agent forget the identity."`
	Agent         agentCmd         `cmd:"" help:"Show the agent's status."`
	ConfigCmd     configCmd        `cmd:"" name:"config" help:"Show, edit and check config.toml."`
	Completion    completionCmd    `cmd:"" help:"Print a shell completion script (bash, zsh or fish)."`
	Help          helpCmd          `cmd:"" hidden:"" help:"Show the help of a command."`
	VersionCmd    versionCmd       `cmd:"" name:"version" hidden:"" help:"Print the version."`
	App           appCmd           `cmd:"" default:"1" hidden:"" help:"Start the full-screen app."`
}

// appCmd is what runs without a command: the full-screen app, or with
// --demo the app on a throwaway vault and the simulator.
type appCmd struct{}

// Run starts the full-screen app.
func (c *appCmd) Run(a *app) error {
	if a.demo {
		return a.runDemo()
	}
	return a.runTUI()
}
