package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// TestDamagedLedgerDoesNotBlock writes garbage over this month's ledger
// file: ask, conversations and export still work, usage warns that the
// ledger needs attention, and usage --repair rebuilds the month from the
// conversations (every ask counted once, before and after the damage).
func TestDamagedLedgerDoesNotBlock(t *testing.T) {
	_, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.addSimKey("work", url, "--model", "sim-fast")
	var before spent
	before.add(e.askJSON(tty{}, "--key", "work", "one"))
	month := filepath.Join(e.home, "usage", time.Now().UTC().Format("2006-01")+".age")
	testkit.WriteRaw(t, month, []byte("garbage, not an age file"))

	var after spent
	res := e.mustRun(tty{}, "ask", "--json", "--key", "work", "--continue", "two")
	wantContains(t, "stderr", res.stderr, "usage ledger needs attention")
	var second askResult
	if err := json.Unmarshal([]byte(res.stdout), &second); err != nil {
		t.Fatalf("ask --json: %v\n%s", err, res.stdout)
	}
	after.add(second)
	e.mustRun(tty{}, "conversations", "list")
	e.mustRun(tty{}, "export", "--last")

	res = e.mustRun(tty{}, "usage")
	wantContains(t, "stderr", res.stderr, "usage ledger needs attention")
	wantContains(t, "stderr", res.stderr, "vaultchat usage --repair")
	after.check(t, e.usage().Total) // the month counts what was asked since

	res = e.mustRun(tty{}, "usage", "--repair")
	wantContains(t, "stdout", res.stdout, "rebuilt "+time.Now().UTC().Format("2006-01")+": 2 requests from conversations")
	wantContains(t, "stderr", res.stderr, "kept the damaged file as usage/")
	res = e.mustRun(tty{}, "usage")
	if strings.Contains(res.stderr, "attention") {
		t.Errorf("still needs attention after repair: %s", res.stderr)
	}
	before.plus(after).check(t, e.usage().Total)
	res = e.mustRun(tty{}, "usage", "--repair")
	wantContains(t, "stdout", res.stdout, "nothing to repair")
}
