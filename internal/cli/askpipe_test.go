package cli

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// TestProcessAskClosedStdoutKeepsTheReply is "vaultchat ask … | head -1":
// the reader goes away mid-reply. That is normal in Unix (git log | head):
// the process must not die of SIGPIPE before saving, it stops the turn,
// keeps what arrived and exits 0 without a word. The reader going away is
// the user's choice, like ctrl+c: the turn is kept as canceled, with its
// tokens billed, and neither the ledger nor the history calls it an error.
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

	var report struct {
		Total struct {
			Requests         int64 `json:"requests"`
			Errors           int64 `json:"errors"`
			CompletionTokens int64 `json:"completion_tokens"`
		} `json:"total"`
	}
	if b, err = binaryCommand(env, "usage", "--json").Output(); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &report); err != nil {
		t.Fatal(err)
	}
	if tot := report.Total; tot.Requests != 1 || tot.Errors != 0 || tot.CompletionTokens == 0 {
		t.Fatalf("usage: %+v; want 1 request, no error, the tokens that arrived billed", tot)
	}
	var doc struct {
		Messages []struct {
			Vaultchat struct {
				Turn *struct {
					Incomplete       bool            `json:"incomplete"`
					IncompleteReason string          `json:"incomplete_reason"`
					Error            json.RawMessage `json:"error"`
				} `json:"turn"`
			} `json:"vaultchat"`
		} `json:"messages"`
	}
	if b, err = binaryCommand(env, "export", "--last", "--format", "json").Output(); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Messages) != 2 {
		t.Fatalf("export: %v\n%s", err, b)
	}
	turn := doc.Messages[1].Vaultchat.Turn
	if turn == nil || !turn.Incomplete || turn.IncompleteReason != "canceled" || turn.Error != nil {
		t.Fatalf("the cut reply's turn: %+v; want incomplete (canceled), no error", turn)
	}
}
