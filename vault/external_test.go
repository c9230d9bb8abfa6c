package vault

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/plugin"
	"golang.org/x/crypto/ssh"
)

// countingIdentity stands for an identity held elsewhere: it forwards to
// another identity (in production, an agent process) and counts calls.
type countingIdentity struct {
	id    age.Identity
	calls int
}

func (c *countingIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	c.calls++
	return c.id.Unwrap(stanzas)
}

// TestExternalIdentity opens a passphrase vault with the identity held by
// another Vault, as a client of the agent does: no passphrase is asked,
// keys and sealed files read the same, and what it saves opens again with
// the passphrase, so saves encrypt to the vault's real recipient.
func TestExternalIdentity(t *testing.T) {
	const pass = "external identity test"
	home := newPassphraseVault(t, pass)
	holder := mustOpen(t, home, passphraseOpts(pass))
	secrets := addKeys(t, holder, "k", 2)
	if err := holder.Files().WriteFile("notes/a.age", []byte("sealed by the holder")); err != nil {
		t.Fatal(err)
	}
	recipient, err := holder.PublicRecipient()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(recipient, "age1pq1") {
		t.Fatalf("PublicRecipient = %.12q…; want the post-quantum recipient", recipient)
	}

	ext := &countingIdentity{id: holder}
	opts := Options{
		Identity:  ext,
		Recipient: recipient,
		Passphrase: func() (string, error) {
			t.Error("a passphrase was asked for although an identity was supplied")
			return "", errors.New("no")
		},
	}
	if UsesPassphrase(home, opts) {
		t.Error("UsesPassphrase with an identity supplied = true")
	}
	client := mustOpen(t, home, opts)
	if ext.calls == 0 {
		t.Fatal("the supplied identity was never asked")
	}
	for name, want := range secrets {
		k, err := client.Key(name)
		if err != nil || k.Secret.Reveal() != want {
			t.Fatalf("Key(%s) through the supplied identity: %v", name, err)
		}
	}
	if b, err := client.Files().ReadFile("notes/a.age", 0); err != nil || string(b) != "sealed by the holder" {
		t.Fatalf("ReadFile through the supplied identity = %q, %v", b, err)
	}
	if self, _ := client.Recipients(); self != recipient {
		t.Errorf("Recipients self = %.12q…; want the supplied recipient", self)
	}
	added := addKeys(t, client, "c", 1)
	if err := client.Files().WriteFile("notes/b.age", []byte("sealed by the client")); err != nil {
		t.Fatal(err)
	}
	if err := client.ChangePassphrase("new"); err == nil {
		t.Error("ChangePassphrase through a supplied identity succeeded")
	}

	again := mustOpen(t, home, passphraseOpts(pass))
	for name, want := range added {
		if k, err := again.Key(name); err != nil || k.Secret.Reveal() != want {
			t.Fatalf("a key saved through the supplied identity does not open with the passphrase: %v", err)
		}
	}
	if b, err := again.Files().ReadFile("notes/b.age", 0); err != nil || string(b) != "sealed by the client" {
		t.Fatalf("a file sealed through the supplied identity = %q, %v", b, err)
	}
}

// failingIdentity fails the way an agent that went away does.
type failingIdentity struct{ err error }

func (f failingIdentity) Unwrap([]*age.Stanza) ([]byte, error) { return nil, f.err }

// errGone is a failure of the identity's holder, not of any file.
type errGone struct{}

func (errGone) Error() string { return "the holder went away" }

func TestExternalIdentityErrors(t *testing.T) {
	home, opts, id := newIdentityVault(t)
	recipient := id.Recipient().String()

	// A holder that fails is not a corrupted vault: the caller must be
	// able to tell, and to fall back to unlocking itself.
	_, err := Open(home, Options{Identity: failingIdentity{errGone{}}, Recipient: recipient})
	var gone errGone
	if !errors.As(err, &gone) {
		t.Errorf("Open with a failing identity: %v; want the holder's error", err)
	}
	if errors.Is(err, ErrCorrupted) || errors.Is(err, ErrWrongIdentity) {
		t.Errorf("Open with a failing identity is classified as %v", classesOf(err))
	}

	// A holder of another identity.
	_, err = Open(home, Options{Identity: failingIdentity{age.ErrIncorrectIdentity}, Recipient: recipient})
	if !errors.Is(err, ErrWrongIdentity) {
		t.Errorf("Open with a non-matching identity: %v; want ErrWrongIdentity", err)
	}

	// Without the recipient a save could not encrypt.
	v := mustOpen(t, home, opts)
	if _, err := Open(home, Options{Identity: v}); err == nil {
		t.Error("Open with an identity and no recipient succeeded")
	}
	if _, err := Open(home, Options{Identity: v, Recipient: "AGE-SECRET-KEY-1NOTARECIPIENT"}); err == nil || strings.Contains(err.Error(), "NOTARECIPIENT") {
		t.Errorf("Open with a malformed recipient: %v; want an error that does not quote it", err)
	}

	// A closed Vault unwraps nothing.
	v.Close()
	if _, err := v.Unwrap(nil); !errors.Is(err, ErrLocked) {
		t.Errorf("Unwrap after Close: %v; want ErrLocked", err)
	}
	if _, err := v.PublicRecipient(); !errors.Is(err, ErrLocked) {
		t.Errorf("PublicRecipient after Close: %v; want ErrLocked", err)
	}
}

// TestPublicRecipient checks every identity kind: the encoding comes back
// through Options.Recipient and encrypts to the same identity.
func TestPublicRecipient(t *testing.T) {
	installTestPlugin(t)
	dir := t.TempDir()

	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	sshPath := filepath.Join(dir, "id_ed25519")
	writeFile(t, sshPath, string(pem.EncodeToMemory(block)))

	x, _ := age.GenerateX25519Identity()
	yRec := plugin.EncodeRecipient(testPluginName, []byte(x.Recipient().String()))
	commented := filepath.Join(dir, "commented.txt")
	writeFile(t, commented, "#    Recipient: "+yRec+"\n"+plugin.EncodeIdentity(testPluginName, []byte(x.String()))+"\n")
	bare := filepath.Join(dir, "bare.txt")
	writeFile(t, bare, plugin.EncodeIdentity(testPluginName, []byte(x.String()))+"\n")
	xPath, _ := writeX25519Identity(t)

	for _, tt := range []struct {
		name, file, prefix string
	}{
		{"X25519", xPath, "age1"},
		{"SSH ed25519", sshPath, "ssh-ed25519 "},
		{"plugin with a recipient comment", commented, "age1" + testPluginName + "1"},
		{"plugin used as its own recipient", bare, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			home := filepath.Join(t.TempDir(), "home")
			v, err := Init(home, Options{IdentityFile: tt.file})
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			r, err := v.PublicRecipient()
			if tt.prefix == "" {
				if err == nil {
					t.Fatalf("PublicRecipient = %q; want an error", r)
				}
				return
			}
			if err != nil || !strings.HasPrefix(r, tt.prefix) {
				t.Fatalf("PublicRecipient = %q, %v; want %s…", r, err, tt.prefix)
			}
			client := mustOpen(t, home, Options{Identity: v, Recipient: r})
			addKeys(t, client, "k", 1)
			mustOpen(t, home, Options{IdentityFile: tt.file})
		})
	}
}
