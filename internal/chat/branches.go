package chat

import (
	"fmt"
	"slices"
)

// A conversation's messages are its current branch. A message may hold
// Siblings: the other versions of the conversation from that message on.
// Regenerate makes one (the replaced reply becomes a sibling of the new
// one), and SwitchBranch makes another version current, keeping the one
// it replaces as a sibling, so nothing is lost and a UI can show "2/3"
// on the message and flip with ←/→. Requests, search and default
// exports see only the current branch; totals count every version (what
// a replaced reply spent was spent).

// Versions returns how many versions the message at index i has (1 when
// it has no sibling) and which of them, oldest first and 0-based, is
// current.
func (c *Conversation) Versions(i int) (current, total int) {
	m := &c.Messages[i]
	current = 0
	for _, b := range m.Siblings {
		if len(b.Messages) > 0 && b.Messages[0].Time.Before(m.Time) {
			current++
		}
	}
	return current, len(m.Siblings) + 1
}

// SwitchBranch makes version k (0-based, oldest first, as Versions counts
// them) of the message with ID id current: the message and everything
// after it become a sibling branch, and that version's messages take
// their place.
func (c *Conversation) SwitchBranch(id string, k int) error {
	i := slices.IndexFunc(c.Messages, func(m Message) bool { return m.ID == id })
	if i < 0 {
		return fmt.Errorf("no message %q in the conversation", id)
	}
	head := c.Messages[i]
	current, total := c.Versions(i)
	if k < 0 || k >= total {
		return fmt.Errorf("message %q has %d versions; there is no version %d", id, total, k+1)
	}
	if k == current {
		return nil
	}
	// All versions, oldest first: the current one is a branch too.
	tail := slices.Clone(c.Messages[i:])
	tail[0].Siblings = nil
	all := slices.Clone(head.Siblings)
	all = slices.Insert(all, current, Branch{Messages: tail})
	chosen := all[k]
	rest := slices.Delete(slices.Clone(all), k, k+1)
	msgs := slices.Clone(chosen.Messages)
	msgs[0].Siblings = rest
	c.Messages = append(c.Messages[:i:i], msgs...)
	return nil
}

// BranchOf returns the replaced messages as one sibling branch for the
// message that replaces the first of them, after the siblings that first
// message held itself (oldest first): a reply regenerated twice has two
// siblings. Siblings of later replaced messages are versions of later
// positions and stay on them, inside the branch.
func BranchOf(replaced []Message) []Branch {
	if len(replaced) == 0 {
		return nil
	}
	msgs := slices.Clone(replaced)
	out := slices.Clone(msgs[0].Siblings)
	msgs[0].Siblings = nil
	return append(out, Branch{Messages: msgs})
}
