package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/store"
	"github.com/vaultchat/vaultchat/internal/testkit"
	"github.com/vaultchat/vaultchat/ui/markdown"
	"github.com/vaultchat/vaultchat/vault"
)

// addSimKey adds a key for the simulator at url (default model sim-fast
// unless flags say otherwise) and returns its secret.
func (e *env) addSimKey(name, url string, flags ...string) string {
	e.t.Helper()
	base := []string{"--provider", "openai-compatible", "--base-url", url}
	if !strings.Contains(strings.Join(flags, " "), "--model") {
		base = append(base, "--model", "sim-fast")
	}
	return e.addKey(name, append(base, flags...)...)
}

// runTerm runs Main like run, with stdout a (fake) terminal.
func (e *env) runTerm(tm tty, args ...string) result {
	e.t.Helper()
	var res result
	d := e.deps(tm, &res)
	d.IO.IsStdoutTTY = true
	res.code = Main(args, d)
	res.stdout = d.IO.Out.(*bytes.Buffer).String()
	res.stderr = d.IO.ErrOut.(*bytes.Buffer).String()
	return res
}

// writeConfig writes config.toml where the commands look for it.
func (e *env) writeConfig(text string) {
	e.t.Helper()
	dir := filepath.Join(e.vars["XDG_CONFIG_HOME"], "vaultchat")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(text), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// conversationFiles lists the conversation files in the home (not the
// store's index).
func (e *env) conversationFiles() []string {
	e.t.Helper()
	files, err := filepath.Glob(filepath.Join(e.home, "conversations", "*.age"))
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if filepath.Base(f) != "index.age" {
			out = append(out, f)
		}
	}
	return out
}

// askJSON runs "ask --json" and decodes its output.
func (e *env) askJSON(tm tty, args ...string) askResult {
	e.t.Helper()
	res := e.mustRun(tm, append([]string{"ask", "--json"}, args...)...)
	var out askResult
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		e.t.Fatalf("ask --json output: %v\n%s", err, res.stdout)
	}
	return out
}

// load opens the vault and reads one conversation from the store.
func (e *env) load(id string) *chat.Conversation {
	e.t.Helper()
	v, err := vault.Open(e.home, vault.Options{IdentityFile: e.identity})
	if err != nil {
		e.t.Fatal(err)
	}
	defer v.Close()
	c, err := store.New(v.Files()).Load(id)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func TestAskPromptSources(t *testing.T) {
	s, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.addSimKey("a", url)
	diff := "diff --git a/x.go b/x.go\n+func x() {}\n"
	cases := []struct {
		name     string
		stdin    string
		stdinTTY bool
		args     []string
		sent     string
	}{
		{"args", "", false, []string{"what", "is", "a", "vault?"}, "what is a vault?"},
		{"terminal stdin is not read", "typed ahead", true, []string{"only", "args"}, "only args"},
		{"stdin", diff, false, nil, strings.TrimSuffix(diff, "\n")},
		{"args and stdin", diff, false, []string{"review this"}, "review this\n\n" + strings.TrimSuffix(diff, "\n")},
		{"blank stdin", "\n\n", false, []string{"only args"}, "only args"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := e.mustRun(tty{stdin: c.stdin, stdinTTY: c.stdinTTY}, append([]string{"ask"}, c.args...)...)
			reqs := testkit.ChatRequests(s)
			msgs := reqs[len(reqs)-1].Messages
			if last := msgs[len(msgs)-1]; last.Role != "user" || last.Content != c.sent {
				t.Errorf("sent %q; want %q", last.Content, c.sent)
			}
			wantContains(t, "stdout", res.stdout, "Simulated reply to turn 1", "| Turn | Messages |")
			if strings.Contains(res.stdout, "\x1b") {
				t.Errorf("plain output holds an escape sequence:\n%q", res.stdout)
			}
		})
	}
	before := len(testkit.ChatRequests(s))
	for _, args := range [][]string{{"ask"}, {"ask", "  "}} {
		res := e.run(tty{stdin: " \n"}, args...)
		wantCode(t, res, 2)
		wantContains(t, "stderr", res.stderr, "vaultchat: error: nothing to ask")
	}
	if n := len(testkit.ChatRequests(s)); n != before {
		t.Errorf("an empty prompt sent %d requests", n-before)
	}
}

