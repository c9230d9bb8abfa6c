package e2e

import (
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/testkit"
)

// TestWrongPassphrase types a wrong passphrase on the unlock screen: the
// error shows there, every file of the vault home is byte-identical
// afterwards, and the right passphrase still opens the vault.
func TestWrongPassphrase(t *testing.T) {
	f := newFixture(t)
	_, url := f.startSim(0)
	pass := f.passphraseVault()
	f.addKey("only", url, "sim-fast", "--passphrase-file", f.passFile())
	before := testkit.TakeSnapshot(t, f.home)

	tm := f.app(termW, termH)
	tm.waitText("passphrase:")
	tm.send("not the passphrase" + keyEnter)
	s := tm.waitText("wrong passphrase")
	if strings.Contains(s, "not the passphrase") {
		t.Errorf("the typed passphrase is shown on the screen:\n%s", s)
	}
	if diff := before.Diff(testkit.TakeSnapshot(t, f.home)); len(diff) > 0 {
		t.Errorf("a wrong passphrase changed the vault home: %s", strings.Join(diff, ", "))
	}

	tm.send(pass + keyEnter)
	tm.waitFor("the main screen", idle)
	tm.send(keyCtrlC)
	tm.waitExit()
}

// TestKeysTypedWhileUnlocking types the passphrase, enter, ctrl+p, a
// model name and enter in one burst, all of it arriving while scrypt
// runs: the keys after the unlock's enter pick the model on the main
// screen, in order, and nothing is sent as a chat message.
func TestKeysTypedWhileUnlocking(t *testing.T) {
	f := newFixture(t)
	s, url := f.startSim(0)
	pass := f.passphraseVault()
	f.addKey("only", url, "sim-fast", "--passphrase-file", f.passFile())

	tm := f.app(termW, termH)
	tm.waitText("passphrase:")
	tm.send(pass + keyEnter + keyCtrlP + "sim-smart" + keyEnter)
	tm.waitFor("the main screen on sim-smart", func(s string) bool {
		return idle(s) && strings.Contains(statusLine(s), "sim-smart")
	})
	if n := len(testkit.ChatRequests(s)); n != 0 {
		t.Fatalf("%d chat requests were sent by keys typed while unlocking", n)
	}
	tm.send(keyCtrlC)
	tm.waitExit()
}
