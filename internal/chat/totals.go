package chat

import "github.com/vaultchat/vaultchat/internal/figures"

// Totals is what a conversation spent, as every face shows it: the side
// pane's conversation row, both conversation lists, and the head of every
// export. Conversation.Totals is the one place these figures are made.
type Totals struct {
	// Usage sums the tokens of every reply; Usage.Estimated is set when
	// any of them were counted locally.
	Usage Usage
	// CostUSD sums the replies with a known price.
	CostUSD float64
	// PricedTurns counts the replies with a known price; UnpricedTurns
	// those without one that spent something: tokens, or text whose
	// figures were never reported (an imported ChatGPT reply).
	PricedTurns   int
	UnpricedTurns int
	// Keys and Models are the key names and models of the replies, in
	// order of first use.
	Keys   []string
	Models []string
}

// Totals sums the replies of every version of the conversation: the
// current branch and the sibling branches a regenerate or an
// edit-and-resend kept (Message.Siblings), since what a replaced reply
// spent is part of what the conversation spent. Each message lives in
// one place of that tree, so nothing is counted twice. Only assistant
// messages count: their Turn is a request; a note may carry a Turn but
// costs nothing. A failed reply without text, tokens or price spent
// nothing. A fork's copies of its parent's messages (Message.Inherited)
// were spent by the parent and are left out.
func (c *Conversation) Totals() Totals {
	t := Totals{Keys: []string{}, Models: []string{}}
	t.addAll(c.Messages)
	return t
}

// addAll counts the replies of msgs and of their sibling branches.
func (t *Totals) addAll(msgs []Message) {
	for i := range msgs {
		m := &msgs[i]
		if m.Inherited {
			continue // its siblings were copied with it
		}
		if m.Role == RoleAssistant && m.Turn != nil {
			t.add(m.Turn, m.Content != "")
		}
		for _, b := range m.Siblings {
			t.addAll(b.Messages)
		}
	}
}

// add counts one reply; hasText says whether it has text.
func (t *Totals) add(tu *Turn, hasText bool) {
	t.Keys = appendNew(t.Keys, tu.KeyName)
	t.Models = appendNew(t.Models, tu.Model)
	t.Usage = t.Usage.Add(tu.Usage)
	switch {
	case tu.CostUSD != nil:
		t.CostUSD += *tu.CostUSD
		t.PricedTurns++
	case tu.Usage.Total() > 0 || !tu.Incomplete || hasText:
		t.UnpricedTurns++
	}
}

// Cost is the conversation's cost as a figure: a lower bound when some
// replies had no known price, unknown only when none had one.
func (t Totals) Cost() figures.Cost {
	return figures.Cost{
		USD:        t.CostUSD,
		Unknown:    t.PricedTurns == 0 && t.UnpricedTurns > 0,
		LowerBound: t.PricedTurns > 0 && t.UnpricedTurns > 0,
		Estimated:  t.Usage.Estimated,
	}
}

// Cost is the reply's cost as a figure: unknown when its model had no
// known price.
func (t *Turn) Cost() figures.Cost {
	if t == nil || t.CostUSD == nil {
		return figures.Cost{Unknown: true}
	}
	return figures.Cost{USD: *t.CostUSD, Estimated: t.Usage.Estimated}
}

func appendNew(list []string, s string) []string {
	if s == "" {
		return list
	}
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
