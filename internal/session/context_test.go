package session

import (
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/models"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
	"github.com/vaultchat/vaultchat/internal/view"
)

// textFile is a text attachment of about n tokens (" word" is one).
func textFile(name string, n int) chat.Attachment {
	text := strings.Repeat("word ", n)
	return chat.Attachment{Name: name, MediaType: "text/plain", Text: text, Size: int64(len(text))}
}

// TestSendRefusesAMessageOverTheWindow: a message whose attachment alone
// is far over the model's known context window (sim-fast: 8,192) is
// refused before anything is saved or sent, naming the estimate and the
// window; one that fits is sent.
func TestSendRefusesAMessageOverTheWindow(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.addKey("k", "sim-fast", nil)
	f.unlock()
	c := f.create("")
	_, err := f.sess.Send(t.Context(), view.SendRequest{ConversationID: c.ID, Prompt: "summarise", Attachments: []chat.Attachment{textFile("part1.txt", 40_000)}})
	if err == nil || !strings.Contains(err.Error(), "about 40,0") || !strings.Contains(err.Error(), "over the 8,192-token context window of sim-fast") {
		t.Fatalf("Send = %v; want a refusal naming the estimate and the window", err)
	}
	if n := len(testkit.ChatRequests(f.sim)); n != 0 {
		t.Errorf("%d requests sent", n)
	}
	if got := f.load(c.ID); len(got.Messages) != 0 {
		t.Errorf("the refused message was saved: %+v", got.Messages)
	}
	mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "summarise", Attachments: []chat.Attachment{textFile("part2.txt", 3_000)}})))
}

// TestSendWarnsWhenAttachmentsTrimTheHistory: a message that fits the
// window only without the earlier turns is sent with the Trimmed event
// (ask warns on stderr, the app notes it on the reply), the attachments
// of every message counted.
func TestSendWarnsWhenAttachmentsTrimTheHistory(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.addKey("k", "sim-fast", nil)
	f.unlock()
	c := f.create("")
	mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "one", Attachments: []chat.Attachment{textFile("a.txt", 4_000)}})))
	evs, final := f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "two", Attachments: []chat.Attachment{textFile("b.txt", 4_000)}})
	mustDone(t, final)
	trimmed := 0
	for _, ev := range evs {
		if tr, ok := ev.(chat.Trimmed); ok {
			trimmed = tr.Turns
		}
	}
	if trimmed != 1 {
		t.Errorf("trimmed %d turns; want the first left out, with the event", trimmed)
	}
	reqs := testkit.ChatRequests(f.sim)
	if sent := reqs[len(reqs)-1].Messages; len(sent) != 1 || !strings.HasPrefix(sent[0].Content, "two") {
		t.Errorf("sent %d messages; want only the new one", len(sent))
	}
}

// TestSendAnyMessageToAnUnknownWindow: with no known window nothing is
// estimated or refused, as before.
func TestSendAnyMessageToAnUnknownWindow(t *testing.T) {
	const model = "gpt-custom-local"
	if _, known := models.ContextWindow(model); known {
		t.Fatalf("%s has a known window", model)
	}
	f := newFixture(t, sim.Options{})
	f.addKey("k", model, nil)
	f.unlock()
	c := f.create("")
	mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "summarise", Attachments: []chat.Attachment{textFile("part1.txt", 40_000)}})))
}
