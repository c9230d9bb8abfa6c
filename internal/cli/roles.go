package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"text/tabwriter"

	"github.com/adrg/xdg"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/roles"
	"github.com/vaultchat/vaultchat/internal/session"
)

// rolesCmd groups the commands on role files.
type rolesCmd struct {
	List rolesListCmd `cmd:"" aliases:"ls" help:"List the roles (and files that do not parse)."`
	Show rolesShowCmd `cmd:"" help:"Show a role's settings and system prompt."`
	Edit rolesEditCmd `cmd:"" help:"Edit a role in your editor (new: from a template)."`
}

// rolesDir is where role files live: $XDG_CONFIG_HOME/vaultchat/roles,
// whatever --config names.
func (a *app) rolesDir() string {
	return filepath.Join(a.xdgDir("XDG_CONFIG_HOME", xdg.ConfigHome), "vaultchat", "roles")
}

// rolesListCmd lists the role files.
type rolesListCmd struct {
	JSON bool `name:"json" help:"Print JSON."`
}

// roleRow is a role as "roles list --json" prints it.
type roleRow struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Model       string   `json:"model,omitempty"`
	Key         string   `json:"key,omitempty"`
	Temperature *float64 `json:"temperature,omitempty"`
	Error       string   `json:"error,omitempty"`
}

// Run prints one row per role file; a file that does not parse shows
// its error instead of its settings.
func (c *rolesListCmd) Run(a *app) error {
	list, err := roles.List(a.rolesDir())
	if err != nil {
		return err
	}
	rows := make([]roleRow, len(list))
	for i, e := range list {
		rows[i] = roleRow{Name: e.Name}
		if e.Err != nil {
			rows[i].Error = e.Err.Error()
			continue
		}
		r := e.Role
		rows[i].Description, rows[i].Model, rows[i].Key, rows[i].Temperature = r.Description, r.Model, r.Key, r.Temperature
	}
	if c.JSON {
		return a.printJSON(rows)
	}
	if len(rows) == 0 {
		fmt.Fprintf(a.io.ErrOut, "no roles yet in %s; create one with \"vaultchat roles edit NAME\"\n", a.clean(a.rolesDir()))
		return nil
	}
	tw := tabwriter.NewWriter(a.io.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tMODEL\tKEY\tTEMPERATURE\tDESCRIPTION")
	for _, r := range rows {
		if r.Error != "" {
			fmt.Fprintf(tw, "%s\t\t\t\terror: %s\n", a.cell(r.Name), a.cell(r.Error))
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.cell(r.Name), a.cell(r.Model), a.cell(r.Key), temperature(r.Temperature), a.cell(r.Description))
	}
	return tw.Flush()
}

func temperature(t *float64) string {
	if t == nil {
		return ""
	}
	return strconv.FormatFloat(*t, 'g', -1, 64)
}

// rolesShowCmd prints one role.
type rolesShowCmd struct {
	Name string `arg:"" help:"Role name (the file NAME.md in the roles directory)."`
}

// Run prints the settings, then the prompt. Role files are the user's
// own, but they may have been copied from anywhere: printed text is
// sanitized and key-shaped strings masked like everything else.
func (c *rolesShowCmd) Run(a *app) error {
	r, err := loadRole(a, c.Name)
	if err != nil {
		return err
	}
	a.printf("role:        %s\nfile:        %s\n", a.clean(r.Name), a.clean(r.Path))
	for _, f := range [][2]string{{"description", r.Description}, {"model", r.Model}, {"key", r.Key}, {"temperature", temperature(r.Temperature)}} {
		if f[1] != "" {
			a.printf("%-13s%s\n", f[0]+":", a.clean(f[1]))
		}
	}
	a.printf("\n%s\n", a.clean(r.Prompt))
	return nil
}

// loadRole reads a role with errors a user can act on.
func loadRole(a *app, name string) (*roles.Role, error) {
	r, err := roles.Load(a.rolesDir(), name)
	if errors.Is(err, roles.ErrNotFound) {
		return nil, withHint(err, fmt.Sprintf("create it with \"vaultchat roles edit %s\"; \"vaultchat roles list\" shows the roles", name))
	}
	return r, err
}

// rolesEditCmd opens a role file in the user's editor.
type rolesEditCmd struct {
	Name string `arg:"" help:"Role name (the file NAME.md in the roles directory)."`
}

// Run creates the file from the template when it is missing (directory
// 0700, file 0600: a system prompt can be private), runs the editor on
// it, and checks the result, so a mistake shows at once rather than at
// the next "ask --role".
func (c *rolesEditCmd) Run(a *app) error {
	if err := roles.ValidateName(c.Name); err != nil {
		return usagef("%v", err)
	}
	editor, err := a.editor()
	if err != nil {
		return err
	}
	dir := a.rolesDir()
	path := roles.Path(dir, c.Name)
	tf, err := createFromTemplate(path, roles.Template, true)
	if err != nil {
		return fmt.Errorf("create role file: %w", err)
	}
	if tf.created {
		a.printf("created %s from the template\n", a.clean(path))
	}
	// The editor gets the terminal, and the file's path as its last
	// argument (never a secret).
	check := func() error {
		_, err := roles.Load(dir, c.Name)
		return err
	}
	if err := a.editChecked(editor, tf, check, "vaultchat roles edit "+c.Name); err != nil {
		return err
	}
	a.printf("role %s saved\n", a.clean(c.Name))
	return nil
}

// roleForAsk loads the role of "ask --role" and checks it against the
// vault before anything is created or sent: the key it names must exist
// and allow the model (session.CheckModel, the engine's own rule), each
// error naming the file and the line. The key and model given as flags
// win over the role's.
func roleForAsk(a *app, sess *session.Session, name, key, model string) (*chat.RoleRef, string, string, error) {
	r, err := loadRole(a, name)
	if err != nil {
		return nil, "", "", err
	}
	keyFromRole, modelFromRole := key == "" && r.Key != "", model == "" && r.Model != ""
	if keyFromRole {
		key = r.Key
	}
	if modelFromRole {
		model = r.Model
	}
	if err := sess.CheckModel(key, model); err != nil {
		// Point at the role's line only when the role chose what failed.
		var na *session.ModelNotAllowedError
		switch {
		case errors.As(err, &na) && modelFromRole:
			return nil, "", "", r.ErrorAt("model", err)
		case keyFromRole:
			return nil, "", "", r.ErrorAt("key", err)
		}
		return nil, "", "", err
	}
	ref := &chat.RoleRef{Name: r.Name, Description: r.Description, Text: r.Prompt, Model: r.Model, Key: r.Key, Temperature: r.Temperature}
	return ref, key, model, nil
}
