// Package vault keeps API keys in an age-encrypted file.
//
// A vault lives in a home directory (mode 0700, every file 0600):
//
//	identity.age     the vault's own post-quantum hybrid age identity,
//	                 encrypted with the user's passphrase (scrypt, logN 18);
//	                 absent when the user brings an identity file instead
//	home.json        the path of that identity file, if any (not secret)
//	vault.age        the key records, encrypted to the vault's recipient and
//	                 to any extra recipients (a recovery key, teammates)
//	vault.age.1..3   the three previous generations, encrypted the same way
//	vault.stamp      a random token of the key data and the vault.age
//	                 version it describes, so Refresh can skip a reload
//	                 for last-used dates (not secret; see stamp.go)
//	vault.lock       the lock file every writer holds; never renamed
//
// The passphrase is paid for once per unlock, to decrypt identity.age; every
// later read and write uses the fast identity. Other packages store their
// own encrypted files in the home through Files, a small value that has
// WriteFile, ReadFile and RemoveFile and nothing else of the vault.
//
// Unlock with Open, read keys with Keys and Key, change them inside Update,
// and Close the Vault when done or idle. Text shown or stored passes
// Redactor, which masks every secret of the vault by value. Saves never
// write plaintext to disk: each one encrypts to a temp file in the same
// directory, fsyncs it, renames it over the target and fsyncs the
// directory, while holding a file lock. A vault.age save writes its new
// file before it moves the backups, so a full disk costs no backup; the
// old secrets of a rotated or removed key are purged from the backups
// after the save (the vault keeps only a removed key's last name and
// masked value, RetiredKey, so that its past use can still be named),
// and the saved vault records that purge until it is done,
// so a process killed in between leaves it to the next Open (a purge that
// fails is ErrPurgePending: the change itself is saved). A vault that
// fails to open is never overwritten; the error wraps one of
// ErrWrongPassphrase, ErrWrongIdentity, ErrCorrupted, ErrUnsupported or
// ErrTooLarge, and the backups can be listed (Current, Backups) and
// restored.
//
// The identity can also stay in another process, such as an agent that
// unlocked the vault once: an unlocked Vault is an age.Identity (Unwrap
// gives the key of one file from its header's stanzas) and PublicRecipient
// is what encrypting needs; a Vault opened with Options.Identity and
// Options.Recipient decrypts through it and never holds the identity.
//
// Secrets are Secret values, which print masked; Reveal is the only way to
// read one, and callers must never put the result in argv, logs, errors,
// the screen or an export.
package vault
