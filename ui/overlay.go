package ui

import tea "charm.land/bubbletea/v2"

// overlay is a dialog drawn over the main screen: the help, the key and
// model pickers, the one-line prompts, the delete confirmation, the export
// dialog. While it is on top of the overlay stack it takes every key press
// and paste; what it does with a choice is a callback its opener gave it,
// so an overlay knows nothing of the Model.
type overlay interface {
	// update handles a key press (tea.KeyPressMsg) or a paste
	// (tea.PasteMsg). It returns a command and whether the overlay is
	// done, which takes it off the stack.
	update(msg tea.Msg) (cmd tea.Cmd, done bool)
	// view draws the overlay's box for a screen of width×height; the
	// stack centres it.
	view(width, height int) []string
}

// The overlays.
var (
	_ overlay = (*helpOverlay)(nil)
	_ overlay = (*picker)(nil)
	_ overlay = (*promptDialog)(nil)
	_ overlay = (*confirmDialog)(nil)
	_ overlay = (*exportDialog)(nil)
)

// overlayStack holds the open overlays, the top one last. Only the top
// one takes input; all are drawn, bottom first.
type overlayStack struct {
	items []overlay
}

// push opens o on top of the others.
func (s *overlayStack) push(o overlay) { s.items = append(s.items, o) }

// top returns the overlay that takes input, or nil.
func (s *overlayStack) top() overlay {
	if len(s.items) == 0 {
		return nil
	}
	return s.items[len(s.items)-1]
}

// empty reports whether no overlay is open.
func (s *overlayStack) empty() bool { return len(s.items) == 0 }

// remove closes o wherever it is on the stack (an overlay's callback may
// have opened another one above it).
func (s *overlayStack) remove(o overlay) {
	for i, x := range s.items {
		if x == o {
			s.items = append(s.items[:i], s.items[i+1:]...)
			return
		}
	}
}

// clear closes every overlay.
func (s *overlayStack) clear() { s.items = nil }

// update gives msg to the top overlay, if any, and closes it when it is
// done. It reports whether an overlay took the message.
func (s *overlayStack) update(msg tea.Msg) (tea.Cmd, bool) {
	o := s.top()
	if o == nil {
		return nil, false
	}
	cmd, done := o.update(msg)
	if done {
		s.remove(o)
	}
	return cmd, true
}

// topOverlay returns the top overlay if it is a T.
func topOverlay[T overlay](s *overlayStack) (T, bool) {
	o, ok := s.top().(T)
	return o, ok
}
