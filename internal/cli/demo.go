package cli

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"filippo.io/age"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/session"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/ui"
	"github.com/vaultchat/vaultchat/vault"
)

// demo is a temporary vault with three keys on three simulators.
type demo struct {
	dir   string
	home  string
	sims  []*sim.Server
	vault *vault.Vault
	keys  []vault.Key
}

// runDemo opens the app on a throwaway vault and removes it on exit.
func (a *app) runDemo() error {
	if !a.io.IsStdoutTTY || !a.io.IsStdinTTY {
		return withHint(errors.New("the demo is a full-screen app and needs a terminal"),
			`try "vaultchat simulate" and "vaultchat ask" in scripts`)
	}
	d, err := newDemo(a.now())
	if err != nil {
		return err
	}
	defer d.close()
	accounts, err := d.addAccountKeys(a.now()) // demoaccounts.go
	if err != nil {
		return err
	}
	cfg, err := a.sessionConfig(false)
	if err != nil {
		return err
	}
	cfg.Home, cfg.Vault = d.home, vault.Options{}
	// The demo starts on the personal key: its default_key.
	settings := *cfg.Settings
	settings.DefaultKey = "personal"
	cfg.Settings = &settings
	backend, err := session.Open(cfg, d.vault)
	if err != nil {
		return err
	}
	d.vault = nil // the session closes it
	defer backend.Close()
	if err := seedHistory(backend, d.keys, a.now()); err != nil {
		return err
	}
	if err := accounts.seedAccounts(backend, a.now()); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	return ui.Run(ctx, newTUIBackend(a, backend), ui.Options{Demo: true, IdleLock: -1})
}

// newDemo builds the demo vault: an identity file instead of a passphrase,
// keys with different providers and hosts, one with a budget nearly
// spent, one whose model is always rate limited, and two weeks of usage
// history so the side pane has something to show.
func newDemo(now time.Time) (d *demo, err error) {
	dir, err := os.MkdirTemp("", "vaultchat-demo-")
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	d = &demo{dir: dir, home: filepath.Join(dir, "home")}
	defer func() {
		if err != nil {
			d.close()
		}
	}()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, err
	}
	idFile := filepath.Join(dir, "identity.txt")
	if err := os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600); err != nil {
		return nil, err
	}
	if d.vault, err = vault.Init(d.home, vault.Options{IdentityFile: idFile}); err != nil {
		return nil, err
	}
	var urls []string
	for range 3 {
		s := sim.New(sim.Options{ChunkDelay: sim.DefaultChunkDelay})
		url, err := s.Start("127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("demo simulator: %w", err)
		}
		d.sims = append(d.sims, s)
		urls = append(urls, url)
	}
	keys := []vault.Key{
		{Name: "personal", Provider: providers.OpenAI, BaseURL: urls[0], DefaultModel: "sim-fast",
			Note: "my own account; any model"},
		{Name: "work", Provider: providers.Azure, BaseURL: strings.TrimSuffix(urls[1], "/v1"), DefaultModel: "gpt-4o-mini",
			AllowedModels: []string{"gpt-4o-mini", "gpt-4o"}, AzureAPIVersion: "2024-10-21",
			Budget: vault.Budget{DailyUSD: 0.05, MonthlyUSD: 5, Hard: true},
			Note:   "team budget: hard limit; mostly spent this month"},
		{Name: "side-project", Provider: providers.OpenAICompatible, BaseURL: urls[2], DefaultModel: sim.Fault429,
			Budget: vault.Budget{MonthlyTokens: 200_000},
			Note:   "hackathon key; its model is always rate limited"},
	}
	var added []vault.Key
	err = d.vault.Update(func(tx *vault.Tx) error {
		for _, k := range keys {
			secret, err := vault.NewSecret("sk-demo-" + randomText(32))
			if err != nil {
				return err
			}
			k.Secret = secret
			k.Created = now.AddDate(0, -2, 0)
			got, err := tx.Add(k)
			if err != nil {
				return err
			}
			added = append(added, got)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("demo keys: %w", err)
	}
	d.keys = added
	return d, nil
}

// seedHistory records two weeks of made-up usage, with the work key's
// month at about 94% of its hard budget.
func seedHistory(sess *session.Session, keys []vault.Key, now time.Time) error {
	record := func(k vault.Key, model string, at time.Time, prompt, completion int64) error {
		return sess.RecordUsage(k.ID, model, at, chat.Usage{PromptTokens: prompt, CompletionTokens: completion})
	}
	for day := 13; day >= 1; day-- {
		at := now.AddDate(0, 0, -day)
		n := int64(day%5 + 1)
		if err := record(keys[0], "sim-fast", at, 900*n, 400*n); err != nil {
			return err
		}
		if err := record(keys[2], sim.Fault429, at, 300*n, 0); err != nil {
			return err
		}
	}
	// The work key: close to its monthly hard budget of $5 (gpt-4o at
	// $2.50 in / $10 out per million tokens).
	start := time.Date(now.Year(), now.Month(), 1, 12, 0, 0, 0, time.UTC)
	if start.After(now) {
		start = now
	}
	return record(keys[1], "gpt-4o", start, 1_000_000, 220_000)
}

func (d *demo) close() {
	if d.vault != nil {
		d.vault.Close()
	}
	for _, s := range d.sims {
		s.Close()
	}
	os.RemoveAll(d.dir)
}

func randomText(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))[:n]
}
