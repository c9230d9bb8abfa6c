package session

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/store"
	"github.com/vaultchat/vaultchat/internal/testkit"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/vault"
)

func TestConversationRoundTrips(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	work := f.addKey("work", "sim-fast", nil)
	f.unlock()

	if list, err := f.sess.Conversations(); err != nil || len(list) != 0 {
		t.Fatalf("Conversations of a new vault = %v, %v", list, err)
	}
	first := f.create("be brief")
	if first.ID == "" || first.SystemPrompt != "be brief" || len(first.Messages) != 0 {
		t.Fatalf("Create = %+v", first)
	}
	if got := f.load(first.ID); got.SystemPrompt != "be brief" || got.Created.IsZero() {
		t.Fatalf("Load after Create = %+v", got)
	}
	second := f.create("")
	mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: second.ID, Prompt: "second conversation", KeyID: work.ID})))
	mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: first.ID, Prompt: "first conversation", KeyID: work.ID})))
	list, err := f.sess.Conversations()
	if err != nil || len(list) != 2 {
		t.Fatalf("Conversations = %v, %v", list, err)
	}
	if list[0].ID != first.ID || list[1].ID != second.ID {
		t.Fatalf("Conversations not most recently updated first: %s, %s", list[0].Title, list[1].Title)
	}
	if list[0].Title != "first conversation" || list[0].Messages != 2 || len(list[0].Totals.Keys) != 1 || list[0].Totals.Keys[0] != "work" {
		t.Fatalf("summary = %+v", list[0])
	}

	// Rename; a secret pasted into a title is masked.
	if err := f.sess.Rename(first.ID, "renamed "+f.secrets[0]); err != nil {
		t.Fatal(err)
	}
	if got := f.load(first.ID).Title; !strings.HasPrefix(got, "renamed sk-proj-…") {
		t.Fatalf("title = %q", got)
	}
	list, err = f.sess.Conversations()
	if err != nil {
		t.Fatal(err)
	}
	f.assertNoSecret("Conversations", list)
	if err := f.sess.Rename(first.ID, "   "); err == nil {
		t.Fatal("an empty title was accepted")
	}
	if err := f.sess.Rename("20990101-000000-00000000", "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Rename of a missing conversation: %v", err)
	}

	// The new system prompt goes with the next turn; a secret in it is
	// masked before it is stored or sent.
	if masked, err := f.sess.SetSystemPrompt(first.ID, "use "+f.secrets[0]); err != nil || !masked {
		t.Fatalf("SetSystemPrompt with a key: masked %v, %v; want it masked and said so", masked, err)
	}
	f.assertNoSecret("system prompt", f.load(first.ID))
	if _, err := f.sess.AddNote(first.ID, "note with "+f.secrets[0]); err != nil {
		t.Fatal(err)
	}
	f.assertNoSecret("note", f.load(first.ID))
	if masked, err := f.sess.SetSystemPrompt(first.ID, "answer in French"); err != nil || masked {
		t.Fatalf("SetSystemPrompt without a key: masked %v, %v", masked, err)
	}
	if got := f.load(first.ID).SystemPrompt; got != "answer in French" {
		t.Fatalf("system prompt = %q", got)
	}

	// A note is stored as a note and never sent.
	note, err := f.sess.AddNote(first.ID, "switched to key work · sim-smart")
	if err != nil {
		t.Fatal(err)
	}
	if note.Role != chat.RoleNote || note.Content != "switched to key work · sim-smart" || note.ID == "" || note.Turn != nil || note.Time.IsZero() {
		t.Fatalf("AddNote = %+v", note)
	}
	c := f.load(first.ID)
	if last := c.Messages[len(c.Messages)-1]; last.ID != note.ID || last.Role != chat.RoleNote {
		t.Fatalf("stored last message = %+v, want the note", last)
	}
	mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: first.ID, Prompt: "after the note", KeyID: work.ID, Model: "sim-smart"})))
	reqs := testkit.ChatRequests(f.sim)
	sent := reqs[len(reqs)-1]
	if sent.Messages[0].Role != "system" || sent.Messages[0].Content != "answer in French" {
		t.Fatalf("first message sent = %+v, want the new system prompt", sent.Messages[0])
	}
	for _, m := range sent.Messages {
		if strings.Contains(m.Content, "switched to key") || m.Role == string(chat.RoleNote) {
			t.Fatalf("the note was sent to the model: %+v", m)
		}
	}
	if len(sent.Messages) != 4 { // system, user, assistant, user
		t.Fatalf("sent %d messages, want 4", len(sent.Messages))
	}
	c = f.load(first.ID)
	if len(c.Messages) != 6 || c.Messages[3].ID != note.ID { // user, reply, two notes, user, reply
		t.Fatalf("conversation after the note and a turn: %d messages", len(c.Messages))
	}

	// Delete.
	if err := f.sess.Delete(second.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.sess.Load(second.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Load after Delete: %v", err)
	}
	if list, _ := f.sess.Conversations(); len(list) != 1 || list[0].ID != first.ID {
		t.Fatalf("Conversations after Delete = %+v", list)
	}
	if err := f.sess.Delete(second.ID); err == nil {
		t.Fatal("deleting twice succeeded")
	}
	if _, err := f.sess.AddNote(second.ID, "x"); err == nil {
		t.Fatal("AddNote to a deleted conversation succeeded")
	}
	if _, err := f.sess.SetSystemPrompt("../escape", "x"); !errors.Is(err, store.ErrInvalidID) {
		t.Fatalf("SetSystemPrompt with a path as ID: %v", err)
	}
}

