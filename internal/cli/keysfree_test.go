package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestKeysFreeIsOneField: whether a key's turns are free is the session's
// answer (the rule that prices turns), and keys list (table and JSON) and
// keys show read the same field: a local preset and a --price-free key
// are free, a hosted key is not.
func TestKeysFreeIsOneField(t *testing.T) {
	e := newVault(t)
	e.mustRun(tty{}, "keys", "add", "local", "--provider", "ollama")
	e.addKey("mine", "--provider", "openai-compatible", "--base-url", "http://127.0.0.1:9/v1", "--price-free")
	e.addKey("paid", "--provider", "openai")
	want := map[string]bool{"local": true, "mine": true, "paid": false}

	var views []map[string]any
	if err := json.Unmarshal([]byte(e.mustRun(tty{}, "keys", "list", "--json").stdout), &views); err != nil {
		t.Fatal(err)
	}
	for _, vw := range views {
		if free, ok := vw["free"].(bool); !ok || free != want[vw["name"].(string)] {
			t.Errorf("keys list --json %s: free = %v, want %v", vw["name"], vw["free"], want[vw["name"].(string)])
		}
	}
	table := e.mustRun(tty{}, "keys", "list").stdout
	for name, free := range want {
		for line := range strings.Lines(table) {
			if strings.HasPrefix(line, name+" ") && strings.Contains(line, "free") != free {
				t.Errorf("keys list: %s's row says free %v, want %v:\n%s", name, !free, free, table)
			}
		}
		show := e.mustRun(tty{}, "keys", "show", name).stdout
		if strings.Contains(show, "free (turns cost $0)") != free {
			t.Errorf("keys show %s: want free %v:\n%s", name, free, show)
		}
		var vw map[string]any
		if err := json.Unmarshal([]byte(e.mustRun(tty{}, "keys", "show", name, "--json").stdout), &vw); err != nil {
			t.Fatal(err)
		}
		if vw["free"] != free {
			t.Errorf("keys show --json %s: free = %v, want %v", name, vw["free"], free)
		}
	}
}
