package ui

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/view"

	tea "charm.land/bubbletea/v2"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// exportHarness is an unlocked harness with the "go arithmetic"
// conversation (c100) open.
func exportHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, 100, 30, Options{})
	withConversation(h.b)
	return h.unlocked()
}

// exportDialogOf returns the export dialog on top of the overlay stack, or
// nil.
func exportDialogOf(m *Model) *exportDialog {
	d, _ := topOverlay[*exportDialog](&m.overlays)
	return d
}

func lastExport(t *testing.T, h *harness) exportCall {
	t.Helper()
	if len(h.b.exports) == 0 {
		t.Fatal("Export was not called")
	}
	return h.b.exports[len(h.b.exports)-1]
}

func TestExportDialogCtrlS(t *testing.T) {
	h := exportHarness(t)
	h.key("ctrl+s")
	if exportDialogOf(h.m) == nil {
		t.Fatalf("ctrl+s did not open the export dialog:\n%s", h.screen())
	}
	s := h.screen()
	for _, want := range []string{"export conversation", "“go arithmetic”", "● md", "○ json", "./go-arithmetic.md"} {
		if !strings.Contains(s, want) {
			t.Errorf("dialog lacks %q:\n%s", want, s)
		}
	}
	if len(h.b.exports) != 0 {
		t.Fatal("opening the dialog exported")
	}
	h.key("enter")
	want := exportCall{id: "c100", format: "md", path: "./go-arithmetic.md"}
	if got := lastExport(t, h); got != want {
		t.Fatalf("Export(%+v), want %+v", got, want)
	}
	if !h.m.overlays.empty() {
		t.Fatal("the dialog stayed open after a successful export")
	}
	if s := h.screen(); !strings.Contains(s, "exported to "+fakeCwd+"/go-arithmetic.md") {
		t.Fatalf("result line lacks the path written:\n%s", s)
	}
}

func TestExportDialogEscCancels(t *testing.T) {
	h := exportHarness(t)
	h.key("ctrl+s")
	h.key("esc")
	if !h.m.overlays.empty() || len(h.b.exports) != 0 {
		t.Fatalf("esc: overlays %d, exports %+v", len(h.m.overlays.items), h.b.exports)
	}
}

func TestExportFormatChangesDefaultPath(t *testing.T) {
	tests := []struct {
		name       string
		keys       []string
		typed      string // typed into the path before the keys
		wantFormat string
		wantPath   string
	}{
		{"tab to json", []string{"tab"}, "", "json", "./go-arithmetic.json"},
		{"down twice to txt", []string{"down", "down"}, "", "txt", "./go-arithmetic.txt"},
		{"shift+tab wraps to html", []string{"shift+tab"}, "", "html", "./go-arithmetic.html"},
		{"up wraps to html", []string{"up"}, "", "html", "./go-arithmetic.html"},
		{"round trip back to md", []string{"tab", "tab", "tab", "tab"}, "", "md", "./go-arithmetic.md"},
		{"edited path is kept", []string{"tab", "tab"}, "-v2", "txt", "./go-arithmetic.md-v2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := exportHarness(t)
			h.key("ctrl+s")
			h.typeText(tt.typed)
			for _, k := range tt.keys {
				h.key(k)
			}
			if got := exportDialogOf(h.m).path.Value(); got != tt.wantPath {
				t.Fatalf("path %q, want %q", got, tt.wantPath)
			}
			if !strings.Contains(h.screen(), "● "+tt.wantFormat) {
				t.Fatalf("format %s not marked:\n%s", tt.wantFormat, h.screen())
			}
			h.key("enter")
			want := exportCall{id: "c100", format: tt.wantFormat, path: tt.wantPath}
			if got := lastExport(t, h); got != want {
				t.Fatalf("Export(%+v), want %+v", got, want)
			}
		})
	}
}

