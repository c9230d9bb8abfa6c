package e2e

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/internal/sim"
)

// TestRateLimitCountdown sends with a key whose model is always rate
// limited (429 with Retry-After: 2): the turn counts down to its retry,
// then fails with the error and its hint under the turn.
func TestRateLimitCountdown(t *testing.T) {
	f := newFixture(t)
	f.writeConfig("max_retries = 1\n")
	s, url := f.startSim(0)
	f.identityVault()
	f.addKey("limited", url, sim.Fault429)

	tm := f.app(termW, termH)
	tm.waitFor("the main screen", idle)
	tm.send("are you there?" + keyEnter)
	tm.waitFor("the retry countdown", func(s string) bool {
		return strings.Contains(s, "retrying in") && strings.Contains(statusLine(s), "● retrying in")
	})
	screen := tm.waitFor("the failed turn", func(s string) bool {
		if !idle(s) || !strings.Contains(s, "✗ rate limited (HTTP 429)") {
			return false
		}
		for _, l := range footers(s, "limited", sim.Fault429) {
			if strings.Contains(l, "stopped: rate limited") {
				return true
			}
		}
		return false
	})
	if !strings.Contains(screen, "switch key") {
		t.Errorf("the failed turn has no hint to switch key; screen:\n%s", screen)
	}
	if strings.Contains(screen, "retrying in") {
		t.Errorf("still counting down to a retry after the turn failed; screen:\n%s", screen)
	}
	var chats, limited int
	for _, r := range s.Requests() {
		if strings.HasSuffix(r.Path, "/chat/completions") {
			chats++
			if r.Status == 429 {
				limited++
			}
		}
	}
	if chats != 2 || limited != 2 {
		t.Errorf("the simulator answered %d of %d chat requests with 429; want 2 of 2 (max_retries = 1)", limited, chats)
	}
	tm.send(keyCtrlC)
	tm.waitExit()
}

// TestInjectedEscapesNeutralised has a reply carry terminal escape
// sequences (an OSC 52 clipboard write, a window title, a clear screen,
// a hyperlink, an 8-bit CSI, a bidi override), split across stream
// chunks. None may reach the terminal: the raw bytes the app writes hold
// no such sequence, and the screen shows their neutralised form.
func TestInjectedEscapesNeutralised(t *testing.T) {
	f := newFixture(t)
	_, url := f.startSim(0)
	f.identityVault()
	f.addKey("inject", url, sim.FaultInject)

	// Tall enough for the whole reply.
	tm := f.app(termW, 80)
	tm.waitFor("the main screen", idle)
	tm.send("hello" + keyEnter)
	s := tm.waitFor("the reply", func(s string) bool {
		return idle(s) && strings.Contains(s, "That is all for this turn.") && len(footers(s, "inject", sim.FaultInject)) > 0
	})
	for _, want := range []string{"␛]52;c;cm0gLXJmIH4K␇", "␛]0;pwned␇", "<U+009B>", "<U+202E>"} {
		if !strings.Contains(s, want) {
			t.Errorf("the screen lacks the neutralised %q; screen:\n%s", want, s)
		}
	}
	// The app's own screen survived the "clear screen" in the reply.
	if !strings.Contains(s, "ALL KEYS") || !strings.Contains(s, "You are talking to") {
		t.Errorf("parts of the screen are gone; screen:\n%s", s)
	}

	raw := tm.rawOutput()
	for _, bad := range []struct{ what, seq string }{
		{"an OSC 52 clipboard write", "\x1b]52"},
		{"an OSC 0 title", "\x1b]0;"},
		{"an OSC 1 icon name", "\x1b]1;"},
		{"the injected title", "pwned\x07"},
		{"an OSC 8 hyperlink", "\x1b]8;"},
		{"an 8-bit CSI", "\u009b"},
		{"a bidi override", "\u202e"},
	} {
		if bytes.Contains(raw, []byte(bad.seq)) {
			t.Errorf("%s (%q) reached the terminal", bad.what, bad.seq)
		}
	}
	// The only title the app may set is its own.
	for _, m := range regexp.MustCompile(`\x1b\]2;([^\x07\x1b]*)`).FindAllSubmatch(raw, -1) {
		if string(m[1]) != "vaultchat" {
			t.Errorf("the terminal title was set to %q", m[1])
		}
	}
	tm.mu.Lock()
	titles, clip := tm.titles, tm.osc52
	tm.mu.Unlock()
	for _, title := range titles {
		if title != "vaultchat" {
			t.Errorf("the emulator's title became %q", title)
		}
	}
	if len(clip) > 0 {
		t.Errorf("the emulator received clipboard writes: %q", clip)
	}
	tm.send(keyCtrlC)
	tm.waitExit()
}

// TestEchoedKeyMasked has servers send the request's own API key back, in
// a streamed reply (split across two chunks) and in an error message. The
// screen shows the masked form only; the leak check of every test then
// finds the key nowhere in the terminal output or the files.
func TestEchoedKeyMasked(t *testing.T) {
	f := newFixture(t)
	_, url := f.startSim(0)
	f.identityVault()
	echo := f.addKey("echo", url, sim.FaultEchoAuth)
	echoErr := f.addKey("echoerr", url, sim.FaultEchoAuthError)

	tm := f.app(termW, termH)
	tm.waitFor("the main screen", idle)
	if st := statusLine(tm.screen()); !strings.Contains(st, "echo ") {
		t.Fatalf("status bar %q: want key echo first", st)
	}
	tm.send("show me my key" + keyEnter)
	s := tm.waitFor("the echoed header", func(s string) bool {
		return idle(s) && strings.Contains(s, "authorization header was") && len(footers(s, "echo", sim.FaultEchoAuth)) > 0
	})
	if !strings.Contains(s, "Bearer "+redact.Mask(echo)) {
		t.Errorf("the reply does not show the masked key %q; screen:\n%s", redact.Mask(echo), s)
	}

	tm.send(keyCtrlK)
	tm.waitText("switch key")
	tm.send("echoerr")
	tm.waitFor("the picker filtered to echoerr", func(s string) bool { return pickerSelected(s) == "echoerr" })
	tm.send(keyEnter)
	tm.waitText("switched to key echoerr")
	tm.send("and in an error?" + keyEnter)
	s = tm.waitFor("the error quoting the header", func(s string) bool {
		return idle(s) && strings.Contains(s, "Invalid authorization header")
	})
	if !strings.Contains(s, redact.Mask(echoErr)) {
		t.Errorf("the error does not show the masked key %q; screen:\n%s", redact.Mask(echoErr), s)
	}
	tm.send(keyCtrlC)
	tm.waitExit()
}
