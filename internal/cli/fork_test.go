package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

func TestConversationsForkShowAndList(t *testing.T) {
	s, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.addSimKey("work", url)
	first := e.askJSON(tty{}, "first question")
	e.askJSON(tty{}, "--conversation", first.ConversationID, "second question")
	id := first.ConversationID

	show := e.mustRun(tty{}, "conversations", "show", id).stdout
	wantContains(t, "show", show, "    1 user      first question", "    2 assistant", "    3 user      second question", "    4 assistant")

	var out struct {
		ID     string        `json:"id"`
		Parent *chat.ForkRef `json:"parent"`
	}
	res := e.mustRun(tty{}, "conversations", "fork", id, "--at", "2", "--json")
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil || out.ID == "" || out.ID == id {
		t.Fatalf("fork --json: %v\n%s", err, res.stdout)
	}
	fork := e.load(out.ID)
	parent := e.load(id)
	if len(fork.Messages) != 2 || fork.Messages[1].Content != parent.Messages[1].Content {
		t.Fatalf("fork holds %d messages; want the first 2 of the parent", len(fork.Messages))
	}
	if p := fork.Parent; p == nil || p.ConversationID != id || p.MessageNumber != 2 || p.MessageID != parent.Messages[1].ID {
		t.Errorf("fork parent = %+v", fork.Parent)
	}
	if len(parent.Messages) != 4 {
		t.Errorf("the parent changed: %d messages", len(parent.Messages))
	}
	list := e.mustRun(tty{}, "conversations", "list").stdout
	wantContains(t, "list", list, "(fork of "+id+" at #2)")

	// The fork continues from message 2: the request carries the first
	// exchange and the new question, not the parent's second one.
	e.askJSON(tty{}, "--conversation", out.ID, "a different second question")
	reqs := testkit.ChatRequests(s)
	msgs := reqs[len(reqs)-1].Messages
	var sent []string
	for _, m := range msgs {
		sent = append(sent, m.Content)
	}
	if len(msgs) != 3 || msgs[0].Content != "first question" || strings.Contains(strings.Join(sent, "|"), "second question|") {
		t.Errorf("fork's request = %q", sent)
	}

	// Default: the whole conversation.
	res = e.mustRun(tty{}, "conversations", "fork", id)
	wantContains(t, "fork", res.stdout, "at message 4")
	res = e.run(tty{}, "conversations", "fork", id, "--at", "9")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "has no message 9 (it has 4)")

	// --at 0 is not "the last": messages are numbered from 1.
	for _, at := range []string{"--at=0", "--at=-1"} {
		res = e.run(tty{}, "conversations", "fork", id, at)
		wantCode(t, res, 2)
		wantContains(t, "stderr", res.stderr, "--at must be a message number, 1 or more")
	}
	// The list names a fork once, not "X (fork) (fork of …)".
	list = e.mustRun(tty{}, "conversations", "list").stdout
	if strings.Contains(list, "(fork) (fork of") {
		t.Errorf("the fork is named twice:\n%s", list)
	}
}