func TestExportOverwriteConfirmation(t *testing.T) {
	h := exportHarness(t)
	abs := fakeCwd + "/go-arithmetic.md"
	h.b.existing = map[string]bool{abs: true}
	h.key("ctrl+s")
	h.key("enter")
	if got := lastExport(t, h); got.overwrite {
		t.Fatal("the first attempt asked to overwrite")
	}
	if s := h.screen(); exportDialogOf(h.m) == nil || !strings.Contains(s, "./go-arithmetic.md already exists. Overwrite? y/n") {
		t.Fatalf("no overwrite question:\n%s", s)
	}
	// n keeps the file and goes back to the path.
	h.key("n")
	if d := exportDialogOf(h.m); len(h.b.exports) != 1 || d == nil || d.confirm != "" {
		t.Fatalf("n: exports %+v, overlays %d, dialog %+v", h.b.exports, len(h.m.overlays.items), d)
	}
	// Other keys do not answer the question.
	h.key("enter")
	h.key("x")
	if len(h.b.exports) != 2 || exportDialogOf(h.m).path.Value() != "./go-arithmetic.md" {
		t.Fatalf("a key other than y/n answered: exports %+v, path %q", h.b.exports, exportDialogOf(h.m).path.Value())
	}
	h.key("y")
	want := exportCall{id: "c100", format: "md", path: "./go-arithmetic.md", overwrite: true}
	if got := lastExport(t, h); got != want || len(h.b.exports) != 3 {
		t.Fatalf("after y: Export(%+v) (%d calls), want %+v", got, len(h.b.exports), want)
	}
	if s := h.screen(); !h.m.overlays.empty() || !strings.Contains(s, "exported to "+abs) {
		t.Fatalf("overwrite result not shown:\n%s", s)
	}
}

func TestExportSlashCommand(t *testing.T) {
	tests := []struct {
		input      string
		wantDialog bool        // the dialog is open afterwards
		wantFormat string      // selected format
		wantPath   string      // path in the dialog
		wantCall   *exportCall // exported at once
	}{
		{input: "/export", wantDialog: true, wantFormat: "md", wantPath: "./go-arithmetic.md"},
		{input: "  /export  ", wantDialog: true, wantFormat: "md", wantPath: "./go-arithmetic.md"},
		{input: "/export json", wantDialog: true, wantFormat: "json", wantPath: "./go-arithmetic.json"},
		{input: "/export HTML", wantDialog: true, wantFormat: "html", wantPath: "./go-arithmetic.html"},
		{input: "/export json out/chat.txt", wantCall: &exportCall{id: "c100", format: "json", path: "out/chat.txt"}},
		{input: "/export txt my notes.log", wantCall: &exportCall{id: "c100", format: "txt", path: "my notes.log"}},
		{input: "/export ~/archive/chat.html", wantCall: &exportCall{id: "c100", format: "html", path: "~/archive/chat.html"}},
		{input: "/export ./json", wantCall: &exportCall{id: "c100", format: "md", path: "./json"}},
	}
	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			h := exportHarness(t)
			h.typeText(tt.input)
			h.key("enter")
			if len(h.b.sends) != 0 {
				t.Fatal("the command was sent to the model")
			}
			if !h.m.input.Empty() {
				t.Fatalf("input %q left after the command", h.m.input.Value())
			}
			if got := exportDialogOf(h.m) != nil; got != tt.wantDialog {
				t.Fatalf("dialog open = %v, want %v:\n%s", got, tt.wantDialog, h.screen())
			}
			if tt.wantCall == nil {
				if len(h.b.exports) != 0 {
					t.Fatalf("exported at once: %+v", h.b.exports)
				}
				if got := string(exportDialogOf(h.m).formatName()); got != tt.wantFormat {
					t.Errorf("format %s, want %s", got, tt.wantFormat)
				}
				if got := exportDialogOf(h.m).path.Value(); got != tt.wantPath {
					t.Errorf("path %q, want %q", got, tt.wantPath)
				}
				return
			}
			if got := lastExport(t, h); got != *tt.wantCall {
				t.Fatalf("Export(%+v), want %+v", got, *tt.wantCall)
			}
		})
	}
}

