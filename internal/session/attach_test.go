package session

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/sim"
)

// TestAttachRefusesASecretAtOnce: Session.Attach reads a text file, and
// refuses one that holds a key of the vault (naming the file, never
// showing the key), so that the TUI never holds it.
func TestAttachRefusesASecretAtOnce(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.addKey("k", "sim-fast", nil)
	f.unlock()
	// Outside the home: the fixture checks its home holds no secret.
	dir := t.TempDir()
	good := filepath.Join(dir, "notes.txt")
	bad := filepath.Join(dir, "env.txt")
	os.WriteFile(good, []byte("plain notes\n"), 0o600)
	os.WriteFile(bad, []byte("OPENAI_API_KEY="+f.secrets[0]+"\n"), 0o600)
	a, err := f.sess.Attach(good)
	if err != nil || a.Name != "notes.txt" || a.Text != "plain notes\n" {
		t.Fatalf("Attach(notes.txt) = %+v, %v", a, err)
	}
	_, err = f.sess.Attach(bad)
	if err == nil || !strings.Contains(err.Error(), "attach env.txt: the file holds an API key stored in the vault") {
		t.Fatalf("Attach(env.txt) error %v; want the refusal naming the file", err)
	}
	f.assertNoSecret("the error", err.Error())
}
