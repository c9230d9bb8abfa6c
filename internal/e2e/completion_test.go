package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// complete asks the binary for completions the way bash's "complete -C"
// does: COMP_LINE and COMP_POINT set, the command name, the word and the
// word before it as arguments. It fails the test unless the binary exits
// 0 and prints nothing on stderr.
func (f *fixture) complete(line string, env ...string) []string {
	f.t.Helper()
	words := strings.Fields(line)
	if strings.HasSuffix(line, " ") {
		words = append(words, "")
	}
	prev := ""
	if len(words) > 1 {
		prev = words[len(words)-2]
	}
	cmd := exec.Command(binary, "vaultchat", words[len(words)-1], prev)
	cmd.Env = slices.Concat(f.env, env, []string{"COMP_LINE=" + line, "COMP_POINT=" + itoa(len(line))})
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // no terminal to prompt on
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		f.t.Fatalf("completing %q: %v\nstderr:\n%s", line, err, &stderr)
	}
	got := strings.Fields(stdout.String())
	slices.Sort(got)
	return got
}

func itoa(n int) string { return strconv.Itoa(n) }

// completionFixture is an identity-file vault with the keys personal and
// work and one conversation, whose ID it returns.
func completionFixture(t *testing.T) (*fixture, string) {
	f := newFixture(t)
	f.identityVault()
	_, url := f.startSim(0)
	f.addKey("work", url, "gpt-4o-mini")
	f.addKey("personal", url, "gpt-4o-mini")
	f.vaultchat("", "ask", "--key", "work", "hello")
	var convs []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(f.vaultchat("", "conversations", "list", "--json")), &convs); err != nil || len(convs) != 1 {
		t.Fatalf("conversations list: %v %+v", err, convs)
	}
	// Commands find the vault through VAULTCHAT_HOME, as a user's shell would.
	f.env = append(f.env, "VAULTCHAT_HOME="+f.home)
	return f, convs[0].ID
}

// TestCompletionProtocol checks the answers to the shells' question:
// commands, flags, enum values, key names and conversation IDs.
func TestCompletionProtocol(t *testing.T) {
	f, id := completionFixture(t)
	keys := []string{"personal", "work"}
	for _, tt := range []struct {
		line string
		want []string
	}{
		{"vaultchat ke", []string{"keys"}},
		{"vaultchat keys sh", []string{"show"}},
		{"vaultchat keys show ", keys},
		{"vaultchat keys show w", []string{"work"}},
		{"vaultchat keys show work ", []string{}},
		{"vaultchat keys rotate --from-env X ", keys},
		{"vaultchat keys check work ", keys},
		{"vaultchat keys rename ", keys},
		{"vaultchat exec ", keys},
		{"vaultchat ask --key ", keys},
		{"vaultchat ask --key=p", []string{"personal"}},
		{"vaultchat usage --key ", keys},
		{"vaultchat export ", []string{id}},
		{"vaultchat conversations rm ", []string{id}},
		{"vaultchat ask --conversation ", []string{id}},
		{"vaultchat export --format ", []string{"html", "json", "md", "txt"}},
		{"vaultchat keys add --prov", []string{"--provider", "--provider-key-id"}},
		{"vaultchat completion ", []string{"bash", "fish", "zsh"}},
		{"vaultchat config ", []string{"check", "edit", "path", "show"}},
		{"vaultchat --ver", []string{"--version"}},
	} {
		if got := f.complete(tt.line); !slices.Equal(got, tt.want) && (len(got) != 0 || len(tt.want) != 0) {
			t.Errorf("completing %q = %q; want %q", tt.line, got, tt.want)
		}
	}

	// The vault named on the line is the one asked.
	other := newFixture(t)
	other.identityVault()
	if got := other.complete("vaultchat --home " + f.home + " keys rm "); !slices.Equal(got, keys) {
		t.Errorf("with --home on the line: %q; want %q", got, keys)
	}
	if got := other.complete("vaultchat keys rm "); len(got) != 0 {
		t.Errorf("an empty vault offered %q", got)
	}
}

