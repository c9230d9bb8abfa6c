package cli

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/figures"
	"github.com/vaultchat/vaultchat/internal/models"
	"github.com/vaultchat/vaultchat/internal/providers"
)

// modelsCmd lists the models a key's server offers.
type modelsCmd struct {
	Key  string `name:"key" required:"" placeholder:"NAME" help:"Key whose server is asked (name or ID)."`
	JSON bool   `name:"json" help:"Print JSON."`
}

// Help is the detail shown by "vaultchat models --help".
func (c *modelsCmd) Help() string {
	return `Asks the key's server for its models (GET /models, as "keys check" does) and
shows each one's context window and price per million tokens where vaultchat
knows them. Local servers (ollama, lmstudio, vllm) and keys added with
--price-free cost $0.`
}

// modelView is one model as "models --json" prints it. Unknown figures
// are null.
type modelView struct {
	ID string `json:"id"`
	// ContextWindow is in tokens.
	ContextWindow *int `json:"context_window"`
	// Price is in USD per million tokens.
	Price *priceView `json:"price_per_million"`
	// Allowed is false for a model outside the key's allowed models.
	Allowed bool `json:"allowed"`
}

// priceView is a model's price on the key, in USD per million tokens.
type priceView struct {
	Input       float64 `json:"input"`
	CachedInput float64 `json:"cached_input"`
	Output      float64 `json:"output"`
}

// Run lists the models, in the server's order.
func (c *modelsCmd) Run(a *app) error {
	v, err := a.open()
	if err != nil {
		return err
	}
	k, err := v.Key(c.Key)
	if err != nil {
		v.Close()
		return err
	}
	if !k.ForChat() {
		v.Close()
		return usagef("key %s is not a chat key (kind %s): it lists no models", k.Name, k.Kind)
	}
	sess, err := a.sessionOn(v)
	if err != nil {
		return err
	}
	defer sess.Close()

	ctx, stopped, stop := signalContext()
	defer stop()
	list, err := sess.Models(ctx, k.ID, true)
	if err != nil {
		return stopped(modelsError(k.Name, k.Provider, err))
	}
	views := make([]modelView, 0, len(list))
	for _, id := range list {
		vw := modelView{ID: id, Allowed: k.AllowsModel(id)}
		if n, ok := models.ContextWindow(id); ok {
			vw.ContextWindow = &n
		}
		if p, ok := sess.ModelPrice(k.ID, id); ok {
			vw.Price = &priceView{Input: p.Input, CachedInput: p.CachedInput, Output: p.Output}
		}
		views = append(views, vw)
	}
	if c.JSON {
		return a.printJSON(views)
	}
	if len(views) == 0 {
		a.printf("the server of key %s lists no models\n", a.cell(k.Name))
		return nil
	}
	tw := tabwriter.NewWriter(a.io.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tCONTEXT\tINPUT $/M\tOUTPUT $/M\tNOTE")
	for _, vw := range views {
		window, in, out, note := "—", "—", "—", ""
		if vw.ContextWindow != nil {
			window = figures.Count(int64(*vw.ContextWindow))
		}
		if vw.Price != nil {
			in, out = figures.USDNumber(vw.Price.Input), figures.USDNumber(vw.Price.Output)
		}
		if !vw.Allowed {
			note = "not allowed for this key"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.cell(vw.ID), window, in, out, note)
	}
	return tw.Flush()
}

// modelsError turns a failed model list into an error with a hint: how
// to start a local server, or where to look for a hosted one.
func modelsError(name, provider string, err error) error {
	var ce *chat.Error
	if !errors.As(err, &ce) {
		return fmt.Errorf("list the models of key %s: %w", name, err)
	}
	e := fmt.Errorf("list the models of key %s: %s", name, ce.Message)
	switch ce.Class {
	case chat.ErrNetwork, chat.ErrTimeout:
		kind, _ := providers.Lookup(provider)
		return withHint(e, kind.UnreachableHint(name))
	case chat.ErrInvalidKey:
		return withHint(e, fmt.Sprintf("the server refused the key; check it with \"vaultchat keys check %s\" or replace it with \"vaultchat keys rotate %s\"", name, name))
	}
	if ce.Hint != "" {
		return withHint(e, ce.Hint)
	}
	return e
}
