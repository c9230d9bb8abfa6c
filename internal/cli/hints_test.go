package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// TestModelNotFoundHintPointsAtModels: the hint of a 404 names the
// command that lists the key's models ("keys check" only counts them).
func TestModelNotFoundHintPointsAtModels(t *testing.T) {
	e := newVault(t)
	_, url := testkit.Sim(t, sim.Options{})
	e.addSimKey("work", url)
	res := e.run(tty{}, "ask", "--model", sim.Fault404, "hello")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, `"vaultchat models --key work" lists what the key can use`)
}

// TestDroppedReplyHasOneHint: a reply cut mid-way gets one hint, not
// "send the message again" beside "continue with …".
func TestDroppedReplyHasOneHint(t *testing.T) {
	e := newVault(t)
	_, url := testkit.Sim(t, sim.Options{})
	e.addSimKey("work", url)
	res := e.run(tty{}, "ask", "--model", sim.FaultDisconnect, "hello")
	wantCode(t, res, 1)
	if n := strings.Count(res.stderr, "vaultchat: hint:"); n != 1 {
		t.Errorf("%d hints; want 1:\n%s", n, res.stderr)
	}
	wantContains(t, "stderr", res.stderr, "the partial reply is saved", "vaultchat ask --conversation")
}

// TestKeysCheckHugeModelListHint: the hint for an oversized model list
// does not speak of a reply "kept".
func TestKeysCheckHugeModelListHint(t *testing.T) {
	secret := testkit.Canary(t)
	_, url := testkit.Sim(t, sim.Options{KeyFaults: map[string]string{secret: sim.FaultModelsHuge}})
	e := newVault(t)
	e.addSecretKey("big", secret, "--provider", "openai-compatible", "--base-url", url, "--model", "sim-fast")
	res := e.run(tty{}, "keys", "check", "big")
	wantCode(t, res, 1)
	if strings.Contains(res.stdout+res.stderr, "whatever arrived before is kept") {
		t.Errorf("keys check speaks of a kept reply:\n%s%s", res.stdout, res.stderr)
	}
}

// TestNoAllowInsecureHTTPHint: turning --allow-insecure-http off on an
// http:// key is refused with advice to change the base URL in the same
// command, not to pass the flag just turned off; the specific hint comes
// before the generic "see --help".
func TestNoAllowInsecureHTTPHint(t *testing.T) {
	e := newVault(t)
	e.addKey("ins", "--provider", "openai-compatible", "--base-url", "http://example.com/v1", "--allow-insecure-http", "--model", "m")
	res := e.run(tty{}, "keys", "edit", "ins", "--no-allow-insecure-http")
	wantCode(t, res, 2)
	wantContains(t, "stderr", res.stderr, "--base-url https://")
	if strings.Contains(res.stderr, "pass --allow-insecure-http") {
		t.Errorf("the hint says to pass the flag just turned off:\n%s", res.stderr)
	}
	lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
	if last := lines[len(lines)-1]; !strings.Contains(last, "--help") {
		t.Errorf("the generic --help hint is not last:\n%s", res.stderr)
	}
}

// TestExpiredKeyWarns: ask with an expired key warns (it still sends:
// the date is the user's note, the server decides). A past date is
// refused by --expires (TestExpiresOneRule), so the key expires while
// the clock moves on.
func TestExpiredKeyWarns(t *testing.T) {
	e := newVault(t)
	_, url := testkit.Sim(t, sim.Options{})
	e.addSimKey("old", url)
	e.mustRun(tty{}, "keys", "edit", "old", "--expires", "1d")
	day := e.key("old").Expires.Format(dateLayout)
	later := time.Now().AddDate(0, 0, 3)
	e.now = func() time.Time { return later }
	res := e.mustRun(tty{}, "ask", "hello")
	wantContains(t, "ask", res.stderr, `vaultchat: warning: key "old" expired on `+day)
	res = e.mustRun(tty{}, "ask", "--key", "old", "hello")
	wantContains(t, "ask --key", res.stderr, `expired on `+day)
}

// TestPromptWithAStoredKeyIsMaskedAndSaid: a vault key in the prompt
// (argument or piped stdin) never reaches the server in clear, and the
// user is told on stderr that it was masked.
func TestPromptWithAStoredKeyIsMaskedAndSaid(t *testing.T) {
	e := newVault(t)
	s, url := testkit.Sim(t, sim.Options{})
	secret := e.addSimKey("work", url)
	for _, tm := range []struct {
		stdin string
		args  []string
	}{
		{"", []string{"ask", "my key is " + secret}},
		{"API_KEY=" + secret + "\n", []string{"ask", "review"}},
	} {
		res := e.mustRun(tty{stdin: tm.stdin}, tm.args...)
		reqs := testkit.ChatRequests(s)
		for _, m := range reqs[len(reqs)-1].Messages {
			if strings.Contains(m.Content, secret) {
				t.Fatalf("the server received the key in clear: %q", m.Content)
			}
		}
		wantContains(t, "stderr", res.stderr, "vaultchat: warning: the message held an API key", "it was sent masked")
	}
}

// TestSystemAndRoleWithAStoredKeyAreSaid: a vault key in --system or in a
// role's prompt is masked before sending and said on stderr, naming the
// text, as the prompt's is; a clean turn warns of nothing.
func TestSystemAndRoleWithAStoredKeyAreSaid(t *testing.T) {
	e := newVault(t)
	s, url := testkit.Sim(t, sim.Options{})
	secret := e.addSimKey("work", url)
	e.writeRoleFile("leak", "---\ndescription: leaks\n---\nThe key is "+secret+".\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"ask", "--no-save", "--system", "key is " + secret, "hi"}, "vaultchat: warning: the system prompt held an API key; it was sent masked"},
		{[]string{"ask", "--no-save", "--role", "leak", "hi"}, `vaultchat: warning: role leak's prompt held an API key; it was sent masked`},
	} {
		res := e.mustRun(tty{}, tc.args...)
		reqs := testkit.ChatRequests(s)
		for _, m := range reqs[len(reqs)-1].Messages {
			if strings.Contains(m.Content, secret) {
				t.Fatalf("%v: the server received the key in clear: %q", tc.args, m.Content)
			}
		}
		wantContains(t, strings.Join(tc.args[:3], " "), res.stderr, tc.want)
		if strings.Contains(res.stderr, "the message held") {
			t.Errorf("%v: the clean prompt was said to hold a key:\n%s", tc.args, res.stderr)
		}
	}
	res := e.mustRun(tty{}, "ask", "--no-save", "--system", "be brief", "hi")
	if strings.Contains(res.stderr, "warning") {
		t.Fatalf("a clean turn warned:\n%s", res.stderr)
	}
}
