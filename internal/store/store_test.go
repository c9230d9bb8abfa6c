package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/testkit"
	"github.com/vaultchat/vaultchat/vault"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	h := newHome(t)
	clock := newClock()
	s := h.store(t, clock)
	c := sampleConversation("20261126-150405-ab12cd")
	if err := s.Save(c); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if want := time.Date(2026, 11, 26, 15, 1, 0, 0, time.UTC); !c.Updated.Equal(want) {
		t.Errorf("Updated = %v, want %v", c.Updated, want)
	}
	// A new handle, as after a restart.
	got, err := h.store(t, nil).Load(c.ID)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if jsonOf(t, got) != jsonOf(t, c) {
		t.Errorf("round trip changed the conversation:\n got %s\nwant %s", jsonOf(t, got), jsonOf(t, c))
	}
	if got.Messages[4].Turn.Error == nil || got.Messages[4].Turn.Error.RetryAfter != 12*time.Second {
		t.Errorf("turn error lost: %+v", got.Messages[4].Turn)
	}
}

func TestSaveSetsCreatedOnlyWhenZero(t *testing.T) {
	h := newHome(t)
	s := h.store(t, newClock())
	c := &chat.Conversation{ID: NewID()}
	if err := s.Save(c); err != nil {
		t.Fatal(err)
	}
	created := c.Created
	if created.IsZero() || !created.Equal(c.Updated) {
		t.Fatalf("Created = %v, Updated = %v", created, c.Updated)
	}
	if err := s.Save(c); err != nil {
		t.Fatal(err)
	}
	if !c.Created.Equal(created) || !c.Updated.After(created) {
		t.Errorf("second save: Created %v (was %v), Updated %v", c.Created, created, c.Updated)
	}
	got, err := s.Load(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Messages == nil {
		t.Error("Load of an empty conversation returned nil Messages")
	}
}

func TestFileIsEncryptedAndPrivate(t *testing.T) {
	h := newHome(t)
	s := h.store(t, nil)
	c := sampleConversation("c1")
	c.Messages[0].Content = "plaintext-marker-" + NewID()
	if err := s.Save(c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.List(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"c1.age", "index.age", "store.lock"} {
		path := filepath.Join(h.Dir, "conversations", name)
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", name, fi.Mode().Perm())
		}
		b, _ := os.ReadFile(path)
		if name != "store.lock" && !bytes.HasPrefix(b, []byte("age-encryption.org/v1\n")) {
			t.Errorf("%s is not an age file", name)
		}
		if bytes.Contains(b, []byte("plaintext-marker")) || bytes.Contains(b, []byte("Sample")) {
			t.Errorf("%s holds plaintext", name)
		}
	}
	fi, err := os.Stat(filepath.Join(h.Dir, "conversations"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("conversations dir mode %v, want 0700", fi.Mode().Perm())
	}
}

func TestLoadMissing(t *testing.T) {
	s := newHome(t).store(t, nil)
	if _, err := s.Load("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Load missing: %v, want ErrNotFound", err)
	}
	if err := s.Delete("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delete missing: %v, want ErrNotFound", err)
	}
	if err := s.Rename("nope", "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Rename missing: %v, want ErrNotFound", err)
	}
}

