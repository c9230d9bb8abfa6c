package cli

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/alecthomas/kong"
	"github.com/posener/complete"
	"github.com/willabides/kongplete"

	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/roles"
	"github.com/vaultchat/vaultchat/internal/session"
	"github.com/vaultchat/vaultchat/vault"
)

// Shell completion. The scripts "vaultchat completion SHELL" prints make
// the shell run vaultchat itself with COMP_LINE (and COMP_POINT) set, the
// protocol of bash's "complete -C"; vaultchat then prints the candidates,
// one a line, and exits. The commands and flags come from the kong model
// (willabides/kongplete turns it into a posener/complete tree), so
// completion never drifts from the command line; key names and
// conversation IDs are added from the vault when it opens without asking
// anything (an identity file, or the agent of "vaultchat unlock").

// envCompLine is set by the shell when it asks for completions.
const envCompLine = "COMP_LINE"

// completionBudget bounds the vault lookups of one completion: a shell
// waiting on TAB must never hang, so past it nothing is offered.
const completionBudget = 2 * time.Second

// completionCmd prints a shell's completion script.
type completionCmd struct {
	Shell string `arg:"" enum:"bash,zsh,fish" help:"The shell: bash, zsh or fish."`
}

// completionScripts are the shells' scripts. Each asks "vaultchat" on
// PATH, so it keeps working when the binary is rebuilt or moved.
var completionScripts = map[string]string{
	"bash": `# vaultchat completion for bash: add to ~/.bashrc
#   source <(vaultchat completion bash)
complete -o default -C vaultchat vaultchat
`,
	"zsh": `# vaultchat completion for zsh: add to ~/.zshrc
#   source <(vaultchat completion zsh)
(( $+functions[compdef] )) || { autoload -U +X compinit && compinit -u }
autoload -U +X bashcompinit && bashcompinit
complete -o default -C vaultchat vaultchat
`,
	"fish": `# vaultchat completion for fish: save as
#   vaultchat completion fish > ~/.config/fish/completions/vaultchat.fish
function __vaultchat_complete
    set -l token (commandline -ct)
    set -lx COMP_LINE (commandline -cp)
    test -z "$token"; and set COMP_LINE "$COMP_LINE "
    # fish replaces the whole token: keep a "--flag=" part in front.
    set -l prefix (string match -r -- '^--[^=]+=' $token); or set prefix ''
    for candidate in (command vaultchat 2>/dev/null)
        echo $prefix$candidate
    end
end
complete -c vaultchat -f -a '(__vaultchat_complete)'
`,
}

// Run prints the script.
func (c *completionCmd) Run(a *app) error {
	script, ok := completionScripts[c.Shell]
	if !ok {
		return usagef("no completion for shell %q; bash, zsh and fish have one", c.Shell)
	}
	_, err := io.WriteString(a.io.Out, script)
	return err
}

// Completion of values that only the vault knows: the positional
// arguments of these commands (the first one, or all of them when the
// command takes a list) and these flags.
var (
	completeArgs = map[string]string{
		"keys show": "key", "keys edit": "key", "keys rm": "key", "keys rotate": "key",
		"keys rename": "key", "keys check": "key", "exec": "key",
		"conversations rename": "conversation", "conversations rm": "conversation", "export": "conversation",
		"conversations show": "conversation", "conversations fork": "conversation",
		"roles show": "role", "roles edit": "role",
	}
	completeFlags = map[string]string{
		"ask --key": "chat key", "usage --key": "key", "models --key": "chat key", "ask --conversation": "conversation",
		"conversations search --key": "chat key", "ask --role": "role",
		"keys add --provider": "provider", "keys edit --provider": "provider",
	}
)

// complete answers the shell when COMP_LINE is set, and reports whether
// it did. It never prompts and never prints an error: a failure is no
// candidates.
func (a *app) complete(parser *kong.Kong) bool {
	if a.getenv(envCompLine) == "" {
		return false
	}
	cmd, err := kongplete.Command(parser)
	if err != nil {
		return true
	}
	values := &vaultValues{a: a}
	for path, kind := range completeArgs {
		if node := findNode(parser.Model.Node, path); node != nil {
			cmd = patchCommand(cmd, strings.Fields(path), func(c *complete.Command) {
				c.Args = &vaultArgs{node: node, predict: values.predictor(kind)}
			})
		}
	}
	for spec, kind := range completeFlags {
		path, flag := splitFlagSpec(spec)
		cmd = patchCommand(cmd, strings.Fields(path), func(c *complete.Command) {
			if _, ok := c.GlobalFlags[flag]; ok {
				c.GlobalFlags[flag] = values.predictor(kind)
			}
		})
	}
	c := complete.New(parser.Model.Name, cmd)
	c.Out = a.io.Out
	return c.Complete()
}

// splitFlagSpec splits "conversations search --key" into the command
// path and the flag.
func splitFlagSpec(spec string) (path, flag string) {
	i := strings.LastIndexByte(spec, ' ')
	return spec[:i], spec[i+1:]
}

// findNode returns the kong node of the command at path ("keys show"), or
// nil.
func findNode(node *kong.Node, path string) *kong.Node {
	for _, name := range strings.Fields(path) {
		i := slices.IndexFunc(node.Children, func(n *kong.Node) bool { return n.Name == name })
		if i < 0 {
			return nil
		}
		node = node.Children[i]
	}
	return node
}

