package vault

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"filippo.io/age"
	"filippo.io/age/plugin"
	"github.com/google/renameio/v2"

	"github.com/vaultchat/vaultchat/internal/filelock"
	"github.com/vaultchat/vaultchat/internal/redact"
)

// Options says how to unlock a vault home.
type Options struct {
	// IdentityFile is the user's own age identity file. When set it
	// overrides the identity file the home remembers; when empty and the
	// home remembers none, the vault uses its passphrase-protected
	// identity.age.
	IdentityFile string
	// Passphrase is called at most once, when a passphrase is needed (to
	// decrypt identity.age, or a passphrase-protected SSH key). Init calls
	// it to get the new passphrase; confirming it is the caller's job.
	Passphrase func() (string, error)
	// PluginUI receives prompts from age plugins (a YubiKey PIN, say).
	PluginUI *plugin.ClientUI

	// Identity, when set, stands in for the vault's own identity: Unlock
	// and Open unwrap file keys with it instead of with identity.age or
	// an identity file, and ask for no passphrase. It is for an identity
	// held by another process, such as an agent that unwraps a file's
	// stanzas on request and never hands the identity out (a Vault
	// opened the usual way is such an Identity: see Vault.Unwrap).
	// Errors from its Unwrap that do not wrap age.ErrIncorrectIdentity
	// come back wrapped (errors.As finds them), not as ErrCorrupted.
	Identity age.Identity
	// Recipient is the vault's own recipient when Identity is set, as
	// Vault.PublicRecipient returns it; every save encrypts to it.
	Recipient string
}

// Vault is an unlocked vault home. It holds the decrypted identity and,
// after Load, the key records. A Vault is safe for concurrent use.
//
// Callers must call Close when done, and should call it on idle lock, so
// the identity and secrets are dropped from memory.
type Vault struct {
	mu       sync.Mutex
	dir      string
	id       identity
	pluginUI *plugin.ClientUI // for plugin recipients added to the vault
	loaded   bool
	state    payload
	warnings []string
	// fileVer is vault.age's version (size, modification time) as this
	// Vault last read or wrote it: Refresh reloads only when it moved.
	fileVer filelock.Version
	// dataToken names the key data of state, as vault.stamp does
	// (see stamp.go); "" when the stamp did not describe what was read.
	dataToken string
	// bookkeepingVer is a later version of vault.age that Refresh found
	// to differ from fileVer in bookkeeping only, and so did not load.
	bookkeepingVer filelock.Version

	red       *redact.Redactor  // see Redactor
	redGen    uint64            // the generation red was checked at
	redDigest [sha256.Size]byte // of the secrets red masks
}

type homeConfig struct {
	IdentityFile string `json:"identity_file,omitempty"`
}

// Init creates a vault in dir: the directory (mode 0700), an identity and an
// empty vault.age. Without opts.IdentityFile it generates a post-quantum
// hybrid identity and stores it in identity.age, encrypted with the
// passphrase from opts.Passphrase (scrypt, logN 18). With it, the home
// remembers that file's absolute path and needs no passphrase.
func Init(dir string, opts Options) (*Vault, error) {
	// An existing home is tightened too: Init is where its mode is set.
	if err := filelock.EnsureDir(dir); err != nil {
		return nil, fmt.Errorf("create vault home: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create vault home: %w", err)
	}
	v := &Vault{dir: dir, pluginUI: opts.PluginUI, loaded: true, state: payload{Schema: schemaVersion, Keys: []keyRecord{}}}
	err := withLock(dir, func() error {
		for _, name := range []string{vaultFile, identityFile, homeFile} {
			if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
				return ErrExists
			}
		}
		if opts.IdentityFile != "" {
			abs, err := filepath.Abs(opts.IdentityFile)
			if err != nil {
				return err
			}
			v.id, err = loadIdentityFile(abs, opts)
			if err != nil {
				return err
			}
			if err := writeHomeConfig(dir, homeConfig{IdentityFile: abs}); err != nil {
				return err
			}
		} else {
			if opts.Passphrase == nil {
				return errors.New("a passphrase or an identity file is required")
			}
			pass, err := opts.Passphrase()
			if err != nil {
				return err
			}
			if pass == "" {
				return errors.New("the passphrase cannot be empty")
			}
			id, encoded, err := generateIdentity()
			if err != nil {
				return err
			}
			if err := sealIdentity(filepath.Join(dir, identityFile), encoded, pass); err != nil {
				return err
			}
			v.id = id
		}
		return v.writeLocked()
	})
	if err != nil {
		return nil, fmt.Errorf("init vault: %w", err)
	}
	return v, nil
}

