package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/sim"
)

// TestSwitchedKeySurvivesLock: switch key (ctrl+k), lock (ctrl+l),
// unlock, send: the turn is attributed to the switched key, not to
// default_key; a restart opens the conversation on that key too.
func TestSwitchedKeySurvivesLock(t *testing.T) {
	f := newFixture(t)
	f.writeConfig("default_key = \"home\"\n")
	_, url := f.startSim(0)
	f.identityVault()
	f.addKey("home", url, "sim-fast")
	f.addKey("work", url, "sim-smart")

	tm := f.app(termW, termH)
	tm.waitFor("the main screen", idle)
	tm.send("first question" + keyEnter)
	tm.waitFor("the first reply", func(s string) bool { return idle(s) && strings.Contains(s, `"first question"`) })
	tm.send(keyCtrlK)
	tm.send("work")
	tm.send(keyEnter)
	tm.waitText("switched to key work · sim-smart")
	tm.send(keyCtrlL)
	tm.waitText("press enter to unlock")
	tm.send(keyEnter)
	tm.waitFor("the main screen on work", func(s string) bool {
		return idle(s) && strings.Contains(statusLine(s), "work") && strings.Contains(statusLine(s), "sim-smart")
	})
	tm.send("second question" + keyEnter)
	tm.waitFor("the second reply", func(s string) bool { return idle(s) && strings.Contains(s, `"second question"`) })
	tm.send(keyCtrlC)
	tm.waitExit()

	// A restart opens the conversation on its key, not on default_key.
	tm = f.app(termW, termH)
	tm.waitFor("the main screen on work after a restart", func(s string) bool {
		return idle(s) && strings.Contains(statusLine(s), "work") && strings.Contains(statusLine(s), "sim-smart")
	})
	tm.send(keyCtrlC)
	tm.waitExit()

	doc := exportJSON(t, f)
	last := doc.Messages[len(doc.Messages)-1]
	if last.Role != "assistant" || last.Vaultchat.Turn == nil || last.Vaultchat.Turn.KeyName != "work" || last.Vaultchat.Turn.Model != "sim-smart" {
		t.Fatalf("the turn after the unlock was attributed to %+v, want work · sim-smart", last.Vaultchat.Turn)
	}
}

// TestFailedTurnInExportNotBilled: a turn the server refused with 401 is
// in the JSON export as an error turn, and the ledger has it as a failed
// request with 0 tokens.
func TestFailedTurnInExportNotBilled(t *testing.T) {
	f := newFixture(t)
	_, url := f.startSim(0)
	f.identityVault()
	f.addKey("revoked", url, sim.Fault401)
	cmd := exec.Command(binary, "--home", f.home, "ask", "hello")
	cmd.Env = f.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	out, _ := cmd.CombinedOutput()
	f.mu.Lock()
	f.outputs = append(f.outputs, out) // searched for secrets
	f.mu.Unlock()
	if cmd.ProcessState.ExitCode() != 1 || !strings.Contains(string(out), "invalid API key") {
		t.Fatalf("ask with a revoked key: exit %d\n%s", cmd.ProcessState.ExitCode(), out)
	}
	doc := exportJSON(t, f)
	if len(doc.Messages) != 2 {
		t.Fatalf("the export holds %d messages, want the prompt and the error turn", len(doc.Messages))
	}
	turn := doc.Messages[1].Vaultchat.Turn
	if turn == nil || turn.Error == nil || turn.Error.Class != "invalid_key" {
		t.Fatalf("the failed turn is not in the export: %+v", doc.Messages[1])
	}
	var usage struct {
		Total struct {
			Requests         int   `json:"requests"`
			Errors           int   `json:"errors"`
			PromptTokens     int64 `json:"prompt_tokens"`
			CompletionTokens int64 `json:"completion_tokens"`
		} `json:"total"`
	}
	if err := json.Unmarshal([]byte(f.vaultchat("", "usage", "--json")), &usage); err != nil {
		t.Fatal(err)
	}
	u := usage.Total
	req, errs, tokens := u.Requests, u.Errors, u.PromptTokens+u.CompletionTokens
	if req != 1 || errs != 1 || tokens != 0 {
		t.Fatalf("ledger: %d requests, %d errors, %d tokens; want 1 failed request with 0 tokens", req, errs, tokens)
	}
}

// TestAskPipeClosedExitsZero is "vaultchat ask … | head -1": the reader
// leaving is normal; ask exits 0 without a word.
func TestAskPipeClosedExitsZero(t *testing.T) {
	f := newFixture(t)
	_, url := f.startSim(time.Millisecond)
	f.identityVault()
	f.addKey("k", url, sim.FaultHuge)
	cmd := exec.Command(binary, "--home", f.home, "ask", "a long answer please")
	cmd.Env = f.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	stdout.Close() // head -1 exits
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 0 || stderr.Len() != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
}

// transcriptDoc is the part of the JSON export these tests read.
type transcriptDoc struct {
	Messages []struct {
		Role      string `json:"role"`
		Vaultchat struct {
			Turn *struct {
				KeyName string `json:"key_name"`
				Model   string `json:"model"`
				Error   *struct {
					Class string `json:"class"`
				} `json:"error"`
			} `json:"turn"`
		} `json:"vaultchat"`
	} `json:"messages"`
}

func exportJSON(t *testing.T, f *fixture) transcriptDoc {
	t.Helper()
	var doc transcriptDoc
	if err := json.Unmarshal([]byte(f.vaultchat("", "export", "--last", "--format", "json")), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}
