package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/internal/sim"
)

// TestDisguisedKeyMasked has the server echo the request's key written
// so that only rendering makes it whole: with Markdown backslash escapes,
// as HTML entities, split by emphasis, and with a zero-width joiner. The
// full-screen app, "ask" on a terminal and the HTML export show the
// masked form; the leak check of every test then finds no part of the key
// in what reached the terminals or in any file.
func TestDisguisedKeyMasked(t *testing.T) {
	f := newFixture(t)
	_, url := f.startSim(0)
	f.identityVault()
	key := f.addKey("echo", url, sim.FaultEchoAuthDisguised)
	masked := redact.Mask(key)
	// shows reports which of the four disguises text shows masked.
	shows := func(text string) []string {
		var missing []string
		for _, label := range []string{"Your key, escaped: ", "As entities: ", "Emphasised: ", "With a joiner: "} {
			if !strings.Contains(text, label+masked) {
				missing = append(missing, label)
			}
		}
		return missing
	}

	tm := f.app(termW, 60)
	tm.waitFor("the main screen", idle)
	tm.send("show me my key" + keyEnter)
	s := tm.waitFor("the disguised echoes", func(s string) bool {
		return idle(s) && strings.Contains(s, "With a joiner") && len(footers(s, "echo", sim.FaultEchoAuthDisguised)) > 0
	})
	if missing := shows(s); len(missing) > 0 {
		t.Errorf("the screen lacks the masked key %q after %q; screen:\n%s", masked, missing, s)
	}
	tm.send(keyCtrlC)
	tm.waitExit()

	ask := f.start(termW, 40, "--home", f.home, "ask", "--key", "echo", "--continue", "once more")
	ask.waitExit()
	if missing := shows(ask.screen()); len(missing) > 0 {
		t.Errorf("ask on a terminal lacks the masked key after %q; output:\n%s", missing, ask.screen())
	}

	out := filepath.Join(f.dir, "chat.html")
	f.vaultchat("", "export", "--last", "--format", "html", "-o", out)
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if missing := shows(string(page)); len(missing) > 0 {
		t.Errorf("the HTML export lacks the masked key after %q:\n%s", missing, page)
	}
}
