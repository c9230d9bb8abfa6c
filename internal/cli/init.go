package cli

import (
	"fmt"

	"github.com/vaultchat/vaultchat/vault"
)

// initCmd creates a vault. The identity file, when given, is the global
// --identity flag (or VAULTCHAT_IDENTITY), so "vaultchat init --identity
// FILE" reads naturally and later commands need no flag.
type initCmd struct{}

// Run creates the home, the identity and an empty vault.
func (c *initCmd) Run(a *app) error {
	if vault.Exists(a.home) {
		return fmt.Errorf("%s: %w", a.home, vault.ErrExists)
	}
	opts := vault.Options{IdentityFile: a.identity}
	if a.identity == "" {
		// Ask before vault.Init creates anything, so a typo in the
		// confirmation leaves no half-made home behind.
		p, err := a.newPassphrase(a.passphraseFile)
		if err != nil {
			return err
		}
		opts.Passphrase = func() (string, error) { return p, nil }
	} else {
		// Only a passphrase-protected SSH key asks for this.
		opts.Passphrase = func() (string, error) { return a.passphrase("passphrase for the SSH key: ") }
	}
	v, err := vault.Init(a.home, opts)
	if err != nil {
		return err
	}
	defer v.Close()
	a.adopt(v)
	a.printf("created a vault in %s\n", a.clean(a.home))
	if a.identity == "" {
		a.printf("it is unlocked with your passphrase (a post-quantum age identity in identity.age)\n")
	} else {
		self, _ := v.Recipients()
		a.printf("it is unlocked with the identity file %s (%s)\n", a.clean(a.identity), a.clean(self))
	}
	a.printf("next: vaultchat keys add NAME\n")
	return nil
}
