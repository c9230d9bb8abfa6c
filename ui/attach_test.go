package ui

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/figures"
)

// attachDir makes a directory with two text files sharing a prefix, a
// subdirectory and a hidden file, and returns it.
func attachDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range map[string]string{
		"notes.txt":       "remember the milk\n",
		"notebook.md":     "# notebook\n",
		"sub/deep.txt":    "deep\n",
		".hidden-note.md": "hidden\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestAttachWithAtPath types "@DIR/no" and tab: the common prefix is
// completed, a second tab lists the candidates, and once the path names
// one file tab attaches it: a chip with name and size on the input's
// rule, the @word gone from the input, the context meter counting it.
// Sent, the file goes with the message and shows as a chip in the
// transcript.
func TestAttachWithAtPath(t *testing.T) {
	dir := attachDir(t)
	h := newHarness(t, 120, 40, Options{})
	h.b.usage.ContextWindow, h.b.usage.ContextUsed = 1000, 100
	h.unlocked()
	h.typeText("summarise @" + dir + "/no")
	h.key("tab")
	if got := h.m.input.Value(); got != "summarise @"+dir+"/note" {
		t.Fatalf("after tab the input is %q; want the common prefix completed", got)
	}
	h.key("tab")
	if s := h.screen(); !strings.Contains(s, "matches: notebook.md · notes.txt") || strings.Contains(s, "hidden") {
		t.Fatalf("a second tab does not list the candidates (hidden files left out):\n%s", s)
	}
	h.typeText("s")
	h.key("tab")
	if len(h.m.attachments) != 1 || h.m.input.Value() != "summarise " {
		t.Fatalf("after completing a file: %d chips, input %q; want the file attached and the @word gone", len(h.m.attachments), h.m.input.Value())
	}
	s := h.screen()
	if !strings.Contains(s, "[notes.txt 18 B]") || !strings.Contains(s, "ctrl+x removes") {
		t.Errorf("no chip with name and size on the input's rule:\n%s", s)
	}
	if !strings.Contains(statusOf(h), "attached)") || strings.Contains(statusOf(h), "ctx 10% ·") {
		t.Errorf("the context meter does not count the attachment: %q", statusOf(h))
	}
	h.typeText("please")
	h.key("enter")
	if len(h.b.sends) != 1 || len(h.b.sends[0].Attachments) != 1 || h.b.sends[0].Attachments[0].Text != "remember the milk\n" {
		t.Fatalf("sent %+v; want the message with notes.txt", h.b.sends)
	}
	if h.b.sends[0].Prompt != "summarise please" {
		t.Errorf("prompt %q; want the text without the @word", h.b.sends[0].Prompt)
	}
	if s := h.screen(); !strings.Contains(s, "[notes.txt · text · 18 B]") || strings.Contains(s, "ctrl+x removes") {
		t.Errorf("the transcript shows no chip, or the input still does:\n%s", s)
	}
}

// TestAttachDirectoryAndRemove completes into a subdirectory, attaches
// the file there, and removes the chip with ctrl+x: nothing is attached
// to the message sent.
func TestAttachDirectoryAndRemove(t *testing.T) {
	dir := attachDir(t)
	h := newHarness(t, 120, 40, Options{})
	h.unlocked()
	h.typeText("@" + dir + "/su")
	h.key("tab")
	if got := h.m.input.Value(); got != "@"+dir+"/sub/" {
		t.Fatalf("input %q; want the directory completed with a slash", got)
	}
	h.key("tab")
	if len(h.m.attachments) != 1 || h.m.attachments[0].att.Name != "deep.txt" {
		t.Fatalf("attachments %v; want deep.txt", h.m.attachments)
	}
	h.key("enter")
	if len(h.b.sends) != 0 || !strings.Contains(h.screen(), "type a message to send with the attachments") {
		t.Fatalf("enter with only a chip: %d sends\n%s", len(h.b.sends), h.screen())
	}
	h.key("ctrl+x")
	if len(h.m.attachments) != 0 || !strings.Contains(h.screen(), "removed deep.txt") {
		t.Fatalf("ctrl+x did not remove the chip:\n%s", h.screen())
	}
	h.typeText("hi")
	h.key("enter")
	if len(h.b.sends) != 1 || len(h.b.sends[0].Attachments) != 0 {
		t.Errorf("sent %+v; want no attachment", h.b.sends)
	}
}

// TestAttachRefusals: a file over the per-file limit is refused when
// attached (the @word stays); a turn the backend refuses (a secret in a
// file) is taken back: the notice says why, the message and its chip
// are back in the input, and nothing is on the transcript.
func TestAttachRefusals(t *testing.T) {
	dir := attachDir(t)
	h := newHarness(t, 120, 40, Options{})
	h.unlocked()
	h.b.maxFile = 5
	h.typeText("@" + dir + "/notes.txt")
	h.key("tab")
	if len(h.m.attachments) != 0 || !strings.Contains(h.screen(), "over the limit") || !strings.HasSuffix(h.m.input.Value(), "notes.txt") {
		t.Fatalf("a file over the limit: %d chips, input %q\n%s", len(h.m.attachments), h.m.input.Value(), h.screen())
	}
	h.b.maxFile = 0
	h.key("tab")
	h.typeText("look")
	h.b.sendErr = errors.New("attach notes.txt: the file holds an API key stored in the vault; it was not sent")
	h.key("enter")
	s := h.screen()
	if !strings.Contains(s, "holds an API key stored in the vault") {
		t.Fatalf("no notice of the refusal:\n%s", s)
	}
	if h.m.input.Value() != "look" || len(h.m.attachments) != 1 || h.m.turn.streaming {
		t.Errorf("after the refusal: input %q, %d chips, streaming %v; want both back", h.m.input.Value(), len(h.m.attachments), h.m.turn.streaming)
	}
	if len(h.m.chat.items) != 0 {
		t.Errorf("the refused turn is still on the transcript:\n%s", s)
	}
}

// TestStoredAttachmentChips: a stored message's attachments show as
// chips with name, type and size.
func TestStoredAttachmentChips(t *testing.T) {
	h := newHarness(t, 120, 40, Options{})
	h.b.add(&chat.Conversation{ID: "c1", Title: "files", Messages: []chat.Message{
		{ID: "m1", Role: chat.RoleUser, Content: "what is in these?", Attachments: []chat.Attachment{
			{Name: "logo.png", MediaType: "image/png", Size: 2048, Data: []byte{1}},
			{Name: "a\x1b[2Jb.txt", MediaType: "text/plain", Size: 3, Text: "abc"}}},
	}})
	h.unlocked()
	s := h.screen()
	if !strings.Contains(s, "[logo.png · image/png · 2.0 KiB]") || !strings.Contains(s, "b.txt · text · 3 B]") {
		t.Fatalf("no chips for the stored attachments:\n%s", s)
	}
	if strings.Contains(h.m.View().Content, "\x1b[2J") {
		t.Error("an attachment's name drove the terminal")
	}
}

// TestFilePickerAttaches opens the file picker with alt+a in the working
// directory (hidden files left out), goes into a subdirectory and picks
// a file there: it becomes a chip.
func TestFilePickerAttaches(t *testing.T) {
	dir := attachDir(t)
	t.Chdir(dir)
	h := newHarness(t, 120, 40, Options{})
	h.unlocked()
	h.key("alt+a")
	s := h.screen()
	if !strings.Contains(s, "attach a file") || !strings.Contains(s, "sub/") || !strings.Contains(s, "notes.txt") || strings.Contains(s, "hidden") {
		t.Fatalf("the file picker does not list the directory (hidden files left out):\n%s", s)
	}
	h.typeText("sub/")
	h.key("enter")
	if s := h.screen(); !strings.Contains(s, "deep.txt") || !strings.Contains(s, "../") {
		t.Fatalf("choosing sub/ does not list it:\n%s", s)
	}
	h.key("down") // past ../
	h.key("enter")
	if len(h.m.attachments) != 1 || h.m.attachments[0].att.Name != "deep.txt" || !h.m.overlays.empty() {
		t.Fatalf("attachments %v, overlays open %v; want deep.txt attached and the picker closed", h.m.attachments, !h.m.overlays.empty())
	}
}

// TestSidePaneContextCountsAttachments: the side pane's CONTEXT meter
// counts the files attached to the next message, as the status line's
// meter does, and drops them once removed.
func TestSidePaneContextCountsAttachments(t *testing.T) {
	dir := attachDir(t)
	h := newHarness(t, 160, 48, Options{})
	h.b.usage.ContextWindow, h.b.usage.ContextUsed = 1000, 100
	h.unlocked()
	before := contextRow(t, h)
	h.typeText("@" + dir + "/notes.txt")
	h.key("tab")
	if len(h.m.attachments) != 1 || h.m.pendingTokens() == 0 {
		t.Fatalf("not attached: %d chips, %d tokens", len(h.m.attachments), h.m.pendingTokens())
	}
	with := contextRow(t, h)
	want := figures.Tokens(int64(100+h.m.pendingTokens()), false) + "/"
	if with == before || !strings.Contains(with, want) {
		t.Fatalf("the side pane's meter does not count the attachment: %q (before %q), want %q", with, before, want)
	}
	h.key("ctrl+x")
	if got := contextRow(t, h); got != before {
		t.Fatalf("after removing the file the meter reads %q, want %q", got, before)
	}
}

// contextRow is the side pane's row under its CONTEXT title.
func contextRow(t *testing.T, h *harness) string {
	t.Helper()
	rows := strings.Split(h.screen(), "\n")
	for i, r := range rows {
		if strings.Contains(r, "│ CONTEXT") && i+1 < len(rows) {
			_, row, _ := strings.Cut(rows[i+1], "│ ")
			return strings.TrimSpace(row)
		}
	}
	t.Fatalf("no CONTEXT section:\n%s", h.screen())
	return ""
}

// TestLockForgetsWhatWasSent: what a turn sent (its text and the files'
// contents, kept to put back if Send refuses) is forgotten when the turn
// is released; the lock leaves none of it in memory.
func TestLockForgetsWhatWasSent(t *testing.T) {
	dir := attachDir(t)
	h := newHarness(t, 120, 40, Options{})
	h.unlocked()
	h.typeText("summarise @" + dir + "/notes.txt")
	h.key("tab")
	h.typeText("please")
	h.key("enter")
	if len(h.b.sends) != 1 || h.m.turn.req.Prompt == "" {
		t.Fatalf("sends %d, turn's prompt %q; want one turn sent", len(h.b.sends), h.m.turn.req.Prompt)
	}
	h.key("ctrl+l")
	if h.m.turn.req.Prompt != "" || h.m.turn.req.Attachments != nil || h.m.turn.reqChips != nil {
		t.Errorf("after the lock the turn still holds what was sent: %q, %d files, %d chips",
			h.m.turn.req.Prompt, len(h.m.turn.req.Attachments), len(h.m.turn.reqChips))
	}
}

// TestRegenerateKeepsChips: files attached for the next message stay
// attached while the last reply is regenerated (a regenerate sends none
// of them).
func TestRegenerateKeepsChips(t *testing.T) {
	dir := attachDir(t)
	h := newHarness(t, 120, 40, Options{})
	withConversation(h.b)
	h.unlocked()
	h.typeText("@" + dir + "/notes.txt")
	h.key("tab")
	if len(h.m.attachments) != 1 {
		t.Fatalf("%d chips; want notes.txt attached", len(h.m.attachments))
	}
	h.key("ctrl+r")
	req := h.b.sends[len(h.b.sends)-1]
	if !req.Regenerate || len(req.Attachments) != 0 {
		t.Fatalf("regenerate request %+v; want one with no files", req)
	}
	h.b.stream <- chat.Done{}
	close(h.b.stream)
	h.pump(false)
	if len(h.m.attachments) != 1 {
		t.Errorf("%d chips after the regenerate; want notes.txt still attached", len(h.m.attachments))
	}
}

// TestEditLastRestoresChips: ↑ on the empty input puts the last message
// back with its attachments as chips (the meter counting them), so the
// resent message carries its files; ctrl+x drops one as usual, and esc
// drops the restored chips while keeping any attached beforehand.
func TestEditLastRestoresChips(t *testing.T) {
	dir := attachDir(t)
	h := newHarness(t, 120, 40, Options{})
	h.b.usage.ContextWindow, h.b.usage.ContextUsed = 1000, 100
	h.unlocked()
	h.typeText("see @" + dir + "/notes.txt")
	h.key("tab")
	h.key("enter")
	if len(h.b.sends) != 1 || len(h.b.sends[0].Attachments) != 1 {
		t.Fatalf("sent %+v; want the message with notes.txt", h.b.sends)
	}
	h.b.stream <- chat.Done{}
	close(h.b.stream)
	h.pump(false)

	h.key("up")
	if !h.m.editingLast || h.m.input.Value() != "see " || len(h.m.attachments) != 1 || h.m.attachments[0].att.Name != "notes.txt" {
		t.Fatalf("after ↑: editing %v, input %q, %d chips; want the message and notes.txt back", h.m.editingLast, h.m.input.Value(), len(h.m.attachments))
	}
	if s := h.screen(); !strings.Contains(s, "[notes.txt 18 B]") {
		t.Errorf("no chip on the input's rule:\n%s", s)
	}
	if h.m.pendingTokens() == 0 || !strings.Contains(statusOf(h), "attached)") {
		t.Errorf("the meter does not count the restored chip: %d tokens, %q", h.m.pendingTokens(), statusOf(h))
	}
	h.typeText("again")
	h.key("enter")
	req := h.b.sends[len(h.b.sends)-1]
	if !req.EditLast || req.Prompt != "see again" || len(req.Attachments) != 1 || req.Attachments[0].Text != "remember the milk\n" {
		t.Fatalf("resent %+v; want the edited message with notes.txt", req)
	}
	h.b.stream <- chat.Done{}
	close(h.b.stream)
	h.pump(false)

	// ctrl+x drops a restored chip: the resent message goes without it.
	h.key("up")
	h.key("ctrl+x")
	h.key("enter")
	if req := h.b.sends[len(h.b.sends)-1]; !req.EditLast || len(req.Attachments) != 0 {
		t.Fatalf("resent %+v; want it without the removed file", req)
	}
	h.b.stream <- chat.Done{}
	close(h.b.stream)
	h.pump(false)

	// esc cancels the edit and its chips, not one attached before ↑.
	h.typeText("@" + dir + "/sub/deep.txt")
	h.key("tab")
	h.m.chat.items[0].files = h.b.sends[0].Attachments // a message with a file again
	h.key("up")
	if len(h.m.attachments) != 2 {
		t.Fatalf("%d chips after ↑; want deep.txt and the restored notes.txt", len(h.m.attachments))
	}
	h.key("esc")
	if h.m.editingLast || !h.m.input.Empty() || len(h.m.attachments) != 1 || h.m.attachments[0].att.Name != "deep.txt" {
		t.Errorf("after esc: editing %v, input %q, chips %v; want only deep.txt", h.m.editingLast, h.m.input.Value(), h.m.attachments)
	}
}

// TestCommonPrefixKeepsRunesWhole: two names that differ in an accented
// letter share the prefix before it, not half of the letter's bytes.
func TestCommonPrefixKeepsRunesWhole(t *testing.T) {
	if got := commonPrefix([]string{"café.txt", "cafè.txt"}); got != "caf" {
		t.Errorf("commonPrefix = %q, want %q", got, "caf")
	}
}