func TestAskJSON(t *testing.T) {
	s, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.addSimKey("work", url, "--model", "gpt-4o-mini")
	got := e.askJSON(tty{}, "hello", "json")
	if got.ConversationID == "" || got.Key != "work" || got.Model != "gpt-4o-mini" {
		t.Errorf("conversation %q, key %q, model %q; want an ID, work, gpt-4o-mini", got.ConversationID, got.Key, got.Model)
	}
	if !strings.Contains(got.Reply, "Simulated reply to turn 1") || !strings.Contains(got.Reply, `"hello json"`) {
		t.Errorf("reply does not answer the prompt:\n%s", got.Reply)
	}
	if got.Usage.PromptTokens <= 0 || got.Usage.CompletionTokens <= 0 || got.Usage.Estimated {
		t.Errorf("usage %+v; want the provider's counts", got.Usage)
	}
	if got.CostUSD == nil || *got.CostUSD <= 0 {
		t.Errorf("cost %v; want a price for gpt-4o-mini", got.CostUSD)
	}
	if got.FinishReason != "stop" || got.Incomplete || got.Error != nil {
		t.Errorf("finish %q, incomplete %t, error %v", got.FinishReason, got.Incomplete, got.Error)
	}
	// The stored reply is what was printed, with the same attribution.
	conv := e.load(got.ConversationID)
	last := conv.Messages[len(conv.Messages)-1]
	if last.Content != got.Reply || last.Turn == nil || last.Turn.Usage != got.Usage || last.Turn.KeyName != "work" {
		t.Errorf("stored reply differs from the printed one: %+v", last.Turn)
	}
	if n := len(testkit.ChatRequests(s)); n != 1 {
		t.Errorf("%d requests; want 1", n)
	}
}

func TestAskContinue(t *testing.T) {
	_, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.addSimKey("a", url)

	res := e.run(tty{}, "ask", "--continue", "hello")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "no conversation to continue", "hint: drop --continue")

	first := e.askJSON(tty{}, "first question")
	second := e.askJSON(tty{}, "--continue", "second question")
	if second.ConversationID != first.ConversationID {
		t.Fatalf("--continue went to %s; want %s", second.ConversationID, first.ConversationID)
	}
	wantContains(t, "turn 2 reply", second.Reply, "Simulated reply to turn 2", `**Before that you said:** "first question"`)

	other := e.askJSON(tty{}, "other topic")
	if other.ConversationID == first.ConversationID {
		t.Fatal("a new ask continued the old conversation")
	}
	third := e.askJSON(tty{}, "--conversation", first.ConversationID, "third question")
	if third.ConversationID != first.ConversationID {
		t.Errorf("--conversation went to %s", third.ConversationID)
	}
	wantContains(t, "turn 3 reply", third.Reply, "Simulated reply to turn 3", `**Before that you said:** "second question"`)
	// The latest conversation is now the first one again.
	again := e.askJSON(tty{}, "-c", "fourth question")
	if again.ConversationID != first.ConversationID {
		t.Errorf("--continue after --conversation went to %s; want %s", again.ConversationID, first.ConversationID)
	}
	if c := e.load(first.ConversationID); len(c.Messages) != 8 {
		t.Errorf("conversation holds %d messages; want 8", len(c.Messages))
	}

	res = e.run(tty{}, "ask", "--conversation", "no-such-id", "hi")
	wantCode(t, res, 1)
	res = e.run(tty{}, "ask", "--continue", "--conversation", first.ConversationID, "hi")
	wantCode(t, res, 2)
}

func TestAskNoSave(t *testing.T) {
	s, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.addSimKey("a", url)
	e.mustRun(tty{}, "ask", "keep this one")
	files := e.conversationFiles()
	if len(files) != 1 {
		t.Fatalf("%d conversation files after one ask; want 1", len(files))
	}
	got := e.askJSON(tty{}, "--no-save", "forget this one")
	if got.ConversationID != "" {
		t.Errorf("--no-save printed conversation %q", got.ConversationID)
	}
	if !strings.Contains(got.Reply, `"forget this one"`) {
		t.Errorf("no reply:\n%s", got.Reply)
	}
	if after := e.conversationFiles(); len(after) != 1 || after[0] != files[0] {
		t.Errorf("conversation files after --no-save: %v; want only %v", after, files)
	}
	var u struct{ Total usageRow }
	if err := json.Unmarshal([]byte(e.mustRun(tty{}, "usage", "--json").stdout), &u); err != nil {
		t.Fatal(err)
	}
	if u.Total.Requests != 2 {
		t.Errorf("ledger holds %d requests; want 2 (--no-save still records usage)", u.Total.Requests)
	}
	n := len(testkit.ChatRequests(s))
	res := e.run(tty{}, "ask", "--no-save", "--continue", "hi")
	wantCode(t, res, 2)
	if len(testkit.ChatRequests(s)) != n {
		t.Error("a refused ask sent a request")
	}
}

