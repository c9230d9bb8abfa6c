package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/vaultchat/vaultchat/internal/config"
	"github.com/vaultchat/vaultchat/internal/session"
	"github.com/vaultchat/vaultchat/vault"
)

// configCmd groups the commands on config.toml.
type configCmd struct {
	Path  configPathCmd  `cmd:"" help:"Print where config.toml is."`
	Show  configShowCmd  `cmd:"" help:"Print the effective settings and their defaults."`
	Edit  configEditCmd  `cmd:"" help:"Edit config.toml in $$EDITOR, then check it."`
	Check configCheckCmd `cmd:"" help:"Check config.toml; an error names its line."`
}

type configPathCmd struct{}

// Run prints the path; whether the file exists goes to stderr, so the
// output can be used as is ("$EDITOR $(vaultchat config path)").
func (c *configPathCmd) Run(a *app) error {
	a.printf("%s\n", a.configPath)
	if _, err := os.Stat(a.configPath); errors.Is(err, fs.ErrNotExist) {
		if a.configGiven {
			fmt.Fprintln(a.io.ErrOut, `vaultchat: the file does not exist; the other commands refuse it until "vaultchat config edit" creates it`)
		} else {
			fmt.Fprintln(a.io.ErrOut, `vaultchat: the file does not exist: every setting has its default ("vaultchat config edit" creates it)`)
		}
	}
	return nil
}

type configShowCmd struct {
	JSON bool `name:"json" help:"Print JSON."`
}

// configShowJSON is what "config show --json" prints.
type configShowJSON struct {
	Path     string           `json:"path"`
	Exists   bool             `json:"exists"`
	Settings []config.Setting `json:"settings"`
	// Problems are the file's problems about no listed setting; a
	// setting's own is its "problem".
	Problems []string `json:"problems,omitempty"`
}

// Run prints every setting as a TOML line (the output is itself a valid
// config.toml) with its default and whether the file sets it. A setting
// the file gets wrong is shown at its default and marked; the command
// then fails, after showing what it could.
func (c *configShowCmd) Run(a *app) error {
	data, err := a.readConfig()
	if err != nil {
		return err
	}
	settings, unplaced := config.DescribeLenient(data)
	problem := firstProblem(settings, unplaced)
	if c.JSON {
		out := configShowJSON{Path: a.configPath, Exists: data != nil, Settings: settings}
		for _, p := range unplaced {
			out.Problems = append(out.Problems, p.Error())
		}
		if err := a.printJSON(out); err != nil {
			return err
		}
	} else if err := c.print(a, data != nil, settings, unplaced); err != nil {
		return err
	}
	if problem != nil {
		return configError(a.configPath, problem)
	}
	return nil
}

func (c *configShowCmd) print(a *app, exists bool, settings []config.Setting, unplaced []error) error {
	if !exists {
		a.printf("# %s does not exist: every setting has its default\n", a.configPath)
	} else {
		a.printf("# %s\n", a.configPath)
	}
	for _, p := range unplaced {
		a.printf("# not used: %s\n", a.clean(p.Error()))
	}
	tw := tabwriter.NewWriter(a.io.Out, 0, 0, 2, ' ', 0)
	for _, s := range settings {
		source := "default"
		if s.Default == nil {
			source = "not set"
		}
		if s.FromFile {
			source = "from the file"
			if s.Default != nil {
				source += "; default " + tomlValue(s.Default)
			}
		}
		if s.Problem != "" {
			source = "default; the file's value is not used: " + s.Problem
		}
		fmt.Fprintf(tw, "%s = %s\t# %s\n", s.Key, a.clean(tomlValue(s.Value)), a.clean(source))
	}
	return tw.Flush()
}

// firstProblem is the first problem of the file: of a setting, else an
// unplaced one; nil for a good file.
func firstProblem(settings []config.Setting, unplaced []error) error {
	for _, s := range settings {
		if s.Problem != "" {
			return errors.New(s.Problem)
		}
	}
	if len(unplaced) > 0 {
		return unplaced[0]
	}
	return nil
}

// describeConfig reads and parses the settings file: its content (nil
// when there is none) and every setting.
func (a *app) describeConfig() ([]byte, []config.Setting, error) {
	data, err := a.readConfig()
	if err != nil {
		return nil, nil, err
	}
	settings, err := config.Describe(data)
	if err != nil {
		return nil, nil, configError(a.configPath, err)
	}
	return data, settings, nil
}

