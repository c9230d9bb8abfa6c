package vault

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

const envRotateHome = "VAULT_TEST_ROTATE_HOME"

// TestRotateChild is not a test on its own: TestKillDuringRotate runs the
// test binary with only this test selected and envRotateHome set. It
// rotates key "k" forever, printing an ACK after each, until it is killed.
func TestRotateChild(t *testing.T) {
	home := os.Getenv(envRotateHome)
	if home == "" {
		t.Skip("child process of TestKillDuringRotate")
	}
	v, err := Open(home, Options{})
	if err != nil {
		t.Fatalf("child: Open: %v", err)
	}
	for {
		fresh := mustSecret(t, canary(t))
		if err := v.Update(func(tx *Tx) error { _, err := tx.Rotate("k", fresh); return err }); err != nil {
			t.Fatalf("child: Update: %v", err)
		}
		fmt.Fprintf(os.Stdout, "ACK %d\n", v.generation())
	}
}

// TestKillDuringRotate SIGKILLs a process that rotates a key again and
// again. Whenever the kill lands between the save and the purge of the
// backups, the old secret used to stay in them; now the next Open
// finishes the purge, so after every kill and Open no backup may hold a
// secret of "k" other than the current one.
func TestKillDuringRotate(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary many times")
	}
	const rounds = 60
	home, opts, id := newIdentityVault(t)
	v := mustOpen(t, home, opts)
	k := testKey(t, "k")
	if err := v.Update(func(tx *Tx) error { _, err := tx.Add(k); return err }); err != nil {
		t.Fatal(err)
	}
	addKeys(t, v, "filler", 3)
	v.Close()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	for round := range rounds {
		w := newAckWriter()
		cmd := childCommand("TestRotateChild", envRotateHome+"="+home)
		cmd.Stdout = w
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-w.first:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("round %d: child never rotated:\n%s", round, stderr.String())
		}
		time.Sleep(time.Duration(rng.IntN(20)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) || !exitErr.Sys().(syscall.WaitStatus).Signaled() {
			t.Fatalf("round %d: child ended on its own (%v):\n%s", round, err, stderr.String())
		}

		v, err := Open(home, opts)
		if err != nil {
			t.Fatalf("round %d: vault does not open after SIGKILL: %v", round, err)
		}
		cur, err := v.Key("k")
		if err != nil {
			t.Fatal(err)
		}
		v.Close()
		for slot := 1; slot <= backupCount; slot++ {
			path := backupPath(home, slot)
			if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
				continue // killed mid-rotation: a slot moved up, the next save fills it
			}
			pt, err := decryptFile(t, path, id)
			if err != nil {
				t.Fatalf("round %d: %s: %v", round, filepath.Base(path), err)
			}
			p, err := decodePayload(pt)
			if err != nil {
				t.Fatalf("round %d: %s: %v", round, filepath.Base(path), err)
			}
			if i := p.find("k"); i >= 0 && p.Keys[i].Secret != cur.Secret.Reveal() {
				t.Fatalf("round %d: %s still holds an old secret of k after the vault opened again", round, filepath.Base(path))
			}
		}
	}
}
