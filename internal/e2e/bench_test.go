package e2e

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
	"github.com/creack/pty"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/store"
	"github.com/vaultchat/vaultchat/internal/testkit"
	"github.com/vaultchat/vaultchat/vault"
)

// Benchmarks of the real binary in a pseudo-terminal: the time from start
// to the first frame of the main screen, and the memory of the process
// with a 10,000-message conversation open. They run only with -bench:
//
//	go test ./internal/e2e -run '^$' -bench StartToFirstFrame -benchtime=5x
//	go test ./internal/e2e -run '^$' -bench RSS10kConversation -benchtime=3x
//
// Targets (issue 4): the first frame under 100 ms for an identity-file
// vault; RSS under 150 MiB with the 10,000-message conversation open.

// The terminal size of the benchmarks.
const (
	benchW = 160
	benchH = 48
)

// benchKeys are the names of the keys every benchmark vault holds; the
// conversations' replies are attributed to the first.
var benchKeys = []string{"alpha", "bravo", "charlie"}

// BenchmarkStartToFirstFrame starts the app on an identity-file vault
// with three keys and three small conversations, and measures the wall
// time from just before the process starts to the moment the terminal
// shows the main screen's status bar ("alpha … ● idle"): opening the
// vault, the usage ledger and the conversation list, loading the latest
// conversation and drawing it. Each start is a new process; ctrl+c quits
// it after the frame, outside the measured time.
//
// "queries=answered" answers the app's terminal queries (background
// colour, modes) as a terminal would; "queries=unanswered" never does, so
// a start-up that waited for an answer would show up as the difference.
func BenchmarkStartToFirstFrame(b *testing.B) {
	h := newBenchHome(b)
	convs := make([]*chat.Conversation, 3)
	for i := range convs {
		convs[i] = smallConversation(fmt.Sprintf("small-%d", i), h.keys[0])
	}
	h.save(b, convs...)
	firstFrame := func(s string) bool {
		st := statusLine(s)
		return strings.Contains(st, "● idle") && strings.Contains(st, benchKeys[0])
	}
	for _, answer := range []bool{true, false} {
		name := "queries=answered"
		if !answer {
			name = "queries=unanswered"
		}
		b.Run(name, func(b *testing.B) {
			var times []time.Duration
			for b.Loop() {
				r := startBench(b, h.env, answer, firstFrame, "--home", h.home)
				at := r.await(b, "the first frame", r.first)
				times = append(times, at.Sub(r.started))
				b.StopTimer()
				r.quit(b)
				b.StartTimer()
			}
			reportTimes(b, times, "first-frame")
			b.ReportMetric(float64(len(times)), "starts")
		})
	}
}

// BenchmarkRSS10kConversation starts the app on a vault whose latest
// conversation has 10,000 messages (alternating questions and Markdown
// replies of about 300 characters, every reply attributed to a key),
// waits until the last reply is on the screen and the usage pane shows the
// conversation's tokens, scrolls up three half pages and back to the
// bottom (ctrl+g), and then reads the process's resident memory from
// /proc: VmRSS (now) and VmHWM (the process's peak), each the largest over
// the iterations. It also reports the time from start to the last reply
// being visible and to the usage being shown.
func BenchmarkRSS10kConversation(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("needs /proc/<pid>/status (Linux)")
	}
	h := newBenchHome(b)
	h.save(b,
		smallConversation("small-0", h.keys[1]),
		smallConversation("small-1", h.keys[2]),
		bigConversation("big", 10000, h.keys[0]))
	// The marker of the last message, a reply: visible when the view is at
	// the bottom, gone after scrolling up.
	last := messageMarker(9999)
	lastVisible := func(s string) bool { return strings.Contains(chatColumn(s), last) && idle(s) }

	var rss, hwm []float64
	var visible, usage []time.Duration
	for b.Loop() {
		r := startBench(b, h.env, true, lastVisible, "--home", h.home)
		at := r.await(b, "the last message", r.first)
		visible = append(visible, at.Sub(r.started))
		// The usage pane's figures for the conversation come later, from
		// a second load of it (and a token count for the context meter);
		// memory is read after that has happened too.
		at = r.await(b, "the conversation's usage", r.expect(usageShown))
		usage = append(usage, at.Sub(r.started))

		for i := range 3 {
			prev := r.screen()
			ch := r.expect(func(s string) bool { return s != prev })
			r.send(b, keyPgUp)
			r.await(b, fmt.Sprintf("the view after pgup %d", i+1), ch)
		}
		r.await(b, "the last message scrolled away", r.expect(func(s string) bool {
			return !strings.Contains(chatColumn(s), last)
		}))
		ch := r.expect(lastVisible)
		r.send(b, keyCtrlG)
		r.await(b, "the last message after ctrl+g", ch)

		now, peak := memoryOf(b, r.cmd.Process.Pid)
		rss, hwm = append(rss, now), append(hwm, peak)
		b.StopTimer()
		r.quit(b)
		b.StartTimer()
	}
	b.ReportMetric(slices.Max(rss), "MiB-VmRSS")
	b.ReportMetric(slices.Max(hwm), "MiB-VmHWM")
	reportTimes(b, visible, "conversation-visible")
	reportTimes(b, usage, "usage-shown")
}

