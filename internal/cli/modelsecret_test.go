package cli

import (
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// TestModelNameHoldingAKeyIsNeverSent: a stored key given as the model
// (--model, a role's model:) was sent in the request body to another
// server and printed by usage and ask --json; it is refused before
// anything is sent, and keys edit --model refuses it too.
func TestModelNameHoldingAKeyIsNeverSent(t *testing.T) {
	e := newVault(t)
	s, url := testkit.Sim(t, sim.Options{})
	e.addSimKey("work", url)
	other := e.addKey("other", "--provider", "openai")

	res := e.run(tty{}, "ask", "--key", "work", "--model", other, "hello")
	if res.code == 0 {
		t.Fatalf("ask with a key as the model succeeded:\n%s", res.stdout)
	}
	wantContains(t, "stderr", res.stderr, "the model name holds an API key; nothing was sent")
	e.writeRoleFile("leaky", "---\nmodel: "+other+"\n---\nBe terse.\n")
	res = e.run(tty{}, "ask", "--key", "work", "--role", "leaky", "hello")
	if res.code == 0 {
		t.Fatalf("ask with a role whose model is a key succeeded:\n%s", res.stdout)
	}
	res2 := e.run(tty{}, "keys", "edit", "work", "--model", other)
	if res2.code == 0 {
		t.Errorf("keys edit --model with a key succeeded")
	}
	wantContains(t, "stderr", res2.stderr, "default model may not contain a key's secret")
	for _, r := range []result{res, res2, e.run(tty{}, "usage", "--by", "model", "--json")} {
		if strings.Contains(r.stdout+r.stderr, other) {
			t.Errorf("the key was printed:\n%s%s", r.stdout, r.stderr)
		}
	}
	for _, req := range s.Requests() {
		if strings.Contains(req.Model, other) || strings.Contains(string(req.Body), other) {
			t.Errorf("the simulator received the key: %+v", req.Model)
		}
	}
}
