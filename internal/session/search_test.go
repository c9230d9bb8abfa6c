package session

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/filelock"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/view"
)

// searchConv is a stored conversation for search tests: a user message
// and a reply made with keyID.
func searchConv(id, title string, updated time.Time, keyID, user, reply string) *chat.Conversation {
	return &chat.Conversation{ID: id, Title: title, Created: updated, Updated: updated, Messages: []chat.Message{
		{ID: id + "-u", Role: chat.RoleUser, Content: user, Time: updated},
		{ID: id + "-n", Role: chat.RoleNote, Content: "switched to key x", Time: updated},
		{ID: id + "-a", Role: chat.RoleAssistant, Content: reply, Time: updated, Turn: &chat.Turn{KeyID: keyID, KeyName: "k", Model: "m"}},
	}}
}

func hitIDs(hits []view.SearchHit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.ID)
	}
	return out
}

func TestSearchFindsTitlesAndMessagesNewestFirst(t *testing.T) {
	f := newFixture(t, sim.Options{})
	work := f.addKey("work", "m", nil)
	home := f.addKey("home", "m", nil)
	f.unlock()
	day := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	convs := []*chat.Conversation{
		searchConv("c-old", "Flock notes", day, work.ID, "how does flock work?", "It takes an advisory lock."),
		searchConv("c-mid", "Street names", day.AddDate(0, 0, 1), home.ID, "translate street", "Die STRASSE heißt Hauptstraße."),
		searchConv("c-new", "Greek", day.AddDate(0, 0, 2), work.ID, "a myth", "ΣΊΣΥΦΟΣ pushes a boulder; the word zymurgy appears only here."),
	}
	if _, err := f.sess.Import(t.Context(), convs, false); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		query string
		opts  view.SearchOptions
		want  []string
	}{
		{"FLOCK", view.SearchOptions{}, []string{"c-old"}},
		{"straße", view.SearchOptions{}, []string{"c-mid"}},
		{"σίσυφος", view.SearchOptions{}, []string{"c-new"}},
		{"zymurgy", view.SearchOptions{}, []string{"c-new"}}, // only in an assistant reply
		{"a", view.SearchOptions{}, []string{"c-new", "c-mid", "c-old"}},
		{"a", view.SearchOptions{Key: "work"}, []string{"c-new", "c-old"}},
		{"a", view.SearchOptions{Since: day.AddDate(0, 0, 1)}, []string{"c-new", "c-mid"}},
		{"a", view.SearchOptions{Limit: 1}, []string{"c-new"}},
		{"advisory flock", view.SearchOptions{}, []string{}}, // the two words are in different messages
		{"switched", view.SearchOptions{}, []string{}},       // notes are not searched
	}
	for _, c := range cases {
		hits, err := f.sess.Search(c.query, c.opts)
		if err != nil {
			t.Fatalf("Search(%q): %v", c.query, err)
		}
		if got := strings.Join(hitIDs(hits), ","); got != strings.Join(c.want, ",") {
			t.Errorf("Search(%q, %+v) = %s; want %s", c.query, c.opts, got, strings.Join(c.want, ","))
		}
	}
	hits, _ := f.sess.Search("flock", view.SearchOptions{})
	h := hits[0]
	if !h.TitleMatch || h.Matches != 1 || len(h.Snippets) != 1 || !h.Updated.Equal(day) || h.Title != "Flock notes" {
		t.Fatalf("hit = %+v", h)
	}
	if sn := h.Snippets[0]; sn.Number != 1 || sn.Role != chat.RoleUser || sn.Text[sn.Start:sn.End] != "flock" {
		t.Errorf("snippet = %+v", sn)
	}
	hits, _ = f.sess.Search("zymurgy", view.SearchOptions{})
	if sn := hits[0].Snippets[0]; sn.Number != 2 || sn.Role != chat.RoleAssistant {
		t.Errorf("reply snippet = %+v; want message 2 (the note is not numbered)", sn)
	}
	if _, err := f.sess.Search("  ", view.SearchOptions{}); !errors.Is(err, ErrEmptyQuery) {
		t.Errorf("empty query: %v", err)
	}
	if _, err := f.sess.Search("a", view.SearchOptions{Key: "nosuchkey"}); err == nil {
		t.Error("an unknown key filters nothing out silently")
	}
}

func TestSearchSnippetsAreSanitizedAndMasked(t *testing.T) {
	f := newFixture(t, sim.Options{})
	work := f.addKey("work", "m", nil)
	f.unlock()
	secret := f.secrets[0]
	// A file imported as it was (stored text is normally masked when it
	// is saved; this one was not) still shows masked.
	c := searchConv("c-1", "t", time.Now().UTC(), work.ID, "needle \x1b]52;c;AAAA\x07 and "+secret, "ok")
	if _, err := f.sess.Import(t.Context(), []*chat.Conversation{c}, false); err != nil {
		t.Fatal(err)
	}
	hits, err := f.sess.Search("needle", view.SearchOptions{})
	if err != nil || len(hits) != 1 {
		t.Fatalf("hits %v, %v", hits, err)
	}
	text := hits[0].Snippets[0].Text
	if strings.Contains(text, "\x1b") || strings.Contains(text, secret) || strings.Contains(text, secret[len(secret)-12:len(secret)-4]) {
		t.Errorf("snippet shows control codes or the secret: %q", text)
	}
	f.assertNoSecret("search hits", hits)
}

