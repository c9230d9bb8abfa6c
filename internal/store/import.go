package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gofrs/flock"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/filelock"
)

// An import of many conversations is all or nothing, and costs one index
// write rather than one per conversation:
//
//  1. Stage: every conversation is encrypted into a staging directory,
//     conversations/.imports/<token>/, without the store's lock (other
//     processes keep saving), while the importer holds a flock on
//     conversations/.imports/<token>.lock. The staged files are made
//     durable together (Batch.Sync), not one fsync each.
//  2. Commit, under the store's lock: IDs are checked again, the list of
//     index entries is written (encrypted) as <token>/commit.age, the
//     staged files are renamed into conversations/, the directory is
//     synced, the index is written once, and the staging directory goes.
//
// A kill during staging leaves a staging directory without commit.age:
// the next open (Recover) removes it, so nothing was imported. A kill
// during the commit leaves commit.age: Recover finishes the renames and
// the index, so all was imported. A staging directory whose lock is held
// belongs to a live import and is left alone.

// importsDir holds staging directories of imports in progress.
const importsDir = ".imports"

// commitName is the commit record inside a staging directory. IDs never
// contain dots, so it cannot be a conversation's file.
const commitName = "commit.index.age"

// Batch is what a bulk import needs beyond Files; *vault.Files' NewBatch
// returns one. See vault.Batch.
type Batch interface {
	Add(name string, data []byte) error
	Sync() error
}

// BatchFiles is Files that can write many new files made durable together
// (*vault.Files). Without it, ImportAll writes each staged file with
// WriteFile.
type BatchFiles interface {
	NewBatch(dir string) (Batch, error)
}

// ImportOptions control ImportAll.
type ImportOptions struct {
	// SkipExisting imports only the conversations whose ID is not stored
	// yet; without it, one stored ID refuses the whole import.
	SkipExisting bool
}

// ImportResult says what ImportAll did.
type ImportResult struct {
	Imported int
	// Skipped are the IDs already stored (SkipExisting).
	Skipped []string
}

// ErrTooLarge is wrapped when a conversation would make a file larger
// than Load accepts.
var ErrTooLarge = errors.New("conversation too large")

// ImportAll stores imported conversations exactly as given (their Created
// and Updated times kept), all or none. Before anything is written it
// refuses a bad or repeated ID, a conversation too large to be read back
// (ErrTooLarge, naming it) and, without SkipExisting, an ID already
// stored (ErrExists, naming it). A canceled ctx during staging, or any
// error, leaves nothing imported.
func (s *Store) ImportAll(ctx context.Context, convs []*chat.Conversation, opts ImportOptions) (ImportResult, error) {
	var res ImportResult
	seen := make(map[string]bool, len(convs))
	var todo []*chat.Conversation
	for _, c := range convs {
		if c == nil {
			return res, errors.New("import: nil conversation")
		}
		if err := ValidateID(c.ID); err != nil {
			return res, fmt.Errorf("import conversation: %w", err)
		}
		if seen[c.ID] {
			return res, fmt.Errorf("import: conversation %s appears twice", c.ID)
		}
		seen[c.ID] = true
		if err := checkSize(c); err != nil {
			return res, fmt.Errorf("import conversation %s: %w", c.ID, err)
		}
		if s.stored(c.ID) {
			if !opts.SkipExisting {
				return res, fmt.Errorf("import conversation %s: %w", c.ID, ErrExists)
			}
			res.Skipped = append(res.Skipped, c.ID)
			continue
		}
		todo = append(todo, c)
	}
	if len(todo) == 0 {
		return res, nil
	}
	st, err := s.stage(ctx, todo)
	if err != nil {
		return res, fmt.Errorf("import: %w", err)
	}
	skipped, decided, err := s.commit(st, opts.SkipExisting)
	if decided && err != nil {
		// Part may be in place: leave the rest, with its commit record,
		// for Recover to finish rather than undo half of it.
		st.lock.Unlock()
		return res, fmt.Errorf("import: %w (the next open finishes it)", err)
	}
	st.release()
	if err != nil {
		return res, fmt.Errorf("import: %w", err)
	}
	res.Skipped = append(res.Skipped, skipped...)
	res.Imported = len(todo) - len(skipped)
	return res, nil
}

