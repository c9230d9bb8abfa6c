package ui

import (
	"path/filepath"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// The file picker (alt+a): the key picker's overlay over a directory's
// entries, starting in the working directory. Choosing a directory lists
// it in a new picker; choosing a file attaches it, as tab on an @path
// does (attach.go).

// dirListedMsg is a directory's entries for the file picker: names, with
// "/" after directories, "../" first unless dir is the root.
type dirListedMsg struct {
	dir     string
	entries []string
	err     error
}

// listDirCmd lists dir for the file picker (hidden entries left out).
func listDirCmd(dir string) tea.Cmd {
	return func() tea.Msg {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return dirListedMsg{dir: dir, err: err}
		}
		dirs, files, err := dirEntries(abs, func(name string) bool { return !strings.HasPrefix(name, ".") })
		if err != nil {
			return dirListedMsg{dir: abs, err: err}
		}
		var entries []string
		if filepath.Dir(abs) != abs {
			entries = append(entries, "../")
		}
		return dirListedMsg{dir: abs, entries: append(append(entries, dirs...), files...)}
	}
}

// openFilePicker lists the working directory in the file picker.
func (m *Model) openFilePicker() tea.Cmd {
	return listDirCmd(".")
}

// applyDirListed shows a directory's entries in a new file picker.
func (m *Model) applyDirListed(msg dirListedMsg) {
	if msg.err != nil {
		m.setNotice("list "+msg.dir+": "+msg.err.Error(), true)
		return
	}
	dir := msg.dir
	p := m.newPicker(pickFile, "attach a file · "+truncate(cleanLine(dir), 60), "type to filter",
		func(name string) tea.Cmd {
			path := filepath.Join(dir, name)
			if strings.HasSuffix(name, "/") {
				return listDirCmd(path)
			}
			return attachCmd(m.b, "", path, m.keyring.model)
		})
	rows := make([]pickerRow, len(msg.entries))
	for i, e := range msg.entries {
		rows[i] = pickerRow{id: e, text: cleanLine(e)}
	}
	if len(rows) == 0 {
		p.header = "an empty directory"
	}
	p.setRows(rows)
	m.overlays.push(p)
}
