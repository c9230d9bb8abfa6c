package ui

import (
	"strings"
	"testing"
)

// unlockingWith submits the passphrase and, while the unlock is still
// running, does what typing does; then lets the unlock finish.
func (hs *harness) unlockingWith(typing func()) {
	hs.start()
	hs.typeText(hs.b.pass)
	_, unlock := hs.m.Update(keyMsg("enter"))
	if !hs.m.unlock.busy {
		hs.t.Fatal("the unlock is not running")
	}
	typing()
	hs.run(unlock)
	if hs.m.screen != screenMain {
		hs.t.Fatalf("not on the main screen after unlock (err %q)", hs.m.unlock.err)
	}
}

// TestKeysTypedWhileUnlockingReachTheMainScreenInOrder: ctrl+p, a model
// name and enter typed during the unlock open the model picker, filter
// it and pick the model, as if typed after; nothing is sent.
func TestKeysTypedWhileUnlockingReachTheMainScreenInOrder(t *testing.T) {
	h := newHarness(t, 100, 30, Options{})
	h.unlockingWith(func() {
		h.key("ctrl+p")
		h.typeText("o3-mini")
		h.key("enter")
	})
	if len(h.b.sends) != 0 {
		t.Fatalf("typed keys were sent as a message: %+v", h.b.sends)
	}
	if h.m.keyring.model != "o3-mini" {
		t.Fatalf("model %q, want o3-mini picked by the keys typed while unlocking", h.m.keyring.model)
	}
	if v := h.m.input.Value(); v != "" {
		t.Fatalf("typed keys landed in the draft: %q", v)
	}
}

// TestEnterTypedWhileUnlockingDoesNotSend: text and enter typed during
// the unlock land in the draft, visibly, but the enter does not send it.
func TestEnterTypedWhileUnlockingDoesNotSend(t *testing.T) {
	h := newHarness(t, 100, 30, Options{})
	h.unlockingWith(func() {
		h.typeText("hello")
		h.key("enter")
	})
	if len(h.b.sends) != 0 {
		t.Fatalf("typed keys were sent as a message: %+v", h.b.sends)
	}
	if v := h.m.input.Value(); v != "hello" {
		t.Fatalf("draft %q, want hello", v)
	}
	if !strings.Contains(h.m.notice, "typed while unlocking") {
		t.Fatalf("notice %q does not say why enter did not send", h.m.notice)
	}
	h.key("enter")
	if len(h.b.sends) != 1 || h.b.sends[0].Prompt != "hello" {
		t.Fatalf("sends %+v, want hello after a later enter", h.b.sends)
	}
}

// TestPassphraseTypedAgainWhileUnlockingIsDropped: a passphrase typed a
// second time while the unlock runs never reaches the draft (nor the
// screen): what was typed is dropped, and the notice says so.
func TestPassphraseTypedAgainWhileUnlockingIsDropped(t *testing.T) {
	h := newHarness(t, 100, 30, Options{})
	h.unlockingWith(func() {
		h.typeText(h.b.pass)
		h.key("enter")
	})
	if len(h.b.sends) != 0 {
		t.Fatalf("the passphrase was sent: %+v", h.b.sends)
	}
	if v := h.m.input.Value(); v != "" {
		t.Fatalf("the passphrase landed in the draft: %q", v)
	}
	if strings.Contains(h.screen(), h.b.pass) {
		t.Fatalf("the passphrase is on screen:\n%s", h.screen())
	}
	if !strings.Contains(h.m.notice, "dropped") {
		t.Fatalf("notice %q does not say the keys were dropped", h.m.notice)
	}
}
