package cli

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// Benchmarks of the first milliseconds (issue 11), each comparing the
// real binary with a minimal Go program built inside the benchmark, run
// the same way in the same loop (interleaved, so both see the same load):
//
//	go test -run '^$' -bench 'Startup|FirstToken' -benchtime 20x ./internal/cli/
//
// Targets, as ratios within one run: start-up at most 1.5x the minimal
// program; the first token on screen at most 25 ms after the minimal
// client's.

// minimalProgram is the start-up floor: a Go program that prints a line
// and exits.
const minimalProgram = `package main

import "fmt"

func main() { fmt.Println("minimal 1.0") }
`

// minimalClient is the first-token floor: a Go program that POSTs the
// streaming request ask sends (os.Args[1] the base URL, [2] the model,
// [3] the prompt) with net/http and prints each SSE delta's text as it
// arrives: no rendering, no storage, no vault.
const minimalClient = `package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"strings"
)

func main() {
	body, _ := json.Marshal(map[string]any{
		"model":          os.Args[2],
		"messages":       []map[string]string{{"role": "user", "content": os.Args[3]}},
		"stream":         true,
		"stream_options": map[string]bool{"include_usage": true},
	})
	req, _ := http.NewRequest("POST", os.Args[1]+"/chat/completions", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+os.Getenv("MINIMAL_KEY"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok || data == "[DONE]" {
			continue
		}
		var ev struct {
			Choices []struct {
				Delta struct{ Content string } ` + "`json:\"delta\"`" + `
			} ` + "`json:\"choices\"`" + `
		}
		if json.Unmarshal([]byte(data), &ev) == nil && len(ev.Choices) > 0 {
			os.Stdout.WriteString(ev.Choices[0].Delta.Content)
		}
	}
	os.Stdout.WriteString("\n")
}
`

// buildGoProgram writes src as the main package of a module in a
// temporary directory and builds it, returning the binary's path.
func buildGoProgram(b *testing.B, name, src string) string {
	b.Helper()
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module "+name+"\n\ngo 1.26\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o600); err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(dir, name)
	build := exec.Command("go", "build", "-buildvcs=false", "-o", bin, ".")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build %s: %v\n%s", name, err, out)
	}
	return bin
}

// ptyRun is the timing of one process run with its stdout on a new
// pseudo-terminal: from just before the start to the exit (with all
// output read), and to the first output whose visible text holds a
// marker.
type ptyRun struct {
	start  time.Time
	wall   time.Duration
	marker time.Duration // zero if the marker never showed
	cpu    time.Duration // user + system
	out    string
}

// timeOnTerminal runs cmd with stdout on a 100x50 pseudo-terminal and
// times it; marker may be "".
func timeOnTerminal(b *testing.B, cmd *exec.Cmd, marker string) ptyRun {
	b.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		b.Fatal(err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Cols: 100, Rows: 50}); err != nil {
		b.Fatal(err)
	}
	cmd.Stdout = tty
	if cmd.Stderr == nil {
		cmd.Stderr = tty
	}
	var r ptyRun
	start := time.Now()
	r.start = start
	err = cmd.Start()
	tty.Close()
	if err != nil {
		b.Fatal(err)
	}
	timer := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	var out bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 32<<10)
		for {
			n, err := ptmx.Read(buf)
			if n > 0 {
				out.Write(buf[:n])
				if marker != "" && r.marker == 0 && strings.Contains(visible(out.String()), marker) {
					r.marker = time.Since(start)
				}
			}
			if err != nil { // EIO once the child has exited
				return
			}
		}
	}()
	err = cmd.Wait()
	<-done
	r.wall = time.Since(start)
	r.out = out.String()
	if err != nil {
		b.Fatalf("%v: %v\n%s", cmd.Args, err, r.out)
	}
	r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return r
}

// median returns the median of ds in milliseconds.
func median(ds []time.Duration) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	m := s[n/2]
	if n%2 == 0 {
		m = (s[n/2-1] + s[n/2]) / 2
	}
	return float64(m) / float64(time.Millisecond)
}

