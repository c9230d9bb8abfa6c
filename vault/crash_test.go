package vault

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Environment variables that turn the test binary into a child process for
// the crash and concurrency tests. The home they name was made by the
// parent and remembers its identity file, so the child opens it with no
// options.
const (
	envCrashHome      = "VAULT_TEST_CRASH_HOME"
	envConcurrentHome = "VAULT_TEST_CONCURRENT_HOME"
	envConcurrentID   = "VAULT_TEST_CONCURRENT_ID"
)

// TestCrashChild is not a test on its own: TestCrashDuringSave runs the
// test binary with only this test selected and envCrashHome set. It adds
// keys forever, one Update each, and prints "ACK <generation>" after each
// save returns, until the parent kills it.
func TestCrashChild(t *testing.T) {
	home := os.Getenv(envCrashHome)
	if home == "" {
		t.Skip("child process of TestCrashDuringSave")
	}
	v, err := Open(home, Options{})
	if err != nil {
		t.Fatalf("child: Open: %v", err)
	}
	for i := 0; ; i++ {
		k := testKey(t, fmt.Sprintf("c-%d-%d", os.Getpid(), i))
		if err := v.Update(func(tx *Tx) error { _, err := tx.Add(k); return err }); err != nil {
			t.Fatalf("child: Update: %v", err)
		}
		// One write call, so the parent never sees half a line.
		fmt.Fprintf(os.Stdout, "ACK %d\n", v.generation())
	}
}

// ackWriter collects a child's stdout and remembers the last ACKed
// generation.
type ackWriter struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	partial []byte
	last    uint64
	acked   bool
	first   chan struct{} // closed at the first ACK
	ready   chan struct{} // closed when the child prints READY
}

func newAckWriter() *ackWriter {
	return &ackWriter{first: make(chan struct{}), ready: make(chan struct{})}
}

func (w *ackWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		line := string(w.partial[:i])
		w.partial = w.partial[i+1:]
		if line == "READY" {
			close(w.ready)
		}
		if g, ok := strings.CutPrefix(line, "ACK "); ok {
			n, err := strconv.ParseUint(g, 10, 64)
			if err == nil {
				w.last = n
				if !w.acked {
					w.acked = true
					close(w.first)
				}
			}
		}
	}
	return len(p), nil
}

func (w *ackWriter) result() (last uint64, acked bool, output string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last, w.acked, w.buf.String()
}

