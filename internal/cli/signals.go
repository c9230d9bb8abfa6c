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

// signalContext is signal.NotifyContext for Ctrl+C and SIGTERM that
// remembers the signal: stopped(err) wraps err so that it exits 128+N
// when a signal canceled ctx, and returns err unchanged otherwise.
func signalContext() (ctx context.Context, stopped func(error) error, stop func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
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
