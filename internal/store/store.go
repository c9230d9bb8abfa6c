// Package store keeps conversations in the vault home: one age-encrypted
// file per conversation, conversations/<id>.age, written through the vault's
// atomic save protocol, and an encrypted index of summaries,
// conversations/index.age, so that listing does not decrypt every
// conversation.
//
// The index is a cache. List checks it against the directory (file size and
// modification time of every conversation file) and reloads any conversation
// the index does not describe, so a missing, damaged or stale index (another
// process saved, or a crash came between a conversation and the index)
// repairs itself. Writers in different processes serialise on the lock file
// conversations/store.lock, which is separate from the vault's own lock
// because the vault takes that one inside WriteFile.
//
// A conversation file that fails to open is reported with an error wrapping
// ErrUnreadable (and the cause, such as vault.ErrCorrupted) and is never
// overwritten: Save refuses to replace a file it cannot read back.
package store

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/filelock"
)

// Files is the encrypted file access the store needs. *vault.Files (from
// Vault.Files) satisfies it: WriteFile encrypts to the vault's recipient and replaces
// the file atomically, ReadFile decrypts and refuses files over maxSize,
// RemoveFile deletes, and Dir is the vault home that names are relative to.
type Files interface {
	WriteFile(name string, data []byte) error
	ReadFile(name string, maxSize int64) ([]byte, error)
	RemoveFile(name string) error
	Dir() string
}

// MaxConversationSize is the largest conversation file Load accepts; larger
// files are refused before decrypting. It matches vault.MaxFileSize.
const MaxConversationSize = 256 << 20

// maxFileSize is the cap Load reads with and the store writes within:
// MaxConversationSize, lowered by tests.
var maxFileSize int64 = MaxConversationSize

const (
	schemaVersion = 1
	dirName       = "conversations"
	indexID       = "index"
	lockName      = "store.lock"
	maxIndexSize  = 64 << 20
)

// lockTimeout is how long a save waits for another process's save.
var lockTimeout = 5 * time.Second

// Errors returned (wrapped) by the store.
var (
	// ErrNotFound means no conversation has the ID.
	ErrNotFound = errors.New("no such conversation")
	// ErrInvalidID means an ID could name a file outside the store.
	ErrInvalidID = errors.New("invalid conversation id")
	// ErrUnreadable means a conversation file exists but does not open:
	// it fails to decrypt, is too large, does not parse, or was written
	// by a newer vaultchat. The error also wraps the cause.
	ErrUnreadable = errors.New("conversation file cannot be opened")
	// ErrUnsupported means the file's schema is newer than this build.
	ErrUnsupported = errors.New("conversation written by a newer vaultchat")
	// ErrInUse means another process held the store lock too long.
	ErrInUse = errors.New("conversation store in use by another vaultchat")
)

// Store reads and writes conversations. It is safe for concurrent use, and
// several processes may use the same vault home at once.
type Store struct {
	f   Files
	now func() time.Time

	mu sync.Mutex
	// seen holds, per conversation ID, the file signature this Store last
	// read or wrote. A file whose signature differs was written by someone
	// else and is read back before Save replaces it, so a damaged file is
	// never overwritten.
	seen map[string]filelock.Version
}

// New returns a Store keeping conversations in f.
func New(f Files) *Store {
	return &Store{f: f, now: time.Now, seen: map[string]filelock.Version{}}
}

// envelope is the versioned file format of a conversation.
type envelope struct {
	Schema       int                `json:"schema"`
	Conversation *chat.Conversation `json:"conversation"`
}

// ValidateID reports whether id can name a conversation file: letters,
// digits, '-' and '_', at most 128 characters, not starting with a
// separator, and not the index's reserved name. Dots and slashes are never
// allowed, so an ID cannot leave the conversations directory.
func ValidateID(id string) error {
	if !chat.ValidID(id) || strings.EqualFold(id, indexID) {
		return fmt.Errorf("%q: %w", id, ErrInvalidID)
	}
	return nil
}

