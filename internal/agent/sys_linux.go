package agent

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// peerCred returns the uid and pid of the process at the other end of a
// Unix socket connection, as the kernel recorded them when it connected
// (SO_PEERCRED): a client cannot lie about them.
func peerCred(c net.Conn) (uid, pid int, err error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return -1, 0, errors.New("not a Unix socket connection")
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return -1, 0, err
	}
	var (
		cred    *unix.Ucred
		credErr error
	)
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return -1, 0, err
	}
	if credErr != nil {
		return -1, 0, fmt.Errorf("SO_PEERCRED: %w", credErr)
	}
	return int(cred.Uid), int(cred.Pid), nil
}

// Harden makes the agent process a poor target before it holds anything:
// not dumpable (no core file, and other processes of the user cannot
// ptrace it or read its memory through /proc), and a core size limit of
// zero besides.
func Harden() error {
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_DUMPABLE, 0): %w", err)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_CORE, &syscall.Rlimit{Cur: 0, Max: 0}); err != nil {
		return fmt.Errorf("setrlimit(RLIMIT_CORE, 0): %w", err)
	}
	return nil
}

// LockMemory keeps the process's memory, and so the identity it holds,
// out of swap: mlockall of what is mapped now, each page locked as it is
// first touched (MCL_ONFAULT), so memory the Go runtime reserved but
// never used is not forced in. Many systems allow an unprivileged user
// only a few MiB of locked memory; the error then says so, and the agent
// runs without.
func LockMemory() error {
	if err := unix.Mlockall(unix.MCL_CURRENT | unix.MCL_ONFAULT); err != nil {
		var lim unix.Rlimit
		if unix.Getrlimit(unix.RLIMIT_MEMLOCK, &lim) == nil && lim.Cur != unix.RLIM_INFINITY {
			return fmt.Errorf("mlockall: %w (RLIMIT_MEMLOCK is %d KiB)", err, lim.Cur>>10)
		}
		return fmt.Errorf("mlockall: %w", err)
	}
	return nil
}

// closeInheritedOnExec marks every descriptor above stderr close-on-exec,
// so the agent inherits none that this process got from its own parent
// (a shell's or a test harness's pipe, which would then never see EOF).
// Go opens its own descriptors close-on-exec already; the start-up line
// is passed explicitly.
func closeInheritedOnExec() {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			unix.CloseOnExec(fd)
		}
	}
}
