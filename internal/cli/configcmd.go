package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/vaultchat/vaultchat/internal/config"
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
}

// Run prints every setting as a TOML line (the output is itself a valid
// config.toml) with its default and whether the file sets it.
func (c *configShowCmd) Run(a *app) error {
	data, settings, err := a.describeConfig()
	if err != nil {
		return err
	}
	if c.JSON {
		return a.printJSON(configShowJSON{Path: a.configPath, Exists: data != nil, Settings: settings})
	}
	if data == nil {
		a.printf("# %s does not exist: every setting has its default\n", a.configPath)
	} else {
		a.printf("# %s\n", a.configPath)
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
		fmt.Fprintf(tw, "%s = %s\t# %s\n", s.Key, a.clean(tomlValue(s.Value)), source)
	}
	return tw.Flush()
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

// Run validates the file and says what it found.
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
	for _, s := range settings {
		if s.FromFile {
			set++
		}
	}
	a.printf("%s: ok (%d of its settings set, the rest default)\n", a.configPath, set)
	return nil
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
	for {
		if err := a.edit(editor, tf); err != nil {
			return err
		}
		_, err := config.Load(a.configPath)
		if err == nil {
			a.printf("%s: ok\n", a.configPath)
			return nil
		}
		if !a.io.IsStdinTTY {
			return withHint(err, `the file is kept as written; run "vaultchat config edit" again to fix it`)
		}
		printError(a.io.ErrOut, err, a.redactor)
		again, cerr := a.confirm("edit it again?")
		if cerr != nil || !again {
			return withHint(err, `the file is kept as written; run "vaultchat config edit" again to fix it`)
		}
	}
}
