package cli

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// TestAskInterruptedKeepsThePartialReply sends Ctrl+C (SIGINT) and
// SIGTERM to the real binary's "ask" while the reply streams (the
// simulator's sim-stall sends a few chunks, then waits): it exits 128+N
// like a shell's child stopped by signal N, after saving what arrived
// and saying how to continue.
func TestAskInterruptedKeepsThePartialReply(t *testing.T) {
	_, url := testkit.Sim(t, sim.Options{})
	env := binaryVault(t, url)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		cmd := binaryCommand(env, "ask", "--key", "sim", "--model", sim.FaultStall, "tell me a story")
		var stdout, stderr lockedBuffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		code := signalWhen(t, cmd, sig, func() bool { return stdout.Len() > 0 })
		if want := 128 + int(sig); code != want {
			t.Errorf("%v: exit %d, want %d\nstderr:\n%s", sig, code, want, stderr.String())
		}
		wantContains(t, "stderr", stderr.String(), "the partial reply is saved; continue with \"vaultchat ask --conversation")
		exported := runBinary(t, env, "export", "--last", "--format", "txt")
		if !strings.Contains(exported, "tell me a story") || !strings.Contains(exported, strings.TrimSpace(stdout.String())) {
			t.Errorf("%v: the saved reply lacks what was printed (%q):\n%s", sig, stdout.String(), exported)
		}
	}
}

// TestInterruptedWhileWaitingExits130: Ctrl+C on a command waiting on a
// server that never answers ("models", "keys check") exits 130, not 1,
// with the command's own message; keys check records no result cut
// short (it would read "unreachable").
func TestInterruptedWhileWaitingExits130(t *testing.T) {
	url, accepted := silentServer(t)
	env := binaryVault(t, url)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"models", "--key", "sim"}, "vaultchat: error: list the models of key sim"},
		{[]string{"keys", "check"}, "vaultchat: error: keys check canceled; no result was recorded"},
	} {
		cmd := binaryCommand(env, c.args...)
		var stderr lockedBuffer
		cmd.Stderr = &stderr
		before := accepted.Load()
		code := signalWhen(t, cmd, syscall.SIGINT, func() bool { return accepted.Load() > before })
		if code != 130 {
			t.Errorf("%s: exit %d, want 130\nstderr:\n%s", c.args, code, stderr.String())
		}
		wantContains(t, "stderr", stderr.String(), c.want)
	}
	if show := runBinary(t, env, "keys", "show", "sim"); !regexp.MustCompile(`last check:\s+never`).MatchString(show) {
		t.Errorf("an interrupted check was recorded:\n%s", show)
	}
}

// silentServer listens on 127.0.0.1, accepts connections and never
// answers; it returns a base URL and the count of accepted connections.
func silentServer(t *testing.T) (string, *atomic.Int64) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	var accepted atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never answered
			mu.Unlock()
			accepted.Add(1)
		}
	}()
	return "http://" + ln.Addr().String() + "/v1", &accepted
}

// signalWhen starts cmd, sends sig once ready reports true, and returns
// the exit code. It fails the test if the command ends first.
func signalWhen(t *testing.T, cmd *exec.Cmd, sig syscall.Signal, ready func() bool) int {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(time.Minute) // a guard against a hang, not a speed check
	for !ready() {
		select {
		case <-exited:
			t.Fatalf("the command ended before the signal")
		default:
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the command never got ready for the signal")
		}
		time.Sleep(time.Millisecond)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	<-exited
	return cmd.ProcessState.ExitCode()
}

// runBinary runs the real binary and returns its stdout; it fails the
// test if the command fails.
func runBinary(t *testing.T, env []string, args ...string) string {
	t.Helper()
	var stderr bytes.Buffer
	cmd := binaryCommand(env, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("vaultchat %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// lockedBuffer is a bytes.Buffer a child's output may be copied into
// while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Len()
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestCtrlCInTheEditorLeavesNoTemplate: Ctrl+C while "roles edit NEW"
// waits for the editor reaches the whole process group; vaultchat died
// of it first and left the template behind as a working role. Now the
// editor decides, and one that dies of it is a failed edit: undone, exit
// 130.
func TestCtrlCInTheEditorLeavesNoTemplate(t *testing.T) {
	env := binaryVault(t, "http://127.0.0.1:9/v1")
	dir := t.TempDir()
	mark := filepath.Join(dir, "started")
	editor := filepath.Join(dir, "editor.sh")
	if err := os.WriteFile(editor, []byte("#!/bin/sh\ntouch \""+mark+"\"\nexec sleep 30\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := binaryCommand(append(env, "EDITOR="+editor, "VISUAL="), "roles", "edit", "fresh")
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute) // a guard against a hang
	for {
		if _, err := os.Stat(mark); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the editor never started")
		}
		time.Sleep(time.Millisecond)
	}
	// As a terminal's Ctrl+C does: the whole foreground process group.
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	// 130, or killed by the SIGINT itself once the undo is done (a
	// signal the kernel delivers after the handler is gone): a shell
	// shows 130 either way.
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if code := cmd.ProcessState.ExitCode(); code != 130 && !(ws.Signaled() && ws.Signal() == syscall.SIGINT) {
		t.Errorf("exit %d, want 130\nstderr:\n%s", code, stderr.String())
	}
	if list := runBinary(t, env, "roles", "list"); strings.Contains(list, "fresh") {
		t.Errorf("the template was left behind as a role:\n%s", list)
	}
}
