package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/vault"
)

// countingFiles counts the index writes of a Store.
type countingFiles struct {
	*vault.Files
	indexWrites int
}

func (c *countingFiles) WriteFile(name string, data []byte) error {
	if name == fileName(indexID) {
		c.indexWrites++
	}
	return c.Files.WriteFile(name, data)
}

// batchFiles is countingFiles with the vault's batches, as the session
// gives the store.
type batchFiles struct{ *countingFiles }

func (b batchFiles) NewBatch(dir string) (Batch, error) { return b.Files.NewBatch(dir) }

func importConvs(n int, prefix string) []*chat.Conversation {
	var out []*chat.Conversation
	for i := range n {
		c := sampleConversation(fmt.Sprintf("%s-%04d", prefix, i))
		c.Title = fmt.Sprintf("Imported %d", i)
		c.Source = "chatgpt"
		c.Updated = c.Created
		out = append(out, c)
	}
	return out
}

func storedIDs(t *testing.T, s *Store) []string {
	t.Helper()
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, sum := range list {
		ids = append(ids, sum.ID)
	}
	return ids
}

// TestImportAllWritesTheIndexOnce: 40 conversations, batched or not, cost
// one index write, and the index describes them all (List loads none).
func TestImportAllWritesTheIndexOnce(t *testing.T) {
	for _, batched := range []bool{true, false} {
		t.Run(fmt.Sprintf("batched=%t", batched), func(t *testing.T) {
			h := newHome(t)
			cf := &countingFiles{Files: h.Open(t).Files()}
			var f Files = cf
			if batched {
				f = batchFiles{cf}
			}
			s := New(f)
			res, err := s.ImportAll(context.Background(), importConvs(40, "imp"), ImportOptions{})
			if err != nil || res.Imported != 40 || len(res.Skipped) != 0 {
				t.Fatalf("ImportAll: %+v, %v", res, err)
			}
			if cf.indexWrites != 1 {
				t.Errorf("%d index writes, want 1", cf.indexWrites)
			}
			if ix := s.readIndex(); len(ix) != 40 {
				t.Errorf("the index holds %d entries, want 40", len(ix))
			}
			if _, err := os.Stat(filepath.Join(h.Dir, "conversations", importsDir)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("staging left behind: %v", err)
			}
			fresh := h.store(t, nil)
			if ids := storedIDs(t, fresh); len(ids) != 40 {
				t.Fatalf("%d conversations listed", len(ids))
			}
			got, err := fresh.Load("imp-0007")
			if err != nil || jsonOf(t, got) != jsonOf(t, importConvs(8, "imp")[7]) {
				t.Errorf("imp-0007 changed in the store: %v", err)
			}
			for _, name := range []string{"imp-0000.age", "index.age"} {
				fi, err := os.Stat(filepath.Join(h.Dir, "conversations", name))
				if err != nil || fi.Mode().Perm() != 0o600 {
					t.Errorf("%s: %v, %v", name, fi.Mode(), err)
				}
			}
		})
	}
}

// TestImportAllExisting: a stored ID refuses the whole import, naming it;
// SkipExisting imports the rest and reports what it skipped.
func TestImportAllExisting(t *testing.T) {
	h := newHome(t)
	s := New(batchFiles{&countingFiles{Files: h.Open(t).Files()}})
	first := importConvs(10, "imp")[:4]
	if _, err := s.ImportAll(context.Background(), first, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	all := importConvs(10, "imp")
	_, err := s.ImportAll(context.Background(), all, ImportOptions{})
	if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "imp-0000") {
		t.Fatalf("import over stored IDs: %v", err)
	}
	if ids := storedIDs(t, s); len(ids) != 4 {
		t.Fatalf("a refused import stored %d conversations", len(ids)-4)
	}
	res, err := s.ImportAll(context.Background(), all, ImportOptions{SkipExisting: true})
	if err != nil || res.Imported != 6 || strings.Join(res.Skipped, " ") != "imp-0000 imp-0001 imp-0002 imp-0003" {
		t.Fatalf("SkipExisting: %+v, %v", res, err)
	}
	if ids := storedIDs(t, s); len(ids) != 10 {
		t.Errorf("%d conversations after SkipExisting, want 10", len(ids))
	}
	res, err = s.ImportAll(context.Background(), all, ImportOptions{SkipExisting: true})
	if err != nil || res.Imported != 0 || len(res.Skipped) != 10 {
		t.Errorf("everything stored: %+v, %v", res, err)
	}
	if _, err := s.ImportAll(context.Background(), append(importConvs(1, "dup"), importConvs(1, "dup")...), ImportOptions{}); err == nil {
		t.Error("an ID twice in one import was accepted")
	}
}

