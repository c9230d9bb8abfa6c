package ui

import "charm.land/bubbles/v2/key"

// keyMap is every key binding of the TUI with the words the help screen
// shows for it. Handlers match keys only through it (key.Matches), and the
// help screen and the hint line are drawn only from it, so the keys that
// work and the keys that are documented cannot drift apart;
// TestHelpListsEveryBinding checks that each binding is on the help screen
// and that each help row names only keys its bindings have. A new
// binding goes here, into one of helpGroups' rows, and into its handler.
type keyMap struct {
	// Chat, with the input focused.
	Send, Newline, EditDraft, EditLast, Stop, Regenerate, CopyReply, CopyCode key.Binding
	// Attachments: tab completes an @path in the input (a file becomes a
	// chip), ctrl+x removes the last chip.
	Complete, PickFile, RemoveAttachment key.Binding
	// Scrolling the chat.
	HalfPageUp, HalfPageDown, LineUp, LineDown, Latest, First, WheelUp, WheelDown key.Binding
	// Conversations.
	ToggleList, SwitchFocus, NewConversation, Rename, Delete, SystemPrompt, Export, ExportOpen key.Binding
	// The conversation list, while it has the focus: every other typed
	// character goes into its filter, so no letter acts on a
	// conversation; rename, delete and export (alt+r, alt+d, ctrl+s) act
	// on the selected one.
	ListUp, ListDown, ListOpen, ListClearFilter key.Binding
	// Messages: alt+m selects one (the message-selection mode, where the
	// arrows and f act on the selected message; esc leaves).
	SelectMessage, MessageUp, MessageDown, PrevVersion, NextVersion, Fork key.Binding
	// Keys and models.
	SwitchKey, PickModel, PickerRefresh, ToggleUsage, PickRole key.Binding
	// Editing the input.
	Left, Right, InputUp, InputDown, LineStart, LineEnd, WordLeft, WordRight key.Binding
	Backspace, DeleteChar, DeleteWord, DeleteToStart, DeleteToEnd            key.Binding
	// Dialogs: pickers, prompts, questions, the export dialog, the help.
	PickerUp, PickerDown, Choose, Cancel, Yes, No, FormatNext, FormatPrev, HelpUp, HelpDown key.Binding
	// The whole app.
	Help, Lock, Quit key.Binding
}

func bind(keys []string, helpKey, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(helpKey, desc))
}

func keys(k ...string) []string { return k }