// TestUnreadableNeverOverwritten damages a conversation file in several
// ways and checks that Load reports the class and that Save, from a fresh
// Store and from one that had loaded the file before, leaves it untouched.
func TestUnreadableNeverOverwritten(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, h testHome, v *vault.Vault, path string)
		cause  error
	}{
		{"flipped byte", func(t *testing.T, h testHome, v *vault.Vault, path string) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)-20] ^= 0x40
			testkit.WriteRaw(t, path, b)
		}, vault.ErrCorrupted},
		{"truncated", func(t *testing.T, h testHome, v *vault.Vault, path string) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			testkit.WriteRaw(t, path, b[:len(b)/2])
		}, vault.ErrCorrupted},
		{"not json", func(t *testing.T, h testHome, v *vault.Vault, path string) {
			if err := v.Files().WriteFile("conversations/c1.age", []byte("{not json")); err != nil {
				t.Fatal(err)
			}
		}, ErrUnreadable},
		{"newer schema", func(t *testing.T, h testHome, v *vault.Vault, path string) {
			if err := v.Files().WriteFile("conversations/c1.age", []byte(`{"schema":2,"conversation":{"id":"c1","messages":{"new":"shape"}}}`)); err != nil {
				t.Fatal(err)
			}
		}, ErrUnsupported},
		{"other identity", func(t *testing.T, h testHome, v *vault.Vault, path string) {
			other := newHome(t)
			ov := other.Open(t)
			if err := ov.Files().WriteFile("conversations/c1.age", []byte(`{"schema":1,"conversation":{"id":"c1"}}`)); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(other.convPath("c1"))
			if err != nil {
				t.Fatal(err)
			}
			testkit.WriteRaw(t, path, b)
		}, vault.ErrWrongIdentity},
		{"too large", func(t *testing.T, h testHome, v *vault.Vault, path string) {
			// A sparse file: refused on its size before any decrypting.
			if err := os.Truncate(path, MaxConversationSize+1); err != nil {
				t.Fatal(err)
			}
		}, vault.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHome(t)
			v := h.Open(t)
			s := New(v.Files())
			c := sampleConversation("c1")
			if err := s.Save(c); err != nil {
				t.Fatal(err)
			}
			path := h.convPath("c1")
			tt.damage(t, h, v, path)
			before := testkit.FileState(t, path)

			for _, st := range []*Store{s, h.store(t, nil)} {
				_, err := st.Load("c1")
				if !errors.Is(err, ErrUnreadable) || !errors.Is(err, tt.cause) {
					t.Fatalf("Load: %v, want ErrUnreadable and %v", err, tt.cause)
				}
				err = st.Save(sampleConversation("c1"))
				if !errors.Is(err, ErrUnreadable) || !errors.Is(err, tt.cause) {
					t.Fatalf("Save over a damaged file: %v, want ErrUnreadable and %v", err, tt.cause)
				}
				if after := testkit.FileState(t, path); after != before {
					t.Fatal("the damaged file was changed")
				}
			}
			list, err := s.List()
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 1 || list[0].Title != UnreadableTitle || list[0].ID != "c1" {
				t.Errorf("List = %+v, want the unreadable placeholder", list)
			}
			if _, err := s.Latest(); !errors.Is(err, ErrNotFound) {
				t.Errorf("Latest with only an unreadable file: %v, want ErrNotFound", err)
			}
			if err := s.Delete("c1"); err != nil {
				t.Fatalf("Delete of an unreadable conversation: %v", err)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("file still there after Delete: %v", err)
			}
		})
	}
}

func TestSaveAfterOtherWriter(t *testing.T) {
	// Another process replacing a good file is not a reason to refuse:
	// the file is read back, opens, and is replaced.
	h := newHome(t)
	a, b := h.store(t, newClock()), h.store(t, newClock())
	c := sampleConversation("c1")
	if err := a.Save(c); err != nil {
		t.Fatal(err)
	}
	c2, err := b.Load("c1")
	if err != nil {
		t.Fatal(err)
	}
	c2.Messages = append(c2.Messages, chat.Message{ID: "m8", Role: chat.RoleUser, Content: "from b"})
	if err := b.Save(c2); err != nil {
		t.Fatal(err)
	}
	c.Title = "from a"
	if err := a.Save(c); err != nil {
		t.Fatalf("Save after another writer: %v", err)
	}
	got, err := b.Load("c1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "from a" {
		t.Errorf("Title = %q", got.Title)
	}
}

func TestInvalidIDs(t *testing.T) {
	s := newHome(t).store(t, nil)
	for _, id := range []string{"", "../x", "a/b", `a\b`, ".hidden", "a.b", "index", "INDEX", "-lead", "a b", "é", strings.Repeat("a", 129), "x\x00"} {
		t.Run(fmt.Sprintf("%q", id), func(t *testing.T) {
			if err := ValidateID(id); !errors.Is(err, ErrInvalidID) {
				t.Errorf("ValidateID: %v", err)
			}
			if _, err := s.Load(id); !errors.Is(err, ErrInvalidID) {
				t.Errorf("Load: %v", err)
			}
			if err := s.Save(&chat.Conversation{ID: id}); !errors.Is(err, ErrInvalidID) {
				t.Errorf("Save: %v", err)
			}
			if err := s.Delete(id); !errors.Is(err, ErrInvalidID) {
				t.Errorf("Delete: %v", err)
			}
			if err := s.Rename(id, "t"); !errors.Is(err, ErrInvalidID) {
				t.Errorf("Rename: %v", err)
			}
		})
	}
	for _, id := range []string{"a", "20261126-150405-ab12cd", "6f1c2a9e-0b7d-4c55-9d7e-1b2c3d4e5f60", "chat_1", strings.Repeat("a", 128)} {
		if err := ValidateID(id); err != nil {
			t.Errorf("ValidateID(%q): %v", id, err)
		}
	}
}