// TestStoreRefusesWhatItCannotReadBack lowers the file cap to 1 MiB: a
// conversation just under what fits is saved and loads again; one over it
// is refused by Save and by ImportAll (naming it, before anything is
// written), and no file is written.
func TestStoreRefusesWhatItCannotReadBack(t *testing.T) {
	old := maxFileSize
	maxFileSize = 1 << 20
	t.Cleanup(func() { maxFileSize = old })
	h := newHome(t)
	s := New(batchFiles{&countingFiles{Files: h.Open(t).Files()}})
	// Whole minutes: the times Save sets encode as long as these.
	clock := newClock()
	s.now = clock.Now

	sized := func(id string, encoded int64) *chat.Conversation {
		t0 := clock.t
		c := &chat.Conversation{ID: id, Title: "Huge " + id, Created: t0, Updated: t0, Messages: []chat.Message{{ID: "m1", Role: chat.RoleUser, Time: t0}}}
		data, err := encode(c)
		if err != nil {
			t.Fatal(err)
		}
		c.Messages[0].Content = strings.Repeat("a", int(encoded)-len(data))
		return c
	}
	fits := sized("fits", maxEncodedSize())
	if err := s.Save(fits); err != nil {
		t.Fatalf("Save of the largest conversation that fits: %v", err)
	}
	if _, err := h.store(t, nil).Load("fits"); err != nil {
		t.Fatalf("the largest conversation that fits does not load: %v", err)
	}
	tooBig := sized("toobig", maxEncodedSize()+1)
	if err := s.Save(tooBig); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "toobig") {
		t.Errorf("Save of a conversation too large: %v", err)
	}
	convs := append(importConvs(3, "imp"), tooBig)
	_, err := s.ImportAll(context.Background(), convs, ImportOptions{})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "toobig") || !strings.Contains(err.Error(), "Huge toobig") {
		t.Errorf("ImportAll with a conversation too large: %v", err)
	}
	if ids := storedIDs(t, s); strings.Join(ids, " ") != "fits" {
		t.Errorf("stored: %v", ids)
	}
	if _, err := os.Stat(filepath.Join(h.Dir, "conversations", importsDir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("something was staged: %v", err)
	}
}

// TestImportKilledWhileStaging: the importer dies with its conversations
// staged but no commit record. The next open's Recover leaves nothing of
// the import, and the import can be run again.
func TestImportKilledWhileStaging(t *testing.T) {
	h := newHome(t)
	s := New(batchFiles{&countingFiles{Files: h.Open(t).Files()}})
	st, err := s.stage(context.Background(), importConvs(20, "imp"))
	if err != nil {
		t.Fatal(err)
	}
	// A live import is left alone.
	other := h.store(t, nil)
	if err := other.Recover(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(st.dir); err != nil {
		t.Fatalf("Recover removed a live import: %v", err)
	}
	st.lock.Unlock() // killed: the kernel drops the lock

	if err := other.Recover(); err != nil {
		t.Fatal(err)
	}
	if ids := storedIDs(t, other); len(ids) != 0 {
		t.Errorf("a killed import left %d conversations", len(ids))
	}
	des, err := os.ReadDir(filepath.Join(h.Dir, "conversations"))
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		if de.Name() != "store.lock" && de.Name() != "index.age" {
			t.Errorf("left in conversations/: %s", de.Name())
		}
	}
	if res, err := other.ImportAll(context.Background(), importConvs(20, "imp"), ImportOptions{}); err != nil || res.Imported != 20 {
		t.Errorf("the import again: %+v, %v", res, err)
	}
}

// TestImportKilledWhileCommitting: the importer dies after its commit
// record, with half its files renamed into place. Recover completes it:
// every conversation stored and in the index.
func TestImportKilledWhileCommitting(t *testing.T) {
	h := newHome(t)
	s := New(batchFiles{&countingFiles{Files: h.Open(t).Files()}})
	if err := s.Save(sampleConversation("mine")); err != nil {
		t.Fatal(err)
	}
	st, err := s.stage(context.Background(), importConvs(20, "imp"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.writeCommitRecord(st.token, st.entries); err != nil {
		t.Fatal(err)
	}
	for _, e := range st.entries[:10] {
		if err := os.Rename(filepath.Join(st.dir, e.Summary.ID+".age"), s.path(e.Summary.ID)); err != nil {
			t.Fatal(err)
		}
	}
	st.lock.Unlock() // killed

	cf := &countingFiles{Files: h.Open(t).Files()}
	other := New(batchFiles{cf})
	if err := other.Recover(); err != nil {
		t.Fatal(err)
	}
	if ix := other.readIndex(); len(ix) != 21 {
		t.Errorf("the index holds %d entries after recovery, want 21", len(ix))
	}
	if ids := storedIDs(t, other); len(ids) != 21 {
		t.Errorf("%d conversations after recovery, want 21", len(ids))
	}
	if _, err := os.Stat(filepath.Join(h.Dir, "conversations", importsDir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("staging left behind: %v", err)
	}
	if res, err := other.ImportAll(context.Background(), importConvs(20, "imp"), ImportOptions{SkipExisting: true}); err != nil || res.Imported != 0 || len(res.Skipped) != 20 {
		t.Errorf("the import again with SkipExisting: %+v, %v", res, err)
	}
}

// TestImportCanceled: a canceled context while staging leaves nothing.
func TestImportCanceled(t *testing.T) {
	h := newHome(t)
	s := New(batchFiles{&countingFiles{Files: h.Open(t).Files()}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.ImportAll(ctx, importConvs(5, "imp"), ImportOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled import: %v", err)
	}
	if ids := storedIDs(t, s); len(ids) != 0 {
		t.Errorf("a canceled import stored %v", ids)
	}
	if _, err := os.Stat(filepath.Join(h.Dir, "conversations", importsDir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("staging left behind: %v", err)
	}
}
