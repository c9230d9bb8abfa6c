package vault_test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"filippo.io/age"

	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/vault"
)

// exampleIdentity writes a fresh age identity file, as age-keygen would,
// and returns its path. A real user brings their own file or uses a
// passphrase (Options.Passphrase), which costs a second of scrypt per
// unlock and is left out of these examples for speed.
func exampleIdentity(dir string) string {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		log.Fatal(err)
	}
	path := filepath.Join(dir, "key.txt")
	if err := os.WriteFile(path, []byte(id.String()+"\n"), 0o600); err != nil {
		log.Fatal(err)
	}
	return path
}

// fakeKey returns a made-up API key ending in "wxyz", so the masked form
// printed below is stable.
func fakeKey() vault.Secret {
	s, err := vault.NewSecret("sk-proj-EXAMPLE" + rand.Text() + "wxyz")
	if err != nil {
		log.Fatal(err)
	}
	return s
}

// Initialise a vault home that unlocks with the user's age identity file.
func Example_init() {
	dir, err := os.MkdirTemp("", "vault-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	home := filepath.Join(dir, "vaultchat")
	v, err := vault.Init(home, vault.Options{IdentityFile: exampleIdentity(dir)})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	fi, err := os.Stat(home)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("exists:", vault.Exists(home))
	fmt.Println("needs a passphrase:", vault.UsesPassphrase(home, vault.Options{}))
	fmt.Println("home mode:", fi.Mode().Perm())
	fmt.Println("keys:", len(v.Keys()))
	// Output:
	// exists: true
	// needs a passphrase: false
	// home mode: -rwx------
	// keys: 0
}

// Open a vault and list its keys. Secrets print masked; Reveal is the only
// way to read one. Failures are classified with errors.Is.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "vault-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	home := filepath.Join(dir, "vaultchat")
	v, err := vault.Init(home, vault.Options{IdentityFile: exampleIdentity(dir)})
	if err != nil {
		log.Fatal(err)
	}
	err = v.Update(func(tx *vault.Tx) error {
		_, err := tx.Add(vault.Key{Name: "personal", Provider: providers.OpenAI, Secret: fakeKey()})
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	v.Close()

	// The home remembers the identity file, so no options are needed.
	v, err = vault.Open(home, vault.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	for _, k := range v.Keys() {
		fmt.Println(k.Name, k.Host(), k.Secret)
	}

	// Someone else's identity does not open it.
	other := filepath.Join(dir, "other")
	os.Mkdir(other, 0o700)
	_, err = vault.Open(home, vault.Options{IdentityFile: exampleIdentity(other)})
	fmt.Println("wrong identity:", errors.Is(err, vault.ErrWrongIdentity))
	// Output:
	// personal api.openai.com sk-proj-…wxyz
	// wrong identity: true
}

// Change keys inside Update: it reloads the vault under the lock, runs the
// function and saves once. If the function fails, nothing is saved.
func ExampleVault_Update() {
	dir, err := os.MkdirTemp("", "vault-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	v, err := vault.Init(filepath.Join(dir, "vaultchat"), vault.Options{IdentityFile: exampleIdentity(dir)})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	err = v.Update(func(tx *vault.Tx) error {
		_, err := tx.Add(vault.Key{
			Name:         "team",
			Provider:     providers.OpenAICompatible,
			BaseURL:      "http://127.0.0.1:8080/v1/",
			DefaultModel: "llama3",
			Budget:       vault.Budget{MonthlyUSD: 25, Hard: true},
			Secret:       fakeKey(),
		})
		return err
	})
	if err != nil {
		log.Fatal(err)
	}

	// A second key with the same name is refused and nothing is saved.
	err = v.Update(func(tx *vault.Tx) error {
		_, err := tx.Add(vault.Key{Name: "team", Provider: providers.OpenAI, Secret: fakeKey()})
		return err
	})
	fmt.Println("duplicate refused:", errors.Is(err, vault.ErrDuplicateName))

	// Rotation keeps the ID and replaces the secret, here and in backups.
	before, _ := v.Key("team")
	err = v.Update(func(tx *vault.Tx) error {
		_, err := tx.Rotate("team", fakeKey())
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	after, _ := v.Key("team")
	fmt.Println("same ID:", before.ID == after.ID, "rotated:", !after.Rotated.IsZero())
	fmt.Println(after.Name, after.BaseURL, after.Secret)
	// Output:
	// duplicate refused: true
	// same ID: true rotated: true
	// team http://127.0.0.1:8080/v1 sk-proj-…wxyz
}

// Other packages keep their own encrypted files in the vault home through
// Files, which is all of the vault they are given.
func ExampleVault_Files() {
	dir, err := os.MkdirTemp("", "vault-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	v, err := vault.Init(filepath.Join(dir, "vaultchat"), vault.Options{IdentityFile: exampleIdentity(dir)})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	files := v.Files()
	if err := files.WriteFile("notes/todo.age", []byte("rotate the CI key")); err != nil {
		log.Fatal(err)
	}
	b, err := files.ReadFile("notes/todo.age", 0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(b))
	// The vault's own files are not reachable through it.
	fmt.Println(files.WriteFile("vault.age", nil) != nil)
	// Output:
	// rotate the CI key
	// true
}
