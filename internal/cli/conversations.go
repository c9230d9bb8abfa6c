package cli

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/figures"
)

// conversationsCmd groups the commands on saved conversations.
type conversationsCmd struct {
	List convListCmd `cmd:"" help:"List conversations, newest first."`
	// Ls is "conversations ls", as "keys ls" and "roles ls"; hidden, as an
	// alias would widen the help's command column past one line.
	Ls     convListCmd   `cmd:"" name:"ls" hidden:"" help:"List conversations, newest first."`
	Search convSearchCmd `cmd:"" help:"Find conversations by words in titles and messages."`
	Show   convShowCmd   `cmd:"" help:"Show a conversation's messages with their numbers."`
	Fork   convForkCmd   `cmd:"" help:"Copy a conversation up to a message into a new one."`
	Rename convRenameCmd `cmd:"" help:"Rename a conversation."`
	Rm     convRmCmd     `cmd:"" help:"Delete a conversation."`
}

// convListCmd lists the saved conversations.
type convListCmd struct {
	JSON bool `name:"json" help:"Print JSON."`
}

// Run prints the table (or JSON).
func (c *convListCmd) Run(a *app) error {
	sess, err := a.openSession(false)
	if err != nil {
		return err
	}
	defer sess.Close()
	list, err := sess.Conversations()
	if err != nil {
		return err
	}
	if c.JSON {
		rows := make([]convRow, len(list))
		for i, s := range list {
			rows[i] = newConvRow(s)
		}
		return a.printJSON(rows)
	}
	if len(list) == 0 {
		fmt.Fprintln(a.io.ErrOut, `no conversations yet; start one with "vaultchat ask" or "vaultchat"`)
		return nil
	}
	tw := tabwriter.NewWriter(a.io.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUPDATED\tMESSAGES\tKEYS\tTOKENS\tCOST\tTITLE")
	for _, s := range list {
		t := s.Totals
		title := a.cell(s.Title)
		if p := s.Parent; p != nil {
			// The session titles a fork "X (fork)"; say it once, fully.
			title = a.cell(strings.TrimSuffix(s.Title, " (fork)"))
			title += fmt.Sprintf(" (fork of %s at #%d)", a.cell(p.ConversationID), p.MessageNumber)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", s.ID, s.Updated.Local().Format("2006-01-02 15:04"), s.Messages,
			a.cell(strings.Join(t.Keys, ",")), figures.Tokens(t.Usage.Total(), t.Usage.Estimated), t.Cost(), title)
	}
	return tw.Flush()
}

// convRow is a conversation as "conversations list --json" prints it.
type convRow struct {
	ID       string     `json:"id"`
	Title    string     `json:"title"`
	Updated  time.Time  `json:"updated"`
	Messages int        `json:"messages"`
	Keys     []string   `json:"keys"`
	Models   []string   `json:"models"`
	Usage    chat.Usage `json:"usage"`
	// CostUSD is null when nothing had a known price; with
	// CostIsLowerBound it leaves out CostUnknownTurns replies.
	CostUSD          *float64 `json:"cost_usd"`
	CostIsLowerBound bool     `json:"cost_is_lower_bound,omitempty"`
	CostUnknownTurns int      `json:"cost_unknown_turns,omitempty"`
	// Parent is set on a fork.
	Parent *chat.ForkRef `json:"parent,omitempty"`
}

func newConvRow(s chat.Summary) convRow {
	t := s.Totals
	cost := t.Cost()
	return convRow{
		ID: s.ID, Title: s.Title, Updated: s.Updated, Messages: s.Messages, Keys: t.Keys, Models: t.Models,
		Usage: t.Usage, CostUSD: cost.JSON(), CostIsLowerBound: cost.LowerBound, CostUnknownTurns: t.UnpricedTurns, Parent: s.Parent,
	}
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
	if strings.ContainsFunc(c.Title, unicode.IsControl) {
		return usagef("the title has control characters (an escape, a tab or a line break); give one line of plain text")
	}
	if n := utf8.RuneCountInString(c.Title); n > maxTitle {
		return usagef("the title is %d characters long; it can be at most %d characters", n, maxTitle)
	}
	sess, err := a.openSession(false)
	if err != nil {
		return err
	}
	defer sess.Close()
	if err := sess.Rename(c.ID, c.Title); err != nil {
		return err
	}
	a.printf("renamed conversation %s to %q\n", a.cell(c.ID), a.cell(sess.Redactor().String(c.Title)))
	return nil
}

// maxTitle is the longest title rename takes, in characters: what the
// store keeps of a title (store.Rename).
const maxTitle = 200

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
	sess, err := a.openSession(false)
	if err != nil {
		return err
	}
	defer sess.Close()
	conv, err := sess.Load(c.ID)
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
	if err := sess.Delete(c.ID); err != nil {
		return err
	}
	a.printf("deleted conversation %s\n", a.cell(c.ID))
	return nil
}
