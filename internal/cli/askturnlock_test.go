package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// TestProcessTwoAsksOnOneConversationDoNotInterleave runs two real
// "ask --continue" on one conversation at once: the second must not send
// a question next to a reply it never saw, nor lose a turn. It fails with
// a clear error and a hint while the first turn runs, and goes through,
// after the first exchange, once that turn is over.
func TestProcessTwoAsksOnOneConversationDoNotInterleave(t *testing.T) {
	// sim-slow waits (here far longer than the test) before its first
	// byte, and stops waiting when the client cancels.
	srv, url := testkit.Sim(t, sim.Options{SlowDelay: 10 * time.Minute})
	env := binaryVault(t, url)
	if out, err := binaryCommand(env, "ask", "first question").CombinedOutput(); err != nil {
		t.Fatalf("first ask: %v\n%s", err, out)
	}

	first := binaryCommand(env, "ask", "--continue", "--model", sim.FaultSlow, "question A")
	var firstOut, firstErr bytes.Buffer
	first.Stdout, first.Stderr = &firstOut, &firstErr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer first.Process.Kill()
	// The first turn is under way once its request reached the server.
	for deadline := time.Now().Add(time.Minute); len(testkit.ChatRequests(srv)) < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the first turn never sent its request; stderr:\n%s", firstErr.String())
		}
	}

	second := binaryCommand(env, "ask", "--continue", "--model", "sim-fast", "question B")
	var secondErr bytes.Buffer
	second.Stderr = &secondErr
	out, err := second.Output()
	if code := second.ProcessState.ExitCode(); code != 1 {
		t.Fatalf("second ask during the first turn: exit %d (%v), stdout %q; stderr:\n%s", code, err, out, secondErr.String())
	}
	stderr := secondErr.String()
	if !strings.Contains(stderr, "vaultchat: error: conversation ") || !strings.Contains(stderr, " is in use by another vaultchat\n") ||
		!strings.Contains(stderr, "vaultchat: hint: ") {
		t.Fatalf("second ask's error:\n%s", stderr)
	}
	if n := len(testkit.ChatRequests(srv)); n != 2 {
		t.Fatalf("the second ask sent a request (%d requests) while the first turn ran", n)
	}

	// The user stops the first turn; what it asked is kept.
	if err := first.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	if out, err := binaryCommand(env, "ask", "--continue", "--model", "sim-fast", "question B").CombinedOutput(); err != nil {
		t.Fatalf("second ask after the first turn: %v\n%s", err, out)
	}
	reqs := testkit.ChatRequests(srv)
	last := reqs[len(reqs)-1]
	var sent []string
	for _, m := range last.Messages {
		sent = append(sent, m.Role+": "+m.Content)
	}
	if got := strings.Join(sent, " | "); !strings.Contains(got, "user: first question") || !strings.Contains(got, "user: question A") ||
		!strings.HasSuffix(got, "user: question B") {
		t.Fatalf("the second question was sent with %q; want the first exchange, question A, then question B", got)
	}

	var doc struct {
		Messages []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"messages"`
	}
	b, err := binaryCommand(env, "export", "--last", "--format", "json").Output()
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var roles []string
	for _, m := range doc.Messages {
		roles = append(roles, m.Role)
	}
	if got := strings.Join(roles, " "); got != "user assistant user assistant user assistant" {
		t.Fatalf("conversation: %s; want three exchanges in order\n%s", got, b)
	}
	if doc.Messages[2].Content != "question A" || doc.Messages[4].Content != "question B" {
		t.Fatalf("prompts in order: %q, %q", doc.Messages[2].Content, doc.Messages[4].Content)
	}
}

// TestProcessKilledTurnLeavesNoStaleLock kills an "ask --continue" in
// the middle of its turn (kill -9: no cleanup runs): its question is
// kept, and the next ask on the conversation goes through at once, since
// the kernel dropped the dead process's lock.
func TestProcessKilledTurnLeavesNoStaleLock(t *testing.T) {
	srv, url := testkit.Sim(t, sim.Options{SlowDelay: 10 * time.Minute})
	env := binaryVault(t, url)
	if out, err := binaryCommand(env, "ask", "first question").CombinedOutput(); err != nil {
		t.Fatalf("first ask: %v\n%s", err, out)
	}
	killed := binaryCommand(env, "ask", "--continue", "--model", sim.FaultSlow, "question A")
	if err := killed.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); len(testkit.ChatRequests(srv)) < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			killed.Process.Kill()
			t.Fatal("the turn never sent its request")
		}
	}
	killed.Process.Kill()
	killed.Wait()

	out, err := binaryCommand(env, "ask", "--continue", "--model", "sim-fast", "question B").CombinedOutput()
	if err != nil {
		t.Fatalf("ask after a killed turn: %v\n%s", err, out)
	}
	reqs := testkit.ChatRequests(srv)
	var sent []string
	for _, m := range reqs[len(reqs)-1].Messages {
		sent = append(sent, m.Role+": "+m.Content)
	}
	if got := strings.Join(sent, " | "); !strings.Contains(got, "user: question A | user: question B") {
		t.Fatalf("the killed turn's question was not kept: %q", got)
	}
}