// stored reports whether a file for id exists, readable or not.
func (s *Store) stored(id string) bool {
	_, err := os.Lstat(s.path(id))
	return !errors.Is(err, fs.ErrNotExist)
}

// staging is a staged import: its directory, lock and index entries.
type staging struct {
	token   string
	dir     string // absolute
	lock    *flock.Flock
	entries []indexEntry // Summary only; the file signature is taken at commit
}

func (st *staging) release() {
	os.RemoveAll(st.dir)
	st.lock.Unlock()
	os.Remove(st.dir + ".lock")
	os.Remove(filepath.Dir(st.dir)) // only when no other import stages
}

// stage encrypts todo into a new staging directory. On error or cancel
// the directory is removed.
func (s *Store) stage(ctx context.Context, todo []*chat.Conversation) (*staging, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	token := hex.EncodeToString(b[:])
	root := filepath.Join(s.f.Dir(), dirName, importsDir)
	if err := filelock.EnsureDir(root); err != nil {
		return nil, err
	}
	st := &staging{token: token, dir: filepath.Join(root, token), lock: flock.New(filepath.Join(root, token+".lock"), flock.SetPermissions(0o600))}
	// The lock comes first: a staging directory whose lock is free is a
	// dead import's.
	if ok, err := st.lock.TryLock(); !ok || err != nil {
		return nil, fmt.Errorf("lock the staging directory: %v", err)
	}
	rel := dirName + "/" + importsDir + "/" + token
	write := func(name string, data []byte) error { return s.f.WriteFile(rel+"/"+name, data) }
	sync := func() error { return nil }
	if bf, ok := s.f.(BatchFiles); ok {
		batch, err := bf.NewBatch(rel)
		if err != nil {
			st.release()
			return nil, err
		}
		write, sync = batch.Add, batch.Sync
	} else if err := filelock.EnsureDir(st.dir); err != nil {
		st.release()
		return nil, err
	}
	now := s.now().Round(0)
	for _, c := range todo {
		if err := ctx.Err(); err != nil {
			st.release()
			return nil, fmt.Errorf("canceled: %w", err)
		}
		if c.Created.IsZero() {
			c.Created = now
		}
		if c.Updated.IsZero() {
			c.Updated = now
		}
		data, err := encode(c)
		if err != nil {
			st.release()
			return nil, fmt.Errorf("conversation %s: %w", c.ID, err)
		}
		if err := write(c.ID+".age", data); err != nil {
			st.release()
			return nil, fmt.Errorf("conversation %s: %w", c.ID, err)
		}
		st.entries = append(st.entries, indexEntry{Summary: Summarize(c)})
	}
	if err := sync(); err != nil {
		st.release()
		return nil, err
	}
	return st, nil
}

// commitFile is the plaintext of commit.index.age.
type commitFile struct {
	Schema  int          `json:"schema"`
	Entries []indexEntry `json:"entries"`
}

// commit moves a staged import into the store under the store's lock. An
// ID stored since staging refuses the import, or with skipExisting is
// skipped; it returns the IDs skipped, and whether the commit record was
// written (from then on the import is to be finished, not undone).
func (s *Store) commit(st *staging, skipExisting bool) (skipped []string, decided bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	err = s.withLock(func() error {
		keep := st.entries[:0]
		for _, e := range st.entries {
			if s.stored(e.Summary.ID) {
				if !skipExisting {
					return fmt.Errorf("conversation %s: %w", e.Summary.ID, ErrExists)
				}
				skipped = append(skipped, e.Summary.ID)
				continue
			}
			keep = append(keep, e)
		}
		st.entries = keep
		if err := s.writeCommitRecord(st.token, keep); err != nil {
			return err
		}
		decided = true
		return s.finishCommit(st.dir, keep)
	})
	return skipped, decided, err
}

// writeCommitRecord decides the import: from here on Recover completes
// it rather than undo it.
func (s *Store) writeCommitRecord(token string, entries []indexEntry) error {
	b, err := json.Marshal(commitFile{Schema: indexSchema, Entries: entries})
	if err != nil {
		return err
	}
	return s.f.WriteFile(dirName+"/"+importsDir+"/"+token+"/"+commitName, b)
}

