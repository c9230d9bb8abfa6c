package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

func TestConversationsSearch(t *testing.T) {
	_, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.addSimKey("work", url)
	e.addSimKey("home", url)
	first := e.askJSON(tty{}, "--key", "work", "tell me about the Straße")
	second := e.askJSON(tty{}, "--key", "home", "and what about STRASSE signs")
	e.askJSON(tty{}, "--key", "home", "unrelated")

	res := e.mustRun(tty{}, "conversations", "search", "strasse")
	wantContains(t, "search output", res.stdout, first.ConversationID, second.ConversationID, "#1 user:", "Straße")
	if strings.Index(res.stdout, second.ConversationID) > strings.Index(res.stdout, first.ConversationID) {
		t.Errorf("not newest first:\n%s", res.stdout)
	}
	// A word only in the simulator's reply (it names the turn).
	res = e.mustRun(tty{}, "conversations", "search", "--key", "work", "simulated", "REPLY")
	wantContains(t, "search --key output", res.stdout, first.ConversationID, "#2 assistant:")
	if strings.Contains(res.stdout, second.ConversationID) {
		t.Errorf("--key work shows a conversation of key home:\n%s", res.stdout)
	}

	// A match in the title only says so (#22), not "0 matching messages".
	e.mustRun(tty{}, "conversations", "rename", first.ConversationID, "zebra crossing")
	res = e.mustRun(tty{}, "conversations", "search", "zebra")
	wantContains(t, "title-only match", res.stdout, first.ConversationID, "(title matches)")
	if strings.Contains(res.stdout, "0 matching") {
		t.Errorf("a title-only match counts 0 messages:\n%s", res.stdout)
	}

	var rows []searchRow
	res = e.mustRun(tty{}, "conversations", "search", "--json", "straße")
	if err := json.Unmarshal([]byte(res.stdout), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("--json: %v\n%s", err, res.stdout)
	}
	sn := rows[1].Snippets[0]
	if sn.Number != 1 || sn.Text[sn.MatchStart:sn.MatchEnd] != "Straße" {
		t.Errorf("snippet = %+v", sn)
	}
	// No match exits 1, as grep does; --json still prints [].
	res = e.run(tty{}, "conversations", "search", "--since", "2999-01-01", "straße")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "no conversation matches")
	res = e.run(tty{}, "conversations", "search", "--json", "nothing-like-this-anywhere")
	wantCode(t, res, 1)
	wantContains(t, "json", res.stdout, "[]")
	wantCode(t, e.run(tty{}, "conversations", "search", "--since", "yesterday", "x"), 2)
	wantCode(t, e.run(tty{}, "conversations", "search", " "), 2)
}
