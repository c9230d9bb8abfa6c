package store

import (
	"fmt"
	"sync"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/filelock"
)

// Scanned is one conversation a Scan read, or why it could not.
type Scanned struct {
	ID string
	// Version is the file's version when it was read: a caller that
	// keeps what it derived from the conversation can ask Scan to skip
	// the file while it is unchanged.
	Version filelock.Version
	// Conversation is nil when Skipped or Err is set.
	Conversation *chat.Conversation
	Skipped      bool
	Err          error
}

// Scan reads the conversations ids, decrypting up to workers of them at
// once, and calls fn for each from the worker that read it (so fn must
// be safe for concurrent use). keep, when set, is asked first with the
// file's current version; a true answer skips decrypting that file (a
// search cache holds it already). Scan is read-only: unlike Load it does
// not note what it read for later saves, so it never holds the store's
// mutex while decrypting.
func (s *Store) Scan(ids []string, workers int, keep func(id string, v filelock.Version) bool, fn func(Scanned)) {
	workers = max(1, min(workers, len(ids)))
	next := make(chan string)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for id := range next {
				fn(s.scanOne(id, keep))
			}
		})
	}
	for _, id := range ids {
		next <- id
	}
	close(next)
	wg.Wait()
}

func (s *Store) scanOne(id string, keep func(string, filelock.Version) bool) Scanned {
	if err := ValidateID(id); err != nil {
		return Scanned{ID: id, Err: err}
	}
	v, exists, err := filelock.Stat(s.path(id))
	switch {
	case err != nil:
		return Scanned{ID: id, Err: fmt.Errorf("open conversation %s: %w", id, err)}
	case !exists:
		return Scanned{ID: id, Err: fmt.Errorf("open conversation %s: %w", id, ErrNotFound)}
	case keep != nil && keep(id, v):
		return Scanned{ID: id, Version: v, Skipped: true}
	}
	c, v, err := s.load(id)
	if err != nil {
		return Scanned{ID: id, Err: fmt.Errorf("open conversation %s: %w", id, err)}
	}
	return Scanned{ID: id, Version: v, Conversation: c}
}
