package session

import (
	"testing"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/view"
)

// TestRegenerateKeepsSiblingsAndSwitches regenerates a reply twice: the
// replaced replies stay as siblings of the current one, the request and
// totals see only the current branch, and SwitchBranch flips between the
// three versions without losing any, across a reload from disk.
func TestRegenerateKeepsSiblingsAndSwitches(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.addKey("k", "sim-fast", nil)
	f.unlock()
	conv := f.create("")
	f.turn(view.SendRequest{ConversationID: conv.ID, Prompt: "hello"})
	f.turn(view.SendRequest{ConversationID: conv.ID, Regenerate: true, Model: "sim-smart"})
	f.turn(view.SendRequest{ConversationID: conv.ID, Regenerate: true, Model: "gpt-4o-mini"})
	got := f.load(conv.ID)
	if len(got.Messages) != 2 {
		t.Fatalf("%d messages on the current branch; want 2", len(got.Messages))
	}
	reply := got.Messages[1]
	if reply.Turn.Model != "gpt-4o-mini" || len(reply.Siblings) != 2 {
		t.Fatalf("current reply %s with %d siblings; want gpt-4o-mini with 2", reply.Turn.Model, len(reply.Siblings))
	}
	models := []string{reply.Siblings[0].Messages[0].Turn.Model, reply.Siblings[1].Messages[0].Turn.Model}
	if models[0] != "sim-fast" || models[1] != "sim-smart" {
		t.Errorf("siblings made with %v; want sim-fast, sim-smart (oldest first)", models)
	}
	if cur, total := got.Versions(1); cur != 2 || total != 3 {
		t.Errorf("Versions = %d of %d; want the third of 3", cur+1, total)
	}
	// What the replaced replies spent was spent: the totals count every
	// version, each once.
	tot := got.Totals()
	if n := len(tot.Models); n != 3 || tot.PricedTurns+tot.UnpricedTurns != 3 {
		t.Errorf("totals count %d models and %d replies; want the 3 versions", n, tot.PricedTurns+tot.UnpricedTurns)
	}

	// Flip to the first version, then back to the last.
	switched, err := f.sess.SwitchBranch(conv.ID, reply.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if m := switched.Messages[1]; m.Turn.Model != "sim-fast" || len(m.Siblings) != 2 {
		t.Fatalf("after switching: %s with %d siblings", m.Turn.Model, len(m.Siblings))
	}
	if cur, total := switched.Versions(1); cur != 0 || total != 3 {
		t.Errorf("Versions after switching = %d of %d; want 1 of 3", cur+1, total)
	}
	// The next turn continues the branch now current.
	f.turn(view.SendRequest{ConversationID: conv.ID, Prompt: "more"})
	reqs := f.sim.Requests()
	sent := reqs[len(reqs)-1].Messages
	if len(sent) != 3 || sent[1].Content != switched.Messages[1].Content {
		t.Errorf("the request after switching carried %d messages, reply %q", len(sent), sent[1].Content)
	}
	got = f.load(conv.ID)
	first := got.Messages[1]
	if _, err := f.sess.SwitchBranch(conv.ID, first.ID, 2); err != nil {
		t.Fatal(err)
	}
	got = f.load(conv.ID)
	if len(got.Messages) != 2 || got.Messages[1].Turn.Model != "gpt-4o-mini" {
		t.Fatalf("switching back: %d messages, model %s", len(got.Messages), got.Messages[1].Turn.Model)
	}
	// The branch that went on ("more" and its reply) is kept whole.
	var kept *chat.Branch
	for i, b := range got.Messages[1].Siblings {
		if b.Messages[0].ID == first.ID {
			kept = &got.Messages[1].Siblings[i]
		}
	}
	if kept == nil || len(kept.Messages) != 3 || kept.Messages[1].Content != "more" {
		t.Errorf("the first version's branch = %+v; want its reply, \"more\" and the reply to it", kept)
	}
	// Switching moves versions, never copies them: four replies, once each.
	if tot := got.Totals(); tot.PricedTurns+tot.UnpricedTurns != 4 {
		t.Errorf("after switching the totals count %d replies; want 4", tot.PricedTurns+tot.UnpricedTurns)
	}
	if _, err := f.sess.SwitchBranch(conv.ID, got.Messages[1].ID, 3); err == nil {
		t.Error("version 4 of 3 accepted")
	}
}

// TestEditAndResendKeepsTheOldExchange edits the last prompt: the old
// prompt and its reply stay as a sibling branch of the edited prompt,
// and switching back brings both.
func TestEditAndResendKeepsTheOldExchange(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.addKey("k", "sim-fast", nil)
	f.unlock()
	conv := f.create("")
	f.turn(view.SendRequest{ConversationID: conv.ID, Prompt: "first wording"})
	f.turn(view.SendRequest{ConversationID: conv.ID, Regenerate: true})
	f.turn(view.SendRequest{ConversationID: conv.ID, EditLast: true, Prompt: "second wording"})
	got := f.load(conv.ID)
	if len(got.Messages) != 2 || got.Messages[0].Content != "second wording" {
		t.Fatalf("current branch = %+v", got.Messages)
	}
	sibs := got.Messages[0].Siblings
	if len(sibs) != 1 || len(sibs[0].Messages) != 2 || sibs[0].Messages[0].Content != "first wording" {
		t.Fatalf("siblings of the edited prompt = %+v", sibs)
	}
	// The regenerated reply's own sibling stays on the reply, inside the
	// branch.
	if n := len(sibs[0].Messages[1].Siblings); n != 1 {
		t.Errorf("the old reply kept %d siblings; want 1", n)
	}
	switched, err := f.sess.SwitchBranch(conv.ID, got.Messages[0].ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(switched.Messages) != 2 || switched.Messages[0].Content != "first wording" || len(switched.Messages[1].Siblings) != 1 {
		t.Errorf("after switching back: %+v", switched.Messages)
	}
}

// TestForkFromNamesTheMessageByID forks at a message given by its ID (as
// the TUI does): the fork holds the messages up to it and records it; a
// note or an unknown ID is refused.
func TestForkFromNamesTheMessageByID(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.addKey("k", "sim-fast", nil)
	f.unlock()
	conv := f.create("")
	f.turn(view.SendRequest{ConversationID: conv.ID, Prompt: "one"})
	if _, err := f.sess.AddNote(conv.ID, "a note"); err != nil {
		t.Fatal(err)
	}
	f.turn(view.SendRequest{ConversationID: conv.ID, Prompt: "two"})
	got := f.load(conv.ID)
	reply := got.Messages[1]
	fork, err := f.sess.ForkFrom(conv.ID, reply.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(fork.Messages) != 2 || fork.Parent == nil || fork.Parent.MessageID != reply.ID || fork.Parent.MessageNumber != 2 {
		t.Fatalf("fork has %d messages, parent %+v; want 2 and message 2 (%s)", len(fork.Messages), fork.Parent, reply.ID)
	}
	if _, err := f.sess.ForkFrom(conv.ID, got.Messages[2].ID); err == nil {
		t.Error("forking from a note worked; want an error")
	}
	if _, err := f.sess.ForkFrom(conv.ID, "nope"); err == nil {
		t.Error("forking from an unknown message worked; want an error")
	}
}
