package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/creack/pty"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
	"github.com/vaultchat/vaultchat/internal/tokens"
)

// binaryVault makes a home with an identity-file vault and one key "sim"
// for the simulator at url, using the real binary, and returns the
// environment to run the binary with.
func binaryVault(tb testing.TB, url string) []string {
	tb.Helper()
	if runtime.GOOS != "linux" {
		tb.Skip("process tests run on Linux")
	}
	dir := tb.TempDir()
	idPath, _ := testkit.IdentityFile(tb, dir)
	env := append(testkit.Env(tb, dir),
		"TERM=xterm-256color",
		"VAULTCHAT_HOME="+filepath.Join(dir, "home"),
		"VAULTCHAT_IDENTITY="+idPath,
	)
	for _, step := range []struct {
		stdin string
		args  []string
	}{
		{"", []string{"init", "--identity", idPath}},
		{testkit.Canary(tb), []string{"keys", "add", "sim", "--provider", "openai-compatible", "--base-url", url, "--model", "sim-fast"}},
	} {
		cmd := binaryCommand(env, step.args...)
		cmd.Stdin = strings.NewReader(step.stdin)
		if out, err := cmd.CombinedOutput(); err != nil {
			tb.Fatalf("vaultchat %v: %v\n%s", step.args, err, out)
		}
	}
	return env
}

// binaryCommand returns the real binary's command in a new session (no
// controlling terminal), so it behaves the same under CI and a terminal.
func binaryCommand(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(binPath, args...)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	return cmd
}

// runOnTerminal runs cmd with its stdout on a new pseudo-terminal cols
// wide (stdin and stderr stay as set) and returns what it printed there,
// with the terminal's CR LF line endings turned back into LF.
func runOnTerminal(cmd *exec.Cmd, cols int) (string, error) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		return "", err
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Cols: uint16(cols), Rows: 50}); err != nil {
		tty.Close()
		return "", err
	}
	cmd.Stdout = tty
	err = cmd.Start()
	tty.Close()
	if err != nil {
		return "", err
	}
	// Safety net only: a hung child must not hang the suite.
	timer := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	var out bytes.Buffer
	done := make(chan struct{})
	go func() {
		// Ends with EIO once the child has exited and closed the
		// terminal.
		io.Copy(&out, ptmx)
		close(done)
	}()
	err = cmd.Wait()
	<-done
	return strings.ReplaceAll(out.String(), "\r\n", "\n"), err
}

// widest returns the width of the widest line of rendered output.
func widest(out string) int {
	w := 0
	for _, l := range strings.Split(visible(out), "\n") {
		w = max(w, utf8.RuneCountInString(l))
	}
	return w
}

func TestProcessAskTerminal(t *testing.T) {
	s, url := testkit.Sim(t, sim.Options{})
	env := binaryVault(t, url)
	ask := func(args ...string) *exec.Cmd {
		cmd := binaryCommand(env, append([]string{"ask", "--no-save"}, args...)...)
		cmd.Stderr = os.Stderr
		return cmd
	}

	// The width comes from the terminal, capped at 100 columns.
	for _, c := range []struct{ cols, min, max int }{{60, 40, 60}, {200, 81, 100}} {
		out, err := runOnTerminal(ask("hello terminal"), c.cols)
		if err != nil {
			t.Fatalf("%d columns: %v\n%s", c.cols, err, out)
		}
		wantContains(t, "rendered reply", visible(out), "Simulated reply to turn 1", "─┼─", "• Turn number: 1")
		if strings.Contains(out, "| Turn |") {
			t.Errorf("%d columns: the table was not rendered:\n%s", c.cols, out)
		}
		if w := widest(out); w < c.min || w > c.max {
			t.Errorf("%d columns: widest line %d; want %d to %d", c.cols, w, c.min, c.max)
		}
		checkTerminalSafe(t, "rendered reply", out)
	}

	out, err := runOnTerminal(ask("--raw", "hello terminal"), 80)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, "--raw on a terminal", out, "## Simulated reply to turn 1", "| Turn | Messages |")

	out, err = runOnTerminal(ask("--model", "sim-inject", "hello terminal"), 80)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, "injected reply", out, "tries to take over your terminal")
	checkTerminalSafe(t, "injected reply", out)

	// A pipe gets plain text, and piped stdin joins the arguments.
	cmd := ask("review this")
	cmd.Stdin = strings.NewReader("diff --git a/x b/x\n+added\n")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	wantContains(t, "piped reply", stdout.String(), "## Simulated reply to turn 1", "| Turn | Messages |")
	if strings.Contains(stdout.String(), "\x1b") {
		t.Error("piped reply holds escape sequences")
	}
	reqs := testkit.ChatRequests(s)
	if msgs := reqs[len(reqs)-1].Messages; msgs[len(msgs)-1].Content != "review this\n\ndiff --git a/x b/x\n+added" {
		t.Errorf("sent %q", msgs[len(msgs)-1].Content)
	}
}