func TestSearchSeesChangesAfterCaching(t *testing.T) {
	f := newFixture(t, sim.Options{})
	work := f.addKey("work", "m", nil)
	f.unlock()
	if _, err := f.sess.Import(t.Context(), []*chat.Conversation{searchConv("c-1", "first title", time.Now().UTC(), work.ID, "hello", "hi")}, false); err != nil {
		t.Fatal(err)
	}
	if hits, _ := f.sess.Search("renamed", view.SearchOptions{}); len(hits) != 0 {
		t.Fatalf("hits before rename: %v", hitIDs(hits))
	}
	if err := f.sess.Rename("c-1", "renamed title"); err != nil {
		t.Fatal(err)
	}
	if hits, _ := f.sess.Search("renamed", view.SearchOptions{}); len(hits) != 1 {
		t.Errorf("the cached search did not see the rename: %v", hitIDs(hits))
	}
	if err := f.sess.Delete("c-1"); err != nil {
		t.Fatal(err)
	}
	if hits, _ := f.sess.Search("renamed", view.SearchOptions{}); len(hits) != 0 {
		t.Errorf("a deleted conversation is still found: %v", hitIDs(hits))
	}
}

// TestSearchIndexOnDisk checks the encrypted search index: written by a
// search, used by the next session (which sees a rename made meanwhile),
// ignored when damaged, and removed when a conversation is deleted.
func TestSearchIndexOnDisk(t *testing.T) {
	f := newFixture(t, sim.Options{})
	work := f.addKey("work", "m", nil)
	f.unlock()
	now := time.Now().UTC()
	convs := []*chat.Conversation{
		searchConv("c-1", "alpha", now, work.ID, "the quixotic word", "ok"),
		searchConv("c-2", "beta", now.Add(time.Second), work.ID, "plain", "ok"),
	}
	if _, err := f.sess.Import(t.Context(), convs, false); err != nil {
		t.Fatal(err)
	}
	if hits, _ := f.sess.Search("quixotic", view.SearchOptions{}); len(hits) != 1 {
		t.Fatalf("hits %v", hitIDs(hits))
	}
	path := filepath.Join(f.home, "conversations", "search.index.age")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no search index written: %v", err)
	}
	if bytes.Contains(raw, []byte("quixotic")) {
		t.Fatal("the search index holds text in clear")
	}
	// Another session renames c-2; a new session searches from the
	// index and still sees the new title.
	if err := f.sess.Rename("c-2", "renamed gamma"); err != nil {
		t.Fatal(err)
	}
	f.relock()
	hits, err := f.sess.Search("gamma", view.SearchOptions{})
	if err != nil || len(hits) != 1 || hits[0].ID != "c-2" {
		t.Errorf("after a rename, from the index: %v, %v", hitIDs(hits), err)
	}
	// A damaged index is only a cache.
	if err := f.opened().store.WriteSearchIndex([]byte("not an index")); err != nil {
		t.Fatal(err)
	}
	f.relock()
	if hits, _ := f.sess.Search("quixotic", view.SearchOptions{}); len(hits) != 1 {
		t.Errorf("with a damaged index: %v", hitIDs(hits))
	}
	if err := f.sess.Delete("c-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the index (with the deleted conversation's text) is still there: %v", err)
	}
	f.relock()
	if hits, _ := f.sess.Search("quixotic", view.SearchOptions{}); len(hits) != 0 {
		t.Errorf("a deleted conversation is found: %v", hitIDs(hits))
	}
}

func TestSearchIndexFormatRoundTrip(t *testing.T) {
	c := searchConv("c-1", "Title Ü", time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), "k_1", "Hello", "Straße")
	d := newSearchDoc(c, filelock.Version{Size: 12, MTime: -5})
	got, err := decodeSearchIndex(encodeSearchIndex([]*searchDoc{d}))
	if err != nil || len(got) != 1 {
		t.Fatalf("decode: %v, %d docs", err, len(got))
	}
	if !reflect.DeepEqual(got["c-1"], d) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got["c-1"], d)
	}
	enc := encodeSearchIndex([]*searchDoc{d})
	for cut := range len(enc) {
		if _, err := decodeSearchIndex(enc[:cut]); err == nil {
			t.Fatalf("a index cut at %d of %d decodes", cut, len(enc))
		}
	}
}

func TestSearchFindsAttachedText(t *testing.T) {
	f := newFixture(t, sim.Options{})
	work := f.addKey("work", "m", nil)
	f.unlock()
	c := searchConv("c-1", "t", time.Now().UTC(), work.ID, "see the file", "ok")
	c.Messages[0].Attachments = []chat.Attachment{{Name: "notes.txt", MediaType: "text/plain", Size: 20, Text: "a palimpsest inside"}}
	if _, err := f.sess.Import(t.Context(), []*chat.Conversation{c}, false); err != nil {
		t.Fatal(err)
	}
	hits, err := f.sess.Search("PALIMPSEST", view.SearchOptions{})
	if err != nil || len(hits) != 1 || hits[0].Snippets[0].Number != 1 {
		t.Fatalf("hits %+v, %v", hits, err)
	}
	if sn := hits[0].Snippets[0]; sn.Text[sn.Start:sn.End] != "palimpsest" {
		t.Errorf("snippet %+v", sn)
	}
}
