package cli

import (
	"errors"
	"fmt"
	"sync"

	"github.com/vaultchat/vaultchat/internal/session"
	"github.com/vaultchat/vaultchat/vault"
)

// agentBackend is the full-screen app's backend when commands ask the
// agent: its unlock screen needs no passphrase while an agent holds the
// identity, and says so when the agent has locked or gone.
type agentBackend struct {
	*session.Session
	a *app

	mu sync.Mutex
	// throughAgent is set while the vault was last unlocked through the
	// agent: after a lock, enter alone asks the agent again, and if it
	// is gone, Unlock says so before the passphrase is asked.
	throughAgent bool
}

// errAgentGone is what the unlock screen shows when the agent that
// unlocked the app is no longer there (in at most 60 characters, what
// the screen shows of an error).
var errAgentGone = errors.New("the vaultchat agent has locked or gone; type the passphrase")

func newAgentBackend(a *app, inner *session.Session) *agentBackend {
	return &agentBackend{Session: inner, a: a}
}

// NeedsPassphrase is false while an agent holds the identity (or held it
// at the last unlock), else the vault's own answer.
func (b *agentBackend) NeedsPassphrase() bool {
	b.mu.Lock()
	through := b.throughAgent
	b.mu.Unlock()
	if through {
		return false
	}
	if _, err := b.a.agentClient(false).Status(); err == nil {
		return false
	}
	return b.Session.NeedsPassphrase()
}

// Unlock opens the vault through the agent when no passphrase is given
// and one runs; with a passphrase, or for an identity-file vault without
// an agent, it unlocks as usual.
func (b *agentBackend) Unlock(passphrase []byte) error {
	if len(passphrase) == 0 {
		// No prompts: the app owns the terminal.
		v, err := b.a.openThroughAgent(vault.Open, b.a.agentClient(false))
		var unavailable *agentUnavailable
		switch {
		case err == nil:
			if err := b.Session.UnlockWith(v); err != nil {
				v.Close()
				return err
			}
			b.setThroughAgent(true)
			return nil
		case !errors.As(err, &unavailable):
			return err
		case b.Session.NeedsPassphrase():
			b.setThroughAgent(false)
			if unavailable.cause != nil {
				return fmt.Errorf("%v; type the passphrase", unavailable.cause)
			}
			return errAgentGone
		}
	}
	b.setThroughAgent(false)
	return b.Session.Unlock(passphrase)
}

// lockAgent locks the agent too (ctrl+l, when the config says so).
func (b *agentBackend) lockAgent() {
	b.setThroughAgent(false)
	b.a.agentClient(false).Lock()
}

func (b *agentBackend) setThroughAgent(v bool) {
	b.mu.Lock()
	b.throughAgent = v
	b.mu.Unlock()
}
