package cli

import (
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/vaultchat/vaultchat/internal/figures"
	"github.com/vaultchat/vaultchat/internal/session"
)

// reconcileJSON is "usage --reconcile --json".
type reconcileJSON struct {
	Since      string                    `json:"since"`
	Fetched    time.Time                 `json:"fetched,omitzero"`
	Cached     bool                      `json:"cached"`
	Requests   int64                     `json:"requests"`
	Hint       string                    `json:"hint,omitempty"`
	Keys       []reconcileKeyJSON        `json:"keys"`
	Rows       []reconcileRowJSON        `json:"rows"`
	OpenRouter []session.ProviderFigures `json:"openrouter,omitempty"`
}

type reconcileKeyJSON struct {
	Key              string  `json:"key"`
	ProviderKeyID    string  `json:"provider_key_id,omitempty"`
	LocalTokens      int64   `json:"local_tokens"`
	ProviderTokens   int64   `json:"provider_tokens"`
	TokenDifference  int64   `json:"token_difference"`
	LocalRequests    int64   `json:"local_requests"`
	ProviderRequests int64   `json:"provider_requests"`
	LocalCostUSD     float64 `json:"local_cost_usd"`
	ProviderCostUSD  float64 `json:"provider_cost_usd"`
	Flag             string  `json:"flag,omitempty"`
}

type reconcileRowJSON struct {
	Key               string  `json:"key"`
	Day               string  `json:"day"`
	Model             string  `json:"model,omitempty"`
	LocalTokens       int64   `json:"local_tokens"`
	ProviderTokens    int64   `json:"provider_tokens"`
	TokenDifference   int64   `json:"token_difference"`
	LocalRequests     int64   `json:"local_requests"`
	ProviderRequests  int64   `json:"provider_requests"`
	RequestDifference int64   `json:"request_difference"`
	LocalCostUSD      float64 `json:"local_cost_usd"`
	ProviderCostUSD   float64 `json:"provider_cost_usd,omitempty"`
}

// reconcile prints the ledger beside the provider's figures.
func (c *usageCmd) reconcile(a *app, sess *session.Session, from, now time.Time) error {
	ctx, stopped, stop := signalContext()
	defer stop()
	rep, err := sess.Reconcile(ctx, session.ReconcileOptions{From: from, To: now, ThresholdTokens: c.Threshold})
	if err != nil {
		return stopped(accountKeyHint(err, ""))
	}
	var or []session.ProviderFigures
	for _, name := range sess.OpenRouterKeys() {
		if p, ok, err := sess.ProviderFigures(ctx, name); err == nil && ok {
			or = append(or, p)
		} else if err != nil {
			if ctx.Err() != nil {
				return stopped(fmt.Errorf("reconcile: %w", err))
			}
			a.warn("%v", err)
		}
	}
	// Nothing to compare with: an error, so a script does not take the
	// silence for "all figures agree".
	var nothing error
	if rep.Hint != "" && len(or) == 0 {
		nothing = withHint(errors.New("nothing to reconcile: no key can read the provider's usage"), rep.Hint)
	}
	if c.JSON {
		out := reconcileJSON{Since: from.Format(dateLayout), Fetched: rep.Fetched, Cached: rep.Cached, Requests: rep.Requests, Hint: rep.Hint,
			Keys: []reconcileKeyJSON{}, Rows: []reconcileRowJSON{}, OpenRouter: or}
		for _, k := range rep.Keys {
			out.Keys = append(out.Keys, reconcileKeyJSON{Key: k.Key, ProviderKeyID: k.ProviderKeyID, LocalTokens: k.LocalTokens, ProviderTokens: k.ProviderTokens,
				TokenDifference: k.ProviderTokens - k.LocalTokens, LocalRequests: k.LocalRequests, ProviderRequests: k.ProviderRequests,
				LocalCostUSD: figures.RoundUSD(k.LocalCostUSD), ProviderCostUSD: figures.RoundUSD(k.ProviderCostUSD), Flag: k.Flag})
		}
		for _, r := range rep.Rows {
			out.Rows = append(out.Rows, reconcileRowJSON{Key: r.Key, Day: r.Day, Model: r.Model, LocalTokens: r.LocalTokens, ProviderTokens: r.ProviderTokens,
				TokenDifference: r.TokenDifference, LocalRequests: r.LocalRequests, ProviderRequests: r.ProviderRequests, RequestDifference: r.RequestDifference,
				LocalCostUSD: figures.RoundUSD(r.LocalCostUSD), ProviderCostUSD: figures.RoundUSD(r.ProviderCostUSD)})
		}
		if err := a.printJSON(out); err != nil {
			return err
		}
		return nothing
	}
	if nothing != nil {
		return nothing
	}
	if rep.Hint != "" {
		fmt.Fprintf(a.io.ErrOut, "vaultchat: hint: %s\n", a.clean(rep.Hint))
	}
	if len(rep.Rows) == 0 && !rep.Fetched.IsZero() {
		// The provider answered and neither side has anything: say so,
		// rather than print an empty table.
		fmt.Fprintf(a.io.ErrOut, "no usage by openai keys since %s, on this machine or at the provider\n", from.Format(dateLayout))
	}
	if len(rep.Rows) > 0 {
		tw := tabwriter.NewWriter(a.io.Out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "KEY\tDAY\tMODEL\tLOCAL TOKENS\tPROVIDER TOKENS\tDIFFERENCE\tLOCAL REQ\tPROVIDER REQ\tLOCAL COST\tPROVIDER COST")
		for _, r := range rep.Rows {
			model, pcost := r.Model, "-"
			if model == "" {
				model = "(all: cost)"
			}
			if r.ProviderCostUSD > 0 || r.Model == "" {
				pcost = figures.USD(r.ProviderCostUSD)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%+d\t%d\t%d\t%s\t%s\n", a.cell(r.Key), r.Day, a.cell(model),
				r.LocalTokens, r.ProviderTokens, r.TokenDifference, r.LocalRequests, r.ProviderRequests, figures.USD(r.LocalCostUSD), pcost)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, k := range rep.Keys {
		if k.Flag != "" {
			fmt.Fprintf(a.io.Out, "! %s\n", a.clean(k.Flag))
		}
	}
	if !rep.Fetched.IsZero() {
		how := "fetched"
		if rep.Cached {
			how = "cached, fetched"
		}
		fmt.Fprintf(a.io.ErrOut, "provider figures %s %s (%d requests)\n", how, rep.Fetched.Local().Format("2006-01-02 15:04"), rep.Requests)
	}
	for _, p := range or {
		fmt.Fprintf(a.io.Out, "%s: %s\n", a.cell(p.Key), a.clean(p.Sentence()))
	}
	return nil
}

// printProviderFigures prints, under the usage table, what OpenRouter
// says of each OpenRouter key (cached for a few minutes). A key the
// provider cannot answer for is a warning; Ctrl+C stops it (exit 130).
func printProviderFigures(a *app, sess *session.Session) error {
	names := sess.OpenRouterKeys()
	if len(names) == 0 {
		return nil
	}
	ctx, stopped, stop := signalContext()
	defer stop()
	for _, name := range names {
		p, ok, err := sess.ProviderFigures(ctx, name)
		switch {
		case err != nil && ctx.Err() != nil:
			return stopped(fmt.Errorf("provider figures: %w", err))
		case err != nil:
			a.warn("%v", err)
		case ok:
			fmt.Fprintf(a.io.Out, "%s: %s\n", a.cell(name), a.clean(p.Sentence()))
		}
	}
	return nil
}
