package ui

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFilePickerRefusesANamedPipeAtOnce: picking a FIFO nobody writes to
// (alt+a) says at once that it is not a regular file, instead of showing
// nothing until someone writes to it (the deadline only guards that hang).
func TestFilePickerRefusesANamedPipeAtOnce(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "ff")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	t.Chdir(dir)
	h := newHarness(t, 120, 40, Options{})
	h.unlocked()
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.key("alt+a")
		h.typeText("ff")
		h.key("enter")
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		<-done
		t.Fatal("picking a FIFO waited for a writer")
	}
	if s := h.screen(); !strings.Contains(s, "not a regular file (a named pipe)") || len(h.m.attachments) != 0 {
		t.Errorf("no refusal of the FIFO (%d chips):\n%s", len(h.m.attachments), s)
	}
}