// TestExportUnknownFormatWord: "/export pdf" wrote a Markdown file
// named "pdf"; a lone bare word is a format, refused with the list, and
// nothing is written; "./pdf" is the file.
func TestExportUnknownFormatWord(t *testing.T) {
	h := exportHarness(t)
	h.typeText("/export pdf")
	h.key("enter")
	if len(h.b.exports) != 0 || exportDialogOf(h.m) != nil || len(h.b.sends) != 0 {
		t.Fatalf("exports %+v, dialog %v, sends %d", h.b.exports, exportDialogOf(h.m) != nil, len(h.b.sends))
	}
	if s := h.screen(); !strings.Contains(s, `unknown export format "pdf"`) {
		t.Errorf("no notice naming the format:\n%s", s)
	}
	if h.m.input.Value() != "/export pdf" {
		t.Errorf("input %q; want what was typed kept", h.m.input.Value())
	}
}

// TestSlashTextThatIsNotExportIsSent: text that only starts like a
// command is a message ("/exporter" and "/help" are unknown commands,
// refused: TestUnknownSlashCommandIsNotSent).
func TestSlashTextThatIsNotExportIsSent(t *testing.T) {
	for _, text := range []string{"/export\nplease", "//export this", "/usr/bin/env is a path"} {
		t.Run(text, func(t *testing.T) {
			h := exportHarness(t)
			h.send(tea.PasteMsg{Content: text})
			h.key("enter")
			want := strings.Replace(text, "//", "/", 1)
			if len(h.b.sends) != 1 || h.b.sends[0].Prompt != want || exportDialogOf(h.m) != nil {
				t.Fatalf("sends %+v, overlay %d", h.b.sends, len(h.m.overlays.items))
			}
		})
	}
}

func TestExportSlashCommandAsksBeforeOverwrite(t *testing.T) {
	h := exportHarness(t)
	h.b.existing = map[string]bool{fakeCwd + "/x.json": true}
	h.typeText("/export x.json")
	h.key("enter")
	if exportDialogOf(h.m) == nil || exportDialogOf(h.m).confirm != "x.json" {
		t.Fatalf("no overwrite question for an existing file:\n%s", h.screen())
	}
	h.key("y")
	want := exportCall{id: "c100", format: "json", path: "x.json", overwrite: true}
	if got := lastExport(t, h); got != want {
		t.Fatalf("Export(%+v), want %+v", got, want)
	}
}

func TestExportFromConversationList(t *testing.T) {
	for _, k := range []string{"ctrl+s"} { // letters type into the list's filter
		t.Run(k, func(t *testing.T) {
			h := newHarness(t, 120, 30, Options{})
			withConversation(h.b)
			h.b.add(&chat.Conversation{ID: "c200", Title: "Newer: café ideas?", Messages: []chat.Message{{ID: "x", Role: chat.RoleUser, Content: "hi"}}})
			h.unlocked()
			if h.m.convID != "c200" {
				t.Fatalf("open conversation %q, want c200", h.m.convID)
			}
			h.key("ctrl+o")
			h.key("down") // c100, the older one
			h.key(k)
			if exportDialogOf(h.m) == nil || exportDialogOf(h.m).path.Value() != "./go-arithmetic.md" {
				t.Fatalf("dialog for the selected conversation not open:\n%s", h.screen())
			}
			h.key("enter")
			if got := lastExport(t, h); got.id != "c100" {
				t.Fatalf("exported %q, want the selected c100 (not the open c200)", got.id)
			}
			if h.m.convID != "c200" {
				t.Fatal("exporting from the list changed the open conversation")
			}
		})
	}
}