// NewID returns a new conversation ID that sorts by creation time, such as
// 20261126-150405-1a2b3c4d (UTC). The suffix is a per-process random base
// plus a counter, so IDs made by one process never collide, even by the
// thousand within a second (an import), and IDs from two processes collide
// only if their random bases do.
func NewID() string {
	idBaseOnce.Do(func() {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			panic("store: crypto/rand failed: " + err.Error())
		}
		idBase = binary.BigEndian.Uint32(b[:])
	})
	return fmt.Sprintf("%s-%08x", time.Now().UTC().Format("20060102-150405"), idBase+idSeq.Add(1))
}

var (
	idBaseOnce sync.Once
	idBase     uint32
	idSeq      atomic.Uint32
)

func fileName(id string) string { return dirName + "/" + id + ".age" }

func (s *Store) path(id string) string {
	return filepath.Join(s.f.Dir(), dirName, id+".age")
}

// Save writes c to its file, setting c.Updated to now (and c.Created when
// it is zero), and updates the index. It refuses to replace a file that
// exists but cannot be read back, and never writes plaintext to disk. Two
// processes saving the same conversation do not merge: the last save wins;
// Update changes a conversation that another process may change too.
func (s *Store) Save(c *chat.Conversation) error { return s.saveAs(c, true) }

// SaveFile is Save without the index, for a new conversation whose first
// message follows at once (vaultchat ask): like UpdateFile, it writes
// only the conversation's file and leaves the index, a cache that List
// brings up to date from the files, to the next Update.
func (s *Store) SaveFile(c *chat.Conversation) error { return s.saveAs(c, false) }

// saveAs is Save; with index false it leaves the index alone.
func (s *Store) saveAs(c *chat.Conversation, index bool) error {
	if c == nil {
		return errors.New("save conversation: nil conversation")
	}
	if err := ValidateID(c.ID); err != nil {
		return fmt.Errorf("save conversation: %w", err)
	}
	now := s.now().Round(0)
	c.Updated = now
	if c.Created.IsZero() {
		c.Created = now
	}
	if err := s.write(c, index); err != nil {
		return fmt.Errorf("save conversation %s: %w", c.ID, err)
	}
	return nil
}

// ErrExists is wrapped by ImportAll when a conversation with the same ID is
// already stored.
var ErrExists = errors.New("conversation already exists")

// write stores c; with index false it leaves the index alone.
func (s *Store) write(c *chat.Conversation, index bool) error {
	data, err := encode(c)
	if err != nil {
		return err
	}
	sum := Summarize(c)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.withLock(func() error {
		path := s.path(c.ID)
		sig, exists, err := filelock.Stat(path)
		if err != nil {
			return err
		}
		if exists && s.seen[c.ID] != sig {
			// Someone else wrote this file, or this Store never read
			// it: make sure it opens before replacing it.
			if err := s.verify(c.ID); err != nil {
				return fmt.Errorf("the file on disk cannot be opened and was left untouched: %w", err)
			}
		}
		return s.writeLocked(c.ID, data, sum, index)
	})
}

// writeLocked replaces the file of id with data, notes its version and,
// with index true, updates the index (UpdateFile and SaveFile leave it
// to the next write). The caller holds s.mu and the lock file.
func (s *Store) writeLocked(id string, data []byte, sum chat.Summary, index bool) error {
	if err := s.f.WriteFile(fileName(id), data); err != nil {
		return err
	}
	sig, _, err := filelock.Stat(s.path(id))
	if err != nil {
		return err
	}
	s.seen[id] = sig
	if !index {
		return nil
	}
	return s.updateIndex(func(ix map[string]indexEntry) {
		ix[id] = indexEntry{Summary: sum, Size: sig.Size, ModTime: sig.MTime}
	})
}

// Update reads conversation id from disk, applies change to it and saves
// the result (setting Updated), all under the store's lock, and returns
// the conversation as saved. Unlike Load followed by Save, it cannot undo
// what another process saved in between: a chat turn that only appends
// its messages keeps every message the other process appended. An error
// from change aborts the update and is returned as is; a missing
// conversation wraps ErrNotFound and one that does not open wraps
// ErrUnreadable, and neither is written.
func (s *Store) Update(id string, change func(*chat.Conversation) error) (*chat.Conversation, error) {
	return s.update(id, change, true, true)
}

