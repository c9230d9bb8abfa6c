package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// TestProcessUsageNamesARemovedKey: add a key, chat, rename it, remove
// it; "usage" and "usage --json" still name it, by its last name, marked
// removed, with its masked value in the JSON and never the secret.
func TestProcessUsageNamesARemovedKey(t *testing.T) {
	_, url := testkit.Sim(t, sim.Options{})
	env := binaryVault(t, url) // key "sim"
	for _, args := range [][]string{
		{"ask", "hello"},
		{"keys", "rename", "sim", "work"},
		{"keys", "rm", "--yes", "work"},
	} {
		if out, err := binaryCommand(env, args...).CombinedOutput(); err != nil {
			t.Fatalf("vaultchat %v: %v\n%s", args, err, out)
		}
	}

	out, err := binaryCommand(env, "usage").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "\nwork (removed) ") {
		t.Fatalf("usage does not name the removed key:\n%s", out)
	}
	out, err = binaryCommand(env, "usage", "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var report struct {
		Rows []struct {
			Group    string `json:"group"`
			KeyID    string `json:"key_id"`
			Removed  bool   `json:"removed"`
			Masked   string `json:"masked"`
			Requests int64  `json:"requests"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(out, &report); err != nil {
		t.Fatal(err)
	}
	if len(report.Rows) != 1 {
		t.Fatalf("usage --json rows:\n%s", out)
	}
	row := report.Rows[0]
	if row.Group != "work (removed)" || !row.Removed || row.KeyID == "" || !strings.Contains(row.Masked, "…") || row.Requests != 1 {
		t.Fatalf("usage --json row of the removed key: %+v\n%s", row, out)
	}
	// The removed key can still be asked about by its name.
	out, err = binaryCommand(env, "usage", "--key", "work").Output()
	if err != nil || !strings.Contains(string(out), "work (removed)") {
		t.Fatalf("usage --key work: %v\n%s", err, out)
	}
}
