package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// TestExportForceLeavesAPrivateFile: replacing a world-readable file with
// --force must not keep its mode; an export holds the whole conversation.
func TestExportForceLeavesAPrivateFile(t *testing.T) {
	e := newVault(t)
	_, url := testkit.Sim(t, sim.Options{})
	e.addSimKey("work", url)
	e.askJSON(tty{}, "private words")
	path := filepath.Join(t.TempDir(), "chat.md")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	e.mustRun(tty{}, "export", "--last", "-o", path, "--force")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("export --force left mode %04o, want 0600", fi.Mode().Perm())
	}
}

// TestExplicitConfigMustExist: --config naming a missing file is a typo to
// report, not a reason to fall back to the defaults silently.
func TestExplicitConfigMustExist(t *testing.T) {
	e := newVault(t)
	res := e.run(tty{}, "--config", filepath.Join(t.TempDir(), "nope.toml"), "keys", "list")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "config file", "--config")
}
