package vault

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/vaultchat/vaultchat/internal/providers"
)

// testWorkFactor is the scrypt logN every test vault uses for identity.age.
// logN 10 costs about a millisecond; the default 18 costs about a second.
const testWorkFactor = 10

// ageIntro is the first line of every age file.
const ageIntro = "age-encryption.org/v1\n"

func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == "age-plugin-"+testPluginName {
		os.Exit(runTestPlugin())
	}
	restore := testOnlySetScryptWorkFactor(testWorkFactor)
	code := m.Run()
	restore()
	os.Exit(code)
}

// canary returns a fake API key that is unique to this run, so a leak
// check cannot pass by accident and no real-looking key is checked in.
func canary(tb testing.TB) string {
	tb.Helper()
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	return "sk-proj-CANARY" + hex.EncodeToString(b[:])
}

func mustSecret(tb testing.TB, s string) Secret {
	tb.Helper()
	sec, err := NewSecret(s)
	if err != nil {
		tb.Fatalf("NewSecret: %v", err)
	}
	return sec
}

// testKey returns a minimal valid openai key with a fresh canary secret.
func testKey(tb testing.TB, name string) Key {
	tb.Helper()
	return Key{Name: name, Provider: providers.OpenAI, Secret: mustSecret(tb, canary(tb))}
}

// writeX25519Identity writes a fresh X25519 identity file (0600) into a
// new temp dir and returns its path and the identity.
func writeX25519Identity(tb testing.TB) (string, *age.X25519Identity) {
	tb.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "identity.txt")
	content := "# created: test\n# public key: " + id.Recipient().String() + "\n" + id.String() + "\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path, id
}

// newIdentityVault initialises a vault that uses an X25519 identity file,
// which needs no scrypt and so is fast to open again and again.
func newIdentityVault(tb testing.TB) (home string, opts Options, id *age.X25519Identity) {
	tb.Helper()
	idPath, id := writeX25519Identity(tb)
	home = filepath.Join(tb.TempDir(), "home")
	v, err := Init(home, Options{IdentityFile: idPath})
	if err != nil {
		tb.Fatalf("Init: %v", err)
	}
	v.Close()
	return home, Options{IdentityFile: idPath}, id
}

// passphraseOpts returns Options that answer every prompt with pass.
func passphraseOpts(pass string) Options {
	return Options{Passphrase: func() (string, error) { return pass, nil }}
}

// newPassphraseVault initialises a vault protected by passphrase (its
// identity.age uses the lowered test work factor).
func newPassphraseVault(tb testing.TB, pass string) string {
	tb.Helper()
	home := filepath.Join(tb.TempDir(), "home")
	v, err := Init(home, passphraseOpts(pass))
	if err != nil {
		tb.Fatalf("Init: %v", err)
	}
	v.Close()
	return home
}

func mustOpen(tb testing.TB, home string, opts Options) *Vault {
	tb.Helper()
	v, err := Open(home, opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(v.Close)
	return v
}

// addKeys adds n keys named prefix-0..n-1, one Update each, and returns
// their secrets by name.
func addKeys(tb testing.TB, v *Vault, prefix string, n int) map[string]string {
	tb.Helper()
	secrets := map[string]string{}
	for i := range n {
		k := testKey(tb, prefix+"-"+strconv.Itoa(i))
		if err := v.Update(func(tx *Tx) error { _, err := tx.Add(k); return err }); err != nil {
			tb.Fatalf("Update: %v", err)
		}
		secrets[k.Name] = k.Secret.Reveal()
	}
	return secrets
}

// snapshot maps every regular file under dir (relative path) to the
// SHA-256 of its content, to prove a failed operation wrote nothing.
func snapshot(tb testing.TB, dir string) map[string]string {
	tb.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || d.Name() == lockFile {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		rel, _ := filepath.Rel(dir, path)
		out[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func sameSnapshot(tb testing.TB, what string, before, after map[string]string) {
	tb.Helper()
	for name, sum := range before {
		if after[name] != sum {
			tb.Errorf("%s: %s changed or vanished", what, name)
		}
	}
	for name := range after {
		if _, ok := before[name]; !ok {
			tb.Errorf("%s: %s appeared", what, name)
		}
	}
}

// decryptFile decrypts an age file with the given identities, for checks
// that must not go through the package's own code path.
func decryptFile(tb testing.TB, path string, ids ...age.Identity) ([]byte, error) {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return decrypt(b, ids...)
}

// keyNames returns the sorted names of keys.
func keyNames(keys []Key) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k.Name)
	}
	sort.Strings(out)
	return out
}

// vaultFiles lists the regular files and symlinks directly in home.
func vaultFiles(tb testing.TB, home string) []string {
	tb.Helper()
	entries, err := os.ReadDir(home)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// isAgeOrEmpty reports whether b is an age file, a prefix of the age
// intro (a temp file killed while writing its first line), or empty.
func isAgeOrEmpty(b []byte) bool {
	if len(b) < len(ageIntro) {
		return bytes.HasPrefix([]byte(ageIntro), b)
	}
	return bytes.HasPrefix(b, []byte(ageIntro))
}

var fixedTime = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC)

func writeFile(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
}
