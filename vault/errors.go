package vault

import "errors"

// Errors returned (wrapped) by this package. Callers classify failures with
// errors.Is; every error from Open and Unlock that concerns the vault file
// wraps exactly one of the first five.
var (
	// ErrWrongPassphrase means the passphrase (or identity) does not
	// decrypt the vault's identity. A bit flip inside the passphrase
	// stanza looks exactly like this too.
	ErrWrongPassphrase = errors.New("wrong passphrase")
	// ErrWrongIdentity means the identity file does not match any of the
	// vault's recipients.
	ErrWrongIdentity = errors.New("identity does not match the vault")
	// ErrCorrupted means a file is damaged: not an age file, a broken
	// header, a failed authentication tag, or an unparseable payload.
	ErrCorrupted = errors.New("vault file is corrupted")
	// ErrUnsupported means the file was written by a newer vaultchat.
	ErrUnsupported = errors.New("unsupported vault schema")
	// ErrTooLarge means a file is over its size cap and was not decrypted.
	ErrTooLarge = errors.New("file too large")

	// ErrNotInitialized means the home holds no vault yet.
	ErrNotInitialized = errors.New("no vault here")
	// ErrExists means Init found a vault already in place.
	ErrExists = errors.New("a vault already exists here")
	// ErrInUse means another process held the vault lock past the timeout.
	ErrInUse = errors.New("vault in use by another vaultchat")
	// ErrChanged means the vault on disk moved to a newer generation since
	// this process loaded it; reload and try again.
	ErrChanged = errors.New("vault changed on disk; reload")
	// ErrSymlink means a vault file is a symbolic link, which is refused.
	ErrSymlink = errors.New("vault file is a symbolic link")
	// ErrLocked means the Vault was closed (locked) and holds no secrets.
	ErrLocked = errors.New("vault is locked")

	// ErrKeyNotFound means no key has the given name or ID.
	ErrKeyNotFound = errors.New("no such key")
	// ErrDuplicateName means another key already has the name.
	ErrDuplicateName = errors.New("a key with that name already exists")
	// ErrNameHoldsSecret means a key name would contain a key's secret
	// (or a new secret appears in a key name): names are printed in
	// clear everywhere, so none may carry a secret.
	ErrNameHoldsSecret = errors.New("a key name may not contain a key's secret (was a secret pasted as the name?)")
	// ErrFieldHoldsSecret means a key's setting (default or allowed
	// model, organization, project, Azure version or deployment, note)
	// would contain a key's secret: models are sent in request bodies
	// and shown everywhere, the others are sent in headers, paths or
	// queries, so none may carry a secret. It is wrapped with the
	// setting's name, never its value.
	ErrFieldHoldsSecret = errors.New("may not contain a key's secret (was a secret pasted into the wrong flag?)")
	// ErrSameSecret means a rotation was given the secret the key already
	// has.
	ErrSameSecret = errors.New("the new secret is the same as the current one")
	// ErrMixedRecipients means post-quantum and classic recipients were
	// combined, which age refuses.
	ErrMixedRecipients = errors.New("post-quantum and classic recipients cannot be mixed")
	// ErrPurgePending means a change was saved but the old secrets it
	// replaced or removed could not yet be purged from the backups; the
	// purge is retried whenever the vault is opened or updated.
	ErrPurgePending = errors.New("old secrets are still in the backups")
	// ErrNoBackup means the requested backup generation does not exist.
	ErrNoBackup = errors.New("no such backup")
)
