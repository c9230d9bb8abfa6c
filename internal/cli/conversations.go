package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/vaultchat/vaultchat/internal/usage"
)

type conversationsCmd struct {
	List   convListCmd   `cmd:"" help:"List conversations, newest first."`
	Rename convRenameCmd `cmd:"" help:"Rename a conversation."`
	Rm     convRmCmd     `cmd:"" help:"Delete a conversation."`
}

type convListCmd struct {
	JSON bool `name:"json" help:"Print JSON."`
}

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

type convRenameCmd struct {
	ID    string `arg:"" help:"Conversation ID."`
	Title string `arg:"" help:"New title."`
}

func (c *convRenameCmd) Run(a *app) error {
	eng, v, err := a.openEngine(false)
	if err != nil {
		return err
	}
	defer v.Close()
	if strings.TrimSpace(c.Title) == "" {
		return usagef("the title is empty")
	}
	return eng.Store().Rename(c.ID, eng.Redactor().String(c.Title))
}

type convRmCmd struct {
	ID  string `arg:"" help:"Conversation ID."`
	Yes bool   `name:"yes" short:"y" help:"Do not ask for confirmation."`
}

func (c *convRmCmd) Run(a *app) error {
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
		if !a.io.IsStdinTTY {
			return withHint(fmt.Errorf("refusing to delete %s without confirmation", c.ID), "add --yes")
		}
		ok, err := a.confirm(fmt.Sprintf("delete conversation %q (%d messages)?", a.cell(conv.Title), len(conv.Messages)))
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("kept conversation %s", c.ID)
		}
	}
	if err := eng.Store().Delete(c.ID); err != nil {
		return err
	}
	fmt.Fprintf(a.io.ErrOut, "deleted conversation %s\n", c.ID)
	return nil
}
