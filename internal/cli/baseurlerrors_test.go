package cli

import (
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/testkit"
)

// TestBaseURLErrorsEchoNoKey: a key pasted into --base-url (a host label,
// credentials, the query) is not echoed by the error that refuses the
// URL, whether the key is shaped like one (masked anyway) or not (a
// Mistral key is 32 plain letters and digits, which no mask recognises).
func TestBaseURLErrorsEchoNoKey(t *testing.T) {
	e := newVault(t)
	shaped := testkit.Canary(t)
	plain := testkit.RandomHex(t, 16)
	for _, c := range []struct{ base, want string }{
		{"http://" + shaped + ".example.net/v1", "plain http to another host"},
		{"http://" + plain + ".example.net/v1", "plain http to another host"},
		{"https://user:" + plain + "@llm.example.net/v1", "must not contain credentials"},
		{"https://llm.example.net/v1?key=" + plain, "must not have a query"},
	} {
		res := e.run(tty{stdin: "x"}, "keys", "add", "remote", "--provider", "openai-compatible", "--base-url", c.base)
		wantCode(t, res, 2)
		wantContains(t, "stderr", res.stderr, "vaultchat: error: --base-url", c.want)
		for _, secret := range []string{shaped, plain} {
			if strings.Contains(res.stderr, secret[len(secret)-12:]) {
				t.Errorf("the error echoes the key:\n%s", res.stderr)
			}
		}
	}
}
