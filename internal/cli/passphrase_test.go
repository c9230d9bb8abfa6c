package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/testkit"
)

// These tests use real passphrase vaults: scrypt at logN 18 costs about a
// second per unlock, so they are few and do several things each.

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPassphraseVaultLifecycle(t *testing.T) {
	e := newEnv(t)
	pass := writeFile(t, filepath.Join(e.dir, "pass"), "correct horse battery staple\nsecond line ignored\n")
	wrong := writeFile(t, filepath.Join(e.dir, "wrong"), "Correct horse battery staple\n")
	newPass := writeFile(t, filepath.Join(e.dir, "new"), "a brand new passphrase for the vault\r\n")

	// init with --passphrase-file; nothing prompts.
	res := e.mustRun(tty{noTerminal: true}, "--passphrase-file", pass, "init")
	wantContains(t, "stdout", res.stdout, "created a vault", "passphrase")
	if _, err := os.Stat(filepath.Join(e.home, "identity.age")); err != nil {
		t.Fatalf("no identity.age: %v", err)
	}

	// Unlock through VAULTCHAT_PASSPHRASE_FILE, and add a key.
	e.vars[envPassphraseFile] = pass
	secret := testkit.Canary(t)
	e.mustRun(tty{noTerminal: true, stdin: secret}, "keys", "add", "work")
	delete(e.vars, envPassphraseFile)

	// A wrong passphrase is classified and changes nothing.
	before := snapshot(t, e.home)
	res = e.run(tty{noTerminal: true}, "--passphrase-file", wrong, "keys", "list")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "wrong passphrase", "vaultchat: hint: the vault is unchanged", "the first line of "+wrong)
	if strings.Contains(res.stderr, "give the passphrase with --passphrase-file") {
		t.Errorf("the hint suggests the flag already used:\n%s", res.stderr)
	}
	// A passphrase file that does not exist gets a hint too.
	res = e.run(tty{noTerminal: true}, "--passphrase-file", filepath.Join(e.dir, "nonexistent"), "keys", "list")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "vaultchat: hint: check the path given with --passphrase-file or VAULTCHAT_PASSPHRASE_FILE")
	if after := snapshot(t, e.home); !bytes.Equal(before, after) {
		t.Error("a failed unlock changed the vault's files")
	}

	// Without a passphrase file or a terminal, commands refuse before
	// doing anything.
	res = e.run(tty{noTerminal: true}, "keys", "list")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "no terminal to ask for it", "--passphrase-file FILE")

	// passwd, non-interactive.
	res = e.mustRun(tty{noTerminal: true}, "--passphrase-file", pass, "passwd", "--new-passphrase-file", newPass)
	wantContains(t, "stdout", res.stdout, "changed the passphrase")

	// The old passphrase no longer opens it; the new one (typed at the
	// terminal this time) does and the key is still there.
	res = e.run(tty{noTerminal: true}, "--passphrase-file", pass, "keys", "show", "work")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "wrong passphrase")
	res = e.mustRun(tty{secrets: []string{"a brand new passphrase for the vault"}}, "keys", "show", "work")
	if len(res.prompts) != 1 || !strings.Contains(res.prompts[0], "passphrase") {
		t.Errorf("prompts = %q", res.prompts)
	}
	wantContains(t, "stdout", res.stdout, "name:")
}

// snapshot returns the contents of every file in dir, for comparing.
func snapshot(t *testing.T, dir string) []byte {
	t.Helper()
	var b bytes.Buffer
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		data, err := os.ReadFile(filepath.Join(dir, en.Name()))
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(en.Name() + "\x00")
		b.Write(data)
	}
	return b.Bytes()
}

func TestInitPassphraseFromTerminal(t *testing.T) {
	t.Run("mismatch", func(t *testing.T) {
		e := newEnv(t)
		res := e.run(tty{stdinTTY: true, secrets: []string{"one passphrase here", "another one"}}, "init")
		wantCode(t, res, 1)
		wantContains(t, "stderr", res.stderr, "do not match")
		if len(res.prompts) != 2 {
			t.Errorf("prompts = %q; want the passphrase and its confirmation", res.prompts)
		}
		if _, err := os.Stat(e.home); err == nil {
			t.Error("init created the home although the passphrases differ")
		}
	})
	t.Run("empty", func(t *testing.T) {
		e := newEnv(t)
		res := e.run(tty{stdinTTY: true, secrets: []string{""}}, "init")
		wantCode(t, res, 1)
		wantContains(t, "stderr", res.stderr, "cannot be empty")
	})
	t.Run("no terminal and no file", func(t *testing.T) {
		e := newEnv(t)
		res := e.run(tty{noTerminal: true}, "init")
		wantCode(t, res, 1)
		wantContains(t, "stderr", res.stderr, "no terminal", "--passphrase-file", "--identity FILE")
		if _, err := os.Stat(e.home); err == nil {
			t.Error("init created the home although it could not get a passphrase")
		}
	})
	t.Run("empty passphrase file", func(t *testing.T) {
		e := newEnv(t)
		empty := writeFile(t, filepath.Join(e.dir, "empty"), "\nsecond\n")
		res := e.run(tty{noTerminal: true}, "--passphrase-file", empty, "init")
		wantCode(t, res, 1)
		wantContains(t, "stderr", res.stderr, "first line is empty")
	})
	t.Run("confirmed, short passphrase warns", func(t *testing.T) {
		e := newEnv(t)
		res := e.mustRun(tty{stdinTTY: true, secrets: []string{"short", "short"}}, "init")
		wantContains(t, "stderr", res.stderr, "vaultchat: warning: the passphrase is under 12 characters")
		if len(res.prompts) != 2 {
			t.Errorf("prompts = %q", res.prompts)
		}
	})
}

func TestPasswdRefusals(t *testing.T) {
	e := newEnv(t)
	res := e.run(tty{}, "passwd")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "no vault here")

	e.mustRun(tty{}, "init", "--identity", e.identity)
	res = e.run(tty{}, "passwd")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "identity file", "no passphrase to change")
}

// TestPassphraseFileMustBeAFile: a directory given as the passphrase file
// is an error that says so, with no advice to chmod it; an open regular
// file is warned about with the chmod that fixes it.
func TestPassphraseFileMustBeAFile(t *testing.T) {
	e := newEnv(t)
	dir := filepath.Join(e.dir, "adir")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o777)
	res := e.run(tty{noTerminal: true}, "--passphrase-file", dir, "init")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "is a directory")
	if strings.Contains(res.stderr, "chmod") {
		t.Errorf("advice to chmod a directory:\n%s", res.stderr)
	}
	open := writeFile(t, filepath.Join(e.dir, "open"), "correct horse battery staple\n")
	os.Chmod(open, 0o644)
	res = e.mustRun(tty{noTerminal: true}, "--passphrase-file", open, "init")
	wantContains(t, "stderr", res.stderr, "chmod 600 "+open)
}