// TestNoteIDsAreUnique uses a frozen clock: two notes in the same
// nanosecond must still have distinct IDs.
func TestNoteIDsAreUnique(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	cfg := f.config()
	frozen := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	cfg.Now = func() time.Time { return frozen }
	f.sess = New(cfg)
	f.unlock()
	c := f.create("")
	a, err := f.sess.AddNote(c.ID, "one")
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.sess.AddNote(c.ID, "two")
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == b.ID {
		t.Fatalf("two notes share the ID %q", a.ID)
	}
	if !a.Time.Equal(frozen) {
		t.Fatalf("note time = %v, want the app's clock %v", a.Time, frozen)
	}
}

func TestSendRegenerateAndEditLast(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	work := f.addKey("work", "sim-fast", func(k *vault.Key) { k.AllowedModels = []string{"sim-fast", "sim-smart"} })
	f.unlock()
	c := f.create("")

	evs, final := f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "hello there", KeyID: work.ID})
	d := mustDone(t, final)
	if d.Message.Turn.KeyID != work.ID || d.Message.Turn.KeyName != "work" || d.Message.Turn.Model != "sim-fast" {
		t.Fatalf("attribution = %+v", d.Message.Turn)
	}
	if !strings.Contains(deltas(evs), "hello there") {
		t.Fatal("the reply does not quote the prompt")
	}
	if !d.RateLimits.Known() {
		t.Fatal("Done carries no rate limits")
	}

	_, final = f.turn(view.SendRequest{ConversationID: c.ID, Regenerate: true, Prompt: "ignored", KeyID: work.ID, Model: "sim-smart"})
	d = mustDone(t, final)
	got := f.load(c.ID)
	if len(got.Messages) != 2 || got.Messages[0].Content != "hello there" || got.Messages[1].Turn.Model != "sim-smart" {
		t.Fatalf("after Regenerate: %+v", got.Messages)
	}
	if last := testkit.ChatRequests(f.sim); last[len(last)-1].Messages[0].Content != "hello there" || len(last[len(last)-1].Messages) != 1 {
		t.Fatalf("Regenerate sent %+v", last[len(last)-1].Messages)
	}

	_, final = f.turn(view.SendRequest{ConversationID: c.ID, EditLast: true, Prompt: "hello again", KeyID: work.ID})
	mustDone(t, final)
	got = f.load(c.ID)
	if len(got.Messages) != 2 || got.Messages[0].Content != "hello again" || !strings.Contains(got.Messages[1].Content, "hello again") {
		t.Fatalf("after EditLast: %+v", got.Messages)
	}

	// A refusal is a Failed event, not an error, and nothing is sent.
	before := len(testkit.ChatRequests(f.sim))
	fl := mustFail(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "refused", KeyID: work.ID, Model: "gpt-4o"})), chat.ErrModelNotAllowed)
	// It is kept in the conversation as an error turn that spent nothing.
	if fl.Message == nil || fl.Message.Turn.Error == nil || fl.Message.Turn.Usage.Total() != 0 || fl.Err.Hint == "" {
		t.Fatalf("refusal = %+v", fl)
	}
	if after := len(testkit.ChatRequests(f.sim)); after != before {
		t.Fatal("a refused turn reached the server")
	}

	// An error return means nothing was saved.
	n := len(f.load(c.ID).Messages)
	if _, err := f.sess.Send(context.Background(), view.SendRequest{ConversationID: c.ID, Prompt: "  ", KeyID: work.ID}); err == nil {
		t.Fatal("an empty prompt was accepted")
	}
	if _, err := f.sess.Send(context.Background(), view.SendRequest{ConversationID: c.ID, Prompt: "x", KeyID: "nope"}); !errors.Is(err, vault.ErrKeyNotFound) {
		t.Fatalf("unknown key: %v", err)
	}
	if _, err := f.sess.Send(context.Background(), view.SendRequest{ConversationID: "20990101-000000-00000000", Prompt: "x", KeyID: work.ID}); err == nil {
		t.Fatal("a missing conversation was accepted")
	}
	if got := len(f.load(c.ID).Messages); got != n {
		t.Fatalf("failed Sends changed the conversation: %d → %d messages", n, got)
	}
}

