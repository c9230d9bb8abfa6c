package ui

import (
	"context"
	"errors"
	"io"
	"os"
	"time"

	tea "charm.land/bubbletea/v2"
)

// DefaultIdleLock is the idle time after which the app locks itself.
const DefaultIdleLock = 10 * time.Minute

// Options configure the TUI.
type Options struct {
	// IdleLock locks the vault after this long without input. Zero means
	// DefaultIdleLock; a negative value disables the idle lock.
	IdleLock time.Duration
	// Input and Output replace the terminal (tests). Nil means stdin and
	// stdout.
	Input  io.Reader
	Output io.Writer
	// Demo shows a banner saying the vault is a temporary demo vault.
	Demo bool
	// DemoHint, when set with Demo, is a second banner line: what the
	// demo holds to try. It should fit 80 columns (it is cut to fit).
	DemoHint string
	// NoColor disables colour. Run sets it when NO_COLOR is set.
	NoColor bool
	// Editor is the command ctrl+e runs on the draft (may contain
	// arguments, such as "code -w"). Run defaults it to $VISUAL, then
	// $EDITOR; New falls back to "vi".
	Editor string
	// Light starts with the light theme (the default is dark) until the
	// terminal reports its background colour.
	Light bool
	// OnLock, when set, runs (in a command, before Backend.Lock) when the
	// user locks with ctrl+l; not on the idle lock, nor on quit. The CLI
	// uses it to lock the vaultchat agent too, when the user chose so.
	OnLock func()
}

// Run shows the TUI until the user quits or ctx is canceled, and locks
// the backend before returning.
func Run(ctx context.Context, b Backend, opts Options) error {
	if os.Getenv("NO_COLOR") != "" {
		opts.NoColor = true
	}
	if opts.Editor == "" {
		opts.Editor = os.Getenv("VISUAL")
	}
	if opts.Editor == "" {
		opts.Editor = os.Getenv("EDITOR")
	}
	m := New(b, opts)
	m.ctx = ctx
	progOpts := []tea.ProgramOption{tea.WithContext(ctx)}
	if opts.Input != nil {
		progOpts = append(progOpts, tea.WithInput(opts.Input))
	}
	if opts.Output != nil {
		progOpts = append(progOpts, tea.WithOutput(opts.Output))
	}
	p := tea.NewProgram(m, progOpts...)
	_, err := p.Run()
	m.stopStream()
	b.Lock()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return err
	}
	return nil
}
