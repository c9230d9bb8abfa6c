package cli

import (
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// TestAskMasksAStoredKeyInThePrompt: a stored key piped into ask (a log
// pasted for debugging, say) reaches the simulator masked, whether it is
// shaped like a provider key or only known to the vault (a prefix-less
// secret), and stderr says so once; neither key shows anywhere.
func TestAskMasksAStoredKeyInThePrompt(t *testing.T) {
	s, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	shaped := e.addSimKey("a", url)
	plain := testkit.RandomHex(t, 16)
	e.addSecretKey("other", plain, "--provider", "openai-compatible", "--base-url", url)
	log := "error log:\nAuthorization: Bearer " + shaped + "\nX-Other: " + plain + "\nagain " + plain + "\n"
	res := e.mustRun(tty{stdin: log}, "ask", "--key", "a", "why does this fail?")
	reqs := testkit.ChatRequests(s)
	if len(reqs) != 1 {
		t.Fatalf("%d chat requests", len(reqs))
	}
	body := string(reqs[0].Body)
	for _, secret := range []string{shaped, plain} {
		if strings.Contains(body, secret) {
			t.Errorf("the simulator got a stored key in clear:\n%s", body)
		}
	}
	msgs := reqs[0].Messages
	wantContains(t, "the message sent", msgs[len(msgs)-1].Content, "Bearer "+redact.Mask(shaped), "X-Other: "+redact.Mask(plain))
	if n := strings.Count(res.stderr, "masked"); n != 1 || !strings.Contains(res.stderr, "vaultchat: warning: the message held an API key; it was sent masked") {
		t.Errorf("stderr should say once that a key was masked:\n%s", res.stderr)
	}
	noSecrets(t, e, res, shaped, plain)
}