// readConfig reads the settings file; a missing file is nil, unless
// --config named it.
func (a *app) readConfig() ([]byte, error) {
	data, err := config.Read(a.configPath)
	if err != nil {
		return nil, withHint(err, "the settings must be a file; remove or fix what is at that path")
	}
	if data == nil && a.configGiven {
		return nil, withHint(fmt.Errorf("config file %s does not exist", a.configPath), "check the --config path, or drop the flag to use the defaults")
	}
	return data, err
}

// configError is an invalid settings file, with the ways to fix it.
func configError(path string, err error) error {
	return withHint(fmt.Errorf("config %s: %w", path, err), `fix it with "vaultchat config edit"; every setting is optional`)
}

// tomlValue writes v as a TOML value.
func tomlValue(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	default:
		return fmt.Sprint(v)
	}
}

type configCheckCmd struct{}

// Run validates the file and says what it found. default_key is looked
// up in the vault when the vault opens without a prompt; otherwise the
// output says it was not.
func (c *configCheckCmd) Run(a *app) error {
	data, settings, err := a.describeConfig()
	if err != nil {
		return err
	}
	if data == nil {
		a.printf("%s does not exist: every setting has its default\n", a.configPath)
		return nil
	}
	set := 0
	defaultKey := ""
	for _, s := range settings {
		if s.FromFile {
			set++
		}
		if s.Key == "default_key" {
			defaultKey, _ = s.Value.(string)
		}
	}
	if defaultKey != "" {
		if err := a.checkDefaultKey(defaultKey); err != nil {
			return err
		}
	}
	a.printf("%s: ok (%d of its settings set, the rest default)\n", a.configPath, set)
	return nil
}

// checkDefaultKey looks default_key (name) up in the vault if it opens
// without a prompt, and says what it found or that it did not look.
func (a *app) checkDefaultKey(name string) error {
	v, why, err := a.openWithoutPrompt()
	if err != nil {
		return fmt.Errorf("check default_key: %w", err)
	}
	if v == nil {
		a.printf("default_key %q was not checked against the vault: %s\n", a.clean(name), why)
		return nil
	}
	defer v.Close()
	if _, err := session.DefaultKey(v, name); err != nil {
		if errors.Is(err, vault.ErrKeyNotFound) {
			return err // it has its hint: list the keys
		}
		return withHint(err, `default_key must name a chat key; fix it with "vaultchat config edit"`)
	}
	a.printf("default_key %q is a chat key of the vault\n", a.clean(name))
	return nil
}

// openWithoutPrompt opens the vault when nobody has to be asked: through
// the agent, or with an identity or passphrase file. It returns a nil
// vault, and why, when it would need a prompt (or there is no vault).
func (a *app) openWithoutPrompt() (*vault.Vault, string, error) {
	if !vault.Exists(a.home) {
		return nil, "there is no vault yet", nil
	}
	v, err := a.openThroughAgent(vault.Open, a.agentClient(false))
	var unavailable *agentUnavailable
	switch {
	case err == nil:
		a.adopt(v)
		return v, "", nil
	case !errors.As(err, &unavailable):
		return nil, "", err
	case vault.UsesPassphrase(a.home, a.vaultOptions()) && a.passphraseFile == "":
		return nil, `it needs the passphrase (run "vaultchat unlock" first to have it checked)`, nil
	}
	v, err = vault.Open(a.home, a.vaultOptions())
	if err != nil {
		return nil, "", err
	}
	a.adopt(v)
	return v, "", nil
}

type configEditCmd struct{}

// Run opens the file in the user's editor and checks it afterwards. On a
// terminal a file with an error can be edited again at once; elsewhere
// the error is reported and the file kept as written.
func (c *configEditCmd) Run(a *app) error {
	editor, err := a.editor()
	if err != nil {
		return err
	}
	// The default path's directory is made for it; a --config naming a
	// missing directory is a mistake.
	tf, err := createFromTemplate(a.configPath, config.Template, !a.configGiven)
	if errors.Is(err, fs.ErrNotExist) {
		return withHint(fmt.Errorf("create config: %w", err), "create its directory first, or give another --config FILE")
	}
	if err != nil {
		return fmt.Errorf("create config: %w", err)
	}
	if tf.created {
		a.printf("created %s from the template\n", a.clean(a.configPath))
	}
	check := func() error {
		_, err := config.Load(a.configPath)
		return err
	}
	if err := a.editChecked(editor, tf, check, "vaultchat config edit"); err != nil {
		return err
	}
	a.printf("%s: ok\n", a.configPath)
	return nil
}
