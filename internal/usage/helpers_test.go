package usage

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/vault"
)

// testHome is a vault home in a temp dir with an X25519 identity file, so
// opening it costs no scrypt.
type testHome struct {
	dir    string
	idPath string
}

func newHome(tb testing.TB) testHome {
	tb.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		tb.Fatal(err)
	}
	idPath := filepath.Join(tb.TempDir(), "identity.txt")
	if err := os.WriteFile(idPath, []byte(id.String()+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	dir := filepath.Join(tb.TempDir(), "home")
	v, err := vault.Init(dir, vault.Options{IdentityFile: idPath})
	if err != nil {
		tb.Fatalf("vault.Init: %v", err)
	}
	v.Close()
	return testHome{dir: dir, idPath: idPath}
}

// open opens a new handle on the home, as another process would.
func (h testHome) open(tb testing.TB) *vault.Vault {
	tb.Helper()
	v, err := vault.Open(h.dir, vault.Options{IdentityFile: h.idPath})
	if err != nil {
		tb.Fatalf("vault.Open: %v", err)
	}
	tb.Cleanup(v.Close)
	return v
}

// ledger opens a Ledger on a new vault handle.
func (h testHome) ledger(tb testing.TB) *Ledger {
	tb.Helper()
	l, err := Open(h.open(tb))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	return l
}

func (h testHome) monthPath(mon string) string {
	return filepath.Join(h.dir, "usage", mon+".age")
}

func usd(v float64) *float64 { return &v }

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func mustRecord(tb testing.TB, l *Ledger, entries ...Entry) {
	tb.Helper()
	for _, e := range entries {
		if err := l.Record(e); err != nil {
			tb.Fatalf("Record(%+v): %v", e, err)
		}
	}
}

func tokens(prompt, completion int64) chat.Usage {
	return chat.Usage{PromptTokens: prompt, CompletionTokens: completion}
}