// TestCompletionNeverAsks checks that a passphrase vault offers no key
// names, silently and without waiting for a passphrase, until the agent
// holds its identity.
func TestCompletionNeverAsks(t *testing.T) {
	f := newFixture(t)
	f.useAgent()
	f.passphraseVault()
	_, url := f.startSim(0)
	f.addKey("work", url, "gpt-4o-mini", "--passphrase-file", f.passFile())
	f.env = append(f.env, "VAULTCHAT_HOME="+f.home)
	if got := f.complete("vaultchat keys show "); len(got) != 0 {
		t.Errorf("a locked passphrase vault offered %q", got)
	}
	// With a terminal to ask on, it still asks nothing and ends.
	line := "vaultchat keys show "
	tm := startCommand(t, exec.Command(binary, "vaultchat", "", "show"),
		append(slices.Clone(f.env), "COMP_LINE="+line, "COMP_POINT="+strconv.Itoa(len(line))), 80, 10)
	tm.waitExit()
	if s := tm.screen(); strings.TrimSpace(s) != "" {
		t.Errorf("completion in a terminal wrote:\n%s", s)
	}
	if got := f.complete("vaultchat keys "); !slices.Contains(got, "show") {
		t.Errorf("commands are not offered for a locked vault: %q", got)
	}
	f.vaultchat("", "--passphrase-file", f.passFile(), "unlock")
	if got := f.complete("vaultchat keys show "); !slices.Equal(got, []string{"work"}) {
		t.Errorf("with the agent unlocked: %q; want [work]", got)
	}
	f.vaultchat("", "lock")
}

// shellFixture writes the binary's directory first on PATH, as an
// installed vaultchat would be.
func shellEnv(f *fixture) []string {
	env := slices.Clone(f.env)
	for i, v := range env {
		if strings.HasPrefix(v, "PATH=") {
			env[i] = "PATH=" + filepath.Dir(binary) + ":" + strings.TrimPrefix(v, "PATH=")
		}
	}
	return env
}

// TestCompletionInRealShells sources each shell's script in that shell
// and completes in it: bash and zsh interactively in a terminal, fish
// through its "complete -C".
func TestCompletionInRealShells(t *testing.T) {
	f, id := completionFixture(t)
	env := shellEnv(f)
	script := func(shell string) string {
		path := filepath.Join(f.dir, "completion."+shell)
		if err := os.WriteFile(path, []byte(f.vaultchat("", "completion", shell)), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	interactive := func(t *testing.T, shell string, args ...string) {
		path, err := exec.LookPath(shell)
		if err != nil {
			t.Skipf("%s is not installed", shell)
		}
		tm := startCommand(t, exec.Command(path, args...), append(env, "PS1=$ ", "PROMPT=$ "), 200, 30)
		tm.send("source " + script(shell) + keyEnter)
		tm.send("echo sourced" + keyEnter)
		tm.waitText("sourced\n$")
		for _, tt := range []struct{ typed, want string }{
			{"vaultchat keys sh\t", "vaultchat keys show "},
			{"vaultchat keys show w\t", "vaultchat keys show work "},
			{"vaultchat ask --key p\t", "vaultchat ask --key personal "},
			{"vaultchat export " + id[:len(id)-3] + "\t", "vaultchat export " + id + " "},
		} {
			tm.send(tt.typed)
			tm.waitText("$ " + strings.TrimSpace(tt.want))
			tm.send(keyCtrlU)
			tm.waitFor("an empty command line", func(s string) bool { return !strings.Contains(s, strings.TrimSpace(tt.want)) })
		}
		tm.send("exit" + keyEnter)
	}
	t.Run("bash", func(t *testing.T) { interactive(t, "bash", "--norc", "--noprofile", "-i") })
	t.Run("zsh", func(t *testing.T) { interactive(t, "zsh", "-f", "-i") })
	t.Run("fish", func(t *testing.T) {
		fish, err := exec.LookPath("fish")
		if err != nil {
			t.Skip("fish is not installed")
		}
		for _, tt := range []struct {
			line string
			want []string
		}{
			{"vaultchat keys sh", []string{"show"}},
			{"vaultchat keys show ", []string{"personal", "work"}},
			{"vaultchat ask --key=w", []string{"--key=work"}},
			{"vaultchat export ", []string{id}},
		} {
			cmd := exec.Command(fish, "--no-config", "-c", "source "+script("fish")+"; complete -C '"+tt.line+"'")
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("fish: %v\n%s", err, out)
			}
			got := strings.Fields(string(out))
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("fish completing %q = %q; want %q", tt.line, got, tt.want)
			}
		}
	})
}
