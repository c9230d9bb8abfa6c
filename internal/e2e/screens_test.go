package e2e

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	keyCtrlN = "\x0e"
	keyCtrlT = "\x14"
)

// conversationFiles counts the conversation files of the vault home.
func conversationFiles(t *testing.T, home string) int {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(home, "conversations", "*.age"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, name := range names {
		// index.age, and search.index.age the list's search writes.
		if !strings.HasSuffix(filepath.Base(name), "index.age") {
			n++
		}
	}
	return n
}

// TestListAt80ColumnsTakesNoHiddenKeys opens the conversation list with
// the usage pane on in an 80×24 terminal and types "djson": the list is
// on screen while it takes the keys, the letters filter it, no delete
// question appears and no conversation is created or deleted.
func TestListAt80ColumnsTakesNoHiddenKeys(t *testing.T) {
	f := newFixture(t)
	_, url := f.startSim(0)
	f.identityVault()
	f.addKey("only", url, "sim-fast")
	f.vaultchat("", "--home", f.home, "ask", "first conversation")
	f.vaultchat("", "--home", f.home, "ask", "second conversation")
	before := conversationFiles(t, f.home)
	if before != 2 {
		t.Fatalf("%d conversations stored, want 2", before)
	}

	tm := f.app(80, 24)
	tm.waitFor("the main screen", idle)
	tm.send(keyCtrlT)
	tm.waitText("USAGE")
	tm.send(keyCtrlO)
	tm.waitText("CONVERSATIONS", "/ type to filter")
	tm.send("djson")
	s := tm.waitText("/ djson", "no match")
	if strings.Contains(s, "Delete") || strings.Contains(s, "delete conversation") {
		t.Fatalf("typing in the list asked to delete:\n%s", s)
	}
	tm.send(keyEsc) // clears the filter
	tm.waitText("/ type to filter", "first conversation", "second conversation")
	tm.send(keyEsc) // leaves the list
	tm.waitFor("the input focused", func(s string) bool { return strings.Contains(s, "enter send") })
	tm.send(keyCtrlC) // nothing typed: quits at once
	tm.waitExit()
	if after := conversationFiles(t, f.home); after != before {
		t.Fatalf("%d conversations after typing in the list, want %d", after, before)
	}
}

// TestDraftKeptEncryptedAcrossRestart types a draft, quits (ctrl+c asks,
// a second ctrl+c quits), checks no file of the home holds the draft in
// plaintext, and finds it in the input after a restart.
func TestDraftKeptEncryptedAcrossRestart(t *testing.T) {
	f := newFixture(t)
	_, url := f.startSim(0)
	f.identityVault()
	f.addKey("only", url, "sim-fast")
	const draft = "an unsent thought about zebras"

	tm := f.app(termW, termH)
	tm.waitFor("the main screen", idle)
	tm.send(draft)
	tm.waitText(draft)
	tm.send(keyCtrlC)
	tm.waitText("Quit?", "ctrl+c quits")
	tm.send(keyCtrlC)
	tm.waitExit()

	filepath.WalkDir(f.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		if data, err := os.ReadFile(p); err == nil && bytes.Contains(data, []byte("zebras")) {
			t.Errorf("%s holds the draft in plaintext", p)
		}
		return nil
	})

	tm = f.app(termW, termH)
	tm.waitFor("the draft back in the input", func(s string) bool {
		return idle(s) && strings.Contains(s, "› "+draft)
	})
	tm.send(keyCtrlC)
	tm.waitText("Quit?")
	tm.send("y")
	tm.waitExit()
}
