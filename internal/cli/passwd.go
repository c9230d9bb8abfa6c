package cli

import (
	"errors"
	"fmt"

	"github.com/vaultchat/vaultchat/vault"
)

// passwdCmd changes the passphrase that protects identity.age. The current
// passphrase comes from the terminal or --passphrase-file, the new one from
// the terminal (typed twice) or --new-passphrase-file.
type passwdCmd struct {
	NewPassphraseFile string `name:"new-passphrase-file" placeholder:"FILE" help:"Read the new passphrase from the first line of FILE instead of the terminal."`
}

// Run re-encrypts identity.age only; vault.age and its backups stay as
// they are, because they are encrypted to the identity, not the passphrase.
func (c *passwdCmd) Run(a *app) error {
	if !vault.Exists(a.home) {
		return fmt.Errorf("%s: %w", a.home, vault.ErrNotInitialized)
	}
	if !vault.UsesPassphrase(a.home, a.vaultOptions()) {
		return withHint(errors.New("this vault is unlocked with an identity file, so it has no passphrase to change"),
			"protect the identity file itself, for example with age-plugin-yubikey or an SSH key passphrase")
	}
	if c.NewPassphraseFile == "" && a.io.ReadSecret == nil {
		return withHint(errors.New("a new passphrase is needed and there is no terminal to ask for it"),
			"give it with --new-passphrase-file FILE (the file's first line)")
	}
	if !a.canGetPassphrase() {
		return errNoPassphrase
	}
	opts := a.vaultOptions()
	opts.Passphrase = func() (string, error) { return a.passphrase("current passphrase: ") }
	v, err := vault.Unlock(a.home, opts)
	if err != nil {
		return err
	}
	defer v.Close()
	a.adopt(v)
	p, err := a.newPassphrase(c.NewPassphraseFile)
	if err != nil {
		return err
	}
	if err := v.ChangePassphrase(p); err != nil {
		return fmt.Errorf("change passphrase: %w", err)
	}
	a.printf("changed the passphrase of the vault in %s\n", a.clean(a.home))
	return nil
}
