package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/roles"
	"github.com/vaultchat/vaultchat/internal/session"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/ui"
	"github.com/vaultchat/vaultchat/vault"
)

// The session layer is what the TUI talks to, with the role files the
// command layer finds.
var _ ui.Backend = (*tuiBackend)(nil)

// tuiBackend is the TUI's Backend: the session, unlocked by itself or
// through the agent (agentBackend), plus what only the command layer
// knows — where the role files are.
type tuiBackend struct {
	*session.Session
	unlocker unlocker
	a        *app
}

// unlocker is how the TUI's unlock screen opens the vault: the session
// itself, or through the agent.
type unlocker interface {
	NeedsPassphrase() bool
	Unlock(passphrase []byte) error
}

// newTUIBackend is the TUI's backend on sess, unlocked by the session
// itself.
func newTUIBackend(a *app, sess *session.Session) *tuiBackend {
	return &tuiBackend{Session: sess, unlocker: sess, a: a}
}

// NeedsPassphrase asks the unlocker.
func (b *tuiBackend) NeedsPassphrase() bool { return b.unlocker.NeedsPassphrase() }

// Unlock opens the vault through the unlocker.
func (b *tuiBackend) Unlock(passphrase []byte) error { return b.unlocker.Unlock(passphrase) }

// Roles lists the role files as "roles list" does.
func (b *tuiBackend) Roles() ([]view.Role, error) {
	list, err := roles.List(b.a.rolesDir())
	if err != nil {
		return nil, err
	}
	out := make([]view.Role, len(list))
	for i, e := range list {
		out[i] = view.Role{Name: e.Name}
		if e.Err != nil {
			out[i].Problem = e.Err.Error()
			continue
		}
		out[i].Description, out[i].Model, out[i].Key = e.Role.Description, e.Role.Model, e.Role.Key
	}
	return out, nil
}

// Role loads and checks a role as "ask --role" does.
func (b *tuiBackend) Role(name string) (chat.RoleRef, error) {
	ref, _, _, err := roleForAsk(b.a, b.Session, name, "", "")
	if err != nil {
		// The TUI shows one line: the hints, as the command line gives
		// them (hintsFor), go after the error.
		if hints := hintsFor(err); len(hints) > 0 {
			return chat.RoleRef{}, fmt.Errorf("%w; %s", err, strings.Join(hints, "; "))
		}
		return chat.RoleRef{}, err
	}
	return *ref, nil
}

// runTUI starts the full-screen app on the vault in a.home.
func (a *app) runTUI() error {
	if !vault.Exists(a.home) {
		return withHint(fmt.Errorf("no vault in %s", a.home),
			`create one with "vaultchat init", or try the app with "vaultchat --demo"`)
	}
	if !a.io.IsStdoutTTY || !a.io.IsStdinTTY {
		return withHint(errors.New("the full-screen app needs a terminal"), `use "vaultchat ask" in scripts`)
	}
	cfg, err := a.strictConfig()
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
	// Ctrl+C is a key to the TUI (the terminal is raw); a signal from
	// outside (SIGTERM, a closed terminal's SIGHUP, kill -INT) ends it
	// as a quit does, locking the session, then exits 128+N.
	ctx, stopped, stop := signalContext(syscall.SIGHUP)
	defer stop()
	opts := ui.Options{
		IdleLock: idleLock(cfg.IdleLock),
	}
	b := newTUIBackend(a, backend)
	if a.agentOff() == "" {
		ab := newAgentBackend(a, backend)
		if cfg.Agent.LockWithApp {
			opts.OnLock = ab.lockAgent
		}
		b.unlocker = ab
	}
	if err := ui.Run(ctx, b, opts); err != nil {
		if ctx.Err() != nil {
			return stopped(context.Cause(ctx))
		}
		return err
	}
	return nil
}

// idleLock turns the config's "0 means off" into the UI's "negative
// means off".
func idleLock(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