func TestNewID(t *testing.T) {
	pattern := regexp.MustCompile(`^\d{8}-\d{6}-[0-9a-f]{8}$`)
	seen := map[string]bool{}
	before := time.Now().UTC().Add(-time.Second)
	for range 100_000 {
		id := NewID()
		if !pattern.MatchString(id) {
			t.Fatalf("NewID() = %q, want YYYYMMDD-HHMMSS-xxxxxxxx", id)
		}
		if err := ValidateID(id); err != nil {
			t.Fatal(err)
		}
		if seen[id] {
			t.Fatalf("duplicate ID %q", id)
		}
		seen[id] = true
		ts, err := time.Parse("20060102-150405", id[:15])
		if err != nil {
			t.Fatal(err)
		}
		if ts.Before(before.Truncate(time.Second)) || ts.After(time.Now().UTC()) {
			t.Fatalf("ID time %v is not now", ts)
		}
	}
}

func TestTitle(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", DefaultTitle},
		{"   \n\t\n", DefaultTitle},
		{"Hello world", "Hello world"},
		{"  first   line  \nsecond line", "first line"},
		{"\n\n  after blank lines\nmore", "after blank lines"},
		{"tabs\tand\r\nCRLF", "tabs and"},
		{"esc \x1b]52;c;ZXZpbA==\x07 gone", "esc ]52;c;ZXZpbA== gone"},
		{"csi \x1b[2Jclear", "csi [2Jclear"},
		{"c1 \u009b31m red", "c1 31m red"},
		{"bidi \u202eevil\u202c text", "bidi evil text"},
		{"zero\u200bwidth", "zero width"},
		{"bad utf8 \xff\xfe here", "bad utf8 here"},
		{"line\u2028separator", "line"},
		{"How do I read a large CSV file in Go without loading everything into memory at once?",
			"How do I read a large CSV file in Go without loading…"},
		{strings.Repeat("x", 100), strings.Repeat("x", 59) + "…"},
		{"Schöne Grüße aus Köln — wie geht es dir heute, mein lieber Freund? Ich hoffe gut",
			"Schöne Grüße aus Köln — wie geht es dir heute, mein lieber…"},
		{strings.Repeat("日本語", 30), strings.Repeat("日本語", 19) + "日本…"},
	}
	for _, tt := range tests {
		got := Title(tt.in)
		if got != tt.want {
			t.Errorf("Title(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if n := len([]rune(got)); n > maxTitle {
			t.Errorf("Title(%q) has %d characters", tt.in, n)
		}
		for _, r := range got {
			if r < 0x20 || (r >= 0x7f && r < 0xa0) {
				t.Errorf("Title(%q) = %q holds control character %U", tt.in, got, r)
			}
		}
	}
}

