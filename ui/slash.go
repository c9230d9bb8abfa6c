package ui

import (
	"strings"

	tea "charm.land/bubbletea/v2"
)

// slashCommand is a command typed in the input, such as
// "/export json out.json". The help lists each by its usage.
type slashCommand struct {
	usage string
	// run handles the input text; it reports false when the text is not
	// this command (it is then sent as a message).
	run func(m *Model, text string) (tea.Cmd, bool)
}

// slashCommands are the commands submit tries before sending.
var slashCommands = []slashCommand{
	{usage: exportCommandUsage, run: (*Model).exportCommand},
	{usage: roleCommandUsage, run: (*Model).roleCommand},
}

// unknownCommand reports the command word of text when text reads as a
// slash command ("/word", alone or with arguments, on one line) that no
// slashCommand took.
func unknownCommand(text string) (string, bool) {
	t := strings.TrimSpace(text)
	if strings.HasPrefix(t, "//") || strings.Contains(t, "\n") {
		return "", false
	}
	word, _, _ := strings.Cut(t, " ")
	if len(word) < 2 || strings.ContainsFunc(word[1:], func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-') }) {
		return "", false // "/usr/bin/env", "/ 2": not a command
	}
	return word, true
}

// slashNames lists the commands by name ("/export, /role").
func slashNames() string {
	var u []string
	for _, c := range slashCommands {
		name, _, _ := strings.Cut(c.usage, " ")
		u = append(u, name)
	}
	return strings.Join(u, ", ")
}