// patchCommand applies fn to the completion command at path and returns
// cmd with it (complete.Commands holds values, so the change is written
// back on the way up).
func patchCommand(cmd complete.Command, path []string, fn func(*complete.Command)) complete.Command {
	if len(path) == 0 {
		fn(&cmd)
		return cmd
	}
	if sub, ok := cmd.Sub[path[0]]; ok {
		cmd.Sub[path[0]] = patchCommand(sub, path[1:], fn)
	}
	return cmd
}

// vaultArgs predicts a command's positional arguments from the vault:
// the first one, or every one when the command takes a list.
type vaultArgs struct {
	node    *kong.Node
	predict complete.Predictor
}

// Predict counts the positional arguments already typed after the
// command, skipping flags and the values of flags that take one.
func (v *vaultArgs) Predict(args complete.Args) []string {
	takesValue := map[string]bool{}
	for n := v.node; n != nil; n = n.Parent {
		for _, f := range n.Flags {
			if !f.Value.IsBool() {
				takesValue["--"+f.Name] = true
				if f.Short != 0 {
					takesValue["-"+string(f.Short)] = true
				}
			}
		}
	}
	position := 0
	for i := 0; i < len(args.Completed); i++ {
		word := args.Completed[i]
		switch {
		case word == "--":
			return nil // what follows is another program's command line
		case strings.HasPrefix(word, "-"):
			if takesValue[word] {
				i++
			}
		default:
			position++
		}
	}
	if len(v.node.Positional) == 0 {
		return nil
	}
	if position == 0 || v.node.Positional[0].IsCumulative() {
		return v.predict.Predict(args)
	}
	return nil
}

// vaultValues looks key names and conversation IDs up in the vault, once
// per completion, when it opens without asking anything.
type vaultValues struct {
	a *app
}

func (v *vaultValues) predictor(kind string) complete.Predictor {
	return complete.PredictFunc(func(complete.Args) []string {
		names, _ := v.lookup(kind)
		return names
	})
}

// lookup returns the key names or conversation IDs, giving up after
// completionBudget.
func (v *vaultValues) lookup(kind string) ([]string, error) {
	// Values that need no vault: no time limit, no unlocking.
	switch kind {
	case "provider":
		return providers.Names(), nil
	case "role":
		entries, err := roles.List(v.a.quietApp().rolesDir())
		var names []string
		for _, e := range entries {
			names = append(names, e.Name)
		}
		return names, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), completionBudget)
	defer cancel()
	type answer struct {
		names []string
		err   error
	}
	done := make(chan answer, 1)
	go func() {
		names, err := v.a.quietApp().vaultNames(kind)
		done <- answer{names, err}
	}()
	select {
	case r := <-done:
		return r.names, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// quietApp is a copy of a for completion: the global flags typed on the
// line apply, nothing is printed, and no passphrase can be asked for.
func (a *app) quietApp() *app {
	q := newApp(Deps{LookupEnv: func(k string) (string, bool) {
		if k == envPassphraseFile || k == envCompLine {
			return "", false
		}
		return a.lookupEnv(k)
	}, Environ: a.environ, Now: a.now})
	r := &root{}
	fields := strings.Fields(a.getenv(envCompLine))
	for i, word := range fields {
		name, value, hasValue := strings.Cut(word, "=")
		if !hasValue && i+1 < len(fields) {
			value = fields[i+1]
		}
		switch name {
		case "--home":
			r.Home = value
		case "--identity":
			r.Identity = value
		case "--config":
			r.Config = value
		}
	}
	q.resolve(r)
	q.passphraseFile = ""
	return q
}

// errWouldAsk means the vault cannot be opened without asking something.
var errWouldAsk = errors.New("the vault needs a passphrase")

// vaultNames opens the vault without asking anything and lists the key
// names ("key", or "chat key" for the keys that chat) or conversation
// IDs ("conversation").
func (a *app) vaultNames(kind string) ([]string, error) {
	if !vault.Exists(a.home) {
		return nil, vault.ErrNotInitialized
	}
	v, err := a.openThroughAgent(vault.Open, a.agentClient(false))
	var unavailable *agentUnavailable
	if errors.As(err, &unavailable) {
		opts := a.vaultOptions()
		if vault.UsesPassphrase(a.home, opts) {
			return nil, errWouldAsk
		}
		v, err = vault.Open(a.home, opts)
	}
	if err != nil {
		return nil, err
	}
	if kind == "key" || kind == "chat key" {
		defer v.Close()
		var names []string
		for _, k := range v.Keys() {
			// ask refuses admin and management keys: not offered there.
			if kind == "key" || k.ForChat() {
				names = append(names, k.Name)
			}
		}
		return names, nil
	}
	cfg, err := a.sessionConfig(false)
	if err != nil {
		v.Close()
		return nil, err
	}
	sess, err := session.Open(cfg, v)
	if err != nil {
		v.Close()
		return nil, err
	}
	defer sess.Close()
	list, err := sess.Conversations()
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(list))
	for i, s := range list {
		ids[i] = s.ID
	}
	return ids, nil
}
