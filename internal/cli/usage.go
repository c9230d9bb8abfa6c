package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/vaultchat/vaultchat/internal/figures"
	"github.com/vaultchat/vaultchat/internal/usage"
)

type usageCmd struct {
	Key   string `name:"key" placeholder:"NAME" help:"Only this key (name or ID)."`
	Since string `name:"since" placeholder:"DATE" help:"First day to include, YYYY-MM-DD (default: the first of this month)."`
	By    string `name:"by" enum:"day,model,key" default:"key" help:"Group rows by day, model or key."`
	JSON  bool   `name:"json" help:"Print JSON."`
}

// usageRow is one line of the usage table's JSON.
type usageRow struct {
	Group            string `json:"group"`
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

// usageGroup is one line of the usage table.
type usageGroup struct {
	name string
	usage.Totals
}

// Run prints the usage ledger grouped by key, model or day.
func (c *usageCmd) Run(a *app) error {
	// The ledger counts UTC days, so "this month" is the UTC month.
	now := a.now().UTC()
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	if c.Since != "" {
		t, err := time.Parse("2006-01-02", c.Since)
		if err != nil {
			return usagef("--since %q is not a date like 2026-11-01", c.Since)
		}
		from = t
	}
	eng, v, err := a.openEngine(false)
	if err != nil {
		return err
	}
	defer v.Close()
	keyID, names := "", map[string]string{}
	for _, k := range v.Keys() {
		names[k.ID] = k.Name
	}
	if c.Key != "" {
		k, err := v.Key(c.Key)
		if err != nil {
			return err
		}
		keyID = k.ID
	}
	l := eng.Ledger()
	var groups []usageGroup
	switch c.By {
	case "day":
		for _, d := range l.ByDay(keyID, from, now) {
			if d.Requests > 0 {
				groups = append(groups, usageGroup{d.Day, d.Totals})
			}
		}
	case "model":
		for _, g := range l.ByModel(keyID, from, now) {
			groups = append(groups, usageGroup{g.Name, g.Totals})
		}
	default:
		for _, g := range l.ByKey(from, now) {
			if keyID != "" && g.Name != keyID {
				continue
			}
			name, ok := names[g.Name]
			if !ok {
				name = g.Name + " (removed)"
			}
			groups = append(groups, usageGroup{name, g.Totals})
		}
		// The ledger sorts by key ID, which is random; people look for
		// names.
		sort.SliceStable(groups, func(i, j int) bool { return groups[i].name < groups[j].name })
	}
	total := usageGroup{name: "total"}
	for _, g := range groups {
		total.Totals = total.Totals.Add(g.Totals)
	}
	if c.JSON {
		rows := make([]usageRow, len(groups))
		for i, g := range groups {
			rows[i] = g.row()
		}
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Since string     `json:"since"`
			By    string     `json:"by"`
			Rows  []usageRow `json:"rows"`
			Total usageRow   `json:"total"`
		}{from.Format("2006-01-02"), c.By, rows, total.row()})
	}
	if len(groups) == 0 {
		fmt.Fprintf(a.io.ErrOut, "no usage since %s\n", from.Format("2006-01-02"))
		return nil
	}
	// Numbers align right; the first column is padded here so that it
	// reads left-aligned.
	groups = append(groups, total)
	header := map[string]string{"day": "DAY", "model": "MODEL", "key": "KEY"}[c.By]
	width := utf8.RuneCountInString(header)
	for i := range groups {
		groups[i].name = a.cell(groups[i].name)
		width = max(width, utf8.RuneCountInString(groups[i].name))
	}
	pad := func(s string) string { return s + strings.Repeat(" ", width-utf8.RuneCountInString(s)) }
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\tREQUESTS\tERRORS\tPROMPT\tCACHED\tCOMPLETION\tCOST\t\n", pad(header))
	for _, g := range groups {
		est := g.EstimatedTokens > 0
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t\n", pad(g.name), g.Requests, g.Errors,
			figures.Tokens(g.Usage.PromptTokens, est), figures.Tokens(g.Usage.CachedPromptTokens, est),
			figures.Tokens(g.Usage.CompletionTokens, est), g.Cost())
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
	return nil
}

func (g usageGroup) row() usageRow {
	cost := g.Cost()
	return usageRow{
		Group: g.name, Requests: g.Requests, Errors: g.Errors,
		PromptTokens: g.Usage.PromptTokens, CachedTokens: g.Usage.CachedPromptTokens,
		CompletionTokens: g.Usage.CompletionTokens, ReasoningTokens: g.Usage.ReasoningTokens,
		EstimatedTokens: g.EstimatedTokens,
		CostUSD:         cost.JSON(), CostIsLowerBound: cost.LowerBound, UnpricedRequests: g.Unpriced,
	}
}
