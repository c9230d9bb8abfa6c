// Command vaultchat is a terminal chat client for OpenAI-compatible APIs
// whose API keys live in an age-encrypted vault. Everything happens in
// package internal/cli; this file only connects it to the process.
package main

import (
	"fmt"
	"os"

	"github.com/vaultchat/vaultchat/internal/cli"
)

func main() {
	if err := cli.DisableCoreDumps(); err != nil {
		fmt.Fprintf(os.Stderr, "vaultchat: warning: cannot disable core dumps: %v\n", err)
	}
	os.Exit(cli.Main(os.Args[1:], cli.System()))
}
