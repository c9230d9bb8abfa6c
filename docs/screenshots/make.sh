#!/usr/bin/env bash
# Regenerates the README screenshots (main.png, key-picker.png,
# markdown.png) from the real app: internal/e2e's TestScreenshots runs
# "vaultchat --demo" in a pseudo-terminal, drives it, captures each screen
# with its colours through a terminal emulator, and renders it with
# freeze (go run github.com/charmbracelet/freeze@v0.2.2; not a module
# dependency). Needs only Go, and the network once to fetch freeze.
set -euo pipefail
cd "$(dirname "$0")/../.."
VAULTCHAT_SCREENSHOTS="$PWD/docs/screenshots" \
	go test ./internal/e2e -run '^TestScreenshots$' -count=1 -v
