package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/vaultchat/vaultchat/internal/figures"
	"github.com/vaultchat/vaultchat/internal/session"
)

type usageCmd struct {
	Key   string `name:"key" placeholder:"NAME" help:"Only this key (name or ID)."`
	Since string `name:"since" placeholder:"DATE" help:"First day to include, YYYY-MM-DD (default: the first of this month)."`
	By    string `name:"by" enum:"day,model,key" default:"key" help:"Group rows by day, model or key."`
	JSON  bool   `name:"json" help:"Print JSON."`
	// Repair rebuilds damaged months instead of reporting.
	Repair bool `name:"repair" help:"Rebuild the months whose ledger file does not open, from the stored conversations and the ledger's journal."`
	// Reconcile compares the ledger with the provider (reconcile.go).
	Reconcile bool  `name:"reconcile" help:"Compare with what the provider reports (OpenAI: needs an admin key), per key, model and day."`
	Threshold int64 `name:"threshold" placeholder:"TOKENS" default:"1000" help:"With --reconcile: flag a key whose difference is above this many tokens."`
}

// usageRow is one line of the usage table's JSON.
type usageRow struct {
	Group string `json:"group"`
	// KeyID, Removed and Masked describe a row grouped by key; a
	// removed key is named by its last name and masked value.
	KeyID            string `json:"key_id,omitempty"`
	Removed          bool   `json:"removed,omitempty"`
	Masked           string `json:"masked,omitempty"`
	Requests         int64  `json:"requests"`
	Errors           int64  `json:"errors"`
	PromptTokens     int64  `json:"prompt_tokens"`
	CachedTokens     int64  `json:"cached_prompt_tokens"`
	CompletionTokens int64  `json:"completion_tokens"`
	ReasoningTokens  int64  `json:"reasoning_tokens"`
	EstimatedTokens  int64  `json:"estimated_tokens"`
	// CostUSD is null when nothing had a known price; with
	// CostIsLowerBound it leaves out UnpricedRequests.
	CostUSD          *float64 `json:"cost_usd"`
	CostIsLowerBound bool     `json:"cost_is_lower_bound,omitempty"`
	UnpricedRequests int64    `json:"unpriced_requests,omitempty"`
}

// Run prints the usage ledger grouped by key, model or day.
func (c *usageCmd) Run(a *app) error {
	// The ledger counts UTC days, so "this month" is the UTC month.
	now := a.now().UTC()
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	if c.Threshold < 0 {
		return usagef("--threshold must be 0 or more")
	}
	if c.Since != "" {
		t, err := time.Parse("2006-01-02", c.Since)
		if err != nil {
			return usagef("--since %q is not a date like 2026-11-01", c.Since)
		}
		if t.After(now) {
			return usagef("--since %s is in the future (today is %s, UTC)", c.Since, now.Format(dateLayout))
		}
		from = t
	}
	if _, err := a.config("prices"); err != nil {
		return err // the costs shown depend on it
	}
	sess, err := a.openSession(false)
	if err != nil {
		return err
	}
	defer sess.Close()
	if c.Repair {
		return repairUsage(a, sess)
	}
	if note := sess.LedgerAttention(); note != "" {
		// The figures below leave the damaged months out.
		for _, p := range sess.LedgerProblems() {
			fmt.Fprintf(a.io.ErrOut, "vaultchat: warning: %s\n", a.clean(p))
		}
		fmt.Fprintf(a.io.ErrOut, "vaultchat: warning: %s\n", note)
	}
	if c.Reconcile {
		return c.reconcile(a, sess, from, now)
	}
	lines, total, err := sess.UsageReport(session.UsageQuery{By: c.By, Key: c.Key, From: from, To: now})
	if err != nil {
		return err
	}
	if c.JSON {
		rows := make([]usageRow, len(lines))
		for i, l := range lines {
			rows[i] = newUsageRow(l)
		}
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Since string     `json:"since"`
			By    string     `json:"by"`
			Rows  []usageRow `json:"rows"`
			Total usageRow   `json:"total"`
		}{from.Format("2006-01-02"), c.By, rows, newUsageRow(total)})
	}
	if len(lines) == 0 {
		fmt.Fprintf(a.io.ErrOut, "no usage since %s\n", from.Format("2006-01-02"))
		return nil
	}
	// Numbers align right; the first column is padded here so that it
	// reads left-aligned.
	lines = append(lines, total)
	header := map[string]string{"day": "DAY", "model": "MODEL", "key": "KEY"}[c.By]
	width := utf8.RuneCountInString(header)
	for i := range lines {
		lines[i].Group = a.cell(lines[i].Group)
		width = max(width, utf8.RuneCountInString(lines[i].Group))
	}
	pad := func(s string) string { return s + strings.Repeat(" ", width-utf8.RuneCountInString(s)) }
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\tREQUESTS\tERRORS\tPROMPT\tCACHED\tCOMPLETION\tCOST\t\n", pad(header))
	for _, l := range lines {
		est := l.EstimatedTokens > 0
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t\n", pad(l.Group), l.Requests, l.Errors,
			figures.Tokens(l.Usage.PromptTokens, est), figures.Tokens(l.Usage.CachedPromptTokens, est),
			figures.Tokens(l.Usage.CompletionTokens, est), l.Cost)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// Right alignment pads every cell on the left, the first one too.
	for _, line := range strings.SplitAfter(table.String(), "\n") {
		io.WriteString(a.io.Out, strings.TrimPrefix(line, "  "))
	}
	if total.EstimatedTokens > 0 {
		fmt.Fprintln(a.io.ErrOut, "~ marks figures that include locally estimated tokens")
	}
	if total.Unpriced > 0 {
		fmt.Fprintln(a.io.ErrOut, "— and + mark costs that leave out models without a known price")
	}
	return printProviderFigures(a, sess)
}

func newUsageRow(l session.UsageLine) usageRow {
	return usageRow{
		Group: l.Group, KeyID: l.KeyID, Removed: l.Removed, Masked: l.Masked,
		Requests: l.Requests, Errors: l.Errors,
		PromptTokens: l.Usage.PromptTokens, CachedTokens: l.Usage.CachedPromptTokens,
		CompletionTokens: l.Usage.CompletionTokens, ReasoningTokens: l.Usage.ReasoningTokens,
		EstimatedTokens: l.EstimatedTokens,
		CostUSD:         l.Cost.JSON(), CostIsLowerBound: l.Cost.LowerBound, UnpricedRequests: l.Unpriced,
	}
}

// repairUsage runs "vaultchat usage --repair" and says what it did.
func repairUsage(a *app, sess *session.Session) error {
	rep, err := sess.RepairUsage()
	if err != nil {
		return withHint(err, "the damaged files were left in place; see vaultchat usage")
	}
	for _, name := range rep.SetAside {
		fmt.Fprintf(a.io.ErrOut, "kept the damaged file as %s\n", a.clean(name))
	}
	if rep.Unreadable > 0 {
		fmt.Fprintf(a.io.ErrOut, "vaultchat: warning: %d conversations did not open; their requests could not be counted\n", rep.Unreadable)
	}
	switch {
	case len(rep.Months) > 0:
		fmt.Fprintf(a.io.Out, "rebuilt %s: %d requests from conversations, %d from the journal\n",
			strings.Join(rep.Months, ", "), rep.FromConversations, rep.FromJournal)
	case rep.Journal == 0:
		fmt.Fprintln(a.io.Out, "the usage ledger is healthy; nothing to repair")
	}
	if rep.Journal > 0 {
		fmt.Fprintf(a.io.Out, "recorded %d requests from the journal\n", rep.Journal)
	}
	return nil
}
