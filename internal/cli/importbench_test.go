package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/testkit"
)

// importBenchReply is a typical assistant reply (prose and code).
const importBenchReply = "The client waits with exponential backoff and a little jitter.\n\n" +
	"```go\nfor attempt := 0; attempt < 5; attempt++ {\n\tif err := try(); err == nil {\n\t\treturn nil\n\t}\n\ttime.Sleep(backoff(attempt))\n}\n```\n"

// importHome makes an identity-file vault home with the real binary and
// returns the environment to run it with.
func importHome(tb testing.TB) []string {
	tb.Helper()
	if runtime.GOOS != "linux" {
		tb.Skip("process tests run on Linux")
	}
	dir := tb.TempDir()
	idPath, _ := testkit.IdentityFile(tb, dir)
	env := append(testkit.Env(tb, dir), "VAULTCHAT_HOME="+filepath.Join(dir, "home"), "VAULTCHAT_IDENTITY="+idPath)
	if out, err := binaryCommand(env, "init", "--identity", idPath).CombinedOutput(); err != nil {
		tb.Fatalf("init: %v\n%s", err, out)
	}
	return env
}

// BenchmarkImportChatGPT runs "vaultchat import" (the real binary) on a
// ChatGPT conversations.json of n conversations (six exchanges each, made
// at run time) into a new vault home: parse, clean, encrypt, write, index.
func BenchmarkImportChatGPT(b *testing.B) {
	for _, n := range []int{1000, 3000, 20000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			file := filepath.Join(b.TempDir(), "conversations.json")
			if err := os.WriteFile(file, testkit.ChatGPTExport(n, importBenchReply), 0o600); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				b.StopTimer()
				env := importHome(b)
				b.StartTimer()
				out, err := binaryCommand(env, "import", file).CombinedOutput()
				if err != nil || !strings.Contains(string(out), fmt.Sprintf("imported %d conversations", n)) {
					b.Fatalf("import: %v\n%s", err, out)
				}
			}
			b.ReportMetric(float64(n), "conversations")
		})
	}
}
