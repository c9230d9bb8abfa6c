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

	"github.com/vaultchat/vaultchat/internal/usage"
)

type usageCmd struct {
	Key   string `name:"key" placeholder:"NAME" help:"Only this key (name or ID)."`
	Since string `name:"since" placeholder:"DATE" help:"First day to include, YYYY-MM-DD (default: the first of this month)."`
	By    string `name:"by" enum:"day,model,key" default:"key" help:"Group rows by day, model or key."`
	JSON  bool   `name:"json" help:"Print JSON."`
}

// usageRow is one line of the usage table and of its JSON.
type usageRow struct {
	Group            string   `json:"group"`
	Requests         int64    `json:"requests"`
	Errors           int64    `json:"errors"`
	PromptTokens     int64    `json:"prompt_tokens"`
	CachedTokens     int64    `json:"cached_prompt_tokens"`
	CompletionTokens int64    `json:"completion_tokens"`
	ReasoningTokens  int64    `json:"reasoning_tokens"`
	EstimatedTokens  int64    `json:"estimated_tokens"`
	CostUSD          *float64 `json:"cost_usd"`
	CostIsLowerBound bool     `json:"cost_is_lower_bound,omitempty"`
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
	var rows []usageRow
	switch c.By {
	case "day":
		for _, d := range l.ByDay(keyID, from, now) {
			if d.Requests > 0 {
				rows = append(rows, toRow(d.Day, d.Totals))
			}
		}
	case "model":
		for _, g := range l.ByModel(keyID, from, now) {
			rows = append(rows, toRow(g.Name, g.Totals))
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
			rows = append(rows, toRow(name, g.Totals))
		}
		// The ledger sorts by key ID, which is random; people look for
		// names.
		sort.SliceStable(rows, func(i, j int) bool { return rows[i].Group < rows[j].Group })
	}
	total := usage.Totals{}
	for _, r := range rows {
		total = total.Add(fromRow(r))
	}
	if c.JSON {
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Since string     `json:"since"`
			By    string     `json:"by"`
			Rows  []usageRow `json:"rows"`
			Total usageRow   `json:"total"`
		}{from.Format("2006-01-02"), c.By, nonNil(rows), toRow("total", total)})
	}
	if len(rows) == 0 {
		fmt.Fprintf(a.io.ErrOut, "no usage since %s\n", from.Format("2006-01-02"))
		return nil
	}
	// Numbers align right; the first column is padded here so that it
	// reads left-aligned.
	rows = append(rows, toRow("total", total))
	header := map[string]string{"day": "DAY", "model": "MODEL", "key": "KEY"}[c.By]
	width := utf8.RuneCountInString(header)
	for i := range rows {
		rows[i].Group = a.cell(rows[i].Group)
		width = max(width, utf8.RuneCountInString(rows[i].Group))
	}
	pad := func(s string) string { return s + strings.Repeat(" ", width-utf8.RuneCountInString(s)) }
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\tREQUESTS\tERRORS\tPROMPT\tCACHED\tCOMPLETION\tCOST\t\n", pad(header))
	for _, r := range rows {
		t := fromRow(r)
		est := t.EstimatedTokens > 0
		cost := usage.FormatUSD(t.CostUSD, r.CostUSD != nil, est)
		if r.CostIsLowerBound {
			cost += "+"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t\n", pad(r.Group), r.Requests, r.Errors,
			usage.FormatTokens(r.PromptTokens, est), usage.FormatTokens(r.CachedTokens, est),
			usage.FormatTokens(r.CompletionTokens, est), cost)
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
	if total.CostUnknown {
		fmt.Fprintln(a.io.ErrOut, "— and + mark costs that leave out models without a known price")
	}
	return nil
}

func nonNil(rows []usageRow) []usageRow {
	if rows == nil {
		return []usageRow{}
	}
	return rows
}

func toRow(group string, t usage.Totals) usageRow {
	r := usageRow{
		Group: group, Requests: t.Requests, Errors: t.Errors,
		PromptTokens: t.Usage.PromptTokens, CachedTokens: t.Usage.CachedPromptTokens,
		CompletionTokens: t.Usage.CompletionTokens, ReasoningTokens: t.Usage.ReasoningTokens,
		EstimatedTokens: t.EstimatedTokens,
	}
	if !t.CostUnknown || t.CostUSD > 0 {
		cost := t.CostUSD
		r.CostUSD = &cost
		r.CostIsLowerBound = t.CostUnknown
	}
	return r
}

func fromRow(r usageRow) usage.Totals {
	t := usage.Totals{
		Requests: r.Requests, Errors: r.Errors, EstimatedTokens: r.EstimatedTokens,
		CostUnknown: r.CostUSD == nil || r.CostIsLowerBound,
	}
	t.Usage.PromptTokens, t.Usage.CachedPromptTokens = r.PromptTokens, r.CachedTokens
	t.Usage.CompletionTokens, t.Usage.ReasoningTokens = r.CompletionTokens, r.ReasoningTokens
	t.Usage.Estimated = r.EstimatedTokens > 0
	if r.CostUSD != nil {
		t.CostUSD = *r.CostUSD
	}
	return t
}
