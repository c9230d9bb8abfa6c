package vault

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/redact"
)

// Tx is the view of a Vault inside Update; its methods change the state
// that Update saves when fn returns nil.
type Tx struct {
	v     *Vault
	purge []string // key IDs whose old records must leave the backups
}

// Keys returns every key, sorted by name.
func (tx *Tx) Keys() []Key {
	keys := make([]Key, 0, len(tx.v.state.Keys))
	for _, r := range tx.v.state.Keys {
		keys = append(keys, r.key())
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Name < keys[j].Name })
	return keys
}

// Key returns the key with the given name or ID.
func (tx *Tx) Key(nameOrID string) (Key, error) {
	i := tx.v.state.find(nameOrID)
	if i < 0 {
		return Key{}, fmt.Errorf("%q: %w", nameOrID, ErrKeyNotFound)
	}
	return tx.v.state.Keys[i].key(), nil
}

// Add validates k, gives it a new ID and a creation time, and adds it. It
// returns the stored record.
func (tx *Tx) Add(k Key) (Key, error) {
	k = k.clone()
	if err := k.validate(); err != nil {
		return Key{}, err
	}
	if tx.v.state.find(k.Name) >= 0 {
		return Key{}, fmt.Errorf("%q: %w", k.Name, ErrDuplicateName)
	}
	if tx.nameHoldsSecret(k.Name, k.Secret.Reveal()) {
		return Key{}, ErrNameHoldsSecret
	}
	if err := tx.checkFields(k, k.Secret.Reveal()); err != nil {
		return Key{}, err
	}
	if err := tx.checkNewSecret(k.Secret.Reveal()); err != nil {
		return Key{}, err
	}
	k.ID = newID()
	if k.Created.IsZero() {
		k.Created = time.Now().UTC()
	}
	tx.v.state.Keys = append(tx.v.state.Keys, toRecord(k))
	return k.clone(), nil
}

// Edit calls fn with a copy of the named key's record and stores the
// result. fn may change metadata; changes to ID, Name, Created and Secret
// are ignored (use Rename and Rotate).
func (tx *Tx) Edit(nameOrID string, fn func(k *Key) error) (Key, error) {
	i := tx.v.state.find(nameOrID)
	if i < 0 {
		return Key{}, fmt.Errorf("%q: %w", nameOrID, ErrKeyNotFound)
	}
	old := tx.v.state.Keys[i].key()
	k := old.clone()
	if err := fn(&k); err != nil {
		return Key{}, err
	}
	k.ID, k.Name, k.Created, k.Secret = old.ID, old.Name, old.Created, old.Secret
	followPreset(old, &k)
	if err := k.validate(); err != nil {
		return Key{}, err
	}
	if err := tx.checkFields(k, ""); err != nil {
		return Key{}, err
	}
	tx.v.state.Keys[i] = toRecord(k)
	return k.clone(), nil
}

// Rename changes a key's name; its ID stays.
func (tx *Tx) Rename(oldName, newName string) error {
	if err := ValidateName(newName); err != nil {
		return err
	}
	i := tx.v.state.find(oldName)
	if i < 0 {
		return fmt.Errorf("%q: %w", oldName, ErrKeyNotFound)
	}
	if j := tx.v.state.find(newName); j >= 0 && j != i {
		return fmt.Errorf("%q: %w", newName, ErrDuplicateName)
	}
	if tx.nameHoldsSecret(newName, "") {
		return ErrNameHoldsSecret
	}
	tx.v.state.Keys[i].Name = newName
	return nil
}

// Remove deletes a key, keeping its last name and masked value as a
// RetiredKey (nothing secret). Update also purges it from the backups
// after a successful save.
func (tx *Tx) Remove(nameOrID string) (Key, error) {
	i := tx.v.state.find(nameOrID)
	if i < 0 {
		return Key{}, fmt.Errorf("%q: %w", nameOrID, ErrKeyNotFound)
	}
	k := tx.v.state.Keys[i].key()
	tx.v.state.Keys = slices.Delete(tx.v.state.Keys, i, i+1)
	tx.v.state.retire(k, time.Now())
	tx.purge = append(tx.purge, k.ID)
	return k, nil
}

// Rotate replaces a key's secret under the same ID and records the rotation
// date. The old secret is purged from the backups after a successful save.
func (tx *Tx) Rotate(nameOrID string, secret Secret) (Key, error) {
	if secret.IsZero() {
		return Key{}, errors.New("empty secret")
	}
	i := tx.v.state.find(nameOrID)
	if i < 0 {
		return Key{}, fmt.Errorf("%q: %w", nameOrID, ErrKeyNotFound)
	}
	r := &tx.v.state.Keys[i]
	if r.Secret == secret.Reveal() {
		return Key{}, ErrSameSecret
	}
	if err := tx.checkNewSecret(secret.Reveal()); err != nil {
		return Key{}, err
	}
	// A keyless key may use plain http to another host; the key it
	// gets now may not.
	if u, err := providers.ParseBaseURL(r.BaseURL); err == nil {
		if err := providers.CheckCleartext(u, r.AllowInsecureHTTP, secret.Reveal()); err != nil {
			return Key{}, err
		}
	}
	r.Secret = secret.Reveal()
	r.Rotated = time.Now().UTC()
	tx.purge = append(tx.purge, r.ID)
	return r.key(), nil
}