// BenchmarkStartup runs, in each iteration and in turn, the minimal
// program, "vaultchat --version" and "vaultchat keys list" on an
// identity-file vault, each under a pseudo-terminal, and reports the
// median wall time of each (ms-…) and the ratios of the medians to the
// minimal program's (x-…; target ≤ 1.5).
func BenchmarkStartup(b *testing.B) {
	minimal := buildGoProgram(b, "minimal", minimalProgram)
	env := binaryVault(b, "http://127.0.0.1:9/v1")
	runs := append([]benchCmd{{"minimal", func() *exec.Cmd { return binaryCommandAt(minimal, env) }}},
		eachBinary([]binCmd{
			{"version", func(bin string) *exec.Cmd { return binaryCommandAt(bin, env, "--version") }},
			{"keys-list", func(bin string) *exec.Cmd { return binaryCommandAt(bin, env, "keys", "list") }},
		})...)
	walls := make([][]time.Duration, len(runs))
	cpus := make([][]time.Duration, len(runs))
	for b.Loop() {
		for i, r := range runs {
			res := timeOnTerminal(b, r.cmd(), "")
			walls[i] = append(walls[i], res.wall)
			cpus[i] = append(cpus[i], res.cpu)
		}
	}
	floor := median(walls[0])
	for i, r := range runs {
		b.ReportMetric(median(walls[i]), "ms-"+r.name)
		b.ReportMetric(median(cpus[i]), "cpu-ms-"+r.name)
		if i > 0 {
			b.ReportMetric(median(walls[i])/floor, "x-"+r.name)
		}
	}
}

// benchCmd is one process a benchmark runs in each iteration.
type benchCmd struct {
	name string
	cmd  func() *exec.Cmd
}

// binCmd is a benchCmd of vaultchat, for a given binary.
type binCmd struct {
	name string
	cmd  func(bin string) *exec.Cmd
}

// envBenchBefore names an older vaultchat binary to run in the same
// loop as this one (as "before-…"), so that a change is measured before
// and after under the same load:
//
//	go build -o /tmp/vaultchat-before ./cmd/vaultchat   # on the old commit
//	VAULTCHAT_BENCH_BEFORE=/tmp/vaultchat-before go test -run '^$' -bench FirstToken ./internal/cli/
const envBenchBefore = "VAULTCHAT_BENCH_BEFORE"

// eachBinary returns the commands for this build's binary and, when
// envBenchBefore is set, for that one too, interleaved.
func eachBinary(cmds []binCmd) []benchCmd {
	before := os.Getenv(envBenchBefore)
	var out []benchCmd
	for _, c := range cmds {
		out = append(out, benchCmd{c.name, func() *exec.Cmd { return c.cmd(binPath) }})
		if before != "" {
			out = append(out, benchCmd{"before-" + c.name, func() *exec.Cmd { return c.cmd(before) }})
		}
	}
	return out
}

// binaryCommandAt is binaryCommand for another program.
func binaryCommandAt(path string, env []string, args ...string) *exec.Cmd {
	cmd := binaryCommand(env, args...)
	cmd.Path, cmd.Args[0] = path, path
	return cmd
}

// firstChunkClock is a simulator behind a wrapper that notes when the
// response to the latest chat request wrote its first body bytes: the
// server's first chunk.
type firstChunkClock struct {
	mu    sync.Mutex
	first time.Time
}

func (c *firstChunkClock) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/chat/completions") {
			c.mu.Lock()
			c.first = time.Time{}
			c.mu.Unlock()
			w = &firstWrite{ResponseWriter: w, c: c}
		}
		h.ServeHTTP(w, r)
	})
}

// take returns the latest first-chunk time.
func (c *firstChunkClock) take() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.first
}

type firstWrite struct {
	http.ResponseWriter
	c *firstChunkClock
}

func (w *firstWrite) Write(p []byte) (int, error) {
	w.c.mu.Lock()
	if w.c.first.IsZero() {
		w.c.first = time.Now()
	}
	w.c.mu.Unlock()
	return w.ResponseWriter.Write(p)
}

