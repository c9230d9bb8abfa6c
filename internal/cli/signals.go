package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// stoppedBySignal is a command that a signal stopped cleanly (its work
// undone or kept, as it says): the process exits 128+N like a shell's
// child killed by signal N, after the command's own message.
type stoppedBySignal struct {
	err error
	sig syscall.Signal
}

func (e *stoppedBySignal) Error() string { return e.err.Error() }
func (e *stoppedBySignal) Unwrap() error { return e.err }

// signalContext is signal.NotifyContext for Ctrl+C and SIGTERM (and the
// extra signals, such as the TUI's SIGHUP) that remembers the signal:
// stopped(err) wraps err so that it exits 128+N when a signal canceled
// ctx, and returns err unchanged otherwise (a nil err too: work that
// finished as the signal came is not reported as stopped).
//
// It is the one rule for every command that waits on the network or on
// the user: the signal cancels ctx, the command keeps what must be kept
// (ask's partial reply, import's undo), says what it did, and returns
// stopped(err), so the shell sees 130 for Ctrl+C as for any child
// stopped by SIGINT. "simulate" is the exception: a signal is how it is
// meant to end, so it exits 0.
func signalContext(extra ...os.Signal) (ctx context.Context, stopped func(error) error, stop func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, append([]os.Signal{os.Interrupt, syscall.SIGTERM}, extra...)...)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			sig, _ := s.(syscall.Signal)
			cancel(&stoppedBySignal{err: fmt.Errorf("%v", s), sig: sig})
		case <-done:
		}
	}()
	stopped = func(err error) error {
		var sb *stoppedBySignal
		if err == nil || !errors.As(context.Cause(ctx), &sb) {
			return err
		}
		return &stoppedBySignal{err: err, sig: sb.sig}
	}
	stop = func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
	return ctx, stopped, stop
}