// TestCancelKeepsPartialReply cancels mid-stream while reading on: the
// channel still ends with one Failed(canceled) holding the partial reply
// as stored, and closes.
func TestCancelKeepsPartialReply(t *testing.T) {
	t.Parallel()
	f, c, work, ch, cancel := startLongReply(t)
	defer cancel()
	var evs []chat.Event
	for ev := range ch {
		if _, ok := ev.(chat.Delta); ok {
			cancel()
		}
		evs = append(evs, ev)
	}
	fl := mustFail(t, checkFinal(t, evs), chat.ErrCanceled)
	if fl.Message == nil || fl.Message.Content == "" || fl.Message.Turn == nil || !fl.Message.Turn.Incomplete || fl.Message.Turn.IncompleteReason != "canceled" {
		t.Fatalf("canceled turn's message = %+v", fl.Message)
	}
	got := f.load(c.ID)
	if len(got.Messages) != 2 || got.Messages[1].ID != fl.Message.ID || got.Messages[1].Content != fl.Message.Content || !got.Messages[1].Turn.Incomplete {
		t.Fatalf("stored conversation = %+v", got.Messages)
	}
	waitFor(t, "the simulator to see the request canceled", func() bool {
		reqs := testkit.ChatRequests(f.sim)
		return reqs[len(reqs)-1].Outcome == "canceled"
	})
	// The conversation is free for the next turn.
	mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "next", KeyID: work.ID, Model: "sim-fast"})))
}

