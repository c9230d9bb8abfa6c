package cli

import (
	"context"
	"encoding/json"
	"html"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/config"
	"github.com/vaultchat/vaultchat/internal/figures"
	"github.com/vaultchat/vaultchat/internal/session"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/vault"
)

// total is a conversation's total as one face shows it.
type total struct {
	face       string
	tokens     int64
	cost       *float64 // as JSON carries it: nil when unknown
	lowerBound bool
	estimated  bool
	unpriced   int    // -1: this face does not show it
	display    string // the written figure ("~$0.0123+"); "": not shown
}

// TestOneTotalInEveryFace puts one conversation with priced turns, an
// unpriced turn, an estimated turn, a canceled turn and a regenerated
// one (the replaced reply's spend counts too), and the
// conversations of a ChatGPT export, through every face that shows a
// conversation's total — the side pane, the TUI's list data,
// "conversations list" (table and JSON), "usage" (table and JSON) and the
// four export formats — and asserts that they all show the same total.
func TestOneTotalInEveryFace(t *testing.T) {
	e := newVault(t)
	_, url := testkit.Sim(t, sim.Options{ChunkDelay: time.Millisecond})
	e.addSimKey("work", url)
	// sim-fast and sim-smart have built-in prices; config.toml prices the
	// model that reports no usage (estimated) and the long one (canceled).
	e.writeConfig("[prices.\"sim-nousage\"]\ninput = 1.5\noutput = 6\n[prices.\"sim-huge\"]\ninput = 1.5\noutput = 6\n")
	convID := runMixedConversation(t, e)
	e.mustRun(tty{}, "import", filepath.Join("..", "transcript", "testdata", "chatgpt-conversations.json"))

	sess := e.session(t)
	defer sess.Close()
	list, err := sess.Conversations()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) < 3 {
		t.Fatalf("%d conversations; want ours and the imported ones", len(list))
	}
	listJSON, listTable := convListFaces(t, e)
	for _, sum := range list {
		c, err := sess.Load(sum.ID)
		if err != nil {
			t.Fatal(err)
		}
		faces := []total{
			figureFace("side pane", sess.Usage("", sum.ID).Conversation.Tokens, -1, sess.Usage("", sum.ID).Conversation.Cost),
			figureFace("TUI list", sum.Totals.Usage.Total(), sum.Totals.UnpricedTurns, sum.Totals.Cost()),
			listJSON[sum.ID],
			listTable[sum.ID],
		}
		faces = append(faces, exportFaces(t, e, sum.ID)...)
		if sum.ID == convID {
			faces = append(faces, usageFaces(t, e)...)
			checkMixed(t, c, faces[1])
		} else {
			checkImported(t, c, faces[1])
		}
		agree(t, c.Title, faces)
	}
}

