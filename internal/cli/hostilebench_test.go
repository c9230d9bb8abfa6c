package cli

import (
	"syscall"
	"testing"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// BenchmarkHostileServerRSS runs "ask --no-save" as a whole process
// against the simulator's hostile fault models and reports the process's
// peak resident memory. Each ask must fail with a classified error (the
// caps in internal/provider); what matters is that memory stays bounded
// whatever the server sends (issue 14's target: under 150 MiB).
//
//	go test -run '^$' -bench HostileServerRSS -benchtime 1x ./internal/cli/
func BenchmarkHostileServerRSS(b *testing.B) {
	_, url := testkit.Sim(b, sim.Options{})
	env := binaryVault(b, url)
	for _, fault := range []string{sim.FaultNoNewline, sim.FaultHugeEvent, sim.FaultGzipBomb, "sim-fast"} {
		b.Run(fault, func(b *testing.B) {
			var peak int64
			for b.Loop() {
				cmd := binaryCommand(env, "ask", "--no-save", "--raw", "--model", fault, "benchmark this")
				out, err := cmd.CombinedOutput()
				if (err == nil) != (fault == "sim-fast") {
					b.Fatalf("ask --model %s: %v\n%.2000s", fault, err, out)
				}
				if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
					peak = max(peak, ru.Maxrss) // KiB on Linux
				}
			}
			b.ReportMetric(float64(peak)/1024, "peak-MiB")
		})
	}
}