// defaultKeyMap returns vaultchat's key bindings.
func defaultKeyMap() keyMap {
	return keyMap{
		Send:       bind(keys("enter"), "enter", "send"),
		Newline:    bind(keys("alt+enter", "ctrl+j", "shift+enter"), "alt+enter ctrl+j", "new line"),
		EditDraft:  bind(keys("ctrl+e"), "ctrl+e", "edit draft in $EDITOR"),
		EditLast:   bind(keys("up"), "↑ (empty input)", "edit and resend last message"),
		Stop:       bind(keys("esc"), "esc", "stop the reply (kept, marked)"),
		Regenerate: bind(keys("ctrl+r"), "ctrl+r", "regenerate last reply"),
		CopyReply:  bind(keys("ctrl+y"), "ctrl+y", "copy last reply"),
		CopyCode:   bind(keys("alt+y"), "alt+y", "copy its last code block"),

		Complete:         bind(keys("tab"), "@path: tab", "complete the path; a file is attached"),
		PickFile:         bind(keys("alt+a"), "alt+a", "attach a file (file picker)"),
		RemoveAttachment: bind(keys("ctrl+x"), "ctrl+x", "remove the last attachment"),

		HalfPageUp:   bind(keys("pgup"), "pgup", "half a page"),
		HalfPageDown: bind(keys("pgdown"), "pgdn", "half a page"),
		LineUp:       bind(keys("shift+up", "alt+up"), "shift+↑", "one line"),
		LineDown:     bind(keys("shift+down", "alt+down"), "shift+↓", "one line"),
		Latest:       bind(keys("ctrl+g", "ctrl+end"), "ctrl+g ctrl+end", "jump to latest"),
		First:        bind(keys("ctrl+home"), "ctrl+home", "jump to first"),
		WheelUp:      bind(keys("wheelup"), "mouse wheel", "scroll"),
		WheelDown:    bind(keys("wheeldown"), "mouse wheel", "scroll"),

		ToggleList:      bind(keys("ctrl+o"), "ctrl+o", "show/focus/hide list"),
		SwitchFocus:     bind(keys("tab"), "tab", "list ↔ input"),
		NewConversation: bind(keys("ctrl+n"), "ctrl+n", "new conversation"),
		Rename:          bind(keys("alt+r"), "alt+r", "rename"),
		Delete:          bind(keys("alt+d"), "alt+d", "delete (asks first)"),
		SystemPrompt:    bind(keys("alt+s"), "alt+s", "system prompt"),
		Export:          bind(keys("ctrl+s"), "ctrl+s", "export the selected or the open conversation"),
		ExportOpen:      bind(keys("alt+e"), "alt+e", "export the open conversation"),

		ListUp:          bind(keys("up"), "↑", "previous"),
		ListDown:        bind(keys("down"), "↓", "next"),
		ListOpen:        bind(keys("enter"), "enter", "open"),
		ListClearFilter: bind(keys("esc"), "esc", "clear the filter, then leave the list"),

		SelectMessage: bind(keys("alt+m"), "alt+m", "select a message (fork, versions)"),
		MessageUp:     bind(keys("up", "k"), "↑ k", "previous message"),
		MessageDown:   bind(keys("down", "j"), "↓ j", "next message"),
		PrevVersion:   bind(keys("left", "h"), "← h", "previous version"),
		NextVersion:   bind(keys("right", "l"), "→ l", "next version"),
		Fork:          bind(keys("f"), "f", "fork from the message"),

		SwitchKey:     bind(keys("ctrl+k"), "ctrl+k", "switch key"),
		PickModel:     bind(keys("ctrl+p"), "ctrl+p", "pick model"),
		PickerRefresh: bind(keys("ctrl+r"), "ctrl+r", "refresh models"),
		ToggleUsage:   bind(keys("ctrl+t"), "ctrl+t", "usage pane"),
		PickRole:      bind(keys("alt+p"), "alt+p", "role for a new conversation"),

		Left:          bind(keys("left", "ctrl+b"), "← ctrl+b", "character left"),
		Right:         bind(keys("right", "ctrl+f"), "→ ctrl+f", "character right"),
		InputUp:       bind(keys("up"), "↑", "line up"),
		InputDown:     bind(keys("down"), "↓", "line down"),
		LineStart:     bind(keys("home", "ctrl+a"), "ctrl+a home", "line start"),
		LineEnd:       bind(keys("end"), "end", "line end"),
		WordLeft:      bind(keys("alt+left", "ctrl+left", "alt+b"), "alt+←", "word left"),
		WordRight:     bind(keys("alt+right", "ctrl+right", "alt+f"), "alt+→", "word right"),
		Backspace:     bind(keys("backspace", "ctrl+h"), "backspace", "delete left"),
		DeleteChar:    bind(keys("delete", "ctrl+d"), "delete", "delete right"),
		DeleteWord:    bind(keys("ctrl+w", "alt+backspace"), "ctrl+w", "delete word"),
		DeleteToStart: bind(keys("ctrl+u"), "ctrl+u", "delete to line start"),
		DeleteToEnd:   bind(keys("alt+k"), "alt+k", "delete to line end"),

		PickerUp:   bind(keys("up", "ctrl+p", "shift+tab"), "↑", "move"),
		PickerDown: bind(keys("down", "ctrl+n", "tab"), "↓ tab", "move"),
		Choose:     bind(keys("enter"), "enter", "choose"),
		Cancel:     bind(keys("esc"), "esc", "cancel"),
		Yes:        bind(keys("y", "Y"), "y", "yes"),
		No:         bind(keys("n", "N", "esc", "q"), "n", "no"),
		FormatNext: bind(keys("tab", "down"), "tab ↓", "next format"),
		FormatPrev: bind(keys("shift+tab", "up"), "↑", "previous format"),
		HelpUp:     bind(keys("up", "k"), "↑ k", "scroll up"),
		HelpDown:   bind(keys("down", "j"), "↓ j", "scroll down"),

		Help: bind(keys("?", "f1"), "? f1", "this help"),
		Lock: bind(keys("ctrl+l"), "ctrl+l", "lock now"),
		Quit: bind(keys("ctrl+c"), "ctrl+c", "quit (asks with a draft)"),
	}
}

// keyName is the key a hint names for b: its first key.
func keyName(b key.Binding) string { return b.Keys()[0] }