// session opens the test's vault home in the session layer, with the
// settings of config.toml, as the commands do.
func (e *env) session(t *testing.T) *session.Session {
	t.Helper()
	cfg, err := config.Load(filepath.Join(e.vars["XDG_CONFIG_HOME"], "vaultchat", "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	sess := session.New(session.Config{Home: e.home, Vault: vault.Options{IdentityFile: e.identity}, Settings: &cfg, Stream: testkit.FastStream()})
	if err := sess.Unlock(nil); err != nil {
		t.Fatal(err)
	}
	return sess
}

// runMixedConversation runs, through the session as the TUI does, turns
// on two priced models, a model without a price, the model that reports
// no usage (estimated) and a long reply canceled at its first words, and
// returns the conversation's ID.
func runMixedConversation(t *testing.T, e *env) string {
	t.Helper()
	sess := e.session(t)
	defer sess.Close()
	c, _, err := sess.Create("")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		model      string
		cancel     bool
		regenerate bool
	}{
		{"sim-fast", false, false},
		{"sim-smart", false, false},
		{"sim-fast", false, true},     // replaces sim-smart's reply; both spent
		{sim.FaultLong, false, false}, // no price
		{sim.FaultNoUsage, false, false},
		{sim.FaultHuge, true, false},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		ch, err := sess.Send(ctx, view.SendRequest{ConversationID: c.ID, Prompt: "about " + tt.model, Model: tt.model, Regenerate: tt.regenerate})
		if err != nil {
			t.Fatal(err)
		}
		var last chat.Event
		for ev := range ch {
			if _, ok := ev.(chat.Delta); ok && tt.cancel {
				cancel()
			}
			last = ev
		}
		cancel()
		_, done := last.(chat.Done)
		if fl, ok := last.(chat.Failed); tt.cancel && (!ok || fl.Err.Class != chat.ErrCanceled) || !tt.cancel && !done {
			t.Fatalf("%s: the turn ended with %#v", tt.model, last)
		}
	}
	return c.ID
}

// checkMixed checks the figure the faces agree on against the turns as
// stored: all their tokens, the sum of the known costs as a lower bound
// (one turn had no price), estimated.
func checkMixed(t *testing.T, c *chat.Conversation, got total) {
	t.Helper()
	var tokens int64
	var cost float64
	var turns int
	for _, m := range c.Messages {
		if m.Turn != nil {
			turns++
			tokens += m.Turn.Usage.Total()
			if m.Turn.CostUSD != nil {
				cost += *m.Turn.CostUSD
			}
		}
	}
	if turns != 5 || !c.Messages[len(c.Messages)-1].Turn.Incomplete {
		t.Fatalf("the conversation holds %d replies, the last complete: %+v", turns, c.Messages)
	}
	// The reply the regenerate replaced is no longer on the current
	// branch but kept as a sibling version, and what it spent is part of
	// what the conversation spent.
	var replaced []chat.Turn
	for _, m := range c.Messages {
		for _, b := range m.Siblings {
			for _, bm := range b.Messages {
				if bm.Turn != nil {
					replaced = append(replaced, *bm.Turn)
				}
			}
		}
	}
	if len(replaced) != 1 || replaced[0].Model != "sim-smart" {
		t.Fatalf("replaced replies %+v; want sim-smart's", replaced)
	}
	for _, tu := range replaced {
		tokens += tu.Usage.Total()
		if tu.CostUSD != nil {
			cost += *tu.CostUSD
		}
	}
	if got.tokens != tokens || got.cost == nil || math.Abs(*got.cost-cost) > 1e-9 || !got.lowerBound || !got.estimated || got.unpriced != 1 {
		t.Errorf("total %+v; want %d tokens, $%v as a lower bound with 1 unpriced turn, estimated", got, tokens, cost)
	}
	if !strings.HasPrefix(got.display, "~$") || !strings.HasSuffix(got.display, "+") {
		t.Errorf("the cost reads %q; want an estimated lower bound, ~$…+", got.display)
	}
}

// checkImported checks an imported ChatGPT conversation: no figures were
// reported, so its replies cost an unknown amount ("—"), and one without
// replies cost nothing.
func checkImported(t *testing.T, c *chat.Conversation, got total) {
	t.Helper()
	replies := 0
	for _, m := range c.Messages {
		if m.Role == chat.RoleAssistant {
			replies++
		}
	}
	want := "$0.00"
	if replies > 0 {
		want = "—"
	}
	if got.tokens != 0 || got.display != want || got.unpriced != replies {
		t.Errorf("%q: total %+v; want 0 tokens, %s, %d unpriced", c.Title, got, want, replies)
	}
}

// agree fails unless every face shows what the first one does.
func agree(t *testing.T, title string, faces []total) {
	t.Helper()
	ref := faces[0]
	for _, f := range faces[1:] {
		bad := f.tokens != ref.tokens || f.lowerBound != ref.lowerBound || f.estimated != ref.estimated ||
			(f.cost == nil) != (ref.cost == nil) || f.cost != nil && *f.cost != *ref.cost ||
			f.display != "" && f.display != ref.display ||
			f.unpriced >= 0 && ref.unpriced >= 0 && f.unpriced != ref.unpriced
		if bad {
			t.Errorf("%q: %s shows %s; %s shows %s", title, f.face, f, ref.face, ref)
		}
	}
}

func (t total) String() string {
	cost := "null"
	if t.cost != nil {
		cost = strconv.FormatFloat(*t.cost, 'f', -1, 64)
	}
	return "{" + strings.Join([]string{strconv.FormatInt(t.tokens, 10) + " tokens", "cost " + cost,
		"lower bound " + strconv.FormatBool(t.lowerBound), "estimated " + strconv.FormatBool(t.estimated),
		"unpriced " + strconv.Itoa(t.unpriced), "shown " + strconv.Quote(t.display)}, ", ") + "}"
}

// figureFace is a face that holds a figures.Cost.
func figureFace(name string, tokens int64, unpriced int, c figures.Cost) total {
	return total{face: name, tokens: tokens, cost: c.JSON(), lowerBound: c.LowerBound, estimated: c.Estimated, unpriced: unpriced, display: c.String()}
}

// convListFaces reads "conversations list --json" and the table, by
// conversation ID.
func convListFaces(t *testing.T, e *env) (byJSON, byTable map[string]total) {
	t.Helper()
	var rows []convRow
	if err := json.Unmarshal([]byte(e.mustRun(tty{}, "conversations", "list", "--json").stdout), &rows); err != nil {
		t.Fatal(err)
	}
	byJSON, byTable = map[string]total{}, map[string]total{}
	for _, r := range rows {
		byJSON[r.ID] = total{face: "conversations list --json", tokens: r.Usage.Total(), cost: r.CostUSD,
			lowerBound: r.CostIsLowerBound, estimated: r.Usage.Estimated, unpriced: r.CostUnknownTurns}
	}
	lines := strings.Split(strings.TrimSpace(e.mustRun(tty{}, "conversations", "list").stdout), "\n")
	for _, line := range lines[1:] {
		// ID, UPDATED, MESSAGES, KEYS, TOKENS, COST, TITLE
		col := regexp.MustCompile(`\s{2,}`).Split(line, 7)
		j := byJSON[col[0]]
		j.face, j.unpriced, j.display = "conversations list", -1, col[5]
		j.tokens, j.estimated = parseTokens(t, col[4], j.tokens)
		byTable[col[0]] = j
	}
	return byJSON, byTable
}

// parseTokens reads a compact token count ("~1.2k"): it must be how
// figures writes exact.
func parseTokens(t *testing.T, s string, exact int64) (int64, bool) {
	t.Helper()
	est := strings.HasPrefix(s, "~")
	if figures.Tokens(exact, est) != s {
		t.Errorf("tokens shown as %q; %d tokens read %q", s, exact, figures.Tokens(exact, est))
	}
	return exact, est
}

// usageFaces reads the total of "usage --json" and of the usage table:
// the ledger's record of the same turns.
func usageFaces(t *testing.T, e *env) []total {
	t.Helper()
	var u struct{ Total usageRow }
	if err := json.Unmarshal([]byte(e.mustRun(tty{}, "usage", "--json").stdout), &u); err != nil {
		t.Fatal(err)
	}
	r := u.Total
	j := total{face: "usage --json", tokens: r.PromptTokens + r.CompletionTokens, cost: r.CostUSD,
		lowerBound: r.CostIsLowerBound, estimated: r.EstimatedTokens > 0, unpriced: int(r.UnpricedRequests)}
	lines := strings.Split(strings.TrimSpace(e.mustRun(tty{}, "usage").stdout), "\n")
	fields := strings.Fields(lines[len(lines)-1])
	table := j
	table.face, table.unpriced, table.display = "usage", -1, fields[len(fields)-1]
	if fields[0] != "total" {
		t.Fatalf("the usage table ends with %q, not the total", lines[len(lines)-1])
	}
	return []total{j, table}
}

// exportFaces exports the conversation in the four formats and reads the
// total each one shows.
func exportFaces(t *testing.T, e *env, id string) []total {
	t.Helper()
	export := func(format string) string {
		return e.mustRun(tty{}, "export", id, "--format", format).stdout
	}
	var out []total

	md := total{face: "md export", unpriced: 0}
	for _, line := range strings.Split(strings.SplitN(export("md"), "\n---\n", 2)[0], "\n") {
		k, v, _ := strings.Cut(line, ": ")
		switch k {
		case "total_tokens":
			md.tokens, _ = strconv.ParseInt(v, 10, 64)
		case "total_cost_usd":
			md.cost = number(t, v)
		case "cost_unknown_turns":
			md.unpriced, _ = strconv.Atoi(v)
		case "estimated":
			md.estimated = v == "true"
		}
	}
	md.lowerBound = md.cost != nil && md.unpriced > 0
	out = append(out, md)

	var doc struct {
		Totals struct {
			TotalTokens      int64    `json:"total_tokens"`
			Estimated        bool     `json:"estimated"`
			CostUSD          *float64 `json:"cost_usd"`
			CostUnknownTurns int      `json:"cost_unknown_turns"`
		} `json:"totals"`
	}
	if err := json.Unmarshal([]byte(export("json")), &doc); err != nil {
		t.Fatal(err)
	}
	tt := doc.Totals
	out = append(out, total{face: "json export", tokens: tt.TotalTokens, cost: tt.CostUSD, estimated: tt.Estimated,
		unpriced: tt.CostUnknownTurns, lowerBound: tt.CostUSD != nil && tt.CostUnknownTurns > 0})

	facts := map[string]string{}
	for _, line := range strings.Split(export("txt"), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && (k == "Tokens" || k == "Cost") {
			facts["txt "+k] = strings.TrimSpace(v)
		}
	}
	for _, m := range regexp.MustCompile(`<dt>(Tokens|Cost)</dt><dd>([^<]*)</dd>`).FindAllStringSubmatch(export("html"), -1) {
		facts["html "+m[1]] = html.UnescapeString(m[2])
	}
	for _, format := range []string{"txt", "html"} {
		out = append(out, textFace(t, format+" export", facts[format+" Tokens"], facts[format+" Cost"], out[1]))
	}
	return out
}

// textFace reads the "Tokens" and "Cost" facts of the text and HTML
// headers ("~4,144 tokens (some estimated)", "~$0.0124+ (1 turn at an
// unknown price)"); the JSON export's total fills in what they do not
// show.
func textFace(t *testing.T, name, tokens, cost string, fromJSON total) total {
	t.Helper()
	f := fromJSON
	f.face, f.unpriced = name, -1
	num := strings.NewReplacer("~", "", ",", "").Replace(strings.Fields(tokens + " 0")[0])
	f.tokens, _ = strconv.ParseInt(num, 10, 64)
	f.estimated = strings.HasPrefix(tokens, "~")
	f.display, _, _ = strings.Cut(cost, " (")
	if cost == "" {
		f.display = "$0.00" // no replies: the header leaves the cost out
	}
	return f
}

// number parses a YAML number or null.
func number(t *testing.T, s string) *float64 {
	t.Helper()
	if s == "null" {
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return &v
}

// TestForkCountsOnlyItsOwnTurns: a fork's copies of its parent's turns
// are the parent's spend, so the conversations' totals add up to what
// usage says was spent (a fork showed its parent's tokens again).
func TestForkCountsOnlyItsOwnTurns(t *testing.T) {
	e := newVault(t)
	_, url := testkit.Sim(t, sim.Options{})
	e.addSimKey("work", url)
	parent := e.askJSON(tty{}, "--model", "sim-fast", "first").ConversationID
	e.askJSON(tty{}, "--conversation", parent, "second")
	res := e.mustRun(tty{}, "conversations", "fork", parent, "--at", "4")
	_, after, _ := strings.Cut(strings.SplitN(res.stdout, "\n", 2)[0], " as ")
	fork := strings.TrimSpace(after)
	if !chat.ValidID(fork) {
		t.Fatalf("fork printed %q", res.stdout)
	}
	e.askJSON(tty{}, "--conversation", fork, "third")
	byJSON, _ := convListFaces(t, e)
	if _, ok := byJSON[fork]; !ok {
		t.Fatalf("fork %s not listed:\n%s", fork, res.stdout)
	}
	usage := usageFaces(t, e)[0]
	sum := byJSON[parent].tokens + byJSON[fork].tokens
	if sum != usage.tokens {
		t.Errorf("the list shows %d + %d = %d tokens, usage %d", byJSON[parent].tokens, byJSON[fork].tokens, sum, usage.tokens)
	}
	if f := e.load(fork); f.Totals().Usage.Total() != byJSON[fork].tokens || f.Totals().Usage.Total() == 0 {
		t.Errorf("the fork's own turn: %d tokens, listed %d", f.Totals().Usage.Total(), byJSON[fork].tokens)
	}
}