func TestCtrlSWithInputFocusExportsOpenConversation(t *testing.T) {
	h := newHarness(t, 120, 30, Options{})
	withConversation(h.b)
	h.b.add(&chat.Conversation{ID: "c200", Title: "Newer: café ideas?", Messages: []chat.Message{{ID: "x", Role: chat.RoleUser, Content: "hi"}}})
	h.unlocked()
	h.key("ctrl+o")
	h.key("down")
	h.key("tab") // focus back on the input; the list stays shown
	h.key("ctrl+s")
	if got := exportDialogOf(h.m).path.Value(); got != "./newer-cafe-ideas.md" {
		t.Fatalf("path %q, want the open conversation's safe name", got)
	}
	h.key("enter")
	if got := lastExport(t, h); got.id != "c200" {
		t.Fatalf("exported %q, want the open c200", got.id)
	}
}

func TestExportErrorShown(t *testing.T) {
	h := exportHarness(t)
	h.b.exportErr = errors.New("export: open /home/ada/work/missing/x.md: no such file or directory")
	h.key("ctrl+s")
	h.key("enter")
	s := h.screen()
	if exportDialogOf(h.m) == nil {
		t.Fatal("the dialog closed on an error; the path would be lost")
	}
	if strings.Count(s, "no such file or directory") < 1 || h.m.notice == "" || !h.m.noticeErr {
		t.Fatalf("error not shown:\n%s", s)
	}
	// Editing the path clears the error in the dialog.
	h.key("backspace")
	if exportDialogOf(h.m).err != "" {
		t.Fatal("the error stayed after editing the path")
	}
	// An empty path is refused without a call.
	for range 40 {
		h.key("backspace")
	}
	n := len(h.b.exports)
	h.key("enter")
	if len(h.b.exports) != n || !strings.Contains(h.screen(), "type a path") {
		t.Fatalf("empty path: exports %d → %d:\n%s", n, len(h.b.exports), h.screen())
	}
}

func TestExportResultAfterDialogClosed(t *testing.T) {
	h := exportHarness(t)
	h.key("ctrl+s")
	seq := exportDialogOf(h.m).seq
	h.key("esc")
	h.send(exportDoneMsg{seq: seq, path: "./a.md", err: fmt.Errorf("export to /x/a.md: %w", view.ErrExists)})
	if !h.m.overlays.empty() || !strings.Contains(h.screen(), "./a.md already exists; nothing written") {
		t.Fatalf("late result:\n%s", h.screen())
	}
}

func TestExportNothingYet(t *testing.T) {
	h := newHarness(t, 100, 30, Options{}).unlocked()
	for _, k := range []string{"ctrl+s", "alt+e"} {
		h.key(k)
		if !h.m.overlays.empty() || !strings.Contains(h.screen(), "nothing to export yet") {
			t.Fatalf("%s on a new conversation:\n%s", k, h.screen())
		}
	}
	h.typeText("/export")
	h.key("enter")
	if !h.m.overlays.empty() || len(h.b.sends) != 0 || !strings.Contains(h.screen(), "nothing to export yet") {
		t.Fatalf("/export on a new conversation:\n%s", h.screen())
	}
}

func TestLockClosesExportDialog(t *testing.T) {
	h := exportHarness(t)
	h.key("ctrl+s")
	h.key("ctrl+l")
	if !h.m.overlays.empty() || exportDialogOf(h.m) != nil {
		t.Fatal("the export dialog kept conversation data after the lock")
	}
}