func writeHomeConfig(dir string, hc homeConfig) error {
	b, err := json.MarshalIndent(hc, "", "  ")
	if err != nil {
		return err
	}
	return writePlainAtomic(filepath.Join(dir, homeFile), append(b, '\n'))
}

// Exists reports whether dir holds a vault.
func Exists(dir string) bool {
	_, err := os.Lstat(filepath.Join(dir, vaultFile))
	return err == nil
}

// UsesPassphrase reports whether unlocking dir needs a passphrase, that is,
// whether it has no identity file configured. It does not decrypt anything.
func UsesPassphrase(dir string, opts Options) bool {
	if opts.IdentityFile != "" || opts.Identity != nil {
		return false
	}
	// A home.json that does not read asks for no passphrase: unlocking
	// then reports what is wrong with it.
	hc, err := readHomeConfig(dir)
	return err == nil && hc.IdentityFile == ""
}

func readHomeConfig(dir string) (homeConfig, error) {
	var hc homeConfig
	path := filepath.Join(dir, homeFile)
	if err := refuseSymlink(path); err != nil {
		return hc, err
	}
	b, err := readSmallFile(path, maxIdentityFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return hc, nil
	}
	if err != nil {
		return hc, err
	}
	if err := json.Unmarshal(b, &hc); err != nil {
		return hc, fmt.Errorf("%s: %v: %w", homeFile, err, ErrCorrupted)
	}
	return hc, nil
}

// Unlock unlocks the identity of the vault in dir without reading vault.age.
// Use it to list or restore backups of a vault that no longer opens;
// otherwise use Open.
func Unlock(dir string, opts Options) (*Vault, error) {
	if !Exists(dir) {
		if _, err := os.Lstat(filepath.Join(dir, identityFile)); err != nil {
			return nil, fmt.Errorf("%s: %w", dir, ErrNotInitialized)
		}
	}
	hc, err := readHomeConfig(dir)
	if err != nil {
		return nil, fmt.Errorf("unlock vault: %w", err)
	}
	path := opts.IdentityFile
	if path == "" {
		path = hc.IdentityFile
	}
	v := &Vault{dir: dir, pluginUI: opts.PluginUI}
	switch {
	case opts.Identity != nil:
		v.id, err = externalIdentity(opts)
	case path != "":
		v.id, err = loadIdentityFile(path, opts)
	default:
		if opts.Passphrase == nil {
			return nil, errors.New("unlock vault: a passphrase is needed")
		}
		var pass string
		pass, err = opts.Passphrase()
		if err == nil {
			v.id, err = unlockPassphrase(filepath.Join(dir, identityFile), pass)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("unlock vault: %w", err)
	}
	v.id.own = path == ""
	for _, name := range []string{"", vaultFile, identityFile, homeFile} {
		if w := looseModeWarning(filepath.Join(dir, name), name == ""); w != "" {
			v.warnings = append(v.warnings, w)
		}
	}
	return v, nil
}

// Open unlocks the vault in dir and loads its keys. Errors wrap one of
// ErrWrongPassphrase, ErrWrongIdentity, ErrCorrupted, ErrUnsupported or
// ErrTooLarge when the files cannot be read; a vault that fails to open is
// never written to.
func Open(dir string, opts Options) (*Vault, error) {
	v, err := Unlock(dir, opts)
	if err != nil {
		return nil, err
	}
	if err := v.load(); err != nil {
		v.Close()
		return nil, err
	}
	return v, nil
}

// load (re)reads vault.age. It waits for a concurrent save to finish.
func (v *Vault) load() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.id.ids == nil {
		return ErrLocked
	}
	return withLock(v.dir, v.loadLocked)
}

func (v *Vault) loadLocked() error {
	p, ver, err := readVault(filepath.Join(v.dir, vaultFile), v.id)
	if err != nil {
		return err
	}
	v.state, v.loaded = p, true
	v.fileVer, v.dataToken, v.bookkeepingVer = ver, stampedToken(v.dir, ver), filelock.Version{}
	if err := v.finishPurgeLocked(); err != nil && !slices.Contains(v.warnings, err.Error()) {
		// The vault is fine to use; the warning says what is left.
		v.warnings = append(v.warnings, err.Error())
	}
	return nil
}

func (v *Vault) readVaultFile(path string) (payload, error) {
	p, _, err := readVault(path, v.id)
	return p, err
}

// readVaultHook, when set, is called before each read of a vault file
// (vault.age or a backup). Only tests set it, to count decrypts.
var readVaultHook func(path string)

