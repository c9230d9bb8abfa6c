package session

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/vault"
)

// TestProviderLineReadsItsCacheOnce: the side pane's provider line used
// to decrypt its cache file on every Usage call (every redraw and turn).
// It is now read once, and again only when another process rewrites it.
func TestProviderLineReadsItsCacheOnce(t *testing.T) {
	f := newFixture(t, sim.Options{})
	k := f.addKey("router", "sim-fast", func(k *vault.Key) { k.Provider = providers.OpenRouter })
	f.unlock()
	// The test's own vault handle plays the process that fetched the
	// figures (ProviderFigures in another vaultchat).
	write := func(monthly float64) {
		t.Helper()
		b, err := json.Marshal(ProviderFigures{Fetched: time.Now(), UsageMonthly: monthly})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.vault.Files().WriteFile(figuresCacheName(k.ID), b); err != nil {
			t.Fatal(err)
		}
	}
	write(1.5)
	h := f.opened()
	for range 5 {
		if line := f.sess.Usage(k.ID, "").Provider; !strings.Contains(line, "$1.50 this month") {
			t.Fatalf("provider line %q", line)
		}
	}
	if h.caches.reads != 1 {
		t.Fatalf("5 Usage calls decrypted the cache %d times, want 1", h.caches.reads)
	}
	write(22.25)
	for range 3 {
		if line := f.sess.Usage(k.ID, "").Provider; !strings.Contains(line, "$22.25 this month") {
			t.Fatalf("provider line after a change elsewhere %q", line)
		}
	}
	if h.caches.reads != 2 {
		t.Fatalf("decrypted %d times in all, want 2", h.caches.reads)
	}
	f.sess.Lock()
	if h.caches.entries != nil {
		t.Fatal("Lock kept the caches")
	}
}
