package e2e

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
	"github.com/creack/pty"
)

// waitTimeout bounds every wait for the screen. It is generous because the
// machine running the tests may be busy; a passing test never waits for
// it.
const waitTimeout = 20 * time.Second

// pollEvery is how often a wait looks at the screen again.
const pollEvery = 20 * time.Millisecond

// Control bytes a terminal sends for the keys the tests press.
const (
	keyEnter = "\r"
	keyEsc   = "\x1b"
	keyCtrlC = "\x03"
	keyCtrlK = "\x0b"
	keyCtrlP = "\x10"
	keyCtrlO = "\x0f"
	keyCtrlU = "\x15"
	keyAltE  = "\x1be"
)

// term is one run of the binary in a pseudo-terminal, with a terminal
// emulator reading everything it writes. The emulator's answers to the
// app's queries (background colour, mode reports, device attributes) go
// back to the app as terminal input, as a real terminal's would.
type term struct {
	t    *testing.T
	cmd  *exec.Cmd
	ptmx *os.File

	mu      sync.Mutex
	emu     *vt.Emulator
	raw     []byte   // every byte the app wrote, for the leak and escape checks
	titles  []string // window titles the app set (OSC 0 and 2)
	osc52   []string // clipboard writes that reached the terminal
	exited  bool
	waitErr error
	done    chan struct{} // closed when the process has exited and its output is read
}

// startTerm runs the binary with args in a w×h pseudo-terminal with the
// environment env.
func startTerm(t *testing.T, env []string, w, h int, args ...string) *term {
	t.Helper()
	cmd := exec.Command(binary, args...)
	return startCommand(t, cmd, env, w, h)
}

// startCommand runs cmd (the binary, or a shell) in a w×h
// pseudo-terminal with the environment env.
func startCommand(t *testing.T, cmd *exec.Cmd, env []string, w, h int) *term {
	t.Helper()
	tm := &term{t: t, emu: vt.NewEmulator(w, h), done: make(chan struct{})}
	tm.emu.SetCallbacks(vt.Callbacks{
		// Called from inside emu.Write, with tm.mu held.
		Title: func(s string) { tm.titles = append(tm.titles, s) },
	})
	// The emulator has no clipboard; record what would have been copied.
	tm.emu.RegisterOscHandler(52, func(data []byte) bool {
		tm.osc52 = append(tm.osc52, string(data))
		return true
	})
	tm.cmd = cmd
	tm.cmd.Env = env
	ptmx, err := pty.StartWithSize(tm.cmd, &pty.Winsize{Cols: uint16(w), Rows: uint16(h)})
	if err != nil {
		t.Fatalf("start %v in a pty: %v", cmd.Args, err)
	}
	tm.ptmx = ptmx
	go tm.readOutput()
	go tm.answerQueries()
	t.Cleanup(tm.stop)
	return tm
}

// readOutput feeds the app's output to the emulator until the process
// has exited.
func (tm *term) readOutput() {
	buf := make([]byte, 64<<10)
	for {
		n, err := tm.ptmx.Read(buf)
		if n > 0 {
			tm.mu.Lock()
			tm.raw = append(tm.raw, buf[:n]...)
			tm.emu.Write(buf[:n])
			tm.mu.Unlock()
		}
		if err != nil { // EIO once the child and its terminal are gone
			break
		}
	}
	err := tm.cmd.Wait()
	tm.mu.Lock()
	tm.exited, tm.waitErr = true, err
	// End answerQueries. (Emulator.Close would race with its Read.)
	if c, ok := tm.emu.InputPipe().(io.Closer); ok {
		c.Close()
	}
	tm.mu.Unlock()
	close(tm.done)
}

// answerQueries copies the emulator's replies to the app's input.
func (tm *term) answerQueries() {
	io.Copy(tm.ptmx, tm.emu)
}

// stop kills the process if it still runs and waits for it.
func (tm *term) stop() {
	select {
	case <-tm.done:
	default:
		tm.cmd.Process.Kill()
		<-tm.done
	}
	tm.ptmx.Close()
}

// send types s: text, or the control bytes of keys.
func (tm *term) send(s string) {
	tm.t.Helper()
	if _, err := tm.ptmx.Write([]byte(s)); err != nil {
		tm.t.Fatalf("type %q: %v", s, err)
	}
}

// press sends one key that starts with ESC (esc, alt+…) and waits a
// moment, so that the app does not read it and the next key as one
// sequence.
func (tm *term) press(key string) {
	tm.t.Helper()
	tm.send(key)
	time.Sleep(150 * time.Millisecond)
}

// screen returns the emulator's screen as text, trailing blanks trimmed.
func (tm *term) screen() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.emu.String()
}

// styledScreen returns the screen with its colours as ANSI escapes.
func (tm *term) styledScreen() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.emu.Render()
}

// rawOutput returns a copy of every byte the app has written.
func (tm *term) rawOutput() []byte {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return bytes.Clone(tm.raw)
}

// waitFor polls the screen until cond holds and returns that screen. It
// fails the test with the last screen if the time runs out or the process
// exits first.
func (tm *term) waitFor(what string, cond func(screen string) bool) string {
	tm.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		s := tm.screen()
		if cond(s) {
			return s
		}
		tm.mu.Lock()
		exited, err := tm.exited, tm.waitErr
		tm.mu.Unlock()
		if exited {
			tm.t.Fatalf("waiting for %s: the app exited (%v); last screen:\n%s", what, err, s)
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("waiting for %s: not there after %s; last screen:\n%s", what, waitTimeout, s)
		}
		time.Sleep(pollEvery)
	}
}

// waitText waits until every one of texts is on the screen.
func (tm *term) waitText(texts ...string) string {
	tm.t.Helper()
	return tm.waitFor(strings.Join(quoteAll(texts), " and "), func(s string) bool {
		for _, x := range texts {
			if !strings.Contains(s, x) {
				return false
			}
		}
		return true
	})
}

// waitExit waits for the process to end and fails unless it exited with
// status 0.
func (tm *term) waitExit() {
	tm.t.Helper()
	select {
	case <-tm.done:
	case <-time.After(waitTimeout):
		tm.t.Fatalf("the app did not exit; last screen:\n%s", tm.screen())
	}
	tm.mu.Lock()
	err := tm.waitErr
	tm.mu.Unlock()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				tm.t.Fatalf("the app was killed by %v; last screen:\n%s", ws.Signal(), tm.screen())
			}
		}
		tm.t.Fatalf("the app exited with %v; output:\n%s", err, tm.screen())
	}
}

func quoteAll(texts []string) []string {
	out := make([]string, len(texts))
	for i, x := range texts {
		out[i] = "“" + x + "”"
	}
	return out
}
