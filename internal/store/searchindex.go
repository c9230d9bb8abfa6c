package store

import (
	"errors"
	"fmt"
	"io/fs"
)

// searchIndexName is the search's cache of every conversation's text,
// encrypted like the conversations. Its name has a dot, which no
// conversation ID may have, so it is never taken for a conversation.
const searchIndexName = dirName + "/search.index.age"

// MaxSearchIndexSize bounds what ReadSearchIndex reads.
const MaxSearchIndexSize = 1 << 30

// ReadSearchIndex returns the search index the session's search last
// wrote (its own format), or nil when there is none. The index is only a
// cache: a damaged one reads as none.
func (s *Store) ReadSearchIndex() []byte {
	b, err := s.f.ReadFile(searchIndexName, MaxSearchIndexSize)
	if err != nil {
		return nil
	}
	return b
}

// WriteSearchIndex replaces the search index, encrypted, atomically.
func (s *Store) WriteSearchIndex(b []byte) error {
	return s.withLock(func() error {
		if err := s.f.WriteFile(searchIndexName, b); err != nil {
			return fmt.Errorf("write search index: %w", err)
		}
		return nil
	})
}

// dropSearchIndex removes the search index, so that the text of a
// deleted conversation does not stay on disk in it. The caller holds the
// lock.
func (s *Store) dropSearchIndex() error {
	if err := s.f.RemoveFile(searchIndexName); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove search index: %w", err)
	}
	return nil
}
