package agent

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"filippo.io/age"

	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/vault"
)

// TestVaultThroughAgentWireLog is the whole path with a real passphrase
// vault: the agent holds the vault's identity, a client opens the vault,
// reads and adds keys and seals a file through it. Every byte on the
// socket is recorded: the passphrase, the vault's identity and the API
// keys (canaries) never appear in it.
func TestVaultThroughAgentWireLog(t *testing.T) {
	canary := func() string {
		b := make([]byte, 16)
		rand.Read(b)
		return "sk-proj-CANARY" + hex.EncodeToString(b)
	}
	pass := "canary-passphrase-" + canary()
	home := filepath.Join(t.TempDir(), "home")
	opts := vault.Options{Passphrase: func() (string, error) { return pass, nil }}
	v, err := vault.Init(home, opts)
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{canary(), canary()}
	for i, s := range secrets {
		sec, err := vault.NewSecret(s)
		if err != nil {
			t.Fatal(err)
		}
		err = v.Update(func(tx *vault.Tx) error {
			_, err := tx.Add(vault.Key{Name: "k" + string(rune('a'+i)), Provider: providers.OpenAI, Secret: sec})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	v.Close()

	// The identity itself, to look for it on the wire.
	sid, err := age.NewScryptIdentity(pass)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(home, "identity.age"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := age.Decrypt(f, sid)
	if err != nil {
		t.Fatal(err)
	}
	identity, _ := io.ReadAll(r)
	f.Close()

	held, err := vault.Unlock(home, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	recipient, err := held.PublicRecipient()
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, Config{Home: home, Identity: held, Recipient: recipient})

	var (
		mu  sync.Mutex
		log bytes.Buffer
	)
	c := &Client{Home: home, Dial: func() (net.Conn, error) {
		conn, err := net.Dial("unix", srv.socket)
		if err != nil {
			return nil, err
		}
		return &recorder{Conn: conn, mu: &mu, log: &log}, nil
	}}
	st, err := c.Status()
	if err != nil {
		t.Fatal(err)
	}
	client, err := vault.Open(home, vault.Options{Identity: c, Recipient: st.Recipient})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	for i, want := range secrets {
		k, err := client.Key("k" + string(rune('a'+i)))
		if err != nil || k.Secret.Reveal() != want {
			t.Fatalf("key through the agent: %v", err)
		}
	}
	added := canary()
	sec, _ := vault.NewSecret(added)
	if err := client.Update(func(tx *vault.Tx) error {
		_, err := tx.Add(vault.Key{Name: "kc", Provider: providers.OpenAI, Secret: sec})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := client.Files().WriteFile("notes/n.age", []byte(added)); err != nil {
		t.Fatal(err)
	}
	if b, err := client.Files().ReadFile("notes/n.age", 0); err != nil || string(b) != added {
		t.Fatalf("sealed file through the agent: %q, %v", b, err)
	}

	if log.Len() == 0 {
		t.Fatal("nothing was recorded")
	}
	id := strings.TrimSpace(string(identity))
	for what, secret := range map[string]string{
		"passphrase": pass, "identity": id, "part of the identity": id[30:70],
		"first key": secrets[0], "second key": secrets[1], "added key": added,
	} {
		if contains(log.Bytes(), secret) {
			t.Errorf("the %s crossed the socket", what)
		}
	}
}
