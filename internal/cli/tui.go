package cli

import (
	"context"
	"errors"
	"fmt"
	"os/signal"
	"syscall"
	"time"

	"github.com/vaultchat/vaultchat/internal/session"
	"github.com/vaultchat/vaultchat/ui"
	"github.com/vaultchat/vaultchat/vault"
)

// The session layer is what the TUI talks to.
var _ ui.Backend = (*session.Session)(nil)

// runTUI starts the full-screen app on the vault in a.home.
func (a *app) runTUI() error {
	if !vault.Exists(a.home) {
		return withHint(fmt.Errorf("no vault in %s", a.home),
			`create one with "vaultchat init", or try the app with "vaultchat --demo"`)
	}
	if !a.io.IsStdoutTTY || !a.io.IsStdinTTY {
		return withHint(errors.New("the full-screen app needs a terminal"), `use "vaultchat ask" in scripts`)
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	sessCfg, err := a.sessionConfig(false)
	if err != nil {
		return err
	}
	backend := session.New(sessCfg)
	// With a passphrase file the vault is unlocked before the screen
	// starts, so errors print like any command's.
	if a.passphraseFile != "" || !backend.NeedsPassphrase() {
		v, err := a.open()
		if err != nil {
			return err
		}
		if backend, err = session.Open(sessCfg, v); err != nil {
			v.Close()
			return err
		}
	}
	defer backend.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	opts := ui.Options{
		IdleLock: idleLock(cfg.IdleLock),
	}
	var b ui.Backend = backend
	if a.agentOff() == "" {
		ab := newAgentBackend(a, backend)
		if cfg.Agent.LockWithApp {
			opts.OnLock = ab.lockAgent
		}
		b = ab
	}
	return ui.Run(ctx, b, opts)
}

// idleLock turns the config's "0 means off" into the UI's "negative
// means off".
func idleLock(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
