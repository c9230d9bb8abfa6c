package session

import (
	"path/filepath"
	"sync"

	"github.com/vaultchat/vaultchat/internal/filelock"
	"github.com/vaultchat/vaultchat/vault"
)

// cacheFiles keeps the plaintext of the home's small encrypted cache files
// (OpenRouter's figures, the reconciliation's verdicts) in memory, and
// decrypts a file again only when its version (size, modification time)
// moved: the side pane reads them on every redraw and turn, and each read
// was a decrypt. A file another process rewrites gets a new version, as
// every write renames a fresh file into place.
type cacheFiles struct {
	mu      sync.Mutex
	entries map[string]cachedFile // by file name in the home
	reads   int                   // decrypts done, for the tests
}

type cachedFile struct {
	ver  filelock.Version
	data []byte
}

// read returns the plaintext of the cache file name, decrypting it only
// when it changed since the last read.
func (c *cacheFiles) read(files *vault.Files, name string) ([]byte, error) {
	// Stated before it is read: a file replaced in between is kept
	// under the older version, and read again on the next call.
	ver, _, err := filelock.Stat(filepath.Join(files.Dir(), filepath.FromSlash(name)))
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	e, ok := c.entries[name]
	c.mu.Unlock()
	if ok && e.ver == ver {
		return e.data, nil
	}
	data, err := files.ReadFile(name, 0)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]cachedFile{}
	}
	c.entries[name] = cachedFile{ver: ver, data: data}
	c.reads++
	return data, nil
}

// clear drops everything kept, when the vault locks.
func (c *cacheFiles) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = nil
}
