package cli

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/gofrs/flock"

	"github.com/vaultchat/vaultchat/internal/testkit"
)

func TestVaultRestoreAfterCorruption(t *testing.T) {
	e := newVault(t)
	e.addKey("a")
	e.addKey("b")
	e.addKey("c")

	vaultFile := filepath.Join(e.home, "vault.age")
	garbage := []byte("age-encryption.org/v1\nthis is not a vault\n")
	if err := os.WriteFile(vaultFile, garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	res := e.run(tty{}, "keys", "list")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "corrupted", `vaultchat: hint: the file was not changed; run "vaultchat vault restore"`)
	if b, _ := os.ReadFile(vaultFile); !bytes.Equal(b, garbage) {
		t.Fatal("a failed open changed vault.age")
	}

	res = e.mustRun(tty{}, "vault", "restore")
	wantContains(t, "stdout", res.stdout, "current: vault.age does not open", "SLOT  GENERATION  SAVED")
	// Generations: init 1, adds 2..4; backups hold 3, 2, 1.
	rows := regexp.MustCompile(`(?m)^(\d)\s+(\d+)\s+\S+ \S+\s+(\d+)$`).FindAllStringSubmatch(res.stdout, -1)
	if len(rows) != 3 || rows[0][2] != "3" || rows[0][3] != "2" || rows[2][2] != "1" || rows[2][3] != "0" {
		t.Fatalf("backup rows = %q in:\n%s", rows, res.stdout)
	}

	res = e.mustRun(tty{}, "vault", "restore", "3")
	wantContains(t, "stdout", res.stdout, "restored generation 3", "with 2 keys")
	list := e.mustRun(tty{}, "keys", "list").stdout
	if !strings.Contains(list, "\na ") || !strings.Contains(list, "\nb ") || strings.Contains(list, "\nc ") {
		t.Errorf("after restore:\n%s", list)
	}
	if broken, _ := filepath.Glob(vaultFile + ".broken-*"); len(broken) != 1 {
		t.Errorf("the broken vault was not set aside: %v", broken)
	}

	res = e.run(tty{}, "vault", "restore", "999")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "no such backup", "vaultchat vault restore")
}

func TestVaultOpenFailureClasses(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(t *testing.T, e *env, path string)
		want  []string
	}{
		{"too large", func(t *testing.T, e *env, path string) {
			if err := os.Truncate(path, 17<<20); err != nil {
				t.Fatal(err)
			}
		}, []string{"file too large", "vault restore"}},
		{"unsupported schema", func(t *testing.T, e *env, path string) {
			var b bytes.Buffer
			w, err := age.Encrypt(&b, e.id.Recipient())
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(w, `{"schema":99,"generation":9,"keys":[]}`)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
		}, []string{"unsupported vault schema", "upgrade vaultchat", "vault restore"}},
		{"empty", func(t *testing.T, e *env, path string) {
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}, []string{"corrupted", "vault restore"}},
		{"symlink", func(t *testing.T, e *env, path string) {
			if err := os.Rename(path, path+".real"); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(path+".real", path); err != nil {
				t.Fatal(err)
			}
		}, []string{"symbolic link", "replace the link"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newVault(t)
			e.addKey("a")
			tt.spoil(t, e, filepath.Join(e.home, "vault.age"))
			res := e.run(tty{}, "keys", "list")
			wantCode(t, res, 1)
			wantContains(t, "stderr", res.stderr, tt.want...)
		})
	}
}

func TestVaultInUse(t *testing.T) {
	e := newVault(t)
	l := flock.New(filepath.Join(e.home, "vault.lock"))
	if err := l.Lock(); err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	res := e.run(tty{stdin: testkit.Canary(t)}, "keys", "add", "a")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "vaultchat: error: vault in use by another vaultchat", "try again")
}

func TestVaultRecipients(t *testing.T) {
	e := newVault(t)
	secret := e.addKey("a")
	res := e.mustRun(tty{}, "vault", "recipients", "list")
	if lines := strings.Split(strings.TrimSpace(res.stdout), "\n"); len(lines) != 1 || !strings.Contains(lines[0], e.id.Recipient().String()) {
		t.Errorf("recipients list = %q", res.stdout)
	}

	recovery, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	res = e.mustRun(tty{}, "vault", "recipients", "add", recovery.Recipient().String())
	wantContains(t, "stdout", res.stdout, "encrypted to 2 recipients")
	res = e.mustRun(tty{}, "vault", "recipients", "list")
	wantContains(t, "stdout", res.stdout, recovery.Recipient().String())

	// The recovery identity alone now decrypts vault.age.
	b, err := os.ReadFile(filepath.Join(e.home, "vault.age"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := age.Decrypt(bytes.NewReader(b), recovery)
	if err != nil {
		t.Fatalf("the recovery identity cannot decrypt vault.age: %v", err)
	}
	if plain, _ := io.ReadAll(r); !bytes.Contains(plain, []byte(secret)) {
		t.Error("decrypted vault.age does not hold the key")
	}

	res = e.run(tty{}, "vault", "recipients", "add", recovery.Recipient().String())
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "already present")

	pq, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	res = e.run(tty{}, "vault", "recipients", "add", pq.Recipient().String())
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "post-quantum and classic recipients cannot be mixed")

	res = e.run(tty{}, "vault", "recipients", "add", "not-a-recipient")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "not an age recipient")

	res = e.mustRun(tty{}, "vault", "recipients", "rm", recovery.Recipient().String())
	wantContains(t, "stdout", res.stdout, "removed recipient")
	wantContains(t, "stderr", res.stderr, "rotate the keys")
	b, _ = os.ReadFile(filepath.Join(e.home, "vault.age"))
	if _, err := age.Decrypt(bytes.NewReader(b), recovery); err == nil {
		t.Error("the removed recipient still decrypts vault.age")
	}
	res = e.run(tty{}, "vault", "recipients", "rm", recovery.Recipient().String())
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "not in this vault")
}
