package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/filelock"
)

// UnreadableTitle is the title List gives a conversation file that does
// not open, so the user can see it and delete it (Load says why).
const UnreadableTitle = "(conversation cannot be opened)"

// indexEntry is one conversation in the index: its summary and the
// signature of the file it was computed from.
type indexEntry struct {
	Summary chat.Summary `json:"summary"`
	Size    int64        `json:"size"`
	ModTime int64        `json:"mtime_ns"`
	// Unreadable marks a file that failed to open; it is retried only
	// when the file changes.
	Unreadable bool `json:"unreadable,omitempty"`
}

// indexSchema is the index's own format version, apart from the
// conversation files': an index of another version is a stale cache and
// is rebuilt (version 2 carries chat.Totals in every summary, version 3 a fork's parent).
const indexSchema = 3

type indexFile struct {
	Schema  int          `json:"schema"`
	Entries []indexEntry `json:"entries"`
}

func (e indexEntry) sig() filelock.Version { return filelock.Version{Size: e.Size, MTime: e.ModTime} }

// readIndex returns the index entries by ID. A missing, damaged or newer
// index reads as empty: it is only a cache, and List rebuilds it.
func (s *Store) readIndex() map[string]indexEntry {
	ix := map[string]indexEntry{}
	b, err := s.f.ReadFile(fileName(indexID), maxIndexSize)
	if err != nil {
		return ix
	}
	var f indexFile
	if json.Unmarshal(b, &f) != nil || f.Schema != indexSchema {
		return ix
	}
	for _, e := range f.Entries {
		if ValidateID(e.Summary.ID) == nil {
			ix[e.Summary.ID] = e
		}
	}
	return ix
}

func (s *Store) writeIndex(ix map[string]indexEntry) error {
	f := indexFile{Schema: indexSchema, Entries: sortedEntries(ix)}
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode index: %w", err)
	}
	if err := s.f.WriteFile(fileName(indexID), b); err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	return nil
}

// updateIndex applies change to the index on disk. The caller holds the
// lock. An index that was missing or damaged is replaced by one holding
// what change adds; List fills in the rest from the files.
func (s *Store) updateIndex(change func(map[string]indexEntry)) error {
	ix := s.readIndex()
	change(ix)
	return s.writeIndex(ix)
}

// List returns the summaries of all conversations, most recently updated
// first (ties by ID, newest first). It reads the index and checks it
// against the conversation files; conversations the index does not
// describe are loaded and the index is rewritten. A file that does not
// open is listed with the title "(conversation cannot be opened)" so it
// can be deleted.
func (s *Store) List() ([]chat.Summary, error) {
	entries, err := s.list()
	if err != nil {
		return nil, err
	}
	out := make([]chat.Summary, len(entries))
	for i, e := range entries {
		out[i] = e.Summary
	}
	return out, nil
}

func (s *Store) list() ([]indexEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Check the index without the lock first: usually it is current, and
	// rebuilding it (decrypting every conversation) should not keep other
	// processes from saving.
	ix := s.readIndex()
	dirty, err := s.refreshIndex(ix, nil)
	if err == nil && filelock.HasTemps(filepath.Join(s.f.Dir(), dirName)) {
		// A writer was killed mid-save. Every writer of this directory
		// holds the lock, so under it no temp file is live.
		err = s.withLock(func() error { return filelock.RemoveTemps(filepath.Join(s.f.Dir(), dirName)) })
	}
	if err == nil && dirty {
		err = s.withLock(func() error {
			// Start again from the index on disk, which another
			// process may have changed, reusing the summaries just
			// computed for files that have not changed since.
			cur := s.readIndex()
			if _, err := s.refreshIndex(cur, ix); err != nil {
				return err
			}
			ix = cur
			return s.writeIndex(cur)
		})
	}
	if err != nil {
		return nil, fmt.Errorf("list conversations: %w", err)
	}
	return sortedEntries(ix), nil
}

// refreshIndex brings ix in line with the conversation files and reports
// whether it changed. Entries of cache whose file is unchanged are used
// instead of loading the file again.
func (s *Store) refreshIndex(ix, cache map[string]indexEntry) (bool, error) {
	dir := filepath.Join(s.f.Dir(), dirName)
	des, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	dirty := false
	present := make(map[string]bool, len(des))
	for _, de := range des {
		id, ok := strings.CutSuffix(de.Name(), ".age")
		if !ok || !de.Type().IsRegular() || ValidateID(id) != nil {
			continue
		}
		fi, err := de.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted since ReadDir
		}
		if err != nil {
			return false, err
		}
		present[id] = true
		sig := filelock.VersionOf(fi)
		if e, ok := ix[id]; ok && e.sig() == sig {
			continue
		}
		dirty = true
		if e, ok := cache[id]; ok && e.sig() == sig {
			ix[id] = e
			continue
		}
		ix[id] = s.summarizeFile(id, fi)
	}
	for id := range ix {
		if !present[id] {
			delete(ix, id)
			dirty = true
		}
	}
	return dirty, nil
}

// summarizeFile loads id to compute its index entry. A file that does not
// open gets a placeholder entry dated by its modification time.
func (s *Store) summarizeFile(id string, fi fs.FileInfo) indexEntry {
	c, sig, err := s.load(id)
	if err != nil {
		return indexEntry{
			Summary:    chat.Summary{ID: id, Title: UnreadableTitle, Updated: fi.ModTime(), Totals: chat.Totals{Keys: []string{}, Models: []string{}}},
			Size:       fi.Size(),
			ModTime:    fi.ModTime().UnixNano(),
			Unreadable: true,
		}
	}
	return indexEntry{Summary: Summarize(c), Size: sig.Size, ModTime: sig.MTime}
}

func sortedEntries(ix map[string]indexEntry) []indexEntry {
	out := make([]indexEntry, 0, len(ix))
	for _, e := range ix {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Summary, out[j].Summary
		if !a.Updated.Equal(b.Updated) {
			return a.Updated.After(b.Updated)
		}
		return a.ID > b.ID
	})
	return out
}
