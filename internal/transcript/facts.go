package transcript

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// totals are the figures of a whole conversation shown at the top of every
// export. Only assistant messages count: their Turn is the attribution of a
// request; a note may carry a Turn too but costs nothing.
type totals struct {
	Messages         int
	Keys             []string // key names in order of first use
	Models           []string // models in order of first use
	Usage            chat.Usage
	Cost             float64 // sum of the known costs
	CostKnown        int     // assistant turns with a known cost
	CostUnknownTurns int     // assistant turns whose price was unknown
}

func computeTotals(c *chat.Conversation) totals {
	t := totals{Messages: len(c.Messages), Keys: []string{}, Models: []string{}}
	for _, m := range c.Messages {
		if m.Role != chat.RoleAssistant || m.Turn == nil {
			continue
		}
		tu := m.Turn
		t.Keys = appendNew(t.Keys, tu.KeyName)
		t.Models = appendNew(t.Models, tu.Model)
		t.Usage = t.Usage.Add(tu.Usage)
		if tu.CostUSD != nil {
			t.Cost += *tu.CostUSD
			t.CostKnown++
		} else {
			t.CostUnknownTurns++
		}
	}
	return t
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

// roundCost rounds a sum of costs to micro-dollars, so that float noise
// (0.1+0.2) does not reach an export.
func roundCost(c float64) float64 { return math.Round(c*1e6) / 1e6 }

// costNumber formats a cost as a plain decimal number for YAML and JSON.
func costNumber(c float64) string { return strconv.FormatFloat(roundCost(c), 'f', -1, 64) }

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

// groupDigits formats n with thousands separators: 12,345.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// formatTokens shows a token count, "~" in front when it was estimated.
func formatTokens(u chat.Usage) string {
	s := groupDigits(u.Total()) + " tokens"
	if u.Estimated {
		s = "~" + s
	}
	return s
}

// formatUSD shows a cost in dollars with enough digits for the tiny
// amounts a single turn costs.
func formatUSD(c float64) string {
	switch {
	case c == 0:
		return "$0.00"
	case c < 0.0001:
		return "<$0.0001"
	case c < 1:
		return "$" + strconv.FormatFloat(c, 'f', 4, 64)
	default:
		return "$" + strconv.FormatFloat(c, 'f', 2, 64)
	}
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
		facts = append(facts, formatUSD(*t.CostUSD))
	}
	if t.Duration > 0 {
		facts = append(facts, formatDuration(t.Duration))
	}
	if t.Incomplete {
		if t.IncompleteReason != "" {
			facts = append(facts, "incomplete: "+t.IncompleteReason)
		} else {
			facts = append(facts, "incomplete")
		}
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
	add("Keys", strings.Join(t.Keys, ", "))
	add("Models", strings.Join(t.Models, ", "))
	add("Messages", groupDigits(int64(t.Messages)))
	if t.Usage.Total() != 0 || t.Usage.Estimated {
		tok := formatTokens(t.Usage)
		if t.Usage.Estimated {
			tok += " (some estimated)"
		}
		add("Tokens", tok)
	}
	switch {
	case t.CostKnown > 0 && t.CostUnknownTurns > 0:
		add("Cost", formatUSD(roundCost(t.Cost))+" (+ "+plural(t.CostUnknownTurns, "turn")+" at an unknown price)")
	case t.CostKnown > 0:
		add("Cost", formatUSD(roundCost(t.Cost)))
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
