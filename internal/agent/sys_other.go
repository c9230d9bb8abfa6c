//go:build !linux

package agent

import (
	"errors"
	"net"
)

var errNotLinux = errors.New("the vaultchat agent needs Linux (SO_PEERCRED, prctl)")

// peerCred is not available: the agent refuses every client.
func peerCred(net.Conn) (uid, pid int, err error) { return -1, 0, errNotLinux }

// Harden fails: the agent does not start where it cannot protect itself.
func Harden() error { return errNotLinux }

// LockMemory fails.
func LockMemory() error { return errNotLinux }

// closeInheritedOnExec does nothing here.
func closeInheritedOnExec() {}
