#!/usr/bin/env bash
# Runs every benchmark BENCHMARKS.md reports, one package after another so
# they do not compete for the two cores, and writes the raw output to
# bench.out (or $1). Takes about ten minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-bench.out}"
: >"$out"
run() { echo "== go test -run ^\$ -bench $*" | tee -a "$out"; go test -run '^$' -bench "$@" 2>&1 | grep -E '^(Benchmark|ok|FAIL|---)' | tee -a "$out"; }
run 'Open100Keys|Save100Keys|CraftedWorkFactor|ReadFile1MiB' -benchtime=20x -count=3 ./vault/
run 'UnlockPassphrase' -benchtime=3x ./vault/
run . -count=3 ./internal/provider/
run . -benchtime=10x -count=3 ./internal/store/
run . -benchtime=10x -count=3 ./internal/usage/
run . -benchtime=10x -count=3 ./internal/transcript/
run 'SendTurn' -benchtime=20x -count=3 ./internal/session/
run . -count=3 ./internal/sanitize/
run 'StreamDelta|ViewAtRest|Paste1MB|TypeAfterPaste' -count=3 ./ui/
run . -benchtime=5x -count=3 ./ui/markdown/
run 'AskTerminal|MarkdownReply' -benchtime=3x -count=3 ./internal/cli/
run 'UnlockedCommands' -benchtime=10x -count=3 ./internal/cli/
run 'HostileServerRSS' -benchtime=1x -count=3 ./internal/cli/
run 'ImportChatGPT' -benchtime=1x ./internal/cli/
run 'Startup|FirstToken|ReplyCPU' -benchtime=10x -count=3 ./internal/cli/
run 'StartToFirstFrame' -benchtime=5x -count=3 ./internal/e2e/
run 'RSS10kConversation' -benchtime=1x -count=3 ./internal/e2e/
