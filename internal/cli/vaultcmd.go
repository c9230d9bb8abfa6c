package cli

import (
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/vaultchat/vaultchat/internal/sanitize"
	"github.com/vaultchat/vaultchat/vault"
)

// vaultCmd groups commands about the vault file itself.
type vaultCmd struct {
	Recipients vaultRecipientsCmd `cmd:"" help:"Manage extra recipients of vault.age."`
	Restore    vaultRestoreCmd    `cmd:"" help:"List the backups, or restore one by generation."`
}

// vaultRecipientsCmd groups the recipient commands.
type vaultRecipientsCmd struct {
	List recipientsListCmd `cmd:"" help:"List the recipients vault.age is encrypted to."`
	Add  recipientsAddCmd  `cmd:"" help:"Also encrypt vault.age to a recovery key or teammate."`
	Rm   recipientsRmCmd   `cmd:"" help:"Stop encrypting vault.age to a recipient."`
}

type recipientsListCmd struct{}

// Run prints one recipient per line, the vault's own first.
func (c *recipientsListCmd) Run(a *app) error {
	v, err := a.open()
	if err != nil {
		return err
	}
	defer v.Close()
	// Recipients are public keys, meant to be copied whole: sanitized,
	// not masked (a post-quantum one is a 1,900-letter run, which the
	// redactor masks as a possible secret; age parsed it, so it holds
	// none).
	self, extra := v.Recipients()
	a.printf("%s\t(this vault's own key)\n", sanitize.String(self))
	for _, r := range extra {
		a.printf("%s\n", sanitize.String(r))
	}
	if len(extra) == 0 {
		fmt.Fprintln(a.io.ErrOut, `vaultchat: hint: add a recovery key with "vaultchat vault recipients add AGE-RECIPIENT"`)
	}
	return nil
}

type recipientsAddCmd struct {
	Recipient string `arg:"" name:"age-recipient" help:"An age recipient: age1pq1… (or age1…, ssh-ed25519 … for classic vaults)."`
}

// Run adds the recipient and re-encrypts vault.age to all of them.
func (c *recipientsAddCmd) Run(a *app) error {
	v, err := a.open()
	if err != nil {
		return err
	}
	defer v.Close()
	if err := v.Update(func(tx *vault.Tx) error { return tx.AddRecipient(c.Recipient) }); err != nil {
		return fmt.Errorf("add recipient: %w", err)
	}
	_, extra := v.Recipients()
	a.printf("added recipient %s; vault.age is now encrypted to %d recipients\n", a.clean(shortRecipient(c.Recipient)), len(extra)+1)
	return nil
}

type recipientsRmCmd struct {
	Recipient string `arg:"" name:"age-recipient" help:"The recipient to remove, as listed."`
}

// Run removes the recipient and re-encrypts vault.age without it.
func (c *recipientsRmCmd) Run(a *app) error {
	v, err := a.open()
	if err != nil {
		return err
	}
	defer v.Close()
	if err := v.Update(func(tx *vault.Tx) error { return tx.RemoveRecipient(c.Recipient) }); err != nil {
		return fmt.Errorf("remove recipient: %w", err)
	}
	a.printf("removed recipient %s\n", a.clean(shortRecipient(c.Recipient)))
	fmt.Fprintln(a.io.ErrOut, "vaultchat: hint: the backups and any copy it already has can still be read with it; rotate the keys it could see")
	return nil
}

// shortRecipient shortens a recipient for messages; post-quantum ones are
// almost 2,000 characters.
func shortRecipient(s string) string {
	if len(s) <= 40 {
		return s
	}
	return s[:20] + "…" + s[len(s)-8:]
}

// vaultRestoreCmd lists or restores backups. It unlocks only the identity,
// so it works when vault.age itself no longer opens.
type vaultRestoreCmd struct {
	Generation string `arg:"" optional:"" help:"Generation to restore (default: list the backups)."`
}

// Run lists the backups, or restores the one with the given generation.
func (c *vaultRestoreCmd) Run(a *app) error {
	var gen uint64
	if c.Generation != "" {
		var err error
		if gen, err = strconv.ParseUint(c.Generation, 10, 64); err != nil {
			return usagef("generation %q is not a number", c.Generation)
		}
	}
	v, err := a.unlock()
	if err != nil {
		return err
	}
	defer v.Close()
	if c.Generation != "" {
		if err := v.Restore(gen); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		a.refreshRedactor(v)
		cur := v.Current()
		a.printf("restored generation %d: the vault is now at generation %d with %d keys\n", gen, cur.Generation, cur.Keys)
		return nil
	}
	if cur := v.Current(); cur.Err != nil {
		a.printf("current: vault.age does not open: %s\n", a.clean(cur.Err.Error()))
	} else {
		a.printf("current: generation %d with %d keys\n", cur.Generation, cur.Keys)
	}
	backups, err := v.Backups()
	if err != nil {
		return fmt.Errorf("list backups: %w", err)
	}
	if len(backups) == 0 {
		a.printf("no backups yet: the last three saved generations are kept\n")
		return nil
	}
	tw := tabwriter.NewWriter(a.io.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SLOT\tGENERATION\tSAVED\tKEYS")
	for _, b := range backups {
		if b.Err != nil {
			fmt.Fprintf(tw, "%d\t-\t%s\tdoes not open: %s\n", b.Slot, b.Saved.Local().Format("2006-01-02 15:04:05"), a.cell(b.Err.Error()))
			continue
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%d\n", b.Slot, b.Generation, b.Saved.Local().Format("2006-01-02 15:04:05"), b.Keys)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(a.io.ErrOut, `vaultchat: hint: restore one with "vaultchat vault restore GENERATION"`)
	return nil
}