// helpRow is one line of the help screen: the keys and words it shows and
// the bindings it documents.
type helpRow struct {
	keys, what string
	bindings   []*key.Binding
}

// helpGroup is a titled block of the help screen.
type helpGroup struct {
	name string
	rows []helpRow
}

// row is a help row showing one binding's own help.
func row(b *key.Binding) helpRow {
	return helpRow{keys: b.Help().Key, what: b.Help().Desc, bindings: []*key.Binding{b}}
}

// rowOf is a help row that documents several bindings in one line.
func rowOf(keys, what string, b ...*key.Binding) helpRow {
	return helpRow{keys: keys, what: what, bindings: b}
}

// helpGroups lays out km for the help screen, in the order it shows them.
func helpGroups(km *keyMap) []helpGroup {
	return []helpGroup{
		{"Chat", []helpRow{
			row(&km.Send),
			row(&km.Newline),
			row(&km.EditDraft),
			row(&km.EditLast),
			row(&km.Stop),
			row(&km.Regenerate),
			row(&km.CopyReply),
			row(&km.CopyCode),
			rowOf("@path: tab", "attach a file (tab completes)", &km.Complete),
			row(&km.PickFile),
			row(&km.RemoveAttachment),
		}},
		{"Scroll", []helpRow{
			rowOf("pgup pgdn", "half a page", &km.HalfPageUp, &km.HalfPageDown),
			rowOf("shift+↑ shift+↓", "one line", &km.LineUp, &km.LineDown),
			row(&km.Latest),
			row(&km.First),
			rowOf("mouse wheel", "scroll", &km.WheelUp, &km.WheelDown),
		}},
		{"Conversations", []helpRow{
			row(&km.ToggleList),
			row(&km.SwitchFocus),
			row(&km.NewConversation),
			row(&km.Rename),
			row(&km.Delete),
			row(&km.SystemPrompt),
			rowOf("ctrl+s alt+e", "export: md json txt html", &km.Export, &km.ExportOpen),
			rowOf(exportCommandUsage, "export from the input"),
			rowOf("list: enter ↑ ↓", "open / move", &km.ListOpen, &km.ListUp, &km.ListDown),
			rowOf("list: esc", "clear the typed filter", &km.ListClearFilter),
			rowOf("list: alt+r alt+d", "rename / delete selected", &km.Rename, &km.Delete),
			rowOf("list: ctrl+s", "export the selected one", &km.Export),
		}},
		{"Messages", []helpRow{
			row(&km.SelectMessage),
			rowOf("↑ ↓ j k", "previous / next message", &km.MessageUp, &km.MessageDown),
			rowOf("← → h l", "previous / next version (2/3)", &km.PrevVersion, &km.NextVersion),
			row(&km.Fork),
			rowOf("esc", "back to the input", &km.Stop),
		}},
		{"Keys & models", []helpRow{
			row(&km.SwitchKey),
			row(&km.PickModel),
			rowOf("picker: ctrl+r", "refresh models", &km.PickerRefresh),
			row(&km.ToggleUsage),
			row(&km.PickRole),
			rowOf(roleCommandUsage, "new conversation with a role"),
		}},
		{"Editing", []helpRow{
			rowOf("ctrl+a home / end", "line start / end", &km.LineStart, &km.LineEnd),
			rowOf("alt+← alt+→", "word left / right", &km.WordLeft, &km.WordRight),
			row(&km.DeleteWord),
			rowOf("ctrl+u alt+k", "delete to line start / end", &km.DeleteToStart, &km.DeleteToEnd),
			rowOf("← → ctrl+b ctrl+f", "character left / right", &km.Left, &km.Right),
			rowOf("↑ ↓", "line up / down", &km.InputUp, &km.InputDown),
			rowOf("backspace delete", "delete left / right", &km.Backspace, &km.DeleteChar),
		}},
		{"Dialogs", []helpRow{
			rowOf("enter esc", "choose / cancel", &km.Choose, &km.Cancel),
			rowOf("y n", "answer a question", &km.Yes, &km.No),
			rowOf("picker: ↑ ↓ tab", "move", &km.PickerUp, &km.PickerDown),
			rowOf("export: tab ↑ ↓", "format", &km.FormatNext, &km.FormatPrev),
			rowOf("help: ↑ ↓ j k", "scroll", &km.HelpUp, &km.HelpDown),
		}},
		{"App", []helpRow{
			row(&km.Help),
			row(&km.Lock),
			row(&km.Quit),
		}},
	}
}