// readVault reads, decrypts and checks a vault file (vault.age or a
// backup) with id, and returns its payload and the version read. It
// touches no field of the Vault, so Refresh can run it without the lock.
func readVault(path string, id identity) (payload, filelock.Version, error) {
	if readVaultHook != nil {
		readVaultHook(path)
	}
	plaintext, ver, err := unsealVersion(path, MaxVaultSize, id.ids...)
	if errors.Is(err, ErrWrongIdentity) && id.own {
		return payload{}, ver, fmt.Errorf("open %s: the vault's own identity (identity.age) does not open it; the file is damaged or was replaced: %w", filepath.Base(path), ErrCorrupted)
	}
	if err != nil {
		return payload{}, ver, fmt.Errorf("open %s: %w", filepath.Base(path), err)
	}
	p, err := decodePayload(plaintext)
	if err != nil {
		return payload{}, ver, fmt.Errorf("open %s: %w", filepath.Base(path), err)
	}
	return p, ver, nil
}

// Warnings returns problems found while unlocking that do not stop the
// vault from working, such as files readable by other users.
func (v *Vault) Warnings() []string { return slices.Clone(v.warnings) }

// generation returns the generation of the loaded vault. Every save
// increments it.
func (v *Vault) generation() uint64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.state.Generation
}

// Close drops the identity and every secret from the Vault. Later calls
// fail with ErrLocked. Close is idempotent.
func (v *Vault) Close() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.id = identity{}
	v.state = payload{}
	v.loaded = false
	v.fileVer, v.dataToken, v.bookkeepingVer = filelock.Version{}, "", filelock.Version{}
	v.red, v.redGen, v.redDigest = nil, 0, [sha256.Size]byte{}
}

// save re-encrypts the loaded state as the next generation, rotating the
// backups. It fails with ErrChanged if another process saved since this
// Vault loaded, so a stale view never overwrites newer data. Changes go
// through Update, which reloads under the lock instead; save is what the
// tests of that protocol use.
func (v *Vault) save() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.usable(); err != nil {
		return err
	}
	return withLock(v.dir, func() error {
		disk, err := v.readVaultFile(filepath.Join(v.dir, vaultFile))
		if err != nil {
			return fmt.Errorf("save vault: refusing to replace a vault that does not open: %w", err)
		}
		if disk.Generation != v.state.Generation {
			return fmt.Errorf("save vault: %w", ErrChanged)
		}
		return v.writeLocked()
	})
}

// Update runs fn as one atomic read-modify-write: under the vault lock it
// reloads vault.age if another process changed it, calls fn (which may call
// the mutating methods: Add, Edit, Rename, Remove, Rotate, Touch,
// AddRecipient, RemoveRecipient) and saves. If fn fails nothing is saved and
// the in-memory state is reloaded from disk.
func (v *Vault) Update(fn func(tx *Tx) error) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.usable(); err != nil {
		return err
	}
	return withLock(v.dir, func() (err error) {
		if err := v.loadLocked(); err != nil {
			return err
		}
		before := v.state.clone()
		tx := &Tx{v: v}
		if err := fn(tx); err != nil {
			v.state = before
			return err
		}
		// The purge of replaced or removed secrets is recorded in the
		// saved vault itself, so a process killed before it is done
		// leaves it to the next open (loadLocked) rather than forgotten.
		for _, id := range tx.purge {
			if !slices.Contains(v.state.PendingPurge, id) {
				v.state.PendingPurge = append(v.state.PendingPurge, id)
			}
		}
		switch changes(before, v.state) {
		case changeNone:
			cleanTemps(v.dir) // still tidy up after a killed writer
			return nil
		case changeBookkeeping:
			// Last-used and last-check dates change on every chat turn
			// and check; rotating backups for them would push the real
			// previous states out within three turns, and making every
			// other open Vault reload for them would cost each a decrypt
			// per turn.
			err = v.writeBookkeepingLocked()
		default:
			err = v.writeLocked()
		}
		if err != nil {
			v.state = before
			return err
		}
		if err := v.finishPurgeLocked(); err != nil && len(tx.purge) > 0 {
			// Another change's leftover purge failing again is not
			// this change's failure; it stays pending.
			return err
		}
		return nil
	})
}

func (v *Vault) usable() error {
	if v.id.ids == nil {
		return ErrLocked
	}
	if !v.loaded {
		return errors.New("vault not loaded")
	}
	return nil
}

// writeLocked rotates backups and writes the next generation, as new key
// data. The caller holds the lock.
func (v *Vault) writeLocked() error { return v.write(true, false) }

