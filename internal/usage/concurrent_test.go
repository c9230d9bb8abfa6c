package usage

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/vault"
)

// recordN records n entries of 10 prompt and 1 completion token at $0.25
// for key, spread over two models and two months.
func recordN(l *Ledger, key string, n int) error {
	for i := range n {
		e := Entry{KeyID: key, Model: "gpt-4o", Time: at("2026-11-30T23:59:00Z"), Usage: tokens(10, 1), CostUSD: usd(0.25)}
		if i%2 == 1 {
			e.Model, e.Time = "o3", at("2026-12-01T00:01:00Z")
		}
		if err := l.Record(e); err != nil {
			return err
		}
	}
	return nil
}

// checkCounts checks, on a freshly opened Ledger, that every record of
// every writer is there.
func checkCounts(t *testing.T, h testHome, perKey map[string]int) {
	t.Helper()
	l := h.ledger(t)
	var total int64
	for key, n := range perKey {
		got := l.Lifetime(key)
		want := Totals{Requests: int64(n), Usage: chat.Usage{PromptTokens: 10 * int64(n), CompletionTokens: int64(n)}, CostUSD: 0.25 * float64(n), Priced: int64(n)}
		if got != want {
			t.Errorf("key %s: got %+v, want %+v", key, got, want)
		}
		total += int64(n)
	}
	if got := l.Lifetime("").Requests; got != total {
		t.Errorf("all keys: %d requests, want %d", got, total)
	}
}

// TestConcurrentRecordSameKey has two Ledgers on two vault handles record
// for the same key and day at once: every Record rewrites the same file,
// so a lost update would show as a missing count.
func TestConcurrentRecordSameKey(t *testing.T) {
	h := newHome(t)
	ledgers := []*Ledger{h.ledger(t), h.ledger(t)}
	const n = 40
	var wg sync.WaitGroup
	errs := make([]error, len(ledgers))
	for i, l := range ledgers {
		wg.Go(func() { errs[i] = recordN(l, "shared", n) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	checkCounts(t, h, map[string]int{"shared": 2 * n})
}

// TestConcurrentRecordProcesses runs two more processes (this test binary,
// re-executed) recording into the same home while this one records too.
func TestConcurrentRecordProcesses(t *testing.T) {
	h := newHome(t)
	const n = 30
	var (
		cmds []*exec.Cmd
		outs []*bytes.Buffer
	)
	for i := range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperRecordProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(),
			"VAULTCHAT_USAGE_HELPER=1",
			"VAULTCHAT_USAGE_HOME="+h.Dir,
			"VAULTCHAT_USAGE_IDENTITY="+h.Identity,
			"VAULTCHAT_USAGE_KEY="+fmt.Sprintf("child%d", i),
			"VAULTCHAT_USAGE_N="+strconv.Itoa(n),
		)
		out := new(bytes.Buffer)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	// Record for a shared key here and in the children at the same time.
	parentErr := recordN(h.ledger(t), "parent", n)
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("helper process %d: %v\n%s", i, err, outs[i])
		}
	}
	if parentErr != nil {
		t.Fatal(parentErr)
	}
	checkCounts(t, h, map[string]int{"parent": n, "child0": n, "child1": n, "both": 2 * n})
}

// TestHelperRecordProcess is the child of TestConcurrentRecordProcesses;
// run directly it does nothing.
func TestHelperRecordProcess(t *testing.T) {
	if os.Getenv("VAULTCHAT_USAGE_HELPER") != "1" {
		t.Skip("helper process for TestConcurrentRecordProcesses")
	}
	v, err := vault.Open(os.Getenv("VAULTCHAT_USAGE_HOME"), vault.Options{IdentityFile: os.Getenv("VAULTCHAT_USAGE_IDENTITY")})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	l := Open(v.Files())
	n, err := strconv.Atoi(os.Getenv("VAULTCHAT_USAGE_N"))
	if err != nil {
		t.Fatal(err)
	}
	// Half the records under the child's own key, half under a key both
	// children share, interleaved.
	for i := range n {
		key := os.Getenv("VAULTCHAT_USAGE_KEY")
		if i%2 == 1 {
			key = "both"
		}
		if err := recordN(l, key, 2); err != nil {
			t.Fatal(err)
		}
	}
}