func TestListSummariesAndOrder(t *testing.T) {
	h := newHome(t)
	s := h.store(t, newClock())
	a := sampleConversation("a")
	b := &chat.Conversation{ID: "b", Title: "Empty"}
	c := sampleConversation("c")
	c.Messages = c.Messages[:2]
	for _, conv := range []*chat.Conversation{a, b, c} {
		if err := s.Save(conv); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, sum := range list {
		ids = append(ids, sum.ID)
	}
	if got := strings.Join(ids, ","); got != "c,b,a" {
		t.Fatalf("order = %s, want c,b,a (newest first)", got)
	}
	sa := list[2]
	if sa.Title != "Sample" || !sa.Updated.Equal(a.Updated) || sa.Messages != 6 {
		t.Errorf("summary a = %+v", sa)
	}
	if strings.Join(sa.Totals.Keys, ",") != "work,home" {
		t.Errorf("Keys = %v", sa.Totals.Keys)
	}
	wantUsage := chat.Usage{PromptTokens: 140, CachedPromptTokens: 20, CompletionTokens: 55, ReasoningTokens: 5, Estimated: true}
	if sa.Totals.Usage != wantUsage {
		t.Errorf("Usage = %+v, want %+v", sa.Totals.Usage, wantUsage)
	}
	if got := sa.Totals.Cost().String(); got != "~$0.0130+" {
		t.Errorf("cost = %s, want ~$0.0130+ (a lower bound: one reply had no price)", got)
	}
	if sc := list[0]; sc.Totals.Cost().String() != "$0.0125" || sc.Messages != 2 {
		t.Errorf("summary c = %+v", sc)
	}
	if sb := list[1]; sb.Totals.Cost().String() != "$0.00" || sb.Messages != 0 || len(sb.Totals.Keys) != 0 || sb.Totals.Usage != (chat.Usage{}) {
		t.Errorf("summary b = %+v", sb)
	}
	latest, err := s.Latest()
	if err != nil || latest != "c" {
		t.Errorf("Latest = %q, %v", latest, err)
	}

	// Delete and rename update the list.
	if err := s.Delete("c"); err != nil {
		t.Fatal(err)
	}
	if err := s.Rename("a", "  Renamed\x1b[31m one \nsecond line"); err != nil {
		t.Fatal(err)
	}
	list, err = s.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != "b" || list[1].Title != "Renamed [31m one" {
		t.Errorf("after delete+rename: %+v", list)
	}
	if !list[1].Updated.Equal(a.Updated) {
		t.Errorf("Rename moved Updated from %v to %v", a.Updated, list[1].Updated)
	}
	got, err := s.Load("a")
	if err != nil || got.Title != "Renamed [31m one" {
		t.Errorf("Load after rename: %q, %v", got.Title, err)
	}
	if err := s.Rename("a", " \n "); err == nil {
		t.Error("Rename to an empty title succeeded")
	}
}

func TestLatestEmpty(t *testing.T) {
	s := newHome(t).store(t, nil)
	if _, err := s.Latest(); !errors.Is(err, ErrNotFound) {
		t.Errorf("Latest on an empty store: %v", err)
	}
	list, err := s.List()
	if err != nil || len(list) != 0 {
		t.Errorf("List on an empty store: %v, %v", list, err)
	}
}

// TestIndexRepairs checks that List gives the same answer whatever state
// the index is in, and rewrites it.
func TestIndexRepairs(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, h testHome, v *vault.Vault)
	}{
		{"missing", func(t *testing.T, h testHome, v *vault.Vault) {
			if err := os.Remove(filepath.Join(h.Dir, "conversations", "index.age")); err != nil {
				t.Fatal(err)
			}
		}},
		{"garbage", func(t *testing.T, h testHome, v *vault.Vault) {
			testkit.WriteRaw(t, filepath.Join(h.Dir, "conversations", "index.age"), []byte("garbage"))
		}},
		{"bad json", func(t *testing.T, h testHome, v *vault.Vault) {
			if err := v.Files().WriteFile("conversations/index.age", []byte("[")); err != nil {
				t.Fatal(err)
			}
		}},
		{"stale: written behind its back", func(t *testing.T, h testHome, v *vault.Vault) {
			// A conversation written without the index (a crash between
			// the two writes, or an older vaultchat), and one removed.
			if err := v.Files().WriteFile("conversations/zz.age", []byte(`{"schema":1,"conversation":{"id":"zz","title":"Sneaky","updated":"2027-01-01T00:00:00Z","messages":[]}}`)); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(h.convPath("x2")); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHome(t)
			v := h.Open(t)
			s := New(v.Files())
			s.now = newClock().Now
			for _, id := range []string{"x1", "x2", "x3"} {
				if err := s.Save(sampleConversation(id)); err != nil {
					t.Fatal(err)
				}
			}
			want, err := s.List()
			if err != nil {
				t.Fatal(err)
			}
			tt.damage(t, h, v)
			if strings.HasPrefix(tt.name, "stale") {
				want = append([]chat.Summary{{ID: "zz", Title: "Sneaky", Updated: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Totals: chat.Totals{Keys: []string{}, Models: []string{}}}}, want[0], want[2])
			}
			got, err := h.store(t, nil).List()
			if err != nil {
				t.Fatal(err)
			}
			if jsonOf(t, got) != jsonOf(t, want) {
				t.Errorf("List after the index broke:\n got %s\nwant %s", jsonOf(t, got), jsonOf(t, want))
			}
			// The index was rewritten: it now matches the files.
			ix := s.readIndex()
			if len(ix) != len(want) {
				t.Errorf("index has %d entries, want %d", len(ix), len(want))
			}
			dirty, err := s.refreshIndex(ix, nil)
			if err != nil || dirty {
				t.Errorf("index still stale after List (dirty %v, err %v)", dirty, err)
			}
		})
	}
}

