package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"
)

// IOStreams is the terminal a command talks to. Commands never touch
// os.Stdin, os.Stdout or /dev/tty directly, so tests can hand them fakes.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// IsStdinTTY and IsStdoutTTY say whether In and Out are terminals:
	// prompts and confirmations happen only on a terminal, and a piped
	// stdin is read as data (an API key) instead.
	IsStdinTTY  bool
	IsStdoutTTY bool
	// ReadSecret shows prompt on the terminal and reads one line with
	// echo off. It is nil when the process has no terminal at all, which
	// is how commands know that a passphrase cannot be asked for.
	ReadSecret func(prompt string) (string, error)
}

// Deps is everything a command reaches outside its own memory. Main gets
// the real ones from System; tests build fakes.
type Deps struct {
	IO *IOStreams
	// LookupEnv reads one environment variable, like os.LookupEnv.
	LookupEnv func(key string) (string, bool)
	// Environ lists the whole environment, like os.Environ; exec builds
	// the child's environment from it.
	Environ func() []string
	// Now is the clock, for rotation and expiry flags and usage stamps.
	Now func() time.Time
}

// System returns the process's real streams, environment and clock.
func System() Deps {
	// A closed stdout must not kill the process mid-work (before ask
	// saves a reply, say): writes then fail with EPIPE, which ExitCode
	// turns into a quiet exit 0 (isClosedStdout).
	signal.Ignore(syscall.SIGPIPE)
	stdinTTY := term.IsTerminal(int(os.Stdin.Fd()))
	io := &IOStreams{
		In:          os.Stdin,
		Out:         os.Stdout,
		ErrOut:      os.Stderr,
		IsStdinTTY:  stdinTTY,
		IsStdoutTTY: term.IsTerminal(int(os.Stdout.Fd())),
	}
	if hasTerminal(stdinTTY) {
		io.ReadSecret = readSecretFromTerminal
	}
	return Deps{IO: io, LookupEnv: os.LookupEnv, Environ: os.Environ, Now: time.Now}
}

// hasTerminal reports whether the process can prompt: it has a
// controlling terminal (even when stdin is piped, as in
// "echo KEY | vaultchat keys add NAME" with a passphrase vault).
func hasTerminal(stdinTTY bool) bool {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return stdinTTY
	}
	tty.Close()
	return true
}

// readSecretFromTerminal prompts on /dev/tty (stdin and stderr where there
// is none, as on Windows) and reads a line with echo off. An interrupt
// while the echo is off restores the terminal before exiting, so the
// user's shell is not left without echo.
func readSecretFromTerminal(prompt string) (string, error) {
	var (
		in  = os.Stdin
		out = os.Stderr
	)
	if tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0); err == nil {
		defer tty.Close()
		in, out = tty, tty
	}
	fd := int(in.Fd())
	if !term.IsTerminal(fd) {
		return "", errors.New("no terminal to read from")
	}
	state, err := term.GetState(fd)
	if err != nil {
		return "", fmt.Errorf("read from terminal: %w", err)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	defer func() {
		signal.Stop(sigs)
		close(done)
	}()
	go func() {
		select {
		case <-sigs:
			term.Restore(fd, state)
			fmt.Fprintln(out)
			os.Exit(130)
		case <-done:
		}
	}()
	fmt.Fprint(out, prompt)
	b, err := term.ReadPassword(fd)
	fmt.Fprintln(out)
	if err != nil {
		return "", fmt.Errorf("read from terminal: %w", err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}