// BenchmarkAskTerminal measures the CPU time (user + system) of the real
// binary running ask under a pseudo-terminal, against a simulator that
// streams as fast as it can, rendered as Markdown and with --raw. The
// issue's targets, in one run: md costs at most 5x raw on the same
// reply, and the 20,000-token reply at most 10x the 2,000-token one.
//
// The simulator's replies come in two sizes: the normal reply (a few
// hundred tokens, with headings, lists, a table and code) and sim-huge
// (about 20,000 tokens of the same). The tokens/op metric is the reply's
// completion tokens as the simulator counts them.
func BenchmarkAskTerminal(b *testing.B) {
	_, url := testkit.Sim(b, sim.Options{})
	env := binaryVault(b, url)
	cases := []struct {
		name, model string
		raw         bool
	}{
		{"raw-normal", "sim-fast", true},
		{"md-normal", "sim-fast", false},
		{"raw-2k", "sim-long", true},
		{"md-2k", "sim-long", false},
		{"raw-20k", "sim-huge", true},
		{"md-20k", "sim-huge", false},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			tokens := replyTokens(b, env, c.model)
			args := []string{"ask", "--model", c.model}
			if c.raw {
				args = append(args, "--raw")
			}
			args = append(args, "benchmark this")
			var cpu time.Duration
			b.ResetTimer()
			for range b.N {
				cmd := binaryCommand(env, args...)
				out, err := runOnTerminal(cmd, 100)
				if err != nil {
					b.Fatalf("%v\n%s", err, out)
				}
				cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			}
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(tokens), "tokens/op")
		})
	}
}

// replyTokens returns the completion tokens of the simulator's reply to
// the benchmark's prompt with model.
func replyTokens(b *testing.B, env []string, model string) int64 {
	b.Helper()
	cmd := binaryCommand(env, "ask", "--no-save", "--json", "--model", model, "benchmark this")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			b.Fatalf("ask --json: %v\n%s", err, ee.Stderr)
		}
		b.Fatal(err)
	}
	var res askResult
	if err := json.Unmarshal(out, &res); err != nil {
		b.Fatal(fmt.Errorf("ask --json: %w", err))
	}
	return res.Usage.CompletionTokens
}

// simReply returns the simulator's (non-streamed) reply to one prompt.
func simReply(tb testing.TB, url, model string) string {
	tb.Helper()
	body := fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":"benchmark this"}]}`, model)
	resp, err := http.Post(url+"/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Choices []struct {
			Message struct{ Content string }
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Choices) == 0 {
		tb.Fatalf("simulator reply: %v", err)
	}
	return out.Choices[0].Message.Content
}

// BenchmarkMarkdownReply measures what ask does with a reply on a terminal
// without the process around it: the reply arrives in pieces of 12 words
// (the simulator's chunks; real deltas are coalesced and larger) and is
// printed raw or rendered append-only. The 2k case is sim-huge's reply
// cut after the part where it reaches 2,000 tokens (counted with the
// gpt-4o tokenizer), so both sizes have the same mix of Markdown.
func BenchmarkMarkdownReply(b *testing.B) {
	_, url := testkit.Sim(b, sim.Options{})
	huge := simReply(b, url, "sim-huge")
	short := huge
	for i := strings.Index(huge, "\n## Part "); i >= 0; {
		if tokens.Count("gpt-4o", huge[:i]) >= 2000 {
			short = huge[:i+1]
			break
		}
		next := strings.Index(huge[i+1:], "\n## Part ")
		if next < 0 {
			break
		}
		i += 1 + next
	}
	for _, c := range []struct {
		name, text string
		raw        bool
	}{
		{"raw-2k", short, true},
		{"md-2k", short, false},
		{"raw-20k", huge, true},
		{"md-20k", huge, false},
	} {
		pieces := splitWords(c.text, 12)
		b.Run(c.name, func(b *testing.B) {
			b.ReportMetric(float64(tokens.Count("gpt-4o", c.text)), "tokens/op")
			for range b.N {
				a := newApp(Deps{IO: &IOStreams{Out: io.Discard, IsStdoutTTY: true}})
				w := a.replyWriter(c.raw)
				for _, p := range pieces {
					w.write(p)
				}
				if err := w.finish(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// splitWords cuts s into pieces of n words, each with the space after it.
func splitWords(s string, n int) []string {
	var out []string
	words, start := 0, 0
	for i := 1; i < len(s); i++ {
		if s[i-1] == ' ' || s[i-1] == '\n' {
			if s[i] != ' ' && s[i] != '\n' {
				words++
				if words == n {
					out = append(out, s[start:i])
					start, words = i, 0
				}
			}
		}
	}
	return append(out, s[start:])
}