// usageShown reports whether the usage pane shows tokens for the
// conversation (its "conversation" row is not zero).
func usageShown(screen string) bool {
	for _, l := range sidePane(screen) {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "conversation" {
			return nonZero(f[1])
		}
	}
	return false
}

// Keys the benchmarks press.
const (
	keyPgUp  = "\x1b[5~"
	keyCtrlG = "\x07"
)

// reportTimes reports the mean and the slowest of times in milliseconds as
// "ms/<what>" and "max-ms/<what>".
func reportTimes(b *testing.B, times []time.Duration, what string) {
	if len(times) == 0 {
		return
	}
	var sum time.Duration
	for _, d := range times {
		sum += d
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(sum)/float64(len(times)), "ms/"+what)
	b.ReportMetric(ms(slices.Max(times)), "max-ms/"+what)
}

// memoryOf returns VmRSS and VmHWM of the process pid in MiB.
func memoryOf(b *testing.B, pid int) (rss, hwm float64) {
	b.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatalf("read the app's memory: %v", err)
	}
	defer f.Close()
	kib := map[string]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "VmRSS:	  123456 kB"
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			b.Fatalf("/proc/%d/status: unexpected line %q", pid, sc.Text())
		}
		n, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			b.Fatalf("/proc/%d/status: %q: %v", pid, sc.Text(), err)
		}
		kib[name] = n
	}
	if err := sc.Err(); err != nil {
		b.Fatalf("read /proc/%d/status: %v", pid, err)
	}
	if kib["VmRSS"] == 0 || kib["VmHWM"] == 0 {
		b.Fatalf("/proc/%d/status has no VmRSS or VmHWM", pid)
	}
	return kib["VmRSS"] / 1024, kib["VmHWM"] / 1024
}

// chatColumn returns the screen without the usage pane, so that a marker
// is looked for in the chat only.
func chatColumn(screen string) string {
	lines := strings.Split(screen, "\n")
	for i, l := range lines {
		if j := strings.LastIndex(l, "│"); j >= 0 {
			lines[i] = l[:j]
		}
	}
	return strings.Join(lines, "\n")
}

// ---- the vault ----

// benchHome is a vault home unlocked by an age identity file, with the
// keys of benchKeys, built with the vault and store packages directly (no
// process per key), and the environment the app runs with: HOME, TMPDIR
// and the XDG directories inside the benchmark's temporary directory.
type benchHome struct {
	home     string
	identity string
	env      []string
	keys     []vault.Key
}

func newBenchHome(b *testing.B) *benchHome {
	b.Helper()
	th := testkit.NewHome(b)
	h := &benchHome{home: th.Dir, identity: th.Identity}
	h.env = append(testkit.Env(b, th.Root), "TERM=xterm-256color", "LANG=C.UTF-8")
	v := th.Open(b)
	for _, name := range benchKeys {
		// Fake keys made now; nothing is ever sent with them (the port
		// is closed and the benchmarks send no message).
		k, _ := testkit.AddKey(b, v, vault.Key{Name: name, BaseURL: "http://127.0.0.1:9/v1", DefaultModel: "gpt-4o-mini"})
		h.keys = append(h.keys, k)
	}
	return h
}

// save writes the conversations into the vault home in order, so the last
// one is the most recently updated: the one the app opens.
func (h *benchHome) save(b *testing.B, convs ...*chat.Conversation) {
	b.Helper()
	v, err := vault.Open(h.home, vault.Options{IdentityFile: h.identity})
	if err != nil {
		b.Fatalf("open the vault: %v", err)
	}
	defer v.Close()
	s := store.New(v.Files())
	for _, c := range convs {
		if err := s.Save(c); err != nil {
			b.Fatal(err)
		}
	}
}