// finishCommit renames the staged files of entries into place (those not
// there yet), syncs the directory and adds the entries to the index.
// The caller holds s.mu and the lock. It is idempotent, for Recover.
func (s *Store) finishCommit(dir string, entries []indexEntry) error {
	for _, e := range entries {
		id := e.Summary.ID
		from := filepath.Join(dir, id+".age")
		if _, err := os.Lstat(from); errors.Is(err, fs.ErrNotExist) {
			continue // renamed before a crash
		}
		if s.stored(id) {
			continue // never replace a stored conversation
		}
		if err := os.Rename(from, s.path(id)); err != nil {
			return err
		}
	}
	if err := filelock.SyncDir(filepath.Join(s.f.Dir(), dirName)); err != nil {
		return err
	}
	return s.updateIndex(func(ix map[string]indexEntry) {
		for _, e := range entries {
			sig, exists, err := filelock.Stat(s.path(e.Summary.ID))
			if err != nil || !exists {
				continue // List will describe it from the file
			}
			e.Size, e.ModTime = sig.Size, sig.MTime
			ix[e.Summary.ID] = e
			s.seen[e.Summary.ID] = sig
		}
	})
}

// Recover finishes or undoes imports that a killed process left behind:
// one that had written its commit record is completed, any other is
// removed. Imports still running (their lock is held) are left alone.
// It is cheap when there is nothing to do (one stat).
func (s *Store) Recover() error {
	root := filepath.Join(s.f.Dir(), dirName, importsDir)
	des, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("recover imports: %w", err)
	}
	var errs []error
	for _, de := range des {
		token, isLock := strings.CutSuffix(de.Name(), ".lock")
		if isLock {
			if _, err := os.Lstat(filepath.Join(root, token)); err == nil {
				continue // handled with its directory
			}
		}
		errs = append(errs, s.recoverOne(root, token))
	}
	os.Remove(root) // only when empty
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("recover imports: %w", err)
	}
	return nil
}

func (s *Store) recoverOne(root, token string) error {
	lock := flock.New(filepath.Join(root, token+".lock"), flock.SetPermissions(0o600))
	if ok, err := lock.TryLock(); !ok || err != nil {
		return nil // a live import
	}
	defer func() {
		lock.Unlock()
		os.Remove(filepath.Join(root, token+".lock"))
	}()
	dir := filepath.Join(root, token)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.withLock(func() error {
		b, err := s.f.ReadFile(dirName+"/"+importsDir+"/"+token+"/"+commitName, maxIndexSize)
		var cf commitFile
		if err == nil && json.Unmarshal(b, &cf) == nil && cf.Schema == indexSchema {
			if err := s.finishCommit(dir, cf.Entries); err != nil {
				return err
			}
		}
		// Without a commit record the import never happened.
		return os.RemoveAll(dir)
	})
}

// maxEncodedSize is the largest encoded conversation whose encrypted file
// Load accepts: age adds 16 bytes per 64 KiB chunk and a header (a few
// KiB with a post-quantum recipient; 64 KiB is left for it).
func maxEncodedSize() int64 { return maxFileSize - maxFileSize/4096 - 64<<10 }

// checkSize refuses a conversation whose file could not be read back,
// without building the encoding.
func checkSize(c *chat.Conversation) error {
	var n countWriter
	enc := json.NewEncoder(&n)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(envelope{Schema: schemaVersion, Conversation: c}); err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	return sizeError(c, int64(n))
}

func sizeError(c *chat.Conversation, n int64) error {
	if n <= maxEncodedSize() {
		return nil
	}
	title := c.Title
	if title == "" {
		title = "untitled"
	}
	return fmt.Errorf("%w: %q is %.1f MiB, more than the %d MiB a conversation file can hold", ErrTooLarge, cleanTitle(title, 60), float64(n)/(1<<20), maxFileSize>>20)
}

type countWriter int64

func (w *countWriter) Write(p []byte) (int, error) {
	*w += countWriter(len(p))
	return len(p), nil
}
