package cli

import (
	"strings"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// convForkCmd forks a conversation.
type convForkCmd struct {
	ID   string `arg:"" help:"Conversation ID."`
	At   *int   `name:"at" placeholder:"N" help:"Fork after message N, as numbered by \"conversations show\" (default: the last)."`
	JSON bool   `name:"json" help:"Print the new conversation's ID and parent as JSON."`
}

// Run copies the conversation up to the message into a new one.
func (c *convForkCmd) Run(a *app) error {
	at := 0 // the last message
	if c.At != nil {
		if *c.At < 1 {
			return usagef("--at must be a message number, 1 or more")
		}
		at = *c.At
	}
	sess, err := a.openSession(false)
	if err != nil {
		return err
	}
	defer sess.Close()
	fork, err := sess.Fork(c.ID, at)
	if err != nil {
		return err
	}
	if c.JSON {
		return a.printJSON(struct {
			ID     string        `json:"id"`
			Title  string        `json:"title"`
			Parent *chat.ForkRef `json:"parent"`
		}{fork.ID, fork.Title, fork.Parent})
	}
	a.printf("forked %s at message %d as %s\n", a.cell(c.ID), fork.Parent.MessageNumber, a.cell(fork.ID))
	a.printf("continue it with: vaultchat ask --conversation %s \"…\"\n", a.cell(fork.ID))
	return nil
}

// convShowCmd prints a conversation's messages with their numbers.
type convShowCmd struct {
	ID string `arg:"" help:"Conversation ID."`
}

// showPreview bounds how much of each message "conversations show"
// prints: it is an overview for picking a message; export prints all.
const showPreview = 100

// Run prints one line per message: its number (what fork --at and search
// name), who wrote it, and the start of its text.
func (c *convShowCmd) Run(a *app) error {
	sess, err := a.openSession(false)
	if err != nil {
		return err
	}
	defer sess.Close()
	conv, err := sess.Load(c.ID)
	if err != nil {
		return err
	}
	red := sess.Redactor()
	a.printf("%s  %s\n", a.cell(conv.ID), a.cell(red.String(conv.Title)))
	if p := conv.Parent; p != nil {
		a.printf("forked from %s at message %d\n", a.cell(p.ConversationID), p.MessageNumber)
	}
	if r := conv.Role; r != nil {
		a.printf("role: %s\n", a.cell(r.Name))
	}
	for i, m := range conv.Messages {
		text := preview(a.cell(red.String(m.Content)), showPreview)
		if m.Role == chat.RoleNote {
			a.printf("      · %s\n", text)
			continue
		}
		a.printf("%5d %-9s %s\n", conv.Number(i), m.Role, text)
	}
	return nil
}

// preview is the start of s on one line, cut at n runes with "…".
func preview(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
