package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/session"
)

// The demo's side pane has a reconciled key (flagged: another program
// spends with it) and a minted key with OpenRouter's figures, and the
// admin and management keys are not offered for chat.
func TestDemoReconciledAndMintedKeys(t *testing.T) {
	now := time.Now()
	d, err := newDemo(now)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	accounts, err := d.addAccountKeys(now)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := session.Open(session.Config{Home: d.home, Now: func() time.Time { return now }}, d.vault)
	if err != nil {
		t.Fatal(err)
	}
	d.vault = nil
	defer sess.Close()
	if err := accounts.seedAccounts(sess, now); err != nil {
		t.Fatal(err)
	}
	lines := map[string]string{}
	for _, k := range sess.Keys() {
		lines[k.Name] = sess.Usage(k.ID, "").Provider
		if k.Name == "org-admin" || k.Name == "or-mgmt" {
			t.Fatalf("the key picker offers %s", k.Name)
		}
	}
	if !strings.Contains(lines["team-openai"], "provider saw 41.0k more tokens than this machine sent with key team-openai") {
		t.Errorf("team-openai: %q", lines["team-openai"])
	}
	if !strings.Contains(lines["minted-ci"], "provider says: $0.00 this month, $5.00 of $5.00 limit left") {
		t.Errorf("minted-ci: %q", lines["minted-ci"])
	}
	if lines["personal"] != "" {
		t.Errorf("personal: %q", lines["personal"])
	}
}
