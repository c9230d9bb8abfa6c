// Package testkit is what the tests of the store, the ledger, the engine,
// the session, the commands and the end-to-end suite share: temporary
// vault homes, fake API keys made at run time, the simulator fixture, the
// environment a test process runs with, and the checks that no secret
// reached the disk and that a directory did not change.
//
// Only tests import it; internal/archtest checks that no shipped package
// does. No fake key is ever committed: Canary makes a fresh one for each
// test, shaped like a real key so that redaction treats it as one.
package testkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/vaultchat/vaultchat/internal/provider"
	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/vault"
)

// CanaryPrefix starts every fake API key: easy to grep for, and shaped
// like an OpenAI project key.
const CanaryPrefix = "sk-proj-CANARY"

// Canary returns a fresh fake API key: CanaryPrefix and 32 random hex
// digits.
func Canary(tb testing.TB) string {
	tb.Helper()
	return CanaryPrefix + RandomHex(tb, 16)
}

// RandomHex returns n random bytes in hex.
func RandomHex(tb testing.TB, n int) string {
	tb.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// IdentityFile writes a fresh X25519 age identity to dir/identity.txt and
// returns its path and the identity. An identity-file vault opens without
// scrypt, so tests stay fast.
func IdentityFile(tb testing.TB, dir string) (string, *age.X25519Identity) {
	tb.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(dir, "identity.txt")
	if err := os.WriteFile(path, []byte(id.String()+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path, id
}

// Home is a vault home in a test's temporary directory, unlocked by an
// identity file.
type Home struct {
	// Root is the temporary directory holding the home and the identity
	// file; a test's exports can go there too.
	Root string
	// Dir is the vault home, Root/home.
	Dir string
	// Identity is the identity file, Root/identity.txt.
	Identity string
}

// NewHome creates a vault home with an empty vault.
func NewHome(tb testing.TB) Home {
	tb.Helper()
	root := tb.TempDir()
	h := Home{Root: root, Dir: filepath.Join(root, "home")}
	h.Identity, _ = IdentityFile(tb, root)
	v, err := vault.Init(h.Dir, h.Options())
	if err != nil {
		tb.Fatalf("vault.Init: %v", err)
	}
	v.Close()
	return h
}

// Options are the vault options that unlock the home.
func (h Home) Options() vault.Options { return vault.Options{IdentityFile: h.Identity} }

// Open opens a new handle on the home, as another process would; it is
// closed when the test ends.
func (h Home) Open(tb testing.TB) *vault.Vault {
	tb.Helper()
	v, err := vault.Open(h.Dir, h.Options())
	if err != nil {
		tb.Fatalf("vault.Open: %v", err)
	}
	tb.Cleanup(v.Close)
	return v
}

// AddKey adds k to the vault through v with a fresh canary secret (unless
// k has one) and an openai-compatible provider (unless k names one), and
// returns the key as stored and its secret.
func AddKey(tb testing.TB, v *vault.Vault, k vault.Key) (vault.Key, string) {
	tb.Helper()
	if k.Secret.IsZero() {
		s, err := vault.NewSecret(Canary(tb))
		if err != nil {
			tb.Fatal(err)
		}
		k.Secret = s
	}
	if k.Provider == "" {
		k.Provider = providers.OpenAICompatible
	}
	var added vault.Key
	err := v.Update(func(tx *vault.Tx) error {
		var err error
		added, err = tx.Add(k)
		return err
	})
	if err != nil {
		tb.Fatalf("add key %s: %v", k.Name, err)
	}
	return added, added.Secret.Reveal()
}

// Sim starts the built-in simulator on 127.0.0.1 and returns it with its
// base URL; it stops when the test ends.
func Sim(tb testing.TB, opts sim.Options) (*sim.Server, string) {
	tb.Helper()
	s := sim.New(opts)
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, url
}

// ChatRequests returns the chat completion requests the simulator got.
func ChatRequests(s *sim.Server) []sim.Request {
	var out []sim.Request
	for _, r := range s.Requests() {
		if strings.HasSuffix(r.Path, "/chat/completions") {
			out = append(out, r)
		}
	}
	return out
}

// FastStream makes turns fast: a tiny coalescing window and no real
// sleeps between retries.
func FastStream() provider.Options {
	return provider.Options{
		Coalesce: time.Millisecond,
		Sleep:    func(context.Context, time.Duration) error { return nil },
	}
}

// Env makes the directories of a test process's world under dir (user,
// tmp, config, data, state, cache) and returns the environment that
// points there: PATH, HOME, TMPDIR and the XDG base directories. Nothing
// of the real user's home is reachable through it.
func Env(tb testing.TB, dir string) []string {
	tb.Helper()
	env := []string{"PATH=" + os.Getenv("PATH")}
	for _, v := range []struct{ name, dir string }{
		{"HOME", "user"}, {"TMPDIR", "tmp"}, {"XDG_CONFIG_HOME", "config"},
		{"XDG_DATA_HOME", "data"}, {"XDG_STATE_HOME", "state"}, {"XDG_CACHE_HOME", "cache"},
	} {
		path := filepath.Join(dir, v.dir)
		if err := os.MkdirAll(path, 0o700); err != nil {
			tb.Fatal(err)
		}
		env = append(env, v.name+"="+path)
	}
	return env
}

// AssertNoSecretOnDisk fails if a file under dir holds one of secrets, or
// the canary prefix, in clear.
func AssertNoSecretOnDisk(tb testing.TB, dir string, secrets ...string) {
	tb.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		leak := strings.Contains(string(b), CanaryPrefix)
		for _, s := range secrets {
			leak = leak || strings.Contains(string(b), s)
		}
		if leak {
			tb.Errorf("%s holds a secret in clear", path)
		}
		return nil
	})
	if err != nil {
		tb.Errorf("walk %s: %v", dir, err)
	}
}

// Snapshot is the mode and content of every file and directory under a
// directory, by relative path.
type Snapshot map[string]string

// TakeSnapshot reads every file and directory under dir.
func TakeSnapshot(tb testing.TB, dir string) Snapshot {
	tb.Helper()
	out := Snapshot{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out[rel] = info.Mode().String()
		if d.Type().IsRegular() {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			out[rel] += " " + string(b)
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("snapshot %s: %v", dir, err)
	}
	return out
}

// Diff describes how after differs from s, one sorted entry per path:
// "vault.age changed", "x removed", "y added".
func (s Snapshot) Diff(after Snapshot) []string {
	var out []string
	for name, b := range s {
		a, ok := after[name]
		switch {
		case !ok:
			out = append(out, name+" removed")
		case a != b:
			out = append(out, name+" changed")
		}
	}
	for name := range after {
		if _, ok := s[name]; !ok {
			out = append(out, name+" added")
		}
	}
	sort.Strings(out)
	return out
}

// WriteRaw replaces path's bytes in place and moves its modification
// time, as a disk error or another program would.
func WriteRaw(tb testing.TB, path string, b []byte) {
	tb.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(path, future, future); err != nil {
		tb.Fatal(err)
	}
}

// FileState describes a file by size, modification time and its first
// 64 KiB, to tell whether it was rewritten.
func FileState(tb testing.TB, path string) string {
	tb.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	head := make([]byte, 64<<10)
	n, _ := f.Read(head)
	return fmt.Sprintf("%d %d %x", fi.Size(), fi.ModTime().UnixNano(), head[:n])
}
