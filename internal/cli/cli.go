// Package cli is vaultchat's command line: parsing (kong), the commands, and
// the mapping of their errors to messages and exit codes.
//
// Each command is a struct whose fields are its flags and arguments and
// whose Run method does the work. Run receives the *app, which holds the
// injected streams, environment and clock and the helpers every command
// shares (resolving paths, unlocking the vault, reading a secret), so
// tests drive commands through Main with fakes. Adding a command means
// adding a file with its struct and a field in root.
package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/alecthomas/kong"

	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/vault"
)

// Main runs vaultchat with args (without the program name) and returns
// the process exit code. Errors are printed to d.IO.ErrOut.
func Main(args []string, d Deps) int {
	a := newApp(d)
	err := a.run(args)
	printError(a.io.ErrOut, err, a.redactor)
	return ExitCode(err)
}

// kongExit is how kong's Exit (after --help or --version) leaves Parse:
// as a panic that run recovers, so tests keep their process.
type kongExit struct{ code int }

// newParser builds the kong parser for the root command: the whole
// grammar, or with keep only that top-level command (grammar.go).
func newParser(a *app, r *root, keep string) (*kong.Kong, error) {
	opts := []kong.Option{
		kong.Name("vaultchat"),
		kong.Description("A terminal chat client for OpenAI-compatible APIs, with API keys kept in an age-encrypted vault."),
		kong.Writers(a.io.Out, a.io.ErrOut),
		kong.Exit(func(code int) { panic(kongExit{code}) }),
		kong.Vars{"version": versionLine(), "providers": providers.NameList(), "openai_base_url": providers.OpenAIBaseURL},
		kong.ConfigureHelp(kong.HelpOptions{Compact: true, WrapUpperBound: 100}),
		// The root's flags (group "global") come after the command's
		// own in every --help: kong shows ungrouped flags first.
		kong.ExplicitGroups([]kong.Group{{Key: "global", Title: "Global flags:"}}),
		kong.Bind(a),
	}
	if keep != "" {
		opts = append(opts, onlyCommand(keep))
	}
	return kong.New(r, opts...)
}

// run parses args and runs the selected command.
func (a *app) run(args []string) (err error) {
	keep := ""
	if a.getenv(envCompLine) == "" {
		keep = commandToKeep(args)
	}
	r := &root{}
	parser, err := newParser(a, r, keep)
	if err != nil {
		return fmt.Errorf("build command line: %w", err)
	}
	defer func() {
		if v := recover(); v != nil {
			e, ok := v.(kongExit)
			if !ok {
				panic(v)
			}
			if e.code != 0 {
				err = &silentError{ExitUsage}
			} else {
				err = nil
			}
		}
	}()
	if a.complete(parser) {
		return nil
	}
	kctx, err := parser.Parse(args)
	for err != nil {
		joined, ok := joinNegativeNumber(args, err)
		if !ok {
			break
		}
		args = joined
		r = &root{}
		if parser, err = newParser(a, r, keep); err != nil {
			return fmt.Errorf("build command line: %w", err)
		}
		kctx, err = parser.Parse(args)
	}
	if err != nil && keep != "" {
		// The whole grammar's error, with its suggestions.
		r = &root{}
		if parser, err = newParser(a, r, ""); err != nil {
			return fmt.Errorf("build command line: %w", err)
		}
		kctx, err = parser.Parse(args)
	}
	if err != nil {
		return rewordEnum(err)
	}
	a.resolve(r)
	err = kctx.Run(a)
	if errors.Is(err, vault.ErrWrongPassphrase) && a.passphraseFile != "" {
		err = &wrongPassphraseFile{err: err, path: a.passphraseFile}
	}
	var ue *usageError
	if errors.As(err, &ue) {
		err = withHint(err, fmt.Sprintf("see %q", "vaultchat "+commandPath(kctx)+" --help"))
	}
	return err
}

// commandPath returns the selected command's name path, such as "keys add".
func commandPath(kctx *kong.Context) string {
	var parts []string
	for _, p := range kctx.Path {
		if p.Command != nil && !p.Command.Hidden {
			parts = append(parts, p.Command.Name)
		}
	}
	return strings.Join(parts, " ")
}