func TestExportDialogSanitizesTitle(t *testing.T) {
	h := newHarness(t, 100, 30, Options{})
	h.b.add(&chat.Conversation{ID: "c1", Title: "evil\x1b]52;c;aGk=\x07\x1b[2J", Messages: []chat.Message{{ID: "1", Role: chat.RoleUser, Content: "hi"}}})
	h.unlocked()
	h.key("ctrl+s")
	raw := h.m.View().Content
	for _, bad := range []string{"\x1b]", "\x07", "\x1b[2J"} {
		if strings.Contains(raw, bad) {
			t.Fatalf("dialog frame contains %q", bad)
		}
	}
	if got := exportDialogOf(h.m).path.Value(); !safeDefaultPath.MatchString(got) || !strings.HasPrefix(got, "./evil") {
		t.Fatalf("path %q: want ./ and a safe slug of the title", got)
	}
}

var safeDefaultPath = regexp.MustCompile(`^\./[a-z0-9]+(-[a-z0-9]+)*\.md$`)

func TestSidePaneToggleAndEditorBindings(t *testing.T) {
	h := newHarness(t, 100, 30, Options{}).unlocked()
	if h.m.sideVisible() {
		t.Fatal("side pane shown by default at 100 columns")
	}
	h.key("ctrl+t")
	if !h.m.sideVisible() {
		t.Fatal("ctrl+t did not show the side pane")
	}
	h.key("ctrl+t")
	if h.m.sideVisible() {
		t.Fatal("ctrl+t did not hide the side pane")
	}
	// ctrl+b still moves the cursor left in the input.
	h.typeText("ab")
	h.key("ctrl+b")
	h.typeText("X")
	if got := h.m.input.Value(); got != "aXb" {
		t.Fatalf("input %q, want aXb (ctrl+b is cursor left)", got)
	}
}

// TestExportDialogReplacePath is the end-to-end test's sequence: alt+e,
// ctrl+u to clear the proposed path, a new path, enter.
func TestExportDialogReplacePath(t *testing.T) {
	h := exportHarness(t)
	h.key("alt+e")
	if !strings.Contains(h.screen(), "export conversation") {
		t.Fatalf("alt+e did not open the dialog:\n%s", h.screen())
	}
	h.key("ctrl+u")
	h.typeText("/tmp/export/chat.md")
	h.key("enter")
	want := exportCall{id: "c100", format: "md", path: "/tmp/export/chat.md"}
	if got := lastExport(t, h); got != want {
		t.Fatalf("Export(%+v), want %+v", got, want)
	}
	if !strings.Contains(h.screen(), "exported to /tmp/export/chat.md") {
		t.Fatalf("result line:\n%s", h.screen())
	}
}

// TestExportDirectoryRefusalShownWhole: the session's refusal of a
// directory (ErrNotAFile, before any "overwrite?") is shown whole in the
// dialog at 80 columns, wrapped, not cut at the box's edge, and no
// overwrite question is asked.
func TestExportDirectoryRefusalShownWhole(t *testing.T) {
	h := newHarness(t, 80, 24, Options{})
	withConversation(h.b)
	h.unlocked()
	dir := "/home/ada/work/projects/vaultchat-exports/subdir"
	h.b.exportErr = errors.New("export to " + dir + ": it is not a regular file (a directory); exports replace only files")
	h.key("ctrl+s")
	h.key("enter")
	d := exportDialogOf(h.m)
	if d == nil || d.confirm != "" {
		t.Fatalf("the dialog closed or asks to overwrite: %+v", d)
	}
	joined := strings.Join(strings.Fields(dialogText(h.screen())), " ")
	for _, want := range []string{dir, "a directory", "exports replace only files"} {
		if !strings.Contains(joined, want) {
			t.Fatalf("the dialog does not show %q whole:\n%s", want, h.screen())
		}
	}
}

// dialogText is the text inside a dialog's borders on screen, row after
// row.
func dialogText(screen string) string {
	var b strings.Builder
	for _, row := range strings.Split(screen, "\n") {
		l, r := strings.Index(row, "│"), strings.LastIndex(row, "│")
		if l >= 0 && r > l {
			b.WriteString(row[l+len("│") : r])
			b.WriteByte('\n')
		}
	}
	return b.String()
}
