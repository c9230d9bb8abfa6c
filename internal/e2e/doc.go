// Package e2e holds vaultchat's end-to-end tests. They build the real
// binary once, run it in a pseudo-terminal (github.com/creack/pty) and read
// the screen through a terminal emulator (github.com/charmbracelet/x/vt),
// so "go test ./..." needs nothing beyond Go: no tmux, no expect, no
// network other than the in-process simulator on 127.0.0.1.
//
// Every scenario also works as a leak canary: the API keys are random
// "sk-proj-CANARY…" strings made at test time, and after each test the raw
// bytes the app wrote to the terminal, the command outputs and every file
// the test left behind are searched for them.
//
// With VAULTCHAT_SCREENSHOTS set to a directory, TestScreenshots writes the
// README screenshots' screens there as ANSI text; docs/screenshots/make.sh
// turns them into PNG files with freeze.
//
// The package has no non-test code; this file exists so that the package
// has a name and a comment.
package e2e
