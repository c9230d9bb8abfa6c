package vault

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"
	"filippo.io/age/plugin"
)

// testPluginName is the age plugin the test binary pretends to be when it
// is run as age-plugin-vaulttest (see TestMain). Its recipients and
// identities carry an ordinary X25519 recipient or identity string as
// their data, so the tests can check the plugin path end to end without
// any hardware.
const testPluginName = "vaulttest"

// runTestPlugin serves the age plugin protocol on stdin/stdout.
func runTestPlugin() int {
	p, err := plugin.New(testPluginName)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	p.HandleRecipient(func(data []byte) (age.Recipient, error) {
		return age.ParseX25519Recipient(string(data))
	})
	p.HandleIdentityAsRecipient(func(data []byte) (age.Recipient, error) {
		id, err := age.ParseX25519Identity(string(data))
		if err != nil {
			return nil, err
		}
		return id.Recipient(), nil
	})
	p.HandleIdentity(func(data []byte) (age.Identity, error) {
		return age.ParseX25519Identity(string(data))
	})
	fs := flag.NewFlagSet("age-plugin-"+testPluginName, flag.ContinueOnError)
	p.RegisterFlags(fs)
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 1
	}
	return p.Main()
}

// installTestPlugin puts age-plugin-vaulttest (a link to this test binary)
// first on PATH.
func installTestPlugin(t *testing.T) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(exe, filepath.Join(dir, "age-plugin-"+testPluginName)); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// noPanic runs fn and turns a panic into a test failure, so one bug does
// not take the rest of the package's tests down with it.
func noPanic(t *testing.T, what string, fn func() error) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s panicked: %v", what, r)
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return fn()
}

// TestPluginRecipientAndIdentity uses a real age plugin process. Callers
// often leave Options.PluginUI nil; that must work (prompts then fail),
// not crash.
func TestPluginRecipientAndIdentity(t *testing.T) {
	installTestPlugin(t)

	// A plugin recipient added to an ordinary vault.
	home, opts, _ := newIdentityVault(t)
	v := mustOpen(t, home, opts)
	friend, _ := age.GenerateX25519Identity()
	rec := plugin.EncodeRecipient(testPluginName, []byte(friend.Recipient().String()))
	err := noPanic(t, "AddRecipient(plugin)", func() error {
		return v.Update(func(tx *Tx) error { return tx.AddRecipient(rec) })
	})
	if err != nil {
		t.Fatalf("AddRecipient(plugin): %v", err)
	}
	if _, err := decryptFile(t, filepath.Join(home, vaultFile), friend); err != nil {
		t.Fatalf("vault.age via the plugin recipient: %v", err)
	}
	err = noPanic(t, "Update with a plugin recipient", func() error {
		return v.Update(func(tx *Tx) error { _, err := tx.Add(testKey(t, "a")); return err })
	})
	if err != nil {
		t.Fatal(err)
	}

	// A vault whose own identity is a plugin identity.
	x, _ := age.GenerateX25519Identity()
	idPath := filepath.Join(t.TempDir(), "plugin-identity.txt")
	writeFile(t, idPath, "# a plugin identity\n"+plugin.EncodeIdentity(testPluginName, []byte(x.String()))+"\n")
	phome := filepath.Join(t.TempDir(), "home")
	err = noPanic(t, "Init with a plugin identity", func() error {
		pv, err := Init(phome, Options{IdentityFile: idPath})
		if err == nil {
			pv.Close()
		}
		return err
	})
	if err != nil {
		t.Fatalf("Init with a plugin identity: %v", err)
	}
	err = noPanic(t, "Open with a plugin identity", func() error {
		pv, err := Open(phome, Options{})
		if err != nil {
			return err
		}
		defer pv.Close()
		if self, _ := pv.Recipients(); self != "plugin identity (age-plugin-vaulttest)" {
			return fmt.Errorf("self recipient shown as %q", self)
		}
		return pv.Update(func(tx *Tx) error { _, err := tx.Add(testKey(t, "b")); return err })
	})
	if err != nil {
		t.Fatalf("Open with a plugin identity: %v", err)
	}
	if _, err := decryptFile(t, filepath.Join(phome, vaultFile), x); err != nil {
		t.Fatalf("vault.age of a plugin-identity vault: %v", err)
	}

	// Plugins such as age-plugin-yubikey write the recipient in a comment;
	// the vault then encrypts to that recipient.
	y, _ := age.GenerateX25519Identity()
	yRec := plugin.EncodeRecipient(testPluginName, []byte(y.Recipient().String()))
	yPath := filepath.Join(t.TempDir(), "yubikey-style.txt")
	writeFile(t, yPath, "#       Serial: 1, Slot: 1\n#    Recipient: "+yRec+"\n"+plugin.EncodeIdentity(testPluginName, []byte(y.String()))+"\n")
	yhome := filepath.Join(t.TempDir(), "home")
	err = noPanic(t, "Init with a commented plugin identity", func() error {
		yv, err := Init(yhome, Options{IdentityFile: yPath})
		if err != nil {
			return err
		}
		defer yv.Close()
		if self, _ := yv.Recipients(); self != yRec {
			return fmt.Errorf("self recipient %q, want the commented one", self)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decryptFile(t, filepath.Join(yhome, vaultFile), y); err != nil {
		t.Fatalf("vault.age of a commented plugin identity: %v", err)
	}
	mustOpen(t, yhome, Options{})
}

// TestPluginCommentRecipientOfAnotherPlugin checks that a "# Recipient:"
// comment naming a different plugin than the identity's is not used as
// the vault's recipient: saving would run that other plugin's program
// from PATH and encrypt the vault to a recipient the identity cannot
// decrypt.
func TestPluginCommentRecipientOfAnotherPlugin(t *testing.T) {
	installTestPlugin(t)
	dir := t.TempDir()
	// A program the comment would make us run, if it were honoured.
	ran := filepath.Join(dir, "ran")
	writeFile(t, filepath.Join(dir, "age-plugin-intruder"), "#!/bin/sh\ntouch "+ran+"\nexit 1\n")
	if err := os.Chmod(filepath.Join(dir, "age-plugin-intruder"), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))

	x, _ := age.GenerateX25519Identity()
	other, _ := age.GenerateX25519Identity()
	intruder := plugin.EncodeRecipient("intruder", []byte(other.Recipient().String()))
	idPath := filepath.Join(t.TempDir(), "identity.txt")
	writeFile(t, idPath, "#    Recipient: "+intruder+"\n"+plugin.EncodeIdentity(testPluginName, []byte(x.String()))+"\n")
	home := filepath.Join(t.TempDir(), "home")
	err := noPanic(t, "Init", func() error {
		v, err := Init(home, Options{IdentityFile: idPath})
		if err != nil {
			return err
		}
		defer v.Close()
		if self, _ := v.Recipients(); self == intruder {
			return fmt.Errorf("self recipient is the other plugin's %q", self)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Error("age-plugin-intruder was run")
	}
	if _, err := decryptFile(t, filepath.Join(home, vaultFile), x); err != nil {
		t.Fatalf("vault.age does not decrypt with the identity: %v", err)
	}
}