// nameHoldsSecret reports whether name contains a secret of the vault or
// extra (a key's own secret, before it is stored). Secrets too short to
// be masked (a local server's "ollama") are left out, as the redactor
// leaves them out: a key may be named after its server.
func (tx *Tx) nameHoldsSecret(name, extra string) bool {
	return holdsStoredSecret(tx.v.state.Keys, name) || redact.Maskable(extra) && strings.Contains(name, extra)
}

// holdsStoredSecret reports whether s contains the secret of one of
// keys (those long and random enough to be masked).
func holdsStoredSecret(keys []keyRecord, s string) bool {
	for _, r := range keys {
		if redact.Maskable(r.Secret) && strings.Contains(s, r.Secret) {
			return true
		}
	}
	return false
}

// checkFields refuses k when one of its settings contains a secret of
// the vault or extra (a secret not stored yet): see ErrFieldHoldsSecret.
func (tx *Tx) checkFields(k Key, extra string) error {
	return checkSettings(k, func(s string) bool { return tx.nameHoldsSecret(s, extra) })
}

// checkSettings is the one rule of checkFields and Vault.CheckSettings:
// the first of k's settings that holds a secret, as an error naming the
// setting (never its value).
func checkSettings(k Key, holdsSecret func(string) bool) error {
	for _, f := range k.settings() {
		if holdsSecret(f.value) {
			return fmt.Errorf("key %s: %s %w", k.Name, f.name, ErrFieldHoldsSecret)
		}
	}
	return nil
}

// CheckSettings reports, as checkFields does on add and edit, a setting
// of k that holds a secret of the vault: a record stored by an older
// build, before the rule, must not send it. The session asks before
// every turn.
func (v *Vault) CheckSettings(k Key) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return checkSettings(k, func(s string) bool { return holdsStoredSecret(v.state.Keys, s) })
}

// checkNewSecret refuses a secret about to be stored (Add, Rotate) that
// a stored key's name or settings already hold. Only the new secret is
// looked for: the stored ones were checked when they were stored.
func (tx *Tx) checkNewSecret(secret string) error {
	if !redact.Maskable(secret) {
		return nil
	}
	if tx.secretInNames(secret) {
		return ErrNameHoldsSecret
	}
	for _, other := range tx.v.state.Keys {
		if err := checkSettings(other.key(), func(s string) bool { return strings.Contains(s, secret) }); err != nil {
			return err
		}
	}
	return nil
}

// secretInNames reports whether a key name contains secret.
func (tx *Tx) secretInNames(secret string) bool {
	if !redact.Maskable(secret) {
		return false
	}
	for _, r := range tx.v.state.Keys {
		if strings.Contains(r.Name, secret) {
			return true
		}
	}
	return false
}

// Touch records that a key was used at t.
func (tx *Tx) Touch(nameOrID string, t time.Time) error {
	i := tx.v.state.find(nameOrID)
	if i < 0 {
		return fmt.Errorf("%q: %w", nameOrID, ErrKeyNotFound)
	}
	tx.v.state.Keys[i].LastUsed = t.UTC()
	return nil
}

// AddRecipient adds an extra recipient (a recovery key, a teammate) that
// vault.age is also encrypted to from the next save on. It fails with
// ErrMixedRecipients when the recipient's kind (post-quantum or classic)
// differs from the vault's own.
func (tx *Tx) AddRecipient(s string) error {
	s = strings.TrimSpace(s)
	r, err := parseRecipient(s, tx.v.pluginUI)
	if err != nil {
		return err
	}
	if slices.Contains(tx.v.state.Recipients, s) || s == tx.v.id.selfString {
		return fmt.Errorf("recipient %s is already present", truncate(s, 20))
	}
	// Encrypting an empty file tells whether age accepts the combination.
	w, err := age.Encrypt(discard{}, tx.v.id.self, r)
	if err != nil {
		return classifyEncryptError(err)
	}
	if err := w.Close(); err != nil {
		return err
	}
	tx.v.state.Recipients = append(tx.v.state.Recipients, s)
	return nil
}

// RemoveRecipient removes an extra recipient. The current vault.age is
// re-encrypted without it on save; note that the recipient could already
// have copied earlier versions.
func (tx *Tx) RemoveRecipient(s string) error {
	i := slices.Index(tx.v.state.Recipients, strings.TrimSpace(s))
	if i < 0 {
		// Not echoed: whatever was typed here may be a pasted secret.
		return errors.New("that recipient is not in this vault")
	}
	tx.v.state.Recipients = slices.Delete(tx.v.state.Recipients, i, i+1)
	return nil
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