func TestAskSystemPrompt(t *testing.T) {
	s, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.addSimKey("a", url)
	got := e.askJSON(tty{}, "--system", "Answer like a pirate.", "hello")
	msgs := testkit.ChatRequests(s)[0].Messages
	if len(msgs) != 2 || msgs[0].Role != "system" || msgs[0].Content != "Answer like a pirate." {
		t.Errorf("request messages %+v; want the system prompt first", msgs)
	}
	wantContains(t, "reply", got.Reply, `**System prompt:** "Answer like a pirate."`)
	res := e.run(tty{}, "ask", "--continue", "--system", "other", "hi")
	wantCode(t, res, 2)
	// The system prompt stays with the conversation.
	e.askJSON(tty{}, "--continue", "again")
	if msgs := testkit.ChatRequests(s)[1].Messages; msgs[0].Role != "system" || len(msgs) != 4 {
		t.Errorf("turn 2 sent %+v; want the system prompt and three messages", msgs)
	}
}

func TestAskFailures(t *testing.T) {
	s, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.writeConfig("max_retries = 0\n")
	e.addSimKey("a", url)
	e.addSimKey("narrow", url, "--allow-model", "sim-fast")
	e.addSimKey("capped", url, "--budget-monthly-tokens", "50", "--hard")

	cases := []struct {
		name   string
		args   []string
		sent   bool // a request reaches the simulator
		stderr []string
	}{
		{"invalid key", []string{"--key", "a", "--model", "sim-401"}, true, []string{`hint: run "vaultchat keys check a"`}},
		{"rate limited", []string{"--key", "a", "--model", "sim-429"}, true, []string{"hint: rate limited; retry in 2s or switch key"}},
		{"no quota", []string{"--key", "a", "--model", "sim-quota"}, true, []string{"hint: check the account's billing, or switch to another key"}},
		{"server error", []string{"--key", "a", "--model", "sim-500"}, true, []string{"hint: the provider is having trouble"}},
		{"unknown key", []string{"--key", "nope"}, false, []string{"nope", `hint: list the keys with "vaultchat keys list"`}},
		{"model not allowed", []string{"--key", "narrow", "--model", "sim-smart"}, false, []string{"not allowed to use model sim-smart", "hint: allowed: sim-fast"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before, files := len(testkit.ChatRequests(s)), len(e.conversationFiles())
			res := e.run(tty{}, append([]string{"ask"}, append(c.args, "hello")...)...)
			wantCode(t, res, 1)
			if !strings.HasPrefix(res.stderr, "vaultchat: error: ") {
				t.Errorf("stderr does not start with the error:\n%s", res.stderr)
			}
			wantContains(t, "stderr", res.stderr, c.stderr...)
			if sent := len(testkit.ChatRequests(s)) - before; sent != map[bool]int{true: 1, false: 0}[c.sent] {
				t.Errorf("%d requests reached the simulator", sent)
			}
			// The prompt is kept (a retry can continue it) unless the
			// ask failed before anything was sent.
			wantFiles := files + 1
			if c.name == "unknown key" {
				wantFiles = files
			}
			if n := len(e.conversationFiles()); n != wantFiles {
				t.Errorf("%d conversation files; want %d", n, wantFiles)
			}
		})
	}

	// A hard budget refuses once it is spent, before sending.
	e.mustRun(tty{}, "ask", "--key", "capped", "spend the budget")
	before := len(testkit.ChatRequests(s))
	res := e.run(tty{}, "ask", "--key", "capped", "one more")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "monthly token budget of key capped is used up", "hint: wait for the reset")
	if len(testkit.ChatRequests(s)) != before {
		t.Error("a request over the hard budget reached the simulator")
	}
}

