//go:build unix

package cli

import "syscall"

// DisableCoreDumps sets the core file size limit to zero, so a crash of a
// process holding an unlocked vault writes no core file full of secrets.
// Children started by exec inherit the limit; they hold a secret too.
func DisableCoreDumps() error {
	return syscall.Setrlimit(syscall.RLIMIT_CORE, &syscall.Rlimit{Cur: 0, Max: 0})
}
