package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"

	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/internal/sanitize"
	"github.com/vaultchat/vaultchat/internal/session"
	"github.com/vaultchat/vaultchat/vault"
)

// Exit codes. A command run by exec passes its own status through instead.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
	// ExitNotFound is returned when exec cannot start the command, as env
	// and shells do.
	ExitNotFound = 127
)

// usageError is a mistake in how the command was called: a bad flag value,
// a missing argument. It exits with ExitUsage.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usage error.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// hintError carries hint lines printed after the error.
type hintError struct {
	err   error
	hints []string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

// withHint attaches hints to err.
func withHint(err error, hints ...string) error {
	return &hintError{err: err, hints: hints}
}

// wrongPassphraseFile is a wrong passphrase read from a passphrase
// file: the hint then speaks of the file, not of giving one.
type wrongPassphraseFile struct {
	err  error
	path string
}

func (e *wrongPassphraseFile) Error() string { return e.err.Error() }
func (e *wrongPassphraseFile) Unwrap() error { return e.err }

// exitStatus is the exit status of a command run by exec, passed through
// as ours. It prints nothing: the command said what it had to say.
type exitStatus struct{ code int }

func (e *exitStatus) Error() string { return fmt.Sprintf("command exited with status %d", e.code) }

// silentError means the failure was already reported (kong printed it
// before exiting) and only the exit code is left to set.
type silentError struct{ code int }

func (e *silentError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// ExitCode maps an error returned by a command to the process exit code:
// 0 for nil, 2 for usage errors (including every kong parse error), the
// child's status for exec, and 1 for everything else.
func ExitCode(err error) int {
	if err == nil || isClosedStdout(err) {
		return ExitOK
	}
	var es *exitStatus
	if errors.As(err, &es) {
		return es.code
	}
	var se *silentError
	if errors.As(err, &se) {
		return se.code
	}
	var sb *stoppedBySignal
	if errors.As(err, &sb) && sb.sig > 0 {
		return 128 + int(sb.sig)
	}
	var em *exitStatusWithMessage
	if errors.As(err, &em) {
		return em.code
	}
	var pe *kong.ParseError
	var ue *usageError
	if errors.As(err, &pe) || errors.As(err, &ue) {
		return ExitUsage
	}
	return ExitError
}

// isClosedStdout reports whether err is a write to our stdout after its
// reader went away ("vaultchat keys list | head -1"). That is normal in
// Unix, so every command exits 0 without a word, like git log | head.
// It is the one rule for a closed stdout: the process ignores SIGPIPE
// (System) so that such a write fails with EPIPE instead of killing it,
// and a command returns the write error like any other. A broken pipe
// elsewhere (a socket to the server) is a *net.OpError, not this.
func isClosedStdout(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && pe.Path == os.Stdout.Name() && errors.Is(pe.Err, syscall.EPIPE)
}

// printError writes err as "vaultchat: error: …" and its hints as
// "vaultchat: hint: …" lines. Every line is redacted by value and
// sanitized: an error may quote a server or a file.
func printError(w io.Writer, err error, r *redact.Redactor) {
	var es *exitStatus
	var se *silentError
	if err == nil || errors.As(err, &es) || errors.As(err, &se) || isClosedStdout(err) {
		return
	}
	clean := func(s string) string {
		s = sanitize.String(r.String(s))
		s = strings.Join(strings.Fields(s), " ")
		if strings.HasSuffix(s, "...") {
			s = strings.TrimSuffix(s, "...") + "…"
		}
		return strings.TrimSuffix(s, ".")
	}
	fmt.Fprintf(w, "vaultchat: error: %s\n", clean(err.Error()))
	for _, h := range hintsFor(err) {
		fmt.Fprintf(w, "vaultchat: hint: %s\n", clean(h))
	}
}

// printWarning writes one "vaultchat: warning: …" line.
func printWarning(w io.Writer, r *redact.Redactor, format string, args ...any) {
	s := sanitize.String(r.String(fmt.Sprintf(format, args...)))
	fmt.Fprintf(w, "vaultchat: warning: %s\n", strings.Join(strings.Fields(s), " "))
}

// hintsFor returns the hints attached to err plus the ones its class
// calls for, so that every command reports a vault that does not open, a
// busy lock or an unknown key the same way.
func hintsFor(err error) []string {
	// The innermost hints are the most specific (a command's own); the
	// outer ones added on the way up ("see … --help") come after them.
	var hints []string
	for e := err; e != nil; {
		var he *hintError
		if !errors.As(e, &he) {
			break
		}
		hints = append(slices.Clone(he.hints), hints...)
		e = he.err
	}
	// An error that knows its own hint (session.ChoiceError: no key or
	// no model chosen).
	var hinted interface{ Hint() string }
	if errors.As(err, &hinted) && hinted.Hint() != "" {
		hints = append(hints, hinted.Hint())
	}
	var fromFile *wrongPassphraseFile
	const restore = `run "vaultchat vault restore" to list the backups and restore one`
	switch {
	case errors.As(err, &fromFile):
		hints = append(hints, fmt.Sprintf("the vault is unchanged; the first line of %s is not the vault's passphrase", fromFile.path))
	case errors.Is(err, vault.ErrWrongPassphrase):
		hints = append(hints, "the vault is unchanged; try again, or give the passphrase with --passphrase-file FILE")
	case errors.Is(err, vault.ErrWrongIdentity):
		hints = append(hints, "use the identity file the vault was created with (--identity FILE or VAULTCHAT_IDENTITY); if it is that one, the file is damaged: "+restore)
	case errors.Is(err, vault.ErrUnsupported):
		hints = append(hints, "a newer vaultchat wrote this vault; upgrade vaultchat, or "+restore)
	case errors.Is(err, vault.ErrCorrupted), errors.Is(err, vault.ErrTooLarge):
		hints = append(hints, "the file was not changed; "+restore)
	case errors.Is(err, vault.ErrNotInitialized):
		hints = append(hints, `create one with "vaultchat init", or "vaultchat init --identity FILE" to use an age identity file`)
	case errors.Is(err, vault.ErrExists):
		hints = append(hints, "use the existing vault, or pick another home with --home DIR")
	case errors.Is(err, vault.ErrInUse):
		hints = append(hints, "another vaultchat is saving; try again when it is done")
	case errors.Is(err, vault.ErrChanged):
		hints = append(hints, "another vaultchat saved the vault meanwhile; run the command again to reload it")
	case errors.Is(err, vault.ErrSymlink):
		hints = append(hints, "vaultchat refuses symbolic links in its home; replace the link with the real file")
	case errors.Is(err, vault.ErrKeyNotFound):
		hints = append(hints, `list the keys with "vaultchat keys list"`)
	case errors.Is(err, vault.ErrDuplicateName):
		hints = append(hints, `pick another name, or rename the existing key with "vaultchat keys rename"`)
	case errors.Is(err, vault.ErrNoBackup):
		hints = append(hints, `list the backups with "vaultchat vault restore"`)
	case errors.Is(err, session.ErrNotFound):
		hints = append(hints, `list the conversations with "vaultchat conversations list"`)
	}
	var pe *kong.ParseError
	if errors.As(err, &pe) {
		cmd := "vaultchat"
		if pe.Context != nil {
			for _, p := range pe.Context.Path {
				if p.Command != nil && !p.Command.Hidden {
					cmd += " " + p.Command.Name
				}
			}
		}
		hints = append(hints, fmt.Sprintf("see %q", cmd+" --help"))
	}
	return hints
}