func TestAskPartialReplyKept(t *testing.T) {
	_, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.addSimKey("a", url, "--model", "sim-disconnect")
	for _, terminal := range []bool{false, true} {
		run := e.run
		if terminal {
			run = e.runTerm
		}
		res := run(tty{}, "ask", "tell me everything")
		wantCode(t, res, 1)
		wantContains(t, "stdout", res.stdout, "Simulated reply")
		m := regexp.MustCompile(`the partial reply is saved; continue with "vaultchat ask --conversation ([^"]+)"`).FindStringSubmatch(res.stderr)
		if m == nil {
			t.Fatalf("no hint about the saved partial reply:\n%s", res.stderr)
		}
		conv := e.load(m[1])
		last := conv.Messages[len(conv.Messages)-1]
		if last.Role != chat.RoleAssistant || last.Turn == nil || !last.Turn.Incomplete || !strings.Contains(last.Content, "Simulated reply") {
			t.Errorf("stored reply %q (turn %+v); want the partial text marked incomplete", last.Content, last.Turn)
		}
	}
}

// sgr matches the styling escape sequences the renderer writes: the only
// escape sequences allowed on a terminal.
var sgr = regexp.MustCompile("\x1b\\[[0-9;:]*m")

// checkTerminalSafe fails unless out holds no escape sequence other than
// SGR styling, no C0 control but newline and tab, no C1 control and no
// bidi override.
func checkTerminalSafe(t *testing.T, what, out string) {
	t.Helper()
	for _, r := range sgr.ReplaceAllString(out, "") {
		switch {
		case r == '\n' || r == '\t':
		case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			t.Errorf("%s holds control character %U:\n%q", what, r, out)
			return
		}
	}
}

func TestAskTerminalRendersMarkdown(t *testing.T) {
	_, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.addSimKey("a", url)

	res := e.runTerm(tty{}, "ask", "render this")
	wantCode(t, res, 0)
	plain := sgr.ReplaceAllString(res.stdout, "")
	// A rendered table has borders, a list bullets; the Markdown syntax
	// is gone.
	wantContains(t, "rendered reply", plain, "│", "─┼─", "• Turn number: 1", "Simulated reply to turn 1")
	for _, raw := range []string{"| Turn |", "```", "- Turn number", "**"} {
		if strings.Contains(plain, raw) {
			t.Errorf("rendered reply holds Markdown syntax %q:\n%s", raw, plain)
		}
	}
	if !sgr.MatchString(res.stdout) {
		t.Error("rendered reply has no styling")
	}
	golden(t, "ask_terminal.golden", plain)
	checkTerminalSafe(t, "rendered reply", res.stdout)
	for i, l := range strings.Split(plain, "\n") {
		if w := utf8.RuneCountInString(l); w > 80 {
			t.Errorf("line %d is %d columns wide; want at most 80: %q", i, w, l)
		}
		if strings.HasSuffix(l, " ") {
			t.Errorf("line %d keeps its padding: %q", i, l)
		}
	}

	// The append-only output is the whole reply rendered at once: no
	// block is lost or printed twice.
	for _, model := range []string{"sim-fast", "sim-huge"} {
		streamed := e.runTerm(tty{}, "ask", "--model", model, "render this")
		reply := e.askJSON(tty{}, "--model", model, "render this").Reply
		if got, want := visible(streamed.stdout), renderedWhole(reply); got != want {
			t.Errorf("%s: streamed output differs from the reply rendered whole:\n%s\n---\n%s", model, got, want)
		}
	}

	// --raw, --json and a pipe print the Markdown source.
	for _, run := range []struct {
		name string
		res  result
	}{
		{"--raw", e.runTerm(tty{}, "ask", "--raw", "render this")},
		{"pipe", e.run(tty{}, "ask", "render this")},
	} {
		wantCode(t, run.res, 0)
		wantContains(t, run.name, run.res.stdout, "## Simulated reply to turn 1", "| Turn | Messages |", "```go")
		if strings.Contains(run.res.stdout, "\x1b") {
			t.Errorf("%s output holds an escape sequence", run.name)
		}
	}
	js := e.runTerm(tty{}, "ask", "--json", "render this")
	var got askResult
	if err := json.Unmarshal([]byte(js.stdout), &got); err != nil || !strings.Contains(got.Reply, "| Turn |") {
		t.Errorf("--json on a terminal: %v\n%s", err, js.stdout)
	}
}

