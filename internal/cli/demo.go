package cli

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"os"
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
	dir    string
	home   string
	config string // the app's XDG_CONFIG_HOME while the demo runs (demoseed.go)
	sims   []*sim.Server
	vault  *vault.Vault
	keys   []vault.Key
}

// runDemo opens the app on a throwaway vault and removes it on exit.
func (a *app) runDemo() error {
	if !a.io.IsStdoutTTY || !a.io.IsStdinTTY {
		return withHint(errors.New("the demo is a full-screen app and needs a terminal"),
			`try "vaultchat simulate" and "vaultchat ask" in scripts`)
	}
	d, backend, err := a.startDemo()
	if err != nil {
		return err
	}
	defer d.close()
	defer backend.Close()
	// As "tui": a signal from outside ends it as a quit does, then it
	// exits 128+N.
	ctx, stopped, stop := signalContext(syscall.SIGHUP)
	defer stop()
	if err := ui.Run(ctx, newTUIBackend(a, backend), ui.Options{Demo: true, DemoHint: demoHint, IdleLock: -1}); err != nil {
		if ctx.Err() != nil {
			return stopped(context.Cause(ctx))
		}
		return err
	}
	return nil
}

// startDemo builds the demo home and opens the session on it: keys,
// usage, provider accounts, a role and conversations. The caller closes
// the session, then the demo.
func (a *app) startDemo() (_ *demo, _ *session.Session, err error) {
	d, err := newDemo(a.now())
	if err != nil {
		return nil, nil, err
	}
	var backend *session.Session
	defer func() {
		if err != nil {
			if backend != nil {
				backend.Close()
			}
			d.close()
		}
	}()
	accounts, err := d.addAccountKeys(a.now()) // demoaccounts.go
	if err != nil {
		return nil, nil, err
	}
	if err := d.demoConfig(); err != nil { // demoseed.go
		return nil, nil, err
	}
	a.useConfigHome(d.config)
	cfg, err := a.sessionConfig(false)
	if err != nil {
		return nil, nil, err
	}
	cfg.Home, cfg.Vault = d.home, vault.Options{}
	// The demo starts on the personal key: its default_key.
	settings := *cfg.Settings
	settings.DefaultKey = "personal"
	cfg.Settings = &settings
	if backend, err = session.Open(cfg, d.vault); err != nil {
		return nil, nil, err
	}
	d.vault = nil // the session closes it
	if err := seedHistory(backend, d.keys, a.now()); err != nil {
		return nil, nil, err
	}
	if err := accounts.seedAccounts(backend, a.now()); err != nil {
		return nil, nil, err
	}
	if err := d.seedConversations(a, backend, a.now()); err != nil {
		return nil, nil, err
	}
	// Seeded without a pause; from now on replies stream visibly.
	for _, s := range d.sims {
		s.SetChunkDelay(sim.DefaultChunkDelay)
	}
	return d, backend, nil
}

// useConfigHome makes dir the app's XDG_CONFIG_HOME from now on (the
// demo's roles), leaving the process environment alone.
func (a *app) useConfigHome(dir string) {
	lookup := a.lookupEnv
	a.lookupEnv = func(name string) (string, bool) {
		if name == "XDG_CONFIG_HOME" {
			return dir, true
		}
		return lookup(name)
	}
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
		s := sim.New(sim.Options{}) // no pause until seeded (runDemo)
		url, err := s.Start("127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("demo simulator: %w", err)
		}
		d.sims = append(d.sims, s)
		urls = append(urls, url)
	}
	// LastUsed is the time of the key's last request in seedHistory, so
	// that the key picker's "last used" agrees with the usage shown.
	keys := []vault.Key{
		{Name: "personal", Provider: providers.OpenAI, BaseURL: urls[0], DefaultModel: "sim-fast",
			Note: "my own account; any model", LastUsed: lastSeededDay(now)},
		{Name: "work", Provider: providers.Azure, BaseURL: strings.TrimSuffix(urls[1], "/v1"), DefaultModel: "gpt-4o-mini",
			AllowedModels: []string{"gpt-4o-mini", "gpt-4o"}, AzureAPIVersion: "2024-10-21",
			Budget:   vault.Budget{DailyUSD: 0.05, MonthlyUSD: 5, Hard: true},
			Note:     "team budget: hard limit; mostly spent this month",
			LastUsed: workSpendAt(now)},
		{Name: "side-project", Provider: providers.OpenAICompatible, BaseURL: urls[2], DefaultModel: sim.Fault429,
			Budget:   vault.Budget{MonthlyTokens: 200_000},
			Note:     "hackathon key; its model is always rate limited",
			LastUsed: lastSeededDay(now)},
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
	for day := seededDays; day >= 1; day-- {
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
	return record(keys[1], "gpt-4o", workSpendAt(now), 1_000_000, 220_000)
}

// seededDays is how many days of made-up usage the demo's keys have,
// ending yesterday (lastSeededDay).
const seededDays = 13

// lastSeededDay is the time of the last made-up request.
func lastSeededDay(now time.Time) time.Time { return now.AddDate(0, 0, -1) }

// workSpendAt is when the work key spent most of its month: the 1st,
// at noon (now, early on the 1st).
func workSpendAt(now time.Time) time.Time {
	start := time.Date(now.Year(), now.Month(), 1, 12, 0, 0, 0, time.UTC)
	if start.After(now) {
		start = now
	}
	return start
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
