package vault

import (
	"errors"
	"fmt"
	"path/filepath"

	"filippo.io/age"
)

// This file is the vault's side of an identity held by another process
// (an agent): Unwrap and PublicRecipient serve it from an unlocked Vault,
// and Options.Identity and Options.Recipient open a Vault with it.

// Unwrap unwraps a file key from the recipient stanzas of an age header
// with the vault's identity, so that a Vault is an age.Identity. An agent
// process serves it to other processes, which open the vault with
// Options.Identity: they get the key of one file at a time, and the
// identity never leaves this Vault. It returns an error wrapping
// age.ErrIncorrectIdentity when no stanza is for the vault, and ErrLocked
// after Close.
func (v *Vault) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	v.mu.Lock()
	ids := v.id.ids
	v.mu.Unlock()
	if ids == nil {
		return nil, ErrLocked
	}
	for _, id := range ids {
		fileKey, err := id.Unwrap(stanzas)
		if errors.Is(err, age.ErrIncorrectIdentity) {
			continue
		}
		return fileKey, err
	}
	return nil, age.ErrIncorrectIdentity
}

// PublicRecipient returns the vault's own recipient in the encoding that
// Options.Recipient takes: "age1pq1…", "age1…", an SSH public key line,
// or a plugin recipient "age1name1…". It is public: encrypting to it is
// all a process needs to save. It fails for a plugin identity that is its
// own recipient (its file has no "# Recipient: age1…" line), since only
// the identity can encrypt to that.
func (v *Vault) PublicRecipient() (string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.id.ids == nil {
		return "", ErrLocked
	}
	if v.id.public == "" {
		return "", errors.New(`the identity has no public recipient to encrypt to; add its "# Recipient: age1…" line to the identity file`)
	}
	return v.id.public, nil
}

// externalIdentity is the identity of a Vault opened with
// Options.Identity.
func externalIdentity(opts Options) (identity, error) {
	if opts.Recipient == "" {
		return identity{}, errors.New("an identity held elsewhere needs the vault's recipient too")
	}
	r, err := parseRecipient(opts.Recipient, opts.PluginUI)
	if err != nil {
		return identity{}, fmt.Errorf("the vault's recipient: %w", err)
	}
	return identity{
		ids:        []age.Identity{externalUnwrapper{opts.Identity}},
		self:       r,
		selfString: opts.Recipient,
		public:     opts.Recipient,
		external:   true,
	}, nil
}

// externalUnwrapper marks the errors of an identity held elsewhere, so
// that a failure to reach it (an agent gone, a refused request) is not
// reported as a corrupted file.
type externalUnwrapper struct{ id age.Identity }

func (e externalUnwrapper) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	fileKey, err := e.id.Unwrap(stanzas)
	if err != nil && !errors.Is(err, age.ErrIncorrectIdentity) {
		return nil, &externalError{err}
	}
	return fileKey, err
}

// externalError is a failure of an identity held elsewhere.
type externalError struct{ err error }

func (e *externalError) Error() string { return "unwrap the file key: " + e.err.Error() }
func (e *externalError) Unwrap() error { return e.err }

// IdentityPaths returns the files that decide how the vault in dir
// unlocks (identity.age, home.json). A process that keeps the identity
// unlocked should forget it when one of them changes: the passphrase
// changed, or the home now uses another identity.
func IdentityPaths(dir string) []string {
	return []string{filepath.Join(dir, identityFile), filepath.Join(dir, homeFile)}
}