// ---- conversations ----

// messageMarker is the word that makes message i of a generated
// conversation recognisable on the screen.
func messageMarker(i int) string { return fmt.Sprintf("msg-%05d", i) }

// questions and replies are the texts of generated conversations, about
// 200 and 300 characters; %s is the message's marker. The replies use the
// Markdown a model writes: emphasis, inline code, lists, a table, a
// fenced code block, a heading.
var (
	questions = []string{
		"Question %s: I have a Go service that reads a large JSON file on start-up and it takes about two seconds. Would streaming the decode help, or is the time going somewhere else? The file is about 80 MB.",
		"Follow-up %s: can you show the same thing with a table of the trade-offs? I care about memory more than speed here, and the code has to stay readable for the rest of the team.",
		"%s: why does `go test ./...` rebuild everything after I change one comment in a leaf package? Is there a flag that keeps the cache, or am I doing something odd with build tags?",
	}
	replies = []string{
		"**Short answer:** the decode is rarely the slow part.\n\n- profile first: `go test -cpuprofile cpu.out`\n- look for *reflection-heavy* types\n- stream with `json.Decoder` only if memory matters\n\nMost of the time goes into allocation, so reuse buffers where you can (reply %s).",
		"## Trade-offs\n\n| approach | memory | speed |\n|---|---|---|\n| `Unmarshal` | high | fast |\n| `Decoder` | low | similar |\n\nPick the decoder when the file can grow, and keep `Unmarshal` for small configuration files (reply %s).",
		"Here is a minimal version:\n\n```go\ndec := json.NewDecoder(f)\nfor dec.More() {\n\tvar r Record\n\tif err := dec.Decode(&r); err != nil {\n\t\treturn err\n\t}\n}\n```\n\nIt keeps one record in memory at a time (reply %s).",
		"The cache is keyed by *content*, not by time stamps, so a comment change in a leaf package does rebuild the **test binaries** that depend on it. Check `go env GOCACHE` and that nothing runs `go clean -cache`; build tags that differ between runs miss the cache too (reply %s).",
	}
)

// bigConversation returns a conversation of n messages alternating a
// question and a reply attributed to key, one second apart.
func bigConversation(id string, n int, key vault.Key) *chat.Conversation {
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	c := &chat.Conversation{ID: id, Title: "A very long conversation", Created: t0, Messages: make([]chat.Message, n)}
	for i := range n {
		m := chat.Message{ID: fmt.Sprintf("m%d", i), Time: t0.Add(time.Duration(i) * time.Second)}
		if i%2 == 0 {
			m.Role = chat.RoleUser
			m.Content = fmt.Sprintf(questions[i/2%len(questions)], messageMarker(i))
		} else {
			m.Role = chat.RoleAssistant
			m.Content = fmt.Sprintf(replies[i/2%len(replies)], messageMarker(i))
			cost := 0.00012
			m.Turn = &chat.Turn{
				KeyID: key.ID, KeyName: key.Name, Model: key.DefaultModel,
				Usage:   chat.Usage{PromptTokens: int64(min(i*70, 120000)), CompletionTokens: 90},
				CostUSD: &cost, FinishReason: "stop", Duration: 1800 * time.Millisecond,
			}
		}
		c.Messages[i] = m
	}
	return c
}

// smallConversation returns a conversation of six messages attributed to
// key.
func smallConversation(id string, key vault.Key) *chat.Conversation {
	c := bigConversation(id, 6, key)
	c.Title = "A short chat " + id
	return c
}

// ---- the binary in a pseudo-terminal ----

// benchRun is one run of the binary in a pseudo-terminal read by a
// terminal emulator. Unlike term, it checks the screen after every write
// of the app, so the time a frame appeared is known to the read, not to a
// polling interval.
type benchRun struct {
	cmd     *exec.Cmd
	ptmx    *os.File
	started time.Time      // just before the process started
	first   chan time.Time // when the condition given to startBench first held

	mu      sync.Mutex
	emu     *vt.Emulator
	cond    func(screen string) bool // checked after each write until it holds
	hit     chan time.Time
	waitErr error
	done    chan struct{} // closed when the process has exited and its output is read
}

