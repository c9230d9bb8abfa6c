package ui

import (
	"strings"
	"testing"
)

// TestUnknownSlashCommandIsNotSent: a mistyped command ("/roles") was
// sent to the model as a message, and paid for; it is refused with the
// list of commands, and "//" sends a message that starts with "/".
func TestUnknownSlashCommandIsNotSent(t *testing.T) {
	h := newHarness(t, 100, 30, Options{}).unlocked()
	h.typeText("/roles")
	h.key("enter")
	if len(h.b.sends) != 0 {
		t.Fatalf("/roles was sent: %+v", h.b.sends)
	}
	if s := h.screen(); !strings.Contains(s, "no command /roles") {
		t.Errorf("no notice of the unknown command:\n%s", s)
	}
	if h.m.input.Value() != "/roles" {
		t.Errorf("the input holds %q; want what was typed kept", h.m.input.Value())
	}
	h.m.input.Reset()
	h.typeText("//roles are fun")
	h.key("enter")
	if len(h.b.sends) != 1 || h.b.sends[0].Prompt != "/roles are fun" {
		t.Fatalf("sends %+v; want the message \"/roles are fun\"", h.b.sends)
	}
	if _, ok := unknownCommand("/usr/bin/env python"); ok {
		t.Error("a path reads as a command")
	}
}
