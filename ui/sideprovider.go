package ui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/vaultchat/vaultchat/ui/styles"
)

// providerLines is the side pane's line on what the key's provider last
// said (view.Usage.Provider: OpenRouter's figures, the last usage
// --reconcile verdict), wrapped to w columns, muted. It is text a server
// had a hand in: sanitizeUsage cleaned it when it entered.
func providerLines(text string, w int, st *styles.Styles) []string {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil
	}
	var out []string
	for _, l := range strings.Split(ansi.Wrap(text, max(w, 1), ""), "\n") {
		out = append(out, st.Muted.Render(l))
	}
	return out
}