// TestCancelWithoutReading cancels a turn whose consumer stopped reading
// with the channel full. The turn must still finish (partial reply saved,
// conversation free for the next turn) without anyone reading, and a late
// reader still gets the Failed event and the close.
func TestCancelWithoutReading(t *testing.T) {
	t.Parallel()
	f, c, work, ch, cancel := startLongReply(t)
	defer cancel()
	first := afterSent(ch)
	if _, ok := first.(chat.Delta); !ok {
		t.Fatalf("first event = %#v", first)
	}
	// Stop reading until every buffer between the stream and this reader
	// is full: this channel's, and the engine's behind it. With one delta
	// per chunk or so, a few hundred chunks are far more than both hold.
	waitFor(t, "the buffers to fill", func() bool {
		reqs := testkit.ChatRequests(f.sim)
		return len(ch) == cap(ch) && reqs[len(reqs)-1].Chunks >= 300
	})
	cancel()
	waitFor(t, "the canceled turn to be saved without a reader", func() bool {
		got, err := f.sess.Load(c.ID)
		return err == nil && len(got.Messages) == 2
	})
	got := f.load(c.ID)
	if turn := got.Messages[1].Turn; turn == nil || !turn.Incomplete || turn.IncompleteReason != "canceled" {
		t.Fatalf("saved reply = %+v", got.Messages[1])
	}
	// The conversation lock was released: another turn runs.
	next, err := f.sess.Send(context.Background(), view.SendRequest{ConversationID: c.ID, Prompt: "next", KeyID: work.ID, Model: "sim-fast"})
	if err != nil {
		t.Fatal(err)
	}
	var nextEvs []chat.Event
	for ev := range next {
		nextEvs = append(nextEvs, ev)
	}
	mustDone(t, checkFinal(t, nextEvs))

	// Reading later: the rest of the events, one Failed, then the close.
	evs := []chat.Event{first}
	for ev := range ch {
		evs = append(evs, ev)
	}
	fl := mustFail(t, checkFinal(t, evs), chat.ErrCanceled)
	if fl.Message == nil || fl.Message.ID != got.Messages[1].ID {
		t.Fatalf("late Failed's message = %+v, want the stored reply", fl.Message)
	}
}

// TestEditsDuringTurnAreKept renames the conversation, changes its system
// prompt and adds a note while a reply streams: none of it may be lost when
// the turn saves its reply.
func TestEditsDuringTurnAreKept(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{ChunkDelay: 2 * time.Millisecond})
	work := f.addKey("work", "sim-fast", nil)
	f.unlock()
	c := f.create("old prompt")
	ch, err := f.sess.Send(context.Background(), view.SendRequest{ConversationID: c.ID, Prompt: "hello", KeyID: work.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := afterSent(ch).(chat.Delta); !ok {
		t.Fatal("first event is not a delta")
	}
	// The edits run while the reply streams; they may wait for the turn,
	// so keep reading meanwhile.
	var wg sync.WaitGroup
	var note chat.Message
	var errs [3]error
	wg.Add(3)
	go func() { defer wg.Done(); note, errs[0] = f.sess.AddNote(c.ID, "switched to key work · sim-smart") }()
	go func() { defer wg.Done(); errs[1] = f.sess.Rename(c.ID, "my title") }()
	go func() { defer wg.Done(); _, errs[2] = f.sess.SetSystemPrompt(c.ID, "new prompt") }()
	var evs []chat.Event
	for ev := range ch {
		evs = append(evs, ev)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	mustDone(t, evs[len(evs)-1])
	got := f.load(c.ID)
	if got.Title != "my title" || got.SystemPrompt != "new prompt" {
		t.Fatalf("title %q, system prompt %q: an edit made during the turn was lost", got.Title, got.SystemPrompt)
	}
	found := false
	for _, m := range got.Messages {
		found = found || m.ID == note.ID
	}
	if !found || len(got.Messages) != 3 {
		t.Fatalf("the note added during the turn was lost: %+v", got.Messages)
	}
}

// afterSent is the turn's first event after chat.Sent (the message as
// saved, which a new message's turn starts with).
func afterSent(ch <-chan chat.Event) chat.Event {
	ev := <-ch
	if _, ok := ev.(chat.Sent); ok {
		return <-ch
	}
	return ev
}
