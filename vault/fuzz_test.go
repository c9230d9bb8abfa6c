package vault

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/vaultchat/vaultchat/internal/providers"
)

var update = flag.Bool("update", false, "rewrite testdata: the test identity (if missing), the golden vault and the fuzz seed corpus")

// Test fixtures. test-identity.txt is an X25519 identity made for these
// tests only; the golden vault and the FuzzOpen seeds are encrypted to it.
const (
	testIdentityPath = "testdata/test-identity.txt"
	goldenVaultPath  = "testdata/golden/vault-schema1.age"
)

func testIdentity(tb testing.TB) (path string, id *age.X25519Identity) {
	tb.Helper()
	path, err := filepath.Abs(testIdentityPath)
	if err != nil {
		tb.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil || len(ids) != 1 {
		tb.Fatalf("%s: %v", testIdentityPath, err)
	}
	return path, ids[0].(*age.X25519Identity)
}

// goldenKeys are the keys in the golden vault. The secrets are canaries
// that exist only in testdata.
func goldenKeys() []Key {
	created := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	return []Key{
		{
			Name: "personal", Provider: providers.OpenAI, DefaultModel: "gpt-4o-mini",
			Budget: Budget{MonthlyUSD: 20}, Note: "laptop", Created: created,
			Secret: Secret{value: "sk-proj-" + "CANARY-golden-0000000000000001"},
		},
		{
			Name: "azure-team", Provider: providers.Azure, BaseURL: "https://golden.openai.azure.com",
			AllowedModels: []string{"gpt-4o"}, Budget: Budget{DailyUSD: 5, Hard: true},
			Created: created, Expires: created.AddDate(1, 0, 0),
			AzureAPIVersion: "2024-10-21", AzureDeployments: map[string]string{"gpt-4o": "prod-4o"},
			Secret: Secret{value: "CANARY-golden-azure-00000000000000000002"},
		},
		{
			Name: "local", Provider: providers.OpenAICompatible, BaseURL: "http://127.0.0.1:11434/v1",
			LastCheck: Check{At: created, OK: true, Status: "ok"}, Created: created,
			Secret: Secret{value: "sk-" + "CANARY-golden-local-000000000003"},
		},
	}
}

// TestUpdateTestdata rewrites the fixtures when run with -update. The test
// identity is only created when missing, so existing seeds stay valid.
func TestUpdateTestdata(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite testdata")
	}
	if _, err := os.Stat(testIdentityPath); errors.Is(err, os.ErrNotExist) {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		content := "# TEST FIXTURE ONLY. This X25519 identity is not secret and protects\n" +
			"# nothing: it is checked in so that the tests can decrypt the golden\n" +
			"# vault and the fuzz seed corpus in vault/testdata. Never use it for\n" +
			"# real data.\n" +
			"# public key: " + id.Recipient().String() + "\n" + id.String() + "\n"
		if err := os.WriteFile(testIdentityPath, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	idPath, id := testIdentity(t)

	// The golden vault: written by the real save path, three keys, one
	// extra recipient.
	home := filepath.Join(t.TempDir(), "home")
	v, err := Init(home, Options{IdentityFile: idPath})
	if err != nil {
		t.Fatal(err)
	}
	extra, _ := age.GenerateX25519Identity()
	err = v.Update(func(tx *Tx) error {
		for _, k := range goldenKeys() {
			if _, err := tx.Add(k); err != nil {
				return err
			}
		}
		return tx.AddRecipient(extra.Recipient().String())
	})
	if err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile(filepath.Join(home, vaultFile))
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Dir(goldenVaultPath), 0o755)
	if err := os.WriteFile(goldenVaultPath, golden, 0o644); err != nil {
		t.Fatal(err)
	}
	plaintext, err := decrypt(golden, id)
	if err != nil {
		t.Fatal(err)
	}

	sealed := func(p string) []byte {
		path := filepath.Join(t.TempDir(), "x.age")
		if err := seal(path, []byte(p), id.Recipient()); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(path)
		return b
	}
	_, macStart, headerEnd := headerLayout(t, golden)
	flipped := slices.Clone(golden)
	flipped[headerEnd+20] ^= 1
	writeCorpus(t, "FuzzOpen", map[string][]byte{
		"valid-vault":        golden,
		"empty-vault":        sealed(`{"schema":1,"generation":1,"keys":[]}`),
		"future-schema":      sealed(`{"schema":2,"generation":1,"keys":[]}`),
		"not-json":           sealed(`not json`),
		"header-only":        golden[:headerEnd],
		"no-mac":             golden[:macStart],
		"payload-bit-flip":   flipped,
		"intro-only":         []byte(ageIntro),
		"empty-file":         {},
		"plaintext-json":     plaintext,
		"trailing-garbage":   append(slices.Clone(golden), "garbage"...),
		"scrypt-header":      []byte(ageIntro + "-> scrypt AAAAAAAAAAAAAAAAAAAAAA 23\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"),
		"unknown-stanza":     []byte(ageIntro + "-> grease 1 2 3\n\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"),
		"long-header-line":   append([]byte(ageIntro+"-> "), bytes.Repeat([]byte("A"), 100_000)...),
		"bad-recipient-list": sealed(`{"schema":1,"generation":1,"recipients":["age1zzz"],"keys":[]}`),
	})
	writeCorpus(t, "FuzzDecodePayload", map[string][]byte{
		"golden":         plaintext,
		"minimal":        []byte(`{"schema":1}`),
		"null-keys":      []byte(`{"schema":1,"keys":null,"recipients":null}`),
		"future":         []byte(`{"schema":2}`),
		"trailing-space": []byte(`{"schema":1,"keys":[{"id":"k_1","name":"a","provider":"openai","base_url":"http://h/ / ","secret":"s"}]}`),
		"offset-times":   []byte(`{"schema":1,"saved":"2025-01-01T00:00:00+00:00","keys":[{"id":"k_1","name":"a","provider":"openai","created":"2025-01-01T01:00:00+01:00","secret":"s"}]}`),
		"duplicate":      []byte(`{"schema":1,"keys":[{"id":"k_1","name":"a","provider":"openai","secret":"s"},{"id":"k_1","name":"b","provider":"openai","secret":"s"}]}`),
		"empty-maps":     []byte(`{"schema":1,"keys":[{"id":"k_1","name":"a","provider":"azure","base_url":"https://x","allowed_models":[],"azure_deployments":{},"secret":"s"}]}`),
		"unicode":        []byte(`{"schema":1,"keys":[{"id":"k_1","name":"ключ ✓","provider":"openai","note":"\u0000","secret":"s"}]}`),
	})
}

// writeCorpus writes seeds in the go test fuzz v1 format to
// testdata/fuzz/<target>/<name>.
func writeCorpus(t *testing.T, target string, seeds map[string][]byte) {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range seeds {
		content := "go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGoldenVault opens a vault written by an earlier build: every schema
// this code ever wrote must keep opening.
func TestGoldenVault(t *testing.T) {
	idPath, _ := testIdentity(t)
	golden, err := os.ReadFile(goldenVaultPath)
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	writeFile(t, filepath.Join(home, vaultFile), string(golden))
	v := mustOpen(t, home, Options{IdentityFile: idPath})
	if v.generation() != 2 {
		t.Errorf("golden generation %d, want 2", v.generation())
	}
	if _, extra := v.Recipients(); len(extra) != 1 {
		t.Errorf("golden extra recipients %v", extra)
	}
	for _, want := range goldenKeys() {
		got, err := v.Key(want.Name)
		if err != nil {
			t.Errorf("golden key %s: %v", want.Name, err)
			continue
		}
		if want.BaseURL == "" {
			want.BaseURL = providers.OpenAIBaseURL
		}
		want.ID = got.ID
		if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", want) || got.Secret.Reveal() != want.Secret.Reveal() {
			t.Errorf("golden key %s:\n got %#v\nwant %#v", want.Name, got, want)
		}
	}
	if err := v.Update(func(tx *Tx) error { return nil }); err != nil {
		t.Fatalf("saving over the golden vault: %v", err)
	}
}

// FuzzOpen writes arbitrary bytes as vault.age and opens it. It must never
// panic, every failure must be classified, and a vault that opens must
// survive a save and open again with the same content.
func FuzzOpen(f *testing.F) {
	idPath, _ := testIdentity(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		home := t.TempDir()
		writeFile(t, filepath.Join(home, vaultFile), string(data))
		opts := Options{IdentityFile: idPath}
		v, err := Open(home, opts)
		if err != nil {
			if n := len(classesOf(err)); n != 1 {
				t.Fatalf("error wraps %d classes: %v", n, err)
			}
			if b, _ := os.ReadFile(filepath.Join(home, vaultFile)); !bytes.Equal(b, data) {
				t.Fatal("a failed Open changed vault.age")
			}
			return
		}
		defer v.Close()
		before := contentOf(t, v)
		gen := v.generation()
		if err := v.save(); err != nil {
			t.Fatalf("Save of an opened vault: %v", err)
		}
		v2, err := Open(home, opts)
		if err != nil {
			t.Fatalf("reopen after Update: %v", err)
		}
		defer v2.Close()
		if v2.generation() != gen+1 {
			t.Fatalf("generation %d → %d", gen, v2.generation())
		}
		if after := contentOf(t, v2); !bytes.Equal(after, before) {
			t.Fatalf("content changed across a save:\n%s\n%s", before, after)
		}
	})
}

// contentOf encodes a Vault's loaded payload without the fields every save
// changes (generation and save time).
func contentOf(t *testing.T, v *Vault) []byte {
	t.Helper()
	p := v.state.clone()
	p.Generation, p.Saved = 0, time.Time{}
	b, err := encodePayload(p)
	if err != nil {
		t.Fatalf("a loaded payload does not encode: %v", err)
	}
	return b
}

// FuzzDecodePayload checks the plaintext decoder: no panic, classified
// errors, and encode∘decode is stable on anything it accepts.
func FuzzDecodePayload(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := decodePayload(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupted) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		e1, err := encodePayload(p)
		if err != nil {
			t.Fatalf("an accepted payload does not encode: %v", err)
		}
		p2, err := decodePayload(e1)
		if err != nil {
			t.Fatalf("re-decode of %s: %v", e1, err)
		}
		e2, err := encodePayload(p2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(e1, e2) {
			t.Fatalf("decode→encode is not stable:\n%s\n%s", e1, e2)
		}
		if len(p.Keys) != len(p2.Keys) || p.Generation != p2.Generation {
			t.Fatal("keys or generation changed")
		}
		for i := range p.Keys {
			if p.Keys[i].Secret != p2.Keys[i].Secret || p.Keys[i].ID != p2.Keys[i].ID || p.Keys[i].Name != p2.Keys[i].Name {
				t.Fatalf("key %d changed", i)
			}
		}
	})
}
