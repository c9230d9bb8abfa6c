package engine

import (
	"context"
	"testing"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/usage"
	"github.com/vaultchat/vaultchat/vault"
)

// orderCheck is accounts that checks when a turn journals and commits
// its request: the journal before the reply is saved, the commit after,
// under the reply's message ID.
type orderCheck struct {
	*accounts
	t       *testing.T
	convs   *Memory
	convID  string
	journal []usage.Entry
}

func (o *orderCheck) Journal(k vault.Key, e usage.Entry) func() error {
	if o.replySaved(e.ID) {
		o.t.Errorf("journaled after the reply %s was saved", e.ID)
	}
	o.journal = append(o.journal, e)
	return func() error {
		if !o.replySaved(e.ID) {
			o.t.Errorf("committed before the reply %s was saved", e.ID)
		}
		return o.accounts.Record(k, e)
	}
}

func (o *orderCheck) replySaved(id string) bool {
	c, err := o.convs.Load(o.convID)
	if err != nil {
		o.t.Fatal(err)
	}
	for _, m := range c.Messages {
		if m.ID == id {
			return true
		}
	}
	return false
}

func TestJournalBeforeSaveCommitAfter(t *testing.T) {
	r := newRig(t, sim.Options{}, "sim-fast")
	check := &orderCheck{accounts: r.accounts, t: t, convs: r.convs, convID: r.conv.ID}
	r.engine.cfg.Accounts = check
	ch, err := r.engine.Send(context.Background(), SendRequest{ConversationID: r.conv.ID, Prompt: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	var final chat.Event
	for ev := range ch {
		final = ev
	}
	done, ok := final.(chat.Done)
	if !ok {
		t.Fatalf("final %#v", final)
	}
	if len(check.journal) != 1 || check.journal[0].ID != done.Message.ID || r.accounts.recorded() != 1 {
		t.Fatalf("journal %+v, %d recorded; want one entry under the reply's ID %s", check.journal, r.accounts.recorded(), done.Message.ID)
	}
	if got := check.journal[0].Usage; got != done.Usage {
		t.Errorf("journaled usage %+v, reply's %+v", got, done.Usage)
	}
}