// startBench runs the binary with args in a benchW×benchH pseudo-terminal.
// The returned run's first channel receives the time at which cond first
// held for the screen. With answer false the emulator's replies to the
// app's terminal queries are thrown away instead of sent to the app.
func startBench(b *testing.B, env []string, answer bool, cond func(string) bool, args ...string) *benchRun {
	b.Helper()
	r := &benchRun{emu: vt.NewEmulator(benchW, benchH), done: make(chan struct{})}
	// The emulator has no clipboard; the handler only keeps it from
	// answering.
	r.emu.RegisterOscHandler(52, func([]byte) bool { return true })
	r.first = r.expect(cond)

	ptmx, tty, err := pty.Open()
	if err != nil {
		b.Fatalf("open a pty: %v", err)
	}
	if err := pty.Setsize(ptmx, &pty.Winsize{Cols: benchW, Rows: benchH}); err != nil {
		b.Fatalf("size the pty: %v", err)
	}
	r.ptmx = ptmx
	r.cmd = exec.Command(binary, args...)
	r.cmd.Env = env
	r.cmd.Stdin, r.cmd.Stdout, r.cmd.Stderr = tty, tty, tty
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	r.started = time.Now()
	err = r.cmd.Start()
	tty.Close()
	if err != nil {
		ptmx.Close()
		b.Fatalf("start %v: %v", args, err)
	}
	go r.readOutput()
	if answer {
		go io.Copy(r.ptmx, r.emu)
	} else {
		go io.Copy(io.Discard, r.emu)
	}
	b.Cleanup(r.stop)
	return r
}

// readOutput feeds the app's output to the emulator and checks the
// condition after each write, until the process has exited.
func (r *benchRun) readOutput() {
	buf := make([]byte, 64<<10)
	for {
		n, err := r.ptmx.Read(buf)
		if n > 0 {
			arrived := time.Now()
			r.mu.Lock()
			r.emu.Write(buf[:n])
			r.checkLocked(arrived)
			r.mu.Unlock()
		}
		if err != nil { // EIO once the child and its terminal are gone
			break
		}
	}
	err := r.cmd.Wait()
	r.mu.Lock()
	r.waitErr = err
	// End the copy of the emulator's replies.
	if c, ok := r.emu.InputPipe().(io.Closer); ok {
		c.Close()
	}
	r.mu.Unlock()
	close(r.done)
}

// checkLocked reports at to the waiting channel if the condition holds
// for the screen now. The caller holds r.mu.
func (r *benchRun) checkLocked(at time.Time) {
	if r.cond != nil && r.cond(r.emu.String()) {
		r.hit <- at
		r.cond, r.hit = nil, nil
	}
}

// expect starts waiting for cond and returns the channel that receives
// the time it held: now, if it already holds, else the arrival time of
// the write that made it hold. Only one condition is awaited at a time.
func (r *benchRun) expect(cond func(string) bool) chan time.Time {
	ch := make(chan time.Time, 1)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cond, r.hit = cond, ch
	r.checkLocked(time.Now())
	return ch
}

// await waits for the channel from expect and fails the benchmark with
// the last screen if the time runs out or the app exits first.
func (r *benchRun) await(b *testing.B, what string, ch chan time.Time) time.Time {
	b.Helper()
	select {
	case at := <-ch:
		return at
	case <-r.done:
		b.Fatalf("waiting for %s: the app exited (%v); last screen:\n%s", what, r.waitErr, r.screen())
	case <-time.After(waitTimeout):
		b.Fatalf("waiting for %s: not there after %s; last screen:\n%s", what, waitTimeout, r.screen())
	}
	return time.Time{}
}

// screen returns the emulator's screen as text.
func (r *benchRun) screen() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.emu.String()
}

// send types s.
func (r *benchRun) send(b *testing.B, s string) {
	b.Helper()
	if _, err := r.ptmx.Write([]byte(s)); err != nil {
		b.Fatalf("type %q: %v", s, err)
	}
}

// quit presses ctrl+c and waits for the app to exit with status 0.
func (r *benchRun) quit(b *testing.B) {
	b.Helper()
	r.send(b, keyCtrlC)
	select {
	case <-r.done:
	case <-time.After(waitTimeout):
		b.Fatalf("the app did not exit after ctrl+c; last screen:\n%s", r.screen())
	}
	if r.waitErr != nil {
		b.Fatalf("the app exited with %v; last screen:\n%s", r.waitErr, r.screen())
	}
	r.ptmx.Close()
}

// stop kills the process if it still runs and waits for it.
func (r *benchRun) stop() {
	select {
	case <-r.done:
	default:
		r.cmd.Process.Kill()
		<-r.done
	}
	r.ptmx.Close()
}
