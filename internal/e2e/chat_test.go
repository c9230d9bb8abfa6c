package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/sim"
)

// TestChatSession is the main journey on a passphrase vault: unlock,
// three turns with one key, switch key in the picker, a turn with the
// other key, the usage pane counting both, a reply stopped with esc,
// export to Markdown, quit; then a second start restores the
// conversation with every reply attributed to its key.
func TestChatSession(t *testing.T) {
	f := newFixture(t)
	fast, fastURL := f.startSim(2 * time.Millisecond)
	// A slow server with an endless reply, so that esc always lands
	// mid-stream.
	slow, slowURL := f.startSim(30 * time.Millisecond)
	pass := f.passphraseVault()
	unlock := []string{"--passphrase-file", f.passFile()}
	alpha := f.addKey("alpha", fastURL, "sim-fast", unlock...)
	bravo := f.addKey("bravo", fastURL, "sim-smart", unlock...)
	f.addKey("charlie", slowURL, sim.FaultHuge, unlock...)

	tm := f.app(termW, termH)
	tm.waitText("passphrase:")
	tm.send(pass + keyEnter)
	s := tm.waitFor("the main screen", idle)
	if st := statusLine(s); !strings.Contains(st, "alpha") || !strings.Contains(st, "sim-fast") {
		t.Fatalf("status bar %q: want the first key, alpha, and its model", st)
	}

	// Three turns with alpha. Each reply quotes its turn number and the
	// message it answers.
	for turn := 1; turn <= 3; turn++ {
		tm.send(fmt.Sprintf("question number %d", turn) + keyEnter)
		tm.waitFor(fmt.Sprintf("the reply to turn %d", turn), func(s string) bool {
			return idle(s) && strings.Contains(s, fmt.Sprintf("reach turn %d;", turn+1)) &&
				strings.Contains(s, fmt.Sprintf(`Your message: "question number %d"`, turn)) &&
				len(footers(s, "alpha", "sim-fast")) > 0
		})
		checkLastRequest(t, fast, alpha, turn)
	}

	// Switch to bravo: ctrl+k, filter, enter.
	tm.send(keyCtrlK)
	tm.waitText("switch key")
	tm.send("brav")
	tm.waitFor("the picker filtered to bravo", func(s string) bool {
		return strings.Contains(s, "filter: brav") && pickerSelected(s) == "bravo"
	})
	tm.send(keyEnter)
	tm.waitText("switched to key bravo · sim-smart")
	tm.send("question number 4" + keyEnter)
	s = tm.waitFor("bravo's reply to turn 4", func(s string) bool {
		return idle(s) && strings.Contains(s, "reach turn 5;") && len(footers(s, "bravo", "sim-smart")) > 0
	})
	if !strings.Contains(s, "Being the smart one") {
		t.Errorf("turn 4 was not answered by sim-smart; screen:\n%s", s)
	}
	// The whole history went to bravo's server with bravo's secret.
	checkLastRequest(t, fast, bravo, 4)

	// The usage pane: bravo active, and month tokens for both keys.
	s = tm.waitFor("month usage under alpha and bravo", func(s string) bool {
		tok, active := monthTokens(s)
		return active == "bravo" && nonZero(tok["alpha"]) && nonZero(tok["bravo"]) && tok["charlie"] != ""
	})
	if tok, _ := monthTokens(s); nonZero(tok["charlie"]) {
		t.Errorf("charlie shows %s tokens before its first turn", tok["charlie"])
	}

	// Switch to charlie and stop its reply with esc.
	tm.send(keyCtrlK)
	tm.waitText("switch key")
	tm.send("charl")
	tm.waitFor("the picker filtered to charlie", func(s string) bool {
		return strings.Contains(s, "filter: charl") && pickerSelected(s) == "charlie"
	})
	tm.send(keyEnter)
	tm.waitText("switched to key charlie · sim-huge")
	tm.send("question number 5" + keyEnter)
	tm.waitFor("charlie's reply streaming", func(s string) bool {
		return strings.Contains(statusLine(s), "● streaming") && strings.Contains(s, "You are talking to")
	})
	tm.press(keyEsc)
	s = tm.waitFor("the stopped reply marked stopped by you", func(s string) bool {
		if !idle(s) {
			return false
		}
		for _, l := range footers(s, "charlie", sim.FaultHuge) {
			if strings.Contains(l, "stopped by you") {
				return true
			}
		}
		return false
	})
	if strings.Contains(s, "Part 40 of a very long reply") {
		t.Errorf("the reply ran on after esc; screen:\n%s", s)
	}
	waitOutcome(t, slow, "canceled")

	// Export to Markdown: alt+e, replace the proposed path, enter.
	export := filepath.Join(f.dir, "export", "chat.md")
	if err := os.Mkdir(filepath.Dir(export), 0o700); err != nil {
		t.Fatal(err)
	}
	tm.press(keyAltE)
	tm.waitText("export conversation")
	tm.send(keyCtrlU + export + keyEnter)
	tm.waitText("exported to")
	md, err := os.ReadFile(export)
	if err != nil {
		t.Fatalf("the export: %v", err)
	}
	for _, want := range []string{"question number 1", "question number 4", "alpha", "bravo", "charlie", "Being the smart one"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("the export lacks %q:\n%s", want, md)
		}
	}

	tm.send(keyCtrlC)
	tm.waitExit()

	// Start again, on a screen tall enough for the whole conversation.
	tm = f.app(termW, 300)
	tm.waitText("passphrase:")
	tm.send(pass + keyEnter)
	s = tm.waitFor("the restored conversation", func(s string) bool {
		return idle(s) && strings.Contains(s, "question number 1") && strings.Contains(s, "question number 5")
	})
	if n := len(footers(s, "alpha", "sim-fast")); n != 3 {
		t.Errorf("%d replies attributed to alpha · sim-fast, want 3; screen:\n%s", n, s)
	}
	if n := len(footers(s, "bravo", "sim-smart")); n != 1 {
		t.Errorf("%d replies attributed to bravo · sim-smart, want 1", n)
	}
	if got := footers(s, "charlie", sim.FaultHuge); len(got) != 1 || !strings.Contains(got[0], "stopped by you") {
		t.Errorf("charlie's replies: %q, want one marked stopped by you", got)
	}
	for _, note := range []string{"switched to key bravo · sim-smart", "switched to key charlie · sim-huge"} {
		if !strings.Contains(s, note) {
			t.Errorf("the restored conversation lacks the note %q", note)
		}
	}
	// The conversation continues with the key of its last reply.
	if st := statusLine(s); !strings.Contains(st, "charlie") || strings.Contains(st, "new conversation") {
		t.Errorf("status bar after restore: %q", st)
	}
	// The conversation list holds it, once, marked as the open one.
	tm.send(keyCtrlO)
	s = tm.waitText("CONVERSATIONS")
	if n := strings.Count(s, "• question number 1"); n != 1 {
		t.Errorf("the conversation list shows the conversation %d times; screen:\n%s", n, s)
	}
	tm.send(keyCtrlC)
	tm.waitExit()
}

