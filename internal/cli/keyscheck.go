package cli

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/vaultchat/vaultchat/internal/keycheck"
	"github.com/vaultchat/vaultchat/vault"
)

// keysCheckCmd validates keys against their providers.
type keysCheckCmd struct {
	Names []string `arg:"" optional:"" name:"name" help:"Keys to check (default: all)."`
	JSON  bool     `name:"json" help:"Print JSON."`
}

// checkView is one result as "keys check --json" prints it.
type checkView struct {
	Name    string `json:"name"`
	OK      bool   `json:"ok"`
	Outcome string `json:"outcome"`
	Status  int    `json:"status,omitempty"`
	Models  int    `json:"models,omitempty"`
	Detail  string `json:"detail,omitempty"`
	Hint    string `json:"hint,omitempty"`
}

// Run checks the keys concurrently, prints the results in name order,
// records each outcome in the key's LastCheck and fails if any key failed.
func (c *keysCheckCmd) Run(a *app) error {
	v, err := a.open()
	if err != nil {
		return err
	}
	defer v.Close()
	// Admin and management keys list no models: the checker asks their
	// account API instead (keycheck.Checker.Check).
	var keys []vault.Key
	if len(c.Names) == 0 {
		keys = v.Keys()
		if len(keys) == 0 {
			a.printf("no keys to check; add one with: vaultchat keys add NAME\n")
			return nil
		}
	}
	for _, name := range c.Names {
		k, err := v.Key(name)
		if err != nil {
			return err
		}
		keys = append(keys, k)
	}

	ctx, stopped, stop := signalContext()
	defer stop()
	// Redact every secret in the vault, not only the checked ones: a
	// server may echo anything.
	results := keycheck.New(v.Redactor()).CheckAll(ctx, keys)
	if ctx.Err() != nil {
		// A check cut short would be recorded as "unreachable": keep
		// the last real results instead.
		return stopped(errors.New("keys check canceled; no result was recorded"))
	}

	failed := 0
	views := make([]checkView, 0, len(results))
	for _, r := range results {
		if !r.OK() {
			failed++
		}
		views = append(views, checkView{Name: r.Name, OK: r.OK(), Outcome: r.Outcome.String(), Status: r.Status,
			Models: r.Models, Detail: r.Detail, Hint: r.Hint})
	}
	if c.JSON {
		if err := a.printJSON(views); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(a.io.Out, 0, 0, 2, ' ', 0)
		for _, r := range results {
			fmt.Fprintf(tw, "%s\t%s\n", a.cell(r.Name), a.cell(r.Summary()))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, r := range results {
			if r.Hint != "" {
				fmt.Fprintf(a.io.ErrOut, "vaultchat: hint: %s: %s\n", a.cell(r.Name), a.cell(r.Hint))
			}
		}
	}

	now := a.now().UTC()
	err = v.Update(func(tx *vault.Tx) error {
		for _, r := range results {
			_, err := tx.Edit(r.KeyID, func(k *vault.Key) error {
				k.LastCheck = vault.Check{At: now, OK: r.OK(), Status: r.Outcome.String()}
				return nil
			})
			if err != nil && !errors.Is(err, vault.ErrKeyNotFound) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		a.warn("could not record the results in the vault: %v", err)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d keys failed the check", failed, len(results))
	}
	return nil
}