func TestAskTerminalStyle(t *testing.T) {
	_, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.addSimKey("a", url)
	dark := e.runTerm(tty{}, "ask", "style")
	e.vars["COLORFGBG"] = "0;15"
	light := e.runTerm(tty{}, "ask", "style")
	delete(e.vars, "COLORFGBG")
	e.vars["NO_COLOR"] = "1"
	noColor := e.runTerm(tty{}, "ask", "style")
	for _, r := range []result{dark, light, noColor} {
		wantCode(t, r, 0)
	}
	if dark.stdout == light.stdout {
		t.Error("a light background (COLORFGBG) renders like a dark one")
	}
	if strings.Contains(noColor.stdout, "\x1b") {
		t.Errorf("NO_COLOR output holds escape sequences:\n%q", noColor.stdout)
	}
	// The layout stays: the same text as in colour.
	if noColor.stdout != visible(dark.stdout) {
		t.Errorf("NO_COLOR output is not the coloured output without colour:\n%s\n---\n%s", noColor.stdout, visible(dark.stdout))
	}
	wantContains(t, "NO_COLOR output", noColor.stdout, "Simulated reply to turn 1", "• Turn number: 1", "─┼─")
}

func TestAskInjectionNeverReachesTerminal(t *testing.T) {
	_, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.addSimKey("a", url, "--model", "sim-inject")
	for _, mode := range []string{"terminal", "raw", "pipe", "json"} {
		t.Run(mode, func(t *testing.T) {
			var res result
			switch mode {
			case "terminal":
				res = e.runTerm(tty{}, "ask", "inject")
			case "raw":
				res = e.runTerm(tty{}, "ask", "--raw", "inject")
			case "pipe":
				res = e.run(tty{}, "ask", "inject")
			case "json":
				res = e.run(tty{}, "ask", "--json", "inject")
			}
			wantCode(t, res, 0)
			wantContains(t, "stdout", res.stdout, "tries to take over your terminal")
			for _, payload := range []string{"\x1b]52", "\x1b]0;", "\x1b]8;", "\x1b[2J", "\u009b", "\u202e"} {
				if strings.Contains(res.stdout, payload) || strings.Contains(res.stderr, payload) {
					t.Errorf("output holds %q", payload)
				}
			}
			checkTerminalSafe(t, "stdout", res.stdout)
			checkTerminalSafe(t, "stderr", res.stderr)
			if mode != "terminal" && strings.Contains(res.stdout, "\x1b") {
				t.Errorf("unrendered output holds ESC:\n%q", res.stdout)
			}
		})
	}
}

func TestAskNeverPrintsTheKey(t *testing.T) {
	_, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.writeConfig("max_retries = 0\n")
	secret := e.addSimKey("a", url)
	for _, args := range [][]string{
		{"ask", "--model", "sim-echo-auth", "echo"},
		{"ask", "--model", "sim-echo-auth", "--json", "echo"},
		{"ask", "--model", "sim-echo-auth-error", "echo"},
		{"ask", "--model", "sim-echo-auth-error", "--json", "echo"},
	} {
		for _, terminal := range []bool{false, true} {
			run := e.run
			if terminal {
				run = e.runTerm
			}
			res := run(tty{}, args...)
			if strings.Contains(res.stdout, secret) || strings.Contains(res.stderr, secret) {
				t.Errorf("%v (terminal %t) printed the key", args, terminal)
			}
			if strings.Contains(args[2], "error") {
				wantCode(t, res, 1)
			} else {
				wantCode(t, res, 0)
				// The echo arrived, masked.
				wantContains(t, "stdout", res.stdout, "…"+secret[len(secret)-4:])
			}
		}
	}
}

