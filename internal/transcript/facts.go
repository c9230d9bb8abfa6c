package transcript

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/figures"
)

// totals are the figures of a whole conversation shown at the top of every
// export: the message count and the conversation's totals, the same
// figures the side pane and the conversation lists show.
type totals struct {
	Messages int
	chat.Totals
}

func computeTotals(c *chat.Conversation) totals {
	return totals{Messages: len(c.Messages), Totals: c.Totals()}
}

// humanTime is how the human-readable formats show a time: UTC, to the
// second, the same whatever the local zone.
func humanTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// rfc3339 is how JSON and YAML carry a time: RFC 3339 in UTC, with
// fractional seconds only when the time has them.
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// formatTokens shows a token count exactly, "~" in front when it was
// estimated.
func formatTokens(u chat.Usage) string {
	return figures.Estimated(figures.Count(u.Total())+" tokens", u.Estimated)
}

// formatDuration shows a turn's duration to a tenth of a second.
func formatDuration(d time.Duration) string {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// roleLabel is the heading of a message.
func roleLabel(r chat.Role) string {
	switch r {
	case chat.RoleUser:
		return "User"
	case chat.RoleAssistant:
		return "Assistant"
	case chat.RoleSystem:
		return "System"
	case chat.RoleNote:
		return "Note"
	}
	s := oneLine(string(r))
	if s == "" {
		return "Message"
	}
	first, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(first)) + s[n:]
}

// messageFacts returns the parts of a message's metadata line: its time
// and, for a turn, key, model, tokens, cost, duration and whether it is
// incomplete. Unknown figures are left out rather than shown as zero.
func messageFacts(m chat.Message) []string {
	var facts []string
	if s := humanTime(m.Time); s != "" {
		facts = append(facts, s)
	}
	t := m.Turn
	if t == nil || m.Role == chat.RoleNote {
		return facts
	}
	if t.KeyName != "" {
		facts = append(facts, "key "+t.KeyName)
	}
	if t.Model != "" {
		facts = append(facts, t.Model)
	}
	if t.Usage.Total() != 0 || t.Usage.Estimated {
		facts = append(facts, formatTokens(t.Usage))
	}
	if t.CostUSD != nil {
		facts = append(facts, t.Cost().String())
	}
	if t.Duration > 0 {
		facts = append(facts, formatDuration(t.Duration))
	}
	if t.Incomplete {
		facts = append(facts, chat.IncompleteWords(t.IncompleteReason))
	}
	return facts
}

// errorLine is the failure of a turn in words, or "".
func errorLine(m chat.Message) string {
	if m.Turn == nil || m.Turn.Error == nil {
		return ""
	}
	e := m.Turn.Error
	if e.Message != "" {
		return e.Message
	}
	return string(e.Class)
}

// factSep joins the parts of a metadata line.
const factSep = " · "

// summaryFacts are the document-level figures as label/value pairs, shared
// by the plain-text and HTML headers.
func summaryFacts(c *chat.Conversation, t totals) [][2]string {
	var out [][2]string
	add := func(k, v string) {
		if v != "" {
			out = append(out, [2]string{k, v})
		}
	}
	add("ID", c.ID)
	add("Created", humanTime(c.Created))
	add("Updated", humanTime(c.Updated))
	add("Source", c.Source)
	add("Role", roleFact(c.Role))
	add("Forked from", forkFact(c.Parent))
	add("Keys", strings.Join(t.Keys, ", "))
	add("Models", strings.Join(t.Models, ", "))
	add("Messages", figures.Count(int64(t.Messages)))
	if t.Usage.Total() != 0 || t.Usage.Estimated {
		tok := formatTokens(t.Usage)
		if t.Usage.Estimated {
			tok += " (some estimated)"
		}
		add("Tokens", tok)
	}
	switch cost := t.Cost().String(); {
	case t.UnpricedTurns > 0:
		add("Cost", cost+" ("+plural(t.UnpricedTurns, "turn")+" at an unknown price)")
	case t.PricedTurns > 0:
		add("Cost", cost)
	}
	return out
}

// plural returns "1 turn", "2 turns".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// roleFact describes the role a conversation started with: its name and
// the settings it set.
func roleFact(r *chat.RoleRef) string {
	if r == nil {
		return ""
	}
	var set []string
	if r.Model != "" {
		set = append(set, "model "+r.Model)
	}
	if r.Key != "" {
		set = append(set, "key "+r.Key)
	}
	if r.Temperature != nil {
		set = append(set, "temperature "+strconv.FormatFloat(*r.Temperature, 'g', -1, 64))
	}
	out := r.Name
	if r.Description != "" {
		out += " — " + r.Description
	}
	if len(set) > 0 {
		out += " (" + strings.Join(set, ", ") + ")"
	}
	return out
}

// forkFact names the conversation and message a fork branched from.
func forkFact(p *chat.ForkRef) string {
	if p == nil {
		return ""
	}
	if p.MessageNumber > 0 {
		return fmt.Sprintf("%s at message %d", p.ConversationID, p.MessageNumber)
	}
	return p.ConversationID
}

// versionLabel numbers sibling branch j of a message by where it nests
// in an --all-branches export: "2" at the top, "2.1" for the first other
// version of a message inside other version 2. Numbers, not indents:
// indenting would turn Markdown into code blocks, and the labels tell a
// reader which "end of" line closes which version.
func versionLabel(outer string, j int) string {
	if outer == "" {
		return strconv.Itoa(j + 1)
	}
	return outer + "." + strconv.Itoa(j+1)
}

// branchHeading introduces the other version labeled label, sibling
// branch j of a message that has n siblings, in an --all-branches
// export: the message above it is the version its branch goes on with.
func branchHeading(label string, j, n int) string {
	if !strings.Contains(label, ".") {
		return fmt.Sprintf("Other version %d of %d of the message above (not the current branch):", j+1, n)
	}
	outer := label[:strings.LastIndexByte(label, '.')]
	return fmt.Sprintf("Other version %s (%d of %d of the message above, inside other version %s):", label, j+1, n, outer)
}

// branchEnd closes the other version labeled label.
func branchEnd(label string) string { return "(end of other version " + label + ")" }
