package cli

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/vaultchat/vaultchat/internal/usage"
)

// conversationsCmd groups the commands on saved conversations.
type conversationsCmd struct {
	List   convListCmd   `cmd:"" help:"List conversations, newest first."`
	Rename convRenameCmd `cmd:"" help:"Rename a conversation."`
	Rm     convRmCmd     `cmd:"" help:"Delete a conversation."`
}

// convListCmd lists the saved conversations.
type convListCmd struct {
	JSON bool `name:"json" help:"Print JSON."`
}

// Run prints the table (or JSON).
func (c *convListCmd) Run(a *app) error {
	eng, v, err := a.openEngine(false)
	if err != nil {
		return err
	}
	defer v.Close()
	list, err := eng.Store().List()
	if err != nil {
		return err
	}
	if c.JSON {
		return a.printJSON(list)
	}
	if len(list) == 0 {
		fmt.Fprintln(a.io.ErrOut, `no conversations yet; start one with "vaultchat ask" or "vaultchat"`)
		return nil
	}
	tw := tabwriter.NewWriter(a.io.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUPDATED\tMESSAGES\tKEYS\tTOKENS\tCOST\tTITLE")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", s.ID, s.Updated.Local().Format("2006-01-02 15:04"), s.Messages,
			a.cell(strings.Join(s.KeyNames, ",")), usage.FormatTokens(s.Usage.Total(), s.Usage.Estimated),
			usage.FormatUSD(s.CostUSD, s.CostKnown, s.Usage.Estimated), a.cell(s.Title))
	}
	return tw.Flush()
}

// convRenameCmd renames a conversation.
type convRenameCmd struct {
	ID    string `arg:"" help:"Conversation ID."`
	Title string `arg:"" help:"New title."`
}

// Run sets the title, redacted like everything else that is stored.
func (c *convRenameCmd) Run(a *app) error {
	if strings.TrimSpace(c.Title) == "" {
		return usagef("the title is empty")
	}
	eng, v, err := a.openEngine(false)
	if err != nil {
		return err
	}
	defer v.Close()
	title := eng.Redactor().String(c.Title)
	if err := eng.Store().Rename(c.ID, title); err != nil {
		return err
	}
	a.printf("renamed conversation %s to %q\n", a.cell(c.ID), a.cell(title))
	return nil
}

// convRmCmd deletes a conversation.
type convRmCmd struct {
	ID  string `arg:"" help:"Conversation ID."`
	Yes bool   `name:"yes" short:"y" help:"Do not ask for confirmation."`
}

// Run asks (on a terminal) and deletes the conversation, as "keys rm"
// does for a key: declining keeps it and is not an error.
func (c *convRmCmd) Run(a *app) error {
	if !c.Yes && !a.io.IsStdinTTY {
		return withHint(errors.New("refusing to delete a conversation without confirmation: stdin is not a terminal"),
			"pass --yes to delete it without asking")
	}
	eng, v, err := a.openEngine(false)
	if err != nil {
		return err
	}
	defer v.Close()
	conv, err := eng.Store().Load(c.ID)
	if err != nil {
		return err
	}
	if !c.Yes {
		ok, err := a.confirm(fmt.Sprintf("delete conversation %q (%d messages)?", a.cell(conv.Title), len(conv.Messages)))
		if err != nil {
			return err
		}
		if !ok {
			a.printf("kept conversation %s\n", a.cell(c.ID))
			return nil
		}
	}
	if err := eng.Store().Delete(c.ID); err != nil {
		return err
	}
	a.printf("deleted conversation %s\n", a.cell(c.ID))
	return nil
}
