package e2e

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// TestAppSendWhileAskRunsATurn: "ask --continue" is waiting for a slow
// reply when the app, on the same conversation, sends a message. The app
// sends and saves nothing, says the conversation is in use on its status
// line, and keeps what was typed in the input; after the ask's turn the
// same enter sends it.
func TestAppSendWhileAskRunsATurn(t *testing.T) {
	f := newFixture(t)
	srv, url := testkit.Sim(t, sim.Options{SlowDelay: 10 * time.Minute})
	f.identityVault()
	f.addKey("k", url, "sim-fast")
	f.vaultchat("", "ask", "first question")

	ask := exec.Command(binary, "--home", f.home, "ask", "--continue", "--model", sim.FaultSlow, "question from ask")
	ask.Env = f.env
	ask.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := ask.Start(); err != nil {
		t.Fatal(err)
	}
	defer ask.Process.Kill()
	for deadline := time.Now().Add(time.Minute); len(testkit.ChatRequests(srv)) < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the ask never sent its request")
		}
	}

	tm := f.app(termW, termH)
	tm.waitFor("the conversation restored", func(s string) bool {
		return idle(s) && strings.Contains(s, "question from ask")
	})
	tm.send("typed in the app" + keyEnter)
	s := tm.waitFor("the refusal", func(s string) bool {
		return idle(s) && strings.Contains(s, "in use by another vaultchat")
	})
	if n := strings.Count(s, "typed in the app"); n != 1 || !strings.Contains(inputArea(s), "typed in the app") {
		t.Fatalf("the typed text is not back in the input (and only there); screen:\n%s", s)
	}
	if n := len(testkit.ChatRequests(srv)); n != 2 {
		t.Fatalf("the app sent a request (%d requests) while the ask's turn ran", n)
	}

	// The ask is stopped; the same text is sent with enter, after the
	// ask's question (the conversation goes on with sim-slow, the ask's
	// model: its request is what this test reads, then esc stops it).
	ask.Process.Signal(os.Interrupt)
	ask.Wait()
	tm.send(keyEnter)
	tm.waitFor("the app's turn streaming", func(s string) bool {
		return strings.Contains(statusLine(s), "● streaming")
	})
	for deadline := time.Now().Add(time.Minute); len(testkit.ChatRequests(srv)) < 3; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the app never sent its request")
		}
	}
	reqs := testkit.ChatRequests(srv)
	var sent []string
	for _, m := range reqs[len(reqs)-1].Messages {
		sent = append(sent, m.Content)
	}
	if got := strings.Join(sent, " | "); !strings.HasSuffix(got, "question from ask | typed in the app") {
		t.Fatalf("the app's request: %q", got)
	}
	tm.press(keyEsc)
	tm.waitFor("the app's turn stopped", idle)
	tm.send(keyCtrlC)
	tm.waitExit()
}

// inputArea is the bottom of the screen, where the input box is.
func inputArea(screen string) string {
	lines := strings.Split(screen, "\n")
	return strings.Join(lines[max(0, len(lines)-6):], "\n")
}
