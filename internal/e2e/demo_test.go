package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDemo starts "vaultchat --demo": the banner shows with what to try,
// the list holds the demo's conversations (a role's, one with files, a
// fork, a reply in versions, imported history), a message gets a reply
// from the built-in simulator, and ctrl+c quits and removes the
// temporary vault from TMPDIR.
func TestDemo(t *testing.T) {
	f := newFixture(t)
	tmp := filepath.Join(f.dir, "tmp")
	tm := f.start(termW, termH, "--demo")
	tm.waitText("DEMO · temporary vault", "try ctrl+o", "ALL KEYS · MONTH", "● idle", "Naming the app")
	tm.send(keyCtrlO)
	tm.waitText("CONVERSATIONS", "Code review", "Release checklist (fork)", "Goroutine leaks", "Monthly API budget")
	tm.send(keyCtrlO) // hides the list
	tm.send(keyCtrlN)
	tm.waitText("type a message and press enter")
	demoDirs := func() []string {
		entries, err := os.ReadDir(tmp)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "vaultchat-demo-") {
				names = append(names, e.Name())
			}
		}
		return names
	}
	if got := demoDirs(); len(got) != 1 {
		t.Fatalf("while the demo runs, TMPDIR holds %v; want one vaultchat-demo-* directory", got)
	}

	tm.send("hello demo" + keyEnter)
	tm.waitText(`Your message: "hello demo"`, "That is all for this turn.", "personal · sim-fast · ", "● idle")

	tm.send(keyCtrlC)
	tm.waitExit()
	if got := demoDirs(); len(got) != 0 {
		t.Errorf("after ctrl+c, TMPDIR still holds %v", got)
	}
	// The demo's keys are random "sk-demo-…" values this test cannot
	// know; none may reach the terminal beyond its masked form.
	if m := regexp.MustCompile(`sk-demo-[a-z2-7]{5,}`).Find(tm.rawOutput()); m != nil {
		t.Errorf("a demo key reached the terminal: %.14s…", m)
	}
}
