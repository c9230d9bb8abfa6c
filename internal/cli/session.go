package cli

import (
	"github.com/vaultchat/vaultchat/internal/session"
	"github.com/vaultchat/vaultchat/vault"
)

// sessionConfig is the session layer's configuration: the vault home,
// the identity file, and config.toml's settings.
func (a *app) sessionConfig(ephemeral bool) (session.Config, error) {
	cfg, err := a.config()
	if err != nil {
		return session.Config{}, err
	}
	return session.Config{
		Home:      a.home,
		Vault:     vault.Options{IdentityFile: a.identity},
		Settings:  &cfg,
		Now:       a.now,
		Ephemeral: ephemeral,
	}, nil
}

// openSession unlocks the vault and opens the session layer on it, for
// the commands on conversations and usage. The caller must Close it.
func (a *app) openSession(ephemeral bool) (*session.Session, error) {
	cfg, err := a.sessionConfig(ephemeral)
	if err != nil {
		return nil, err
	}
	return a.openSessionWith(cfg)
}

// openTurnSession is openSession for a command that runs one turn (ask):
// the usage ledger is read when the turn needs it (a key with a budget,
// or recording what it spent), not before the request is sent.
func (a *app) openTurnSession(ephemeral bool) (*session.Session, error) {
	cfg, err := a.sessionConfig(ephemeral)
	if err != nil {
		return nil, err
	}
	cfg.DeferLedger = true
	return a.openSessionWith(cfg)
}

// openSessionWith unlocks the vault and opens the session layer on it
// with cfg.
func (a *app) openSessionWith(cfg session.Config) (*session.Session, error) {
	v, err := a.open()
	if err != nil {
		return nil, err
	}
	sess, err := session.Open(cfg, v)
	if err != nil {
		v.Close()
		return nil, err
	}
	return sess, nil
}
