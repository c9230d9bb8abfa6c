package cli

import (
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// TestAskKeyWithoutModelRefuses: "ask --key mock" for a key without a
// default model makes up no model: it refuses before sending, and the
// hint names --model, ctrl+p and "keys edit --model".
func TestAskKeyWithoutModelRefuses(t *testing.T) {
	s, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.addKey("mock", "--provider", "openai-compatible", "--base-url", url)
	e.addSimKey("other", url)
	res := e.run(tty{}, "ask", "--key", "mock", "hello")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "no model chosen for key mock", "--model", "ctrl+p", `vaultchat keys edit mock --model MODEL`)
	if n := len(testkit.ChatRequests(s)); n != 0 {
		t.Fatalf("%d requests were sent", n)
	}
	// With --model it goes.
	e.mustRun(tty{}, "ask", "--key", "mock", "--model", "sim-fast", "hello")
}

// TestAskSeveralKeysNoneNamed: default_key, else the key used last, and
// stderr says which, once; with neither, the hint names default_key.
func TestAskSeveralKeysNoneNamed(t *testing.T) {
	_, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.addSimKey("a", url)
	e.addSimKey("b", url)

	res := e.run(tty{}, "ask", "hello")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "several keys", "--key", "default_key")

	e.mustRun(tty{}, "ask", "--key", "b", "hello")
	res = e.mustRun(tty{}, "ask", "--json", "hello again")
	wantContains(t, "stdout", res.stdout, `"key": "b"`)
	if n := strings.Count(res.stderr, "using key b"); n != 1 || !strings.Contains(res.stderr, "the key used last") {
		t.Fatalf("stderr should say once which key was used:\n%s", res.stderr)
	}

	e.writeConfig("default_key = \"a\"\n")
	res = e.mustRun(tty{}, "ask", "--json", "and now")
	wantContains(t, "stdout", res.stdout, `"key": "a"`)
	if n := strings.Count(res.stderr, "using key a"); n != 1 || !strings.Contains(res.stderr, "default_key") {
		t.Fatalf("stderr should say once which key was used:\n%s", res.stderr)
	}
	// A named key says nothing.
	if res = e.mustRun(tty{}, "ask", "--key", "b", "named"); strings.Contains(res.stderr, "using key") {
		t.Fatalf("a named key was announced:\n%s", res.stderr)
	}
}

// TestAskJSONMoneyIsRounded: "ask --json" writes cost_usd rounded to a
// billionth of a dollar (figures.Cost.JSON), never a float's tail.
func TestAskJSONMoneyIsRounded(t *testing.T) {
	_, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.addSimKey("work", url, "--model", "gpt-4o-mini")
	res := e.mustRun(tty{}, "ask", "--json", "hello")
	_, rest, ok := strings.Cut(res.stdout, `"cost_usd": `)
	if !ok {
		t.Fatalf("no cost_usd in:\n%s", res.stdout)
	}
	num, _, _ := strings.Cut(rest, ",")
	if _, frac, _ := strings.Cut(num, "."); len(frac) > 9 || strings.ContainsAny(num, "eE") {
		t.Fatalf("cost_usd %s has more than 9 decimals", num)
	}
}
