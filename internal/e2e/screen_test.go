package e2e

import (
	"regexp"
	"strings"
)

// Helpers that read the app's screen as text.

// sidePane returns the usage pane's lines: what follows the last "│" of
// each screen line (the pane is the rightmost column and draws no "│" of
// its own).
func sidePane(screen string) []string {
	var out []string
	for _, line := range strings.Split(screen, "\n") {
		if i := strings.LastIndex(line, "│"); i >= 0 {
			out = append(out, strings.TrimSpace(line[i+len("│"):]))
		}
	}
	return out
}

// keyMonthRow is one row of the pane's "ALL KEYS · MONTH" list.
var keyMonthRow = regexp.MustCompile(`^(▸ )?(\S+)\s+(~?[0-9][0-9.,]*[kMB]?)\s+(\S+)`)

// monthTokens returns, for each key in the usage pane's all-keys list, the
// month's tokens as shown, and the name of the highlighted (active) key.
func monthTokens(screen string) (tokens map[string]string, active string) {
	tokens = map[string]string{}
	in := false
	for _, l := range sidePane(screen) {
		if strings.HasPrefix(l, "ALL KEYS") {
			in = true
			continue
		}
		if !in {
			continue
		}
		m := keyMonthRow.FindStringSubmatch(l)
		if m == nil {
			break
		}
		tokens[m[2]] = m[3]
		if m[1] != "" {
			active = m[2]
		}
	}
	return tokens, active
}

// nonZero reports whether a token count as the pane shows it ("0",
// "~1.2k") is above zero.
func nonZero(tok string) bool {
	return strings.Trim(strings.TrimPrefix(tok, "~"), "0.,") != ""
}

// footers returns the reply footers on the screen that name key and
// model ("alpha · sim-fast · 237 tok · …").
func footers(screen, key, model string) []string {
	re := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(key+" · "+model) + ` · .*$`)
	var out []string
	for _, m := range re.FindAllString(screen, -1) {
		// The usage pane shares the line; keep the chat column only.
		if i := strings.Index(m, "│"); i >= 0 {
			m = m[:i]
		}
		out = append(out, strings.TrimSpace(m))
	}
	return out
}

// stateDot matches the status bar's state ("● idle", "● streaming", …).
var stateDot = regexp.MustCompile(`● (idle|streaming|retrying|locked)`)

// statusLine returns the status bar: the last line with a state.
func statusLine(screen string) string {
	lines := strings.Split(screen, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if stateDot.MatchString(lines[i]) {
			return lines[i]
		}
	}
	return ""
}

// idle reports whether the status bar says no reply is streaming.
func idle(screen string) bool { return strings.Contains(statusLine(screen), "● idle") }

// pickerRow matches the selected row of a picker overlay.
var pickerRow = regexp.MustCompile(`│ ▸ (\S+)`)

// pickerSelected returns the first word of the picker's selected row, or
// "" when no picker is open.
func pickerSelected(screen string) string {
	if m := pickerRow.FindStringSubmatch(screen); m != nil {
		return m[1]
	}
	return ""
}