// writeBookkeepingLocked writes the next generation without rotating
// backups and with the data stamp it loaded, for bookkeeping-only changes.
// The caller holds the lock.
func (v *Vault) writeBookkeepingLocked() error { return v.write(false, true) }

// write saves the state as the next generation, rotating the backups
// first when rotate is set. bookkeeping says that the key data is the
// one v.dataToken names, so other Vaults need not reload for this save.
func (v *Vault) write(rotate, bookkeeping bool) error {
	cleanTemps(v.dir)
	cleanStampTemps(v.dir)
	recipients, err := v.recipientsLocked()
	if err != nil {
		return err
	}
	next := v.state.clone()
	next.Generation++
	next.Saved = time.Now().UTC()
	plaintext, err := encodePayload(next)
	if err != nil {
		return err
	}
	// The new file is written and synced before the backups move: on a
	// full disk the save fails with vault.age and every backup as they
	// were (rotating first turned each failed save into one backup
	// fewer).
	path := filepath.Join(v.dir, vaultFile)
	pf, err := sealPending(path, plaintext, recipients...)
	if err != nil {
		return fmt.Errorf("save vault: %w", err)
	}
	defer pf.Cleanup()
	if rotate {
		if err := rotateBackups(v.dir); err != nil {
			return fmt.Errorf("rotate backups: %w", err)
		}
	}
	if err := commitSealed(pf, path); err != nil {
		return fmt.Errorf("save vault: %w", err)
	}
	v.state = next
	v.fileVer, _, _ = filelock.Stat(path)
	v.bookkeepingVer = filelock.Version{}
	if !bookkeeping || v.dataToken == "" {
		v.dataToken = newDataToken()
	}
	// The save is done; a stamp that fails to write leaves one that
	// describes an earlier vault.age, which makes others reload.
	_ = writeStamp(v.dir, v.dataToken, v.fileVer)
	return nil
}

func (v *Vault) recipientsLocked() ([]age.Recipient, error) {
	rs := []age.Recipient{v.id.self}
	for _, s := range v.state.Recipients {
		r, err := parseRecipient(s, v.pluginUI)
		if err != nil {
			return nil, fmt.Errorf("vault recipient: %w", err)
		}
		rs = append(rs, r)
	}
	return rs, nil
}

// Keys returns every key, sorted by name. The records include secrets;
// see Secret for how to handle them.
func (v *Vault) Keys() []Key {
	v.mu.Lock()
	defer v.mu.Unlock()
	keys := make([]Key, 0, len(v.state.Keys))
	for _, r := range v.state.Keys {
		keys = append(keys, r.key())
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Name < keys[j].Name })
	return keys
}

// Key returns the key with the given name, or with the given ID when no
// name matches.
func (v *Vault) Key(nameOrID string) (Key, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	i := v.state.find(nameOrID)
	if i < 0 {
		return Key{}, fmt.Errorf("%q: %w", nameOrID, ErrKeyNotFound)
	}
	return v.state.Keys[i].key(), nil
}

// Recipients returns the vault's own recipient (for display) followed by
// the extra recipients vault.age is also encrypted to.
func (v *Vault) Recipients() (self string, extra []string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.id.selfString, slices.Clone(v.state.Recipients)
}

// ChangePassphrase re-encrypts identity.age with a new passphrase. The
// vault and everything else stay as they are.
func (v *Vault) ChangePassphrase(passphrase string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.id.ids == nil {
		return ErrLocked
	}
	if v.id.external {
		return errors.New("the vault was opened with an identity held elsewhere (an agent); unlock it with its passphrase to change the passphrase")
	}
	hid, ok := v.id.ids[0].(*age.HybridIdentity)
	if !ok || len(v.id.ids) != 1 {
		return errors.New("this vault uses an identity file, not a passphrase")
	}
	if passphrase == "" {
		return errors.New("the passphrase cannot be empty")
	}
	return withLock(v.dir, func() error {
		return sealIdentity(filepath.Join(v.dir, identityFile), hid.String(), passphrase)
	})
}

func newID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return "k_" + hex.EncodeToString(b[:])
}

// writePlainAtomic writes a non-secret file (home.json) atomically, 0600.
func writePlainAtomic(path string, data []byte) error {
	if err := refuseSymlink(path); err != nil {
		return err
	}
	if err := renameio.WriteFile(path, data, 0o600, renameio.WithStaticPermissions(0o600)); err != nil {
		return err
	}
	return filelock.SyncDir(filepath.Dir(path))
}
