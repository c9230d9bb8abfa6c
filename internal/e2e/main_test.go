package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// binary is the vaultchat executable TestMain builds once for every test.
var binary string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		fmt.Println("e2e: skipped: pseudo-terminal tests need Linux or macOS")
		return 0
	}
	dir, err := os.MkdirTemp("", "vaultchat-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "vaultchat")
	build := exec.Command("go", "build", "-buildvcs=false", "-o", binary, "./cmd/vaultchat")
	build.Dir = filepath.Join("..", "..") // the module root
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "build vaultchat: %v\n", err)
		return 1
	}
	return m.Run()
}
