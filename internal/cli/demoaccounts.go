package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/session"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/vault"
)

// The demo's provider accounts: a simulated OpenAI organization with an
// admin key and a chat key that "another program" also spends with, and
// an OpenRouter management key that mints a key, so the side pane shows
// a reconciled key and a minted one.

// demoAccounts is what addAccountKeys made for seedAccounts.
type demoAccounts struct {
	sim        *sim.Server
	teamSecret string
}

// addAccountKeys starts the organization's simulator and adds its keys
// to the demo vault (before the session opens it).
func (d *demo) addAccountKeys(now time.Time) (*demoAccounts, error) {
	team, admin, mgmt := "sk-demo-"+randomText(32), "sk-admin-demo-"+randomText(32), "sk-or-v1-demo-"+randomText(32)
	s := sim.New(sim.Options{Keys: []string{team}, AdminKeys: []string{admin}, ManagementKeys: []string{mgmt}})
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo simulator: %w", err)
	}
	d.sims = append(d.sims, s)
	orURL := strings.TrimSuffix(url, "/v1") + "/api/v1"
	keys := []struct {
		k      vault.Key
		secret string
	}{
		{vault.Key{Name: "team-openai", Provider: providers.OpenAI, BaseURL: url, DefaultModel: "gpt-4o-mini",
			Note:     "reconciled with the provider: another program spends with it",
			LastUsed: lastSeededDay(now)}, team}, // its seedAccounts history
		{vault.Key{Name: "org-admin", Provider: providers.OpenAI, BaseURL: url, Kind: vault.KindAdmin, Project: sim.SimProject,
			Note: "OpenAI admin key: usage --reconcile, keys mint"}, admin},
		{vault.Key{Name: "or-mgmt", Provider: providers.OpenRouter, BaseURL: orURL, Kind: vault.KindManagement,
			Note: "OpenRouter management key: keys mint"}, mgmt},
	}
	err = d.vault.Update(func(tx *vault.Tx) error {
		for _, e := range keys {
			secret, err := vault.NewSecret(e.secret)
			if err != nil {
				return err
			}
			e.k.Secret, e.k.Created = secret, now.AddDate(0, -1, 0)
			if _, err := tx.Add(e.k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("demo keys: %w", err)
	}
	return &demoAccounts{sim: s, teamSecret: team}, nil
}

// seedAccounts gives team-openai two weeks of usage, seen by the ledger
// and the provider alike, plus 41,000 tokens only the provider saw;
// reconciles; and mints minted-ci from the management key.
func (da *demoAccounts) seedAccounts(sess *session.Session, now time.Time) error {
	var teamID string
	for _, k := range sess.Keys() {
		if k.Name == "team-openai" {
			teamID = k.ID
		}
	}
	for day := seededDays; day >= 1; day-- {
		at := now.AddDate(0, 0, -day)
		u := chat.Usage{PromptTokens: int64(1500 + 100*day), CompletionTokens: int64(400 + 10*day)}
		if err := sess.RecordUsage(teamID, "gpt-4o-mini", at, u); err != nil {
			return err
		}
		da.sim.SpendElsewhere(da.teamSecret, "gpt-4o-mini", at, u.PromptTokens, u.CompletionTokens, 1)
	}
	da.sim.SpendElsewhere(da.teamSecret, "gpt-4o-mini", now.AddDate(0, 0, -2), 40_000, 1_000, 6)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := sess.Reconcile(ctx, session.ReconcileOptions{From: now.AddDate(0, 0, -14), To: now}); err != nil {
		return fmt.Errorf("demo reconcile: %w", err)
	}
	if _, err := sess.MintKey(ctx, session.MintOptions{Name: "minted-ci", From: "or-mgmt", LimitUSD: 5, LimitReset: "monthly", Expires: now.AddDate(0, 0, 30)}); err != nil {
		return fmt.Errorf("demo mint: %w", err)
	}
	if _, _, err := sess.ProviderFigures(ctx, "minted-ci"); err != nil {
		return fmt.Errorf("demo provider figures: %w", err)
	}
	return nil
}
