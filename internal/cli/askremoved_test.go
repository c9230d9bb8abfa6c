package cli

import (
	"testing"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// TestAskContinueRefusesARemovedKey: "ask --continue" on a conversation
// whose key was removed does not move it to another key: it refuses
// before sending, naming the key and --key; with --key it goes.
func TestAskContinueRefusesARemovedKey(t *testing.T) {
	s, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.addSimKey("work", url)
	e.addSimKey("home", url)
	e.mustRun(tty{}, "ask", "--key", "work", "hello")
	e.mustRun(tty{}, "keys", "rm", "work", "--yes")
	sent := len(testkit.ChatRequests(s))

	res := e.run(tty{}, "ask", "--continue", "again")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "key work", "removed", "--key")
	if n := len(testkit.ChatRequests(s)); n != sent {
		t.Fatalf("%d requests were sent", n-sent)
	}
	e.mustRun(tty{}, "ask", "--continue", "--key", "home", "again")
}
