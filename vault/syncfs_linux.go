package vault

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncFileSystem flushes the file system holding dir (syncfs(2)): one
// call makes every file a Batch wrote durable.
func syncFileSystem(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return unix.Syncfs(int(d.Fd()))
}