func (w *firstWrite) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// BenchmarkFirstToken runs, in each iteration and in turn, the minimal
// client and "vaultchat ask" against a simulator streaming as fast as it
// can (the normal reply of sim-fast, about 230 tokens), and reports for
// each the median time from the process's start to the reply's first
// word on the terminal (ms-…), how much later than the minimal client
// that is (after-minimal-ms-…; target ≤ 25), and the median time from the
// server's first chunk to the word on screen (after-chunk-ms-…). ask runs
// rendered and --raw, with --no-save and saved (the prompt is stored
// before the request), on an identity-file vault and on a passphrase
// vault unlocked by the agent.
func BenchmarkFirstToken(b *testing.B) {
	clock := &firstChunkClock{}
	s := sim.New(sim.Options{})
	srv := httptest.NewServer(clock.wrap(s.Handler()))
	b.Cleanup(func() { srv.Close(); s.Close() })
	url := srv.URL + "/v1"
	client := buildGoProgram(b, "minimalclient", minimalClient)
	identityEnv := binaryVault(b, url)
	agentEnv, _ := passphraseBenchVault(b, url)
	const prompt = "benchmark this"
	ask := func(env []string, args ...string) func(string) *exec.Cmd {
		return func(bin string) *exec.Cmd {
			return binaryCommandAt(bin, env, append(append([]string{"ask"}, args...), prompt)...)
		}
	}
	runs := append([]benchCmd{{"minimal", func() *exec.Cmd { return binaryCommandAt(client, identityEnv, url, "sim-fast", prompt) }}},
		eachBinary([]binCmd{
			{"md", ask(identityEnv, "--no-save")},
			{"raw", ask(identityEnv, "--no-save", "--raw")},
			{"md-saved", ask(identityEnv)},
			{"md-agent", ask(agentEnv, "--no-save")},
			{"raw-agent", ask(agentEnv, "--no-save", "--raw")},
		})...)
	// The first word of the simulator's reply, after its "## ".
	const marker = "Simulated"
	toWord := make([][]time.Duration, len(runs))
	afterChunk := make([][]time.Duration, len(runs))
	for b.Loop() {
		for i, r := range runs {
			cmd := r.cmd()
			cmd.Stderr = io.Discard
			res := timeOnTerminal(b, cmd, marker)
			if res.marker == 0 {
				b.Fatalf("%s: %q never showed:\n%s", r.name, marker, res.out)
			}
			toWord[i] = append(toWord[i], res.marker)
			afterChunk[i] = append(afterChunk[i], res.start.Add(res.marker).Sub(clock.take()))
		}
	}
	floor := median(toWord[0])
	for i, r := range runs {
		b.ReportMetric(median(toWord[i]), "ms-"+r.name)
		b.ReportMetric(median(afterChunk[i]), "after-chunk-ms-"+r.name)
		if i > 0 {
			b.ReportMetric(median(toWord[i])-floor, "after-minimal-ms-"+r.name)
		}
	}
}

// BenchmarkReplyCPU runs, in each iteration and in turn, the minimal
// client and "vaultchat ask --no-save" rendering Markdown, on replies of
// about 2,000 (sim-long) and 20,000 (sim-huge) tokens streamed as fast as
// the simulator can, and reports the median CPU time (user + system) of
// each process (cpu-ms-…), ask's ratio to the minimal client's on the
// same reply (x-…; target ≤ 3 for 2k), and ask's 20k figure over its 2k
// figure (x-md-20k/md-2k; target ≤ 10: linear).
func BenchmarkReplyCPU(b *testing.B) {
	_, url := testkit.Sim(b, sim.Options{})
	client := buildGoProgram(b, "minimalclient", minimalClient)
	env := binaryVault(b, url)
	const prompt = "benchmark this"
	ask := func(model string) func(string) *exec.Cmd {
		return func(bin string) *exec.Cmd {
			return binaryCommandAt(bin, env, "ask", "--no-save", "--model", model, prompt)
		}
	}
	runs := append([]benchCmd{
		{"minimal-2k", func() *exec.Cmd { return binaryCommandAt(client, env, url, "sim-long", prompt) }},
		{"minimal-20k", func() *exec.Cmd { return binaryCommandAt(client, env, url, "sim-huge", prompt) }},
	}, eachBinary([]binCmd{{"md-2k", ask("sim-long")}, {"md-20k", ask("sim-huge")}})...)
	cpus := map[string][]time.Duration{}
	for b.Loop() {
		for _, r := range runs {
			cmd := r.cmd()
			cmd.Stderr = io.Discard
			cpus[r.name] = append(cpus[r.name], timeOnTerminal(b, cmd, "").cpu)
		}
	}
	for _, r := range runs {
		b.ReportMetric(median(cpus[r.name]), "cpu-ms-"+r.name)
	}
	for _, prefix := range []string{"", "before-"} {
		if len(cpus[prefix+"md-2k"]) == 0 {
			continue
		}
		md2k, md20k := median(cpus[prefix+"md-2k"]), median(cpus[prefix+"md-20k"])
		b.ReportMetric(md2k/median(cpus["minimal-2k"]), "x-"+prefix+"md-2k")
		b.ReportMetric(md20k/median(cpus["minimal-20k"]), "x-"+prefix+"md-20k")
		b.ReportMetric(md20k/md2k, "x-"+prefix+"md-20k/md-2k")
	}
}
