package vault

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// countDecrypts counts the reads of vault.age (each a full decrypt) while
// fn runs.
func countDecrypts(t *testing.T, fn func()) int {
	t.Helper()
	n := 0
	readVaultHook = func(string) { n++ }
	defer func() { readVaultHook = nil }()
	fn()
	return n
}

// setRefreshHook runs fn inside the next Refresh calls, between their
// decrypt and the swap of the state.
func setRefreshHook(t *testing.T, fn func()) {
	t.Helper()
	refreshHook = fn
	t.Cleanup(func() { refreshHook = nil })
}

func mustRefresh(t *testing.T, v *Vault) {
	t.Helper()
	if err := v.Refresh(); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
}

func mustUpdate(t *testing.T, v *Vault, fn func(tx *Tx) error) {
	t.Helper()
	if err := v.Update(fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// twoProcesses opens a home of two keys twice: app is the long-lived
// holder, other plays a second process (ask, another app).
func twoProcesses(t *testing.T) (app, other *Vault) {
	t.Helper()
	home, opts, _ := newIdentityVault(t)
	other = mustOpen(t, home, opts)
	addKeys(t, other, "k", 2)
	return mustOpen(t, home, opts), other
}

// reopen opens v's home again, as a new process would.
func reopen(t *testing.T, v *Vault) *Vault {
	t.Helper()
	r, err := v.PublicRecipient()
	if err != nil {
		t.Fatal(err)
	}
	return mustOpen(t, v.dir, Options{Identity: v, Recipient: r})
}

func touch(name string, at time.Time) func(tx *Tx) error {
	return func(tx *Tx) error { return tx.Touch(name, at) }
}

func note(name, text string) func(tx *Tx) error {
	return func(tx *Tx) error {
		_, err := tx.Edit(name, func(k *Key) error { k.Note = text; return nil })
		return err
	}
}

// TestRefreshSkipsBookkeepingElsewhere: another process recording a key's
// last use (every chat turn) used to make the app decrypt the whole vault
// on its next Refresh. It now costs no decrypt, while a real change is
// still loaded, and the app's own next save keeps the other's last use.
func TestRefreshSkipsBookkeepingElsewhere(t *testing.T) {
	app, other := twoProcesses(t)
	used := fixedTime.Add(time.Hour)
	mustUpdate(t, other, touch("k-0", used))
	if n := countDecrypts(t, func() { mustRefresh(t, app) }); n != 0 {
		t.Fatalf("Refresh after a last-use save elsewhere decrypted %d times, want 0", n)
	}
	if n := countDecrypts(t, func() { mustRefresh(t, app) }); n != 0 {
		t.Fatalf("a second Refresh decrypted %d times, want 0", n)
	}

	mustUpdate(t, other, note("k-1", "changed elsewhere"))
	if n := countDecrypts(t, func() { mustRefresh(t, app) }); n != 1 {
		t.Fatalf("Refresh after a note changed elsewhere decrypted %d times, want 1", n)
	}
	if k, _ := app.Key("k-1"); k.Note != "changed elsewhere" {
		t.Fatalf("note after Refresh: %q", k.Note)
	}
	// The reload brought the last use recorded before it, too.
	if k, _ := app.Key("k-0"); !k.LastUsed.Equal(used) {
		t.Fatalf("k-0 last used %v after the reload, want %v", k.LastUsed, used)
	}

	mustUpdate(t, other, touch("k-0", used.Add(time.Hour)))
	if n := countDecrypts(t, func() { mustRefresh(t, app) }); n != 0 {
		t.Fatalf("Refresh after a second last-use save decrypted %d times, want 0", n)
	}
	// The app's own save reloads under the lock: the other's last use
	// stays.
	mustUpdate(t, app, touch("k-1", used))
	if k, _ := app.Key("k-0"); !k.LastUsed.Equal(used.Add(time.Hour)) {
		t.Fatalf("k-0 last used %v after the app's save, want %v", k.LastUsed, used.Add(time.Hour))
	}
	fresh := reopen(t, other)
	k0, _ := fresh.Key("k-0")
	k1, _ := fresh.Key("k-1")
	if !k0.LastUsed.Equal(used.Add(time.Hour)) || !k1.LastUsed.Equal(used) {
		t.Fatalf("saved last uses: k-0 %v, k-1 %v", k0.LastUsed, k1.LastUsed)
	}
}

// TestRefreshSeesKeysAddedAndRemovedElsewhere, at the vault's level (the
// session's TestKeysChangedElsewhereAreSeen covers the app).
func TestRefreshSeesKeysAddedAndRemovedElsewhere(t *testing.T) {
	app, other := twoProcesses(t)
	mustUpdate(t, other, touch("k-0", fixedTime))
	mustRefresh(t, app)
	mustUpdate(t, other, func(tx *Tx) error { _, err := tx.Remove("k-0"); return err })
	addKeys(t, other, "new", 1)
	mustRefresh(t, app)
	var names []string
	for _, k := range app.Keys() {
		names = append(names, k.Name)
	}
	if !slices.Equal(names, []string{"k-1", "new-0"}) {
		t.Fatalf("keys after changes elsewhere: %v", names)
	}
}

// TestRefreshTrustsNoStaleStamp: a stamp that does not describe the
// current vault.age (a writer killed before writing it, an older vaultchat
// that writes none, a stamp put back) never hides a change.
func TestRefreshTrustsNoStaleStamp(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stamp func(t *testing.T, path string, old []byte)
	}{
		{"stale", func(t *testing.T, path string, old []byte) {
			if err := os.WriteFile(path, old, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"missing", func(t *testing.T, path string, _ []byte) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}},
		{"damaged", func(t *testing.T, path string, _ []byte) {
			if err := os.WriteFile(path, []byte("{\"data\":"), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app, other := twoProcesses(t)
			path := filepath.Join(other.dir, stampFile)
			old, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			mustUpdate(t, other, note("k-1", "changed elsewhere"))
			tc.stamp(t, path, old)
			if n := countDecrypts(t, func() { mustRefresh(t, app) }); n != 1 {
				t.Fatalf("Refresh decrypted %d times, want 1", n)
			}
			if k, _ := app.Key("k-1"); k.Note != "changed elsewhere" {
				t.Fatalf("note after Refresh: %q", k.Note)
			}
		})
	}
}

// TestRefreshDecryptsWithoutTheLock: readers used to wait for Refresh's
// decrypt; the Vault's lock is now free while it runs.
func TestRefreshDecryptsWithoutTheLock(t *testing.T) {
	app, other := twoProcesses(t)
	mustUpdate(t, other, note("k-1", "changed elsewhere"))
	ran := false
	setRefreshHook(t, func() {
		ran = true
		if !app.mu.TryLock() {
			t.Error("Refresh holds the Vault's lock after its decrypt")
			return
		}
		app.mu.Unlock()
		if len(app.Keys()) != 2 {
			t.Error("Keys during Refresh")
		}
	})
	mustRefresh(t, app)
	if !ran {
		t.Fatal("Refresh did not decrypt")
	}
}

// TestRefreshLosesToALocalSave: a save by this Vault while Refresh
// decrypts (outside the lock) reloads under the vault lock and writes a
// newer generation; Refresh must not put the older file it read back.
func TestRefreshLosesToALocalSave(t *testing.T) {
	app, other := twoProcesses(t)
	mustUpdate(t, other, note("k-1", "changed elsewhere"))
	setRefreshHook(t, func() {
		refreshHook = nil
		addKeys(t, app, "local", 1)
	})
	mustRefresh(t, app)
	want := []string{"k-0", "k-1", "local-0"}
	names := func() []string {
		var out []string
		for _, k := range app.Keys() {
			out = append(out, k.Name)
		}
		return out
	}
	if got := names(); !slices.Equal(got, want) {
		t.Fatalf("keys after Refresh raced a local save: %v, want %v", got, want)
	}
	if k, _ := app.Key("k-1"); k.Note != "changed elsewhere" {
		t.Fatalf("note: %q", k.Note)
	}
	mustRefresh(t, app)
	if got := names(); !slices.Equal(got, want) {
		t.Fatalf("keys after a second Refresh: %v, want %v", got, want)
	}
	if g, want := app.generation(), other.generation()+1; g != want {
		t.Fatalf("generation %d, want %d", g, want)
	}
}

// TestRefreshAfterCloseBringsNothingBack: a Vault closed while Refresh
// decrypts stays closed and empty.
func TestRefreshAfterCloseBringsNothingBack(t *testing.T) {
	app, other := twoProcesses(t)
	mustUpdate(t, other, note("k-1", "changed elsewhere"))
	setRefreshHook(t, app.Close)
	if err := app.Refresh(); !errors.Is(err, ErrLocked) {
		t.Fatalf("Refresh of a Vault closed meanwhile: %v, want ErrLocked", err)
	}
	if n := len(app.Keys()); n != 0 {
		t.Fatalf("%d keys after Close", n)
	}
}

// TestRefreshConcurrentWithReadersAndSaves runs Refresh while this Vault
// reads and saves and another process saves data and bookkeeping (run
// with -race): nothing fails, and after the last Refresh the Vault holds
// what is on disk.
func TestRefreshConcurrentWithReadersAndSaves(t *testing.T) {
	app, other := twoProcesses(t)
	const rounds = 20
	done := make(chan error, 3)
	go func() {
		var err error
		for i := range rounds {
			if err == nil {
				err = other.Update(note("k-1", "note "+strconv.Itoa(i)))
			}
			if err == nil {
				err = other.Update(touch("k-0", fixedTime.Add(time.Duration(i)*time.Minute)))
			}
		}
		done <- err
	}()
	go func() {
		var err error
		for i := range rounds {
			if err == nil {
				err = app.Update(touch("k-1", fixedTime.Add(time.Duration(i)*time.Hour)))
			}
			_ = app.Keys()
		}
		done <- err
	}()
	go func() {
		var err error
		for range 4 * rounds {
			if err == nil {
				err = app.Refresh()
			}
		}
		done <- err
	}()
	for range 3 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	mustUpdate(t, app, touch("k-0", fixedTime.Add(48*time.Hour)))
	mustUpdate(t, other, touch("k-1", fixedTime.Add(72*time.Hour)))
	mustRefresh(t, app)
	fresh := reopen(t, other)
	k, _ := app.Key("k-1")
	want, _ := fresh.Key("k-1")
	if k.Note != want.Note || k.Note != "note "+strconv.Itoa(rounds-1) {
		t.Fatalf("note %q, on disk %q", k.Note, want.Note)
	}
	if app.generation() > fresh.generation() {
		t.Fatalf("generation %d ahead of the disk's %d", app.generation(), fresh.generation())
	}
}
