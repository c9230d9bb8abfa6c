package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAttachAndForkInTheApp attaches a file in the full-screen app with
// "@path" and tab, sends it (the simulator receives it inline, with its
// name, in a fence), regenerates the reply, selects it with alt+m and
// flips back to the first version with ←, then forks from it with f: the
// fork opens, and the conversation list shows what it was forked from.
func TestAttachAndForkInTheApp(t *testing.T) {
	f := newFixture(t)
	f.identityVault()
	srv, url := f.startSim(0)
	f.addKey("work", url, "sim-fast")
	notes := filepath.Join(f.dir, "notes.txt")
	if err := os.WriteFile(notes, []byte("the flock holds\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	tm := f.app(termW, termH)
	tm.waitFor("the main screen", idle)
	tm.send("describe @" + notes)
	tm.waitText(notes)
	tm.send("\t")
	tm.waitText("[notes.txt 16 B]", "ctrl+x removes")
	tm.send("it" + keyEnter)
	tm.waitFor("the reply", func(s string) bool {
		return idle(s) && len(footers(s, "work", "sim-fast")) > 0
	})
	tm.press("\x1b[1;5H") // ctrl+home: the message sent, with its chip
	tm.waitText("[notes.txt · text · 16 B]")
	reqs := srv.Requests()
	if len(reqs) == 0 {
		t.Fatal("no request reached the simulator")
	}
	body := string(reqs[len(reqs)-1].Body)
	if !strings.Contains(body, `describe it\n\nFile notes.txt:\n`+"```"+`\nthe flock holds\n`+"```") {
		t.Errorf("the request does not carry the file inline:\n%.600s", body)
	}
	if strings.Contains(body, notes) {
		t.Errorf("the request carries the file's path:\n%.600s", body)
	}

	// Regenerate the reply: two versions; select it and flip back to
	// the first.
	tm.send("\x12") // ctrl+r
	tm.waitFor("the second reply", func(s string) bool {
		return idle(s) && len(srv.Requests()) == 2 && len(footers(s, "work", "sim-fast")) > 0
	})
	tm.press("\x1bm") // alt+m: select a message (the reply)
	tm.waitText("f fork", "← 2/2 →")
	tm.press("\x1b[D") // ←
	tm.waitText("← 1/2 →")
	tm.send("f")
	tm.waitText("forked at message 2")
	tm.send(keyCtrlO)
	screen := tm.waitText("└ fork of")
	if !strings.Contains(statusLine(screen), "(fork)") {
		t.Errorf("the fork is not the open conversation: %q", statusLine(screen))
	}
	out := f.vaultchat("", "--home", f.home, "conversations", "list")
	if !strings.Contains(out, "(fork of ") {
		t.Errorf("conversations list does not show the fork:\n%s", out)
	}
	f.checkNoLeaks()
}