// UpdateFile is Update for a write that must be on disk before a request
// is sent (the user's message of a turn): it writes only the
// conversation's file, which holds everything typed, and not the index.
// The index is a cache: the next Update (the reply's) rewrites it, and
// List brings it up to date from the files if the process ends before
// that. The turn's first durable write then costs one encrypted file
// write instead of two.
func (s *Store) UpdateFile(id string, change func(*chat.Conversation) error) (*chat.Conversation, error) {
	return s.update(id, change, true, false)
}

// update is Update; with touch false it leaves Updated as it was, and
// with index false it leaves the index alone (UpdateFile).
func (s *Store) update(id string, change func(*chat.Conversation) error, touch, index bool) (*chat.Conversation, error) {
	if err := ValidateID(id); err != nil {
		return nil, fmt.Errorf("update conversation: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out *chat.Conversation
	err := s.withLock(func() error {
		c, sig, err := s.load(id)
		if err != nil {
			return err
		}
		s.seen[id] = sig
		if err := change(c); err != nil {
			return errChange{err}
		}
		c.ID = id
		now := s.now().Round(0)
		if touch || c.Updated.IsZero() {
			c.Updated = now
		}
		if c.Created.IsZero() {
			c.Created = now
		}
		data, err := encode(c)
		if err != nil {
			return err
		}
		if err := s.writeLocked(id, data, Summarize(c), index); err != nil {
			return err
		}
		out = c
		return nil
	})
	var ce errChange
	if errors.As(err, &ce) {
		return nil, ce.err
	}
	if err != nil {
		return nil, fmt.Errorf("save conversation %s: %w", id, err)
	}
	return out, nil
}

// errChange carries an error of Update's change function through withLock
// so that it is returned unwrapped.
type errChange struct{ err error }

func (e errChange) Error() string { return e.err.Error() }

// verify reads the file of id and checks that it decrypts and carries a
// schema this build understands, without building the conversation.
func (s *Store) verify(id string) error {
	b, err := s.f.ReadFile(fileName(id), maxFileSize)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	var head struct {
		Schema       int             `json:"schema"`
		Conversation json.RawMessage `json:"conversation"`
	}
	if err := json.Unmarshal(b, &head); err != nil || len(head.Conversation) == 0 {
		return fmt.Errorf("%w: not a conversation file", ErrUnreadable)
	}
	if head.Schema > schemaVersion {
		return fmt.Errorf("schema %d: %w: %w", head.Schema, ErrUnsupported, ErrUnreadable)
	}
	return nil
}

// Load reads the conversation id. A missing file wraps ErrNotFound; a file
// that does not open wraps ErrUnreadable and the cause (vault.ErrCorrupted,
// vault.ErrTooLarge, vault.ErrWrongIdentity, ErrUnsupported).
func (s *Store) Load(id string) (*chat.Conversation, error) {
	if err := ValidateID(id); err != nil {
		return nil, fmt.Errorf("open conversation: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, sig, err := s.load(id)
	if err != nil {
		return nil, fmt.Errorf("open conversation %s: %w", id, err)
	}
	s.seen[id] = sig
	return c, nil
}

// load reads and decodes id. The signature is taken before reading, so a
// concurrent writer makes it stale rather than wrongly current.
func (s *Store) load(id string) (*chat.Conversation, filelock.Version, error) {
	sig, exists, err := filelock.Stat(s.path(id))
	if err != nil {
		return nil, filelock.Version{}, err
	}
	if !exists {
		return nil, filelock.Version{}, ErrNotFound
	}
	b, err := s.f.ReadFile(fileName(id), maxFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, filelock.Version{}, ErrNotFound
	}
	if err != nil {
		return nil, filelock.Version{}, fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	c, err := decode(b)
	if err != nil {
		return nil, filelock.Version{}, err
	}
	// The file name is the conversation's identity, even if the file was
	// copied from another ID.
	c.ID = id
	return c, sig, nil
}

func encode(c *chat.Conversation) ([]byte, error) {
	var buf bytes.Buffer
	// A rough guess at the encoded size saves the buffer's repeated
	// doubling for long conversations.
	n := 256
	for i := range c.Messages {
		n += len(c.Messages[i].Content) + 160
	}
	buf.Grow(n)
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(envelope{Schema: schemaVersion, Conversation: c}); err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	// Never write a file Load would refuse.
	if err := sizeError(c, int64(buf.Len())); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func decode(b []byte) (*chat.Conversation, error) {
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		var head struct {
			Schema int `json:"schema"`
		}
		if json.Unmarshal(b, &head) == nil && head.Schema > schemaVersion {
			return nil, fmt.Errorf("schema %d: %w: %w", head.Schema, ErrUnsupported, ErrUnreadable)
		}
		return nil, fmt.Errorf("parse: %v: %w", err, ErrUnreadable)
	}
	switch {
	case env.Schema > schemaVersion:
		return nil, fmt.Errorf("schema %d: %w: %w", env.Schema, ErrUnsupported, ErrUnreadable)
	case env.Schema < 1 || env.Conversation == nil:
		return nil, fmt.Errorf("parse: not a conversation file: %w", ErrUnreadable)
	}
	if env.Conversation.Messages == nil {
		env.Conversation.Messages = []chat.Message{}
	}
	return env.Conversation, nil
}

// Delete removes the conversation id and its index entry. Unreadable
// conversations can be deleted; a missing one wraps ErrNotFound.
func (s *Store) Delete(id string) error {
	if err := ValidateID(id); err != nil {
		return fmt.Errorf("delete conversation: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.withLock(func() error {
		_, exists, err := filelock.Stat(s.path(id))
		if err != nil {
			return err
		}
		if !exists {
			return ErrNotFound
		}
		if err := s.f.RemoveFile(fileName(id)); err != nil {
			return err
		}
		delete(s.seen, id)
		// The search index holds the conversation's text too.
		if err := s.dropSearchIndex(); err != nil {
			return err
		}
		return s.updateIndex(func(ix map[string]indexEntry) { delete(ix, id) })
	})
	if err != nil {
		return fmt.Errorf("delete conversation %s: %w", id, err)
	}
	s.removeTurnLock(id)
	return nil
}

// Rename sets the title of conversation id. The title is cleaned like
// Title's (one line, no control characters) and may be up to 200
// characters. Updated is left alone: renaming is not activity, and must not
// move the conversation to the top of the list.
func (s *Store) Rename(id, title string) error {
	title = cleanTitle(title, 200)
	if title == "" {
		return fmt.Errorf("rename conversation %s: the title is empty", id)
	}
	// Under the lock from load to save: a turn another process saves
	// meanwhile is kept.
	_, err := s.update(id, func(c *chat.Conversation) error {
		c.Title = title
		return nil
	}, false, true)
	if err != nil {
		return fmt.Errorf("rename conversation: %w", err)
	}
	return nil
}

// Latest returns the ID of the most recently updated conversation that
// opens, for "ask --continue". With none it wraps ErrNotFound.
func (s *Store) Latest() (string, error) {
	entries, err := s.list()
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		if !e.Unreadable {
			return e.Summary.ID, nil
		}
	}
	return "", fmt.Errorf("latest conversation: %w", ErrNotFound)
}

// Summarize computes the list entry of c: message count (notes
// excluded) and the conversation's totals (chat.Conversation.Totals).
func Summarize(c *chat.Conversation) chat.Summary {
	sum := chat.Summary{ID: c.ID, Title: c.Title, Parent: c.Parent, Updated: c.Updated, Totals: c.Totals()}
	for i := range c.Messages {
		if c.Messages[i].Role != chat.RoleNote {
			sum.Messages++
		}
	}
	return sum
}

// withLock runs fn holding the store's lock file, shared by every process
// using this vault home.
func (s *Store) withLock(fn func() error) error {
	return filelock.Run(filepath.Join(s.f.Dir(), dirName, lockName), lockTimeout, ErrInUse, fn)
}
