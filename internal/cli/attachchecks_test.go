package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// TestAskRefusesANamedPipeAtOnce: "ask -f FIFO" with nobody writing to
// the pipe is refused before anything is read or sent, instead of
// waiting for a writer forever (the deadline only guards that hang).
func TestAskRefusesANamedPipeAtOnce(t *testing.T) {
	s, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.addSimKey("work", url)
	fifo := filepath.Join(e.dir, "ff")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan result, 1)
	go func() { done <- e.run(tty{}, "ask", "--no-save", "-f", fifo, "x") }()
	var res result
	select {
	case res = <-done:
	case <-time.After(30 * time.Second):
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			w.Close() // let the blocked read end
		}
		<-done
		t.Fatal("ask -f FIFO still waiting for a writer")
	}
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "attach "+fifo+": not a regular file (a named pipe)")
	if n := len(testkit.ChatRequests(s)); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// TestAskRefusesAFileOverTheWindow: a file whose text alone is far over
// the model's context window (sim-fast: 8,192 tokens) is refused before
// sending, naming the estimate and the window, and nothing is saved.
func TestAskRefusesAFileOverTheWindow(t *testing.T) {
	s, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.addSimKey("work", url)
	part := filepath.Join(e.dir, "part1.txt")
	os.WriteFile(part, []byte(strings.Repeat("word ", 40_000)), 0o600)
	res := e.run(tty{}, "ask", "-f", part, "summarise")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "vaultchat: error: the message is about 40,")
	wantContains(t, "stderr", res.stderr, "over the 8,192-token context window of sim-fast")
	if n := len(testkit.ChatRequests(s)); n != 0 {
		t.Errorf("%d requests sent", n)
	}
	if files := e.conversationFiles(); len(files) != 0 {
		t.Errorf("conversations left behind: %v", files)
	}
}