// TestConcurrentSaves saves from two Stores on two vault handles at once,
// as the TUI and "vaultchat ask" would, and checks that the index (not
// just List, which would repair it) lost no conversation.
func TestConcurrentSaves(t *testing.T) {
	h := newHome(t)
	stores := []*Store{h.store(t, nil), h.store(t, nil)}
	const perStore = 15
	var wg sync.WaitGroup
	errs := make(chan error, 2*perStore)
	for i, s := range stores {
		wg.Go(func() {
			for j := range perStore {
				c := sampleConversation(fmt.Sprintf("s%d-%02d", i, j))
				if err := s.Save(c); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	ix := stores[0].readIndex()
	if len(ix) != 2*perStore {
		t.Errorf("index holds %d conversations, want %d", len(ix), 2*perStore)
	}
	dirty, err := stores[0].refreshIndex(ix, nil)
	if err != nil || dirty {
		t.Errorf("index out of date after concurrent saves (dirty %v, err %v)", dirty, err)
	}
}

func TestSummarizeSkipsNotesAndCountsUnknownCost(t *testing.T) {
	c := sampleConversation("s")
	sum := Summarize(c)
	if sum.Messages != 6 {
		t.Errorf("Messages = %d, want 6 (the note is not counted)", sum.Messages)
	}
	// A failed turn with no text, no tokens and no cost does not make
	// the cost a lower bound: nothing was spent on it.
	c.Messages[4].Turn.Usage = chat.Usage{}
	c.Messages[4].Content = ""
	if got := Summarize(c).Totals; got.UnpricedTurns != 0 || got.Cost().LowerBound {
		t.Errorf("a free failed turn made the cost a lower bound: %+v", got)
	}
	// A complete reply with no cost and no usage (an imported ChatGPT
	// answer) is not free: its cost is unknown.
	c.Messages = append(c.Messages, chat.Message{ID: "imp", Role: chat.RoleAssistant, Content: "imported",
		Turn: &chat.Turn{KeyName: "chatgpt-import", Model: "gpt-4o"}})
	if got := Summarize(c).Totals; got.UnpricedTurns != 1 || got.Cost().String() != "$0.0130+" {
		t.Errorf("an imported reply without figures counted as free: %+v", got)
	}
}

func TestListRemovesStaleTempFiles(t *testing.T) {
	h := newHome(t)
	s := h.store(t, nil)
	if err := s.Save(sampleConversation("c1")); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(h.Dir, "conversations")
	stale := filepath.Join(dir, ".c1.age123456789")
	keep := filepath.Join(dir, ".notes")
	for _, p := range []string{stale, keep} {
		if err := os.WriteFile(p, []byte("age-encryption.org/v1\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.List()
	if err != nil || len(list) != 1 {
		t.Fatalf("List = %v, %v", list, err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temp file still there: %v", err)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("an unrelated file was removed: %v", err)
	}
}

func TestImportKeepsTimesAndRefusesExisting(t *testing.T) {
	h := newHome(t)
	s := h.store(t, nil)
	created := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	updated := created.Add(time.Hour)
	c := &chat.Conversation{ID: NewID(), Title: "imported", Created: created, Updated: updated,
		Messages: []chat.Message{{ID: "m1", Role: chat.RoleUser, Content: "hi", Time: created}}}
	if _, err := s.ImportAll(t.Context(), []*chat.Conversation{c}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Created.Equal(created) || !got.Updated.Equal(updated) {
		t.Fatalf("times changed: created %v updated %v", got.Created, got.Updated)
	}
	if _, err := s.ImportAll(t.Context(), []*chat.Conversation{c}, ImportOptions{}); !errors.Is(err, ErrExists) {
		t.Fatalf("second import: %v, want ErrExists", err)
	}
}
