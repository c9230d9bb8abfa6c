package usage

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// testHome is a vault home (testkit.Home) with the ledger's paths.
type testHome struct{ testkit.Home }

func newHome(tb testing.TB) testHome { return testHome{testkit.NewHome(tb)} }

// ledger opens a Ledger on a new vault handle.
func (h testHome) ledger(tb testing.TB) *Ledger {
	tb.Helper()
	l := Open(h.Open(tb).Files())
	return l
}

func (h testHome) monthPath(mon string) string {
	return filepath.Join(h.Dir, "usage", mon+".age")
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
