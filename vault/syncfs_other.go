//go:build !linux

package vault

import "errors"

// syncFileSystem is syncfs(2) where the system has it; elsewhere Batch
// falls back to an fsync per file.
func syncFileSystem(string) error { return errors.New("syncfs not available") }