// checkLastRequest checks the simulator's last chat request: sent with
// secret and carrying the whole conversation so far (turn user
// messages).
func checkLastRequest(t *testing.T, s *sim.Server, secret string, turn int) {
	t.Helper()
	var last *sim.Request
	for _, r := range s.Requests() {
		if strings.HasSuffix(r.Path, "/chat/completions") {
			last = &r
		}
	}
	if last == nil {
		t.Fatal("the simulator saw no chat request")
	}
	if last.APIKey != secret {
		t.Errorf("turn %d was sent with another key's secret", turn)
	}
	users := 0
	for _, m := range last.Messages {
		if m.Role == "user" {
			users++
		}
	}
	if users != turn {
		t.Errorf("turn %d's request carried %d user messages, want %d", turn, users, turn)
	}
}

// waitOutcome waits until the simulator's last chat request has ended
// with outcome ("canceled", "ok", …): the server learns of a
// cancellation only when the connection closes.
func waitOutcome(t *testing.T, s *sim.Server, outcome string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		var last sim.Request
		for _, r := range s.Requests() {
			if strings.HasSuffix(r.Path, "/chat/completions") {
				last = r
			}
		}
		if last.Outcome == outcome {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the last chat request ended %q, want %q", last.Outcome, outcome)
		}
		time.Sleep(pollEvery)
	}
}
