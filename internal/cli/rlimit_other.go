//go:build !unix

package cli

// DisableCoreDumps does nothing where there are no core file limits.
func DisableCoreDumps() error { return nil }
