package vault

import (
	"path/filepath"

	"github.com/vaultchat/vaultchat/internal/filelock"
)

// Refresh reloads the keys when another process saved the vault since
// this Vault last read or wrote it (keys rm, keys add, a rotation in
// another terminal), so that a long-lived holder such as the app never
// uses a removed key or misses a new one. It costs one stat when
// nothing changed, and a small read (vault.stamp) when the other
// process only recorded a key's last use or check, as every chat turn
// does: those dates are left as they are until this Vault next loads
// (every Update does). A reload decrypts without holding the Vault's
// lock, so readers (Keys, Key) do not wait for it, and it is dropped if
// this Vault loaded or saved meanwhile, which read a file at least as
// new. On an error (the file was damaged meanwhile) the keys stay as
// they were. A purge a killed writer left pending is left to the next
// Open or Update, which hold the vault lock.
func (v *Vault) Refresh() error {
	v.mu.Lock()
	if err := v.usable(); err != nil {
		v.mu.Unlock()
		return err
	}
	id, seen, skipped, token := v.id, v.fileVer, v.bookkeepingVer, v.dataToken
	v.mu.Unlock()

	path := filepath.Join(v.dir, vaultFile)
	ver, _, err := filelock.Stat(path)
	if err != nil || ver == seen || ver == skipped {
		return err
	}
	if token != "" && stampedToken(v.dir, ver) == token {
		v.mu.Lock()
		if v.fileVer == seen {
			v.bookkeepingVer = ver
		}
		v.mu.Unlock()
		return nil
	}
	// vault.age is replaced by rename, never written in place: without
	// the vault lock this still reads one whole version of it.
	p, readVer, err := readVault(path, id)
	if err != nil {
		return err
	}
	readToken := stampedToken(v.dir, readVer)
	if refreshHook != nil {
		refreshHook()
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.usable(); err != nil {
		return err // closed meanwhile: nothing comes back
	}
	if v.fileVer != seen {
		// This Vault loaded or saved meanwhile, under the vault lock,
		// after this read began: what it holds is at least as new.
		return nil
	}
	v.state, v.fileVer, v.dataToken, v.bookkeepingVer = p, readVer, readToken, filelock.Version{}
	return nil
}

// refreshHook, when set, runs in Refresh between its decrypt and the swap
// of the state. Only tests set it, to save or read meanwhile.
var refreshHook func()