// TestAskPlainOutputMasksDisguisedKeys: the plain output (a pipe, a file,
// --raw on a terminal) is read as text, so a key written with Markdown
// escapes, entities, emphasis or a zero-width joiner reads as the key:
// it is masked as displayed, like the rendered output.
func TestAskPlainOutputMasksDisguisedKeys(t *testing.T) {
	_, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.writeConfig("max_retries = 0\n")
	secret := e.addSimKey("a", url)
	readable := strings.NewReplacer(`\`, "", "*", "", "\u200d", "", "&#45;", "-")
	for _, run := range map[string]func(tty, ...string) result{"plain": e.run, "raw terminal": e.runTerm} {
		res := run(tty{}, "ask", "--raw", "--model", "sim-echo-auth-disguised", "echo")
		wantCode(t, res, 0)
		if out := readable.Replace(res.stdout); strings.Contains(out, secret) {
			t.Errorf("the output shows the key once read:\n%s", res.stdout)
		}
		wantContains(t, "stdout", res.stdout, "Your key, escaped: ", "…"+secret[len(secret)-4:])
	}
}

func TestTrimPadding(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"plain   ", "plain"},
		{"\x1b[1mbold\x1b[m", "\x1b[1mbold\x1b[m"},
		{"\x1b[1mbold\x1b[m\x1b[2m \x1b[m\x1b[2m \x1b[m", "\x1b[1mbold\x1b[m"},
		{"\x1b[1mbold \x1b[m", "\x1b[1mbold\x1b[m"},
		{"\x1b[2m \x1b[m\x1b[2m \x1b[m", ""},
		{"  indented", "  indented"},
		{"│ ", "│"},
		// A hyperlink's end is kept, its padding is not.
		{"\x1b]8;;https://x.example/\x1b\\link\x1b]8;;\x1b\\  ", "\x1b]8;;https://x.example/\x1b\\link\x1b]8;;\x1b\\"},
		{"a\x1b]8;;\x07 \x1b[m", "a\x1b]8;;\x07\x1b[m"},
	}
	for _, c := range cases {
		if got := trimPadding(c.in); got != c.want {
			t.Errorf("trimPadding(%q) = %q; want %q", c.in, got, c.want)
		}
	}
}

// visible removes the styling from rendered output. Rendering a reply in
// blocks may pick slightly different colour codes than rendering it
// whole; the text and layout must be the same.
func visible(out string) string { return sgr.ReplaceAllString(out, "") }

// renderedWhole is the visible text of reply rendered in one piece at 80
// columns, as ask prints it.
func renderedWhole(reply string) string {
	var b strings.Builder
	for _, l := range markdown.New("dark").Render(reply, 80) {
		b.WriteString(strings.TrimRight(visible(l), " ") + "\n")
	}
	return b.String()
}

// TestMarkdownReplyAppendOnly feeds a reply a few bytes at a time: blocks
// are printed as soon as they are complete, and the whole output is the
// reply rendered at once.
func TestMarkdownReplyAppendOnly(t *testing.T) {
	_, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.addSimKey("a", url)
	reply := e.askJSON(tty{}, "split me").Reply
	want := renderedWhole(reply)
	for _, size := range []int{1, 7, 64} {
		var out bytes.Buffer
		a := newApp(Deps{IO: &IOStreams{Out: &out, IsStdoutTTY: true}})
		w := a.replyWriter(false)
		if _, ok := w.(*markdownReply); !ok {
			t.Fatalf("a terminal gets %T; want *markdownReply", w)
		}
		printedEarly := 0
		for i := 0; i < len(reply); i += size {
			w.write(reply[i:min(i+size, len(reply))])
			if i < len(reply)/2 {
				printedEarly = out.Len()
			}
		}
		if err := w.finish(); err != nil {
			t.Fatal(err)
		}
		if printedEarly == 0 {
			t.Errorf("pieces of %d bytes: nothing was printed before the reply was half done", size)
		}
		if got := visible(out.String()); got != want {
			t.Errorf("pieces of %d bytes: output differs from the reply rendered whole:\n%s\n---\n%s", size, got, want)
		}
	}
}

// TestAskShortKeyDoesNotRewriteText: a local server's placeholder key is
// too short to be a secret; what the user types and the reply keep the
// word (before, every "ollama" became "…", permanently, before sending).
func TestAskShortKeyDoesNotRewriteText(t *testing.T) {
	s, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.mustRun(tty{stdin: "ollama"}, "keys", "add", "local", "--provider", "openai-compatible", "--base-url", url, "--model", "sim-fast")
	got := e.askJSON(tty{}, "--key", "local", "how do I run ollama serve?")
	if !strings.Contains(got.Reply, "how do I run ollama serve?") {
		t.Errorf("the reply does not quote the prompt as typed:\n%s", got.Reply)
	}
	reqs := testkit.ChatRequests(s)
	if len(reqs) != 1 || reqs[0].Messages[len(reqs[0].Messages)-1].Content != "how do I run ollama serve?" {
		t.Errorf("the server got %+v", reqs)
	}
	conv := e.load(got.ConversationID)
	if user := conv.Messages[len(conv.Messages)-2]; user.Content != "how do I run ollama serve?" {
		t.Errorf("stored prompt %q", user.Content)
	}
}