// childCommand runs this test binary with only the named test selected.
func childCommand(test string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// TestCrashDuringSave SIGKILLs a process in the middle of saving, again and
// again on one vault. After every kill the vault must open at the last
// acknowledged generation or the next one, with every key it claims, and
// nothing in the home may be plaintext.
func TestCrashDuringSave(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary hundreds of times")
	}
	const rounds = 220
	home, opts, _ := newIdentityVault(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	gen := uint64(1) // Init saved generation 1 with no keys
	var afterAck, midSave, tempsSeen int
	for round := range rounds {
		w := newAckWriter()
		cmd := childCommand("TestCrashChild", envCrashHome+"="+home)
		cmd.Stdout = w
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Half the rounds kill from the start (during start-up, Open or
		// the first save); half let the child save at least once.
		if round%2 == 1 {
			select {
			case <-w.first:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				cmd.Wait()
				_, _, out := w.result()
				t.Fatalf("round %d: child never saved:\n%s%s", round, out, stderr.String())
			}
		}
		time.Sleep(time.Duration(rng.IntN(31)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		last, acked, out := w.result()
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) || !exitErr.Sys().(syscall.WaitStatus).Signaled() {
			t.Fatalf("round %d: child ended on its own (%v):\n%s%s", round, err, out, stderr.String())
		}
		if !acked {
			last = gen
		} else {
			afterAck++
		}

		v, err := Open(home, opts)
		if err != nil {
			t.Fatalf("round %d: vault does not open after SIGKILL: %v", round, err)
		}
		g := v.generation()
		if g != last && g != last+1 {
			t.Fatalf("round %d: generation %d after the last ACK of %d", round, g, last)
		}
		if g == last+1 {
			midSave++ // killed after the rename, before the ACK
		}
		if n := uint64(len(v.Keys())); n != g-1 {
			t.Fatalf("round %d: generation %d holds %d keys, want %d", round, g, n, g-1)
		}
		v.Close()
		gen = g
		tempsSeen += checkHomeFiles(t, home, round)
	}
	t.Logf("%d kills: %d after at least one ACK, %d between rename and ACK, %d stale temp files seen; final generation %d",
		rounds, afterAck, midSave, tempsSeen, gen)
	if gen < rounds/2 {
		t.Errorf("only %d saves in %d rounds: the kills did not land during saves", gen, rounds)
	}

	// The next save removes every stale temp file.
	v := mustOpen(t, home, opts)
	if err := v.Update(func(tx *Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	for _, name := range vaultFiles(t, home) {
		if strings.HasPrefix(name, ".") {
			t.Errorf("stale temp file %s survived a save", name)
		}
	}
	checkModes(t, home)
}

// checkHomeFiles fails if any file in home could hold plaintext or if stale
// temp files pile up. It returns the number of temp files found.
func checkHomeFiles(t *testing.T, home string, round int) int {
	t.Helper()
	temps := 0
	for _, name := range vaultFiles(t, home) {
		if name == lockFile || name == homeFile {
			continue
		}
		if strings.HasPrefix(name, ".") {
			temps++
		}
		b, err := os.ReadFile(filepath.Join(home, name))
		if err != nil {
			t.Fatal(err)
		}
		// The data stamp is plain JSON with nothing secret (stamp.go).
		plain := name == stampFile || strings.HasPrefix(name, "."+stampFile)
		if !plain && !isAgeOrEmpty(b) {
			t.Fatalf("round %d: %s (%d bytes) is not an age file", round, name, len(b))
		}
		fi, _ := os.Lstat(filepath.Join(home, name))
		if fi.Mode().Perm() != 0o600 {
			t.Fatalf("round %d: %s has mode %v", round, name, fi.Mode())
		}
	}
	if temps > 2 {
		t.Fatalf("round %d: %d stale temp files: %v", round, temps, vaultFiles(t, home))
	}
	return temps
}

// TestConcurrentChild is run by TestConcurrentProcesses: it adds 25 keys,
// one Update each.
func TestConcurrentChild(t *testing.T) {
	home := os.Getenv(envConcurrentHome)
	if home == "" {
		t.Skip("child process of TestConcurrentProcesses")
	}
	id := os.Getenv(envConcurrentID)
	v, err := Open(home, Options{})
	if err != nil {
		t.Fatalf("child %s: Open: %v", id, err)
	}
	defer v.Close()
	// Wait for the parent's go, so that all children hold the same loaded
	// generation when they start writing.
	fmt.Fprintln(os.Stdout, "READY")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		t.Fatalf("child %s: waiting for go: %v", id, err)
	}
	for j := range 25 {
		k := testKey(t, fmt.Sprintf("p%s-%d", id, j))
		if err := v.Update(func(tx *Tx) error { _, err := tx.Add(k); return err }); err != nil {
			t.Fatalf("child %s: Update %d: %v", id, j, err)
		}
	}
}

// TestConcurrentProcesses runs four processes that each add 25 keys to one
// vault at the same time: the lock and the reload inside Update must lose
// none of the 100.
func TestConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	home, opts, _ := newIdentityVault(t)
	const procs = 4
	cmds := make([]*exec.Cmd, procs)
	outs := make([]*ackWriter, procs)
	gos := make([]io.WriteCloser, procs)
	for i := range procs {
		cmds[i] = childCommand("TestConcurrentChild", envConcurrentHome+"="+home, envConcurrentID+"="+strconv.Itoa(i))
		outs[i] = newAckWriter()
		cmds[i].Stdout, cmds[i].Stderr = outs[i], outs[i]
		var err error
		if gos[i], err = cmds[i].StdinPipe(); err != nil {
			t.Fatal(err)
		}
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i := range procs {
		select {
		case <-outs[i].ready:
		case <-time.After(20 * time.Second):
			t.Fatalf("child %d never got ready", i)
		}
	}
	for i := range procs {
		io.WriteString(gos[i], "go\n")
		gos[i].Close()
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			_, _, out := outs[i].result()
			t.Errorf("child %d: %v\n%s", i, err, out)
		}
	}
	v := mustOpen(t, home, opts)
	names := map[string]bool{}
	for _, k := range v.Keys() {
		names[k.Name] = true
	}
	for i := range procs {
		for j := range 25 {
			if !names[fmt.Sprintf("p%d-%d", i, j)] {
				t.Errorf("key p%d-%d was lost", i, j)
			}
		}
	}
	if len(names) != procs*25 || v.generation() != procs*25+1 {
		t.Errorf("%d keys at generation %d, want %d at %d", len(names), v.generation(), procs*25, procs*25+1)
	}
	checkHomeFiles(t, home, 0)
}
