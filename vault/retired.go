package vault

import (
	"slices"
	"time"
)

// RetiredKey is what the vault keeps of a removed key: what names it
// where its past use is still shown (the usage ledger keeps key IDs
// only), and nothing secret. The record lives in the encrypted vault with
// the keys; the secret itself is purged from the backups as before.
type RetiredKey struct {
	ID string `json:"id"`
	// Name is the key's last name, the one it had when it was removed.
	Name string `json:"name"`
	// Masked is the secret's masked form (sk-…wxyz), as Secret.Masked.
	Masked   string    `json:"masked,omitempty"`
	Provider string    `json:"provider,omitempty"`
	Removed  time.Time `json:"removed"`
}

// maxRetired bounds the retired records kept; the oldest go first. Far
// more keys than anyone removes, small enough to keep the vault small.
const maxRetired = 1000

// retire notes k as removed at now; a key removed twice (after a backup
// brought it back) keeps its latest record.
func (p *payload) retire(k Key, now time.Time) {
	p.Retired = slices.DeleteFunc(p.Retired, func(r RetiredKey) bool { return r.ID == k.ID })
	p.Retired = append(p.Retired, RetiredKey{ID: k.ID, Name: k.Name, Masked: k.Secret.Masked(), Provider: k.Provider, Removed: now.UTC()})
	if n := len(p.Retired) - maxRetired; n > 0 {
		p.Retired = slices.Delete(p.Retired, 0, n)
	}
}

// RetiredKey returns what the vault keeps of the removed key with that
// ID, and whether there is such a record. A key that is in the vault
// again (a restored backup) is not retired.
func (v *Vault) RetiredKey(id string) (RetiredKey, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.state.find(id) >= 0 {
		return RetiredKey{}, false
	}
	for i := len(v.state.Retired) - 1; i >= 0; i-- {
		if r := v.state.Retired[i]; r.ID == id {
			return r, true
		}
	}
	return RetiredKey{}, false
}

// RetiredKeys returns the records of removed keys, oldest removal first,
// leaving out keys that are in the vault again.
func (v *Vault) RetiredKeys() []RetiredKey {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]RetiredKey, 0, len(v.state.Retired))
	for _, r := range v.state.Retired {
		if v.state.find(r.ID) < 0 {
			out = append(out, r)
		}
	}
	return out
}
