package vault

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// backupCount is how many previous generations are kept.
const backupCount = 3

// Backup describes one kept previous generation of the vault, or (Slot 0,
// from Current) vault.age itself.
type Backup struct {
	Slot       int // 1 is the newest backup; 0 is vault.age
	Generation uint64
	Saved      time.Time
	Keys       int
	Err        error // set when the backup does not open
}

func backupPath(dir string, slot int) string {
	return filepath.Join(dir, fmt.Sprintf("%s.%d", vaultFile, slot))
}

// rotateBackups shifts vault.age.1..2 up one slot and hard-links the
// current vault.age as vault.age.1, so vault.age itself exists at every
// moment. The caller holds the lock.
func rotateBackups(dir string) error {
	cur := filepath.Join(dir, vaultFile)
	if _, err := os.Lstat(cur); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	for slot := backupCount - 1; slot >= 1; slot-- {
		from := backupPath(dir, slot)
		if err := refuseSymlink(from); err != nil {
			return err
		}
		if err := os.Rename(from, backupPath(dir, slot+1)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	first := backupPath(dir, 1)
	if err := os.Link(cur, first); err != nil {
		// No hard links on this file system: copy the ciphertext.
		b, rerr := os.ReadFile(cur)
		if rerr != nil {
			return rerr
		}
		if werr := writePlainAtomic(first, b); werr != nil {
			return errors.Join(err, werr)
		}
	}
	// The link shares vault.age's mode; if the user loosened it, the
	// backup must not keep the loose mode after vault.age is replaced.
	return os.Chmod(first, 0o600)
}

// Backups lists the kept previous generations, newest first. A backup that
// does not open is listed with Err set.
func (v *Vault) Backups() ([]Backup, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.id.ids == nil {
		return nil, ErrLocked
	}
	var out []Backup
	for slot := 1; slot <= backupCount; slot++ {
		path := backupPath(v.dir, slot)
		fi, err := os.Lstat(path)
		if err != nil {
			continue
		}
		b := Backup{Slot: slot, Saved: fi.ModTime()}
		p, err := v.readVaultFile(path)
		if err != nil {
			b.Err = err
		} else {
			b.Generation, b.Saved, b.Keys = p.Generation, p.Saved, len(p.Keys)
		}
		out = append(out, b)
	}
	return out, nil
}

// Current describes vault.age as Backups describes a backup, with Slot 0
// and Err set when it does not open, without loading it: for a Vault from
// Unlock that is about to list or restore backups.
func (v *Vault) Current() Backup {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.id.ids == nil {
		return Backup{Err: ErrLocked}
	}
	path := filepath.Join(v.dir, vaultFile)
	b := Backup{}
	if fi, err := os.Lstat(path); err == nil {
		b.Saved = fi.ModTime()
	}
	p, err := v.readVaultFile(path)
	if err != nil {
		b.Err = err
		return b
	}
	b.Generation, b.Saved, b.Keys = p.Generation, p.Saved, len(p.Keys)
	return b
}

// Restore makes the backup with the given generation the current vault. It
// is written as a new generation, after the current one when that still
// opens; a current vault.age that does not open is kept aside as
// vault.age.broken-<time> rather than destroyed. The Vault is loaded with
// the restored state afterwards.
func (v *Vault) Restore(generation uint64) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.id.ids == nil {
		return ErrLocked
	}
	return withLock(v.dir, func() error {
		// A purge left pending must be done before a backup comes back:
		// it may hold a secret that was rotated or removed since.
		if p, err := v.readVaultFile(filepath.Join(v.dir, vaultFile)); err == nil && len(p.PendingPurge) > 0 {
			v.state, v.loaded = p, true
			if err := v.finishPurgeLocked(); err != nil {
				return err
			}
		}
		var restored *payload
		for slot := 1; slot <= backupCount; slot++ {
			p, err := v.readVaultFile(backupPath(v.dir, slot))
			if err == nil && p.Generation == generation {
				restored = &p
				break
			}
		}
		if restored == nil {
			return fmt.Errorf("generation %d: %w", generation, ErrNoBackup)
		}
		cur := filepath.Join(v.dir, vaultFile)
		next := restored.Generation
		if p, err := v.readVaultFile(cur); err == nil {
			next = max(next, p.Generation)
		} else if _, serr := os.Lstat(cur); serr == nil {
			aside := fmt.Sprintf("%s.broken-%s", cur, time.Now().UTC().Format("20060102T150405Z"))
			// Never rename over an earlier broken file (two restores in
			// one second); we hold the lock, so the check cannot race.
			for n := 2; ; n++ {
				if _, err := os.Lstat(aside); errors.Is(err, fs.ErrNotExist) {
					break
				}
				aside = fmt.Sprintf("%s.broken-%s-%d", cur, time.Now().UTC().Format("20060102T150405Z"), n)
			}
			if err := os.Rename(cur, aside); err != nil {
				return fmt.Errorf("set broken vault aside: %w", err)
			}
		}
		v.state = restored.clone()
		v.state.Generation = next
		v.state.PendingPurge = nil
		v.loaded = true
		return v.writeLocked()
	})
}

// finishPurgeLocked purges the backups of the key IDs the saved vault
// lists as pending (rotated or removed keys whose old secrets may still
// be in them), then saves the vault without the list. A failure wraps
// ErrPurgePending: the change itself is saved, the list stays, and the
// next open or update tries again. The caller holds the lock.
func (v *Vault) finishPurgeLocked() error {
	ids := v.state.PendingPurge
	if len(ids) == 0 {
		return nil
	}
	if err := v.purgeBackupsLocked(ids); err != nil {
		return fmt.Errorf("%w: the change is saved, but purging the backups failed (retried whenever the vault opens): %w", ErrPurgePending, err)
	}
	// The backups are clean now; if recording that fails (a full
	// disk), the next open purges again, which finds nothing to do.
	v.state.PendingPurge = nil
	// No backup rotation (nothing a user would restore changed), but a
	// new data stamp: the saved purge list is not bookkeeping.
	if err := v.write(false, false); err != nil {
		v.state.PendingPurge = ids
	}
	return nil
}

// purgeBackupsLocked rewrites every backup so that no old secret of the
// given key IDs survives in it: removed keys are dropped and rotated keys
// carry their current secret. The caller holds the lock.
func (v *Vault) purgeBackupsLocked(ids []string) error {
	recipients, err := v.recipientsLocked()
	if err != nil {
		return err
	}
	for slot := 1; slot <= backupCount; slot++ {
		path := backupPath(v.dir, slot)
		if _, err := os.Lstat(path); err != nil {
			continue
		}
		p, err := v.readVaultFile(path)
		if err != nil {
			// A backup we cannot read may still hold the old secret;
			// removing it is the only way to purge it.
			if rmErr := os.Remove(path); rmErr != nil {
				return fmt.Errorf("purge unreadable backup: %w", rmErr)
			}
			continue
		}
		changed := false
		p.Keys = slices.DeleteFunc(p.Keys, func(r keyRecord) bool {
			if !slices.Contains(ids, r.ID) {
				return false
			}
			changed = true
			return v.state.find(r.ID) < 0
		})
		for i := range p.Keys {
			if j := v.state.find(p.Keys[i].ID); j >= 0 && slices.Contains(ids, p.Keys[i].ID) {
				p.Keys[i].Secret = v.state.Keys[j].Secret
				p.Keys[i].Rotated = v.state.Keys[j].Rotated
			}
		}
		if !changed {
			continue
		}
		plaintext, err := encodePayload(p)
		if err != nil {
			return err
		}
		if err := seal(path, plaintext, recipients...); err != nil {
			return fmt.Errorf("purge backup %d: %w", slot, err)
		}
	}
	return nil
}
