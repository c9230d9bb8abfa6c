package cli

import (
	"bufio"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// TestProcessAskClosedStdoutKeepsTheReply is "vaultchat ask … | head -1":
// the reader goes away mid-reply. That is normal in Unix (git log | head):
// the process must not die of SIGPIPE before saving, it stops the turn,
// keeps what arrived and exits 0 without a word.
func TestProcessAskClosedStdoutKeepsTheReply(t *testing.T) {
	_, url := testkit.Sim(t, sim.Options{ChunkDelay: time.Millisecond})
	env := binaryVault(t, url)
	cmd := binaryCommand(env, "ask", "--model", sim.FaultHuge, "a long answer please")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.Contains(line, "Simulated reply") {
		t.Fatalf("first line %q, %v", line, err)
	}
	out.Close() // like head exiting
	err = cmd.Wait()
	if cmd.ProcessState.ExitCode() != 0 || stderr.Len() != 0 {
		t.Fatalf("exit %v (%v); stderr:\n%s", cmd.ProcessState, err, stderr.String())
	}

	list := binaryCommand(env, "conversations", "list", "--json")
	b, err := list.Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"messages": 2`) {
		t.Fatalf("the partial reply was not saved:\n%s", b)
	}
}
