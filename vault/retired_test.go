package vault

import (
	"strings"
	"testing"
)

// TestRemovedKeyKeepsItsLastName: a removed key leaves a record with its
// last name (after a rename) and masked value, which survives reopening
// the vault and holds nothing of the secret but the mask.
func TestRemovedKeyKeepsItsLastName(t *testing.T) {
	home, opts, _ := newIdentityVault(t)
	v := mustOpen(t, home, opts)
	var added Key
	if err := v.Update(func(tx *Tx) error {
		var err error
		added, err = tx.Add(testKey(t, "old-name"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	secret := added.Secret.Reveal()
	if _, ok := v.RetiredKey(added.ID); ok {
		t.Fatal("a key in the vault is retired")
	}
	if err := v.Update(func(tx *Tx) error { return tx.Rename("old-name", "last-name") }); err != nil {
		t.Fatal(err)
	}
	if err := v.Update(func(tx *Tx) error { _, err := tx.Remove("last-name"); return err }); err != nil {
		t.Fatal(err)
	}
	v.Close()

	v = mustOpen(t, home, opts)
	r, ok := v.RetiredKey(added.ID)
	if !ok || r.Name != "last-name" || r.Masked != added.Secret.Masked() || r.Masked == "" || r.Provider != added.Provider || r.Removed.IsZero() {
		t.Fatalf("retired record %+v, %t", r, ok)
	}
	if list := v.RetiredKeys(); len(list) != 1 || list[0] != r {
		t.Fatalf("RetiredKeys = %+v", list)
	}
	if strings.Contains(r.Masked, secret[8:len(secret)-4]) {
		t.Fatal("the record holds more of the secret than its mask")
	}
}
