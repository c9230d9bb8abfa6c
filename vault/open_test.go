package vault

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/gofrs/flock"
)

// openClasses are the errors Open promises to classify file failures as.
var openClasses = []error{ErrWrongPassphrase, ErrWrongIdentity, ErrCorrupted, ErrUnsupported, ErrTooLarge}

// classesOf returns which of openClasses err wraps.
func classesOf(err error) []error {
	var out []error
	for _, c := range openClasses {
		if errors.Is(err, c) {
			out = append(out, c)
		}
	}
	return out
}

// checkClass fails unless err wraps exactly one class and that class is
// one of allowed.
func checkClass(t *testing.T, what string, err error, allowed ...error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error", what)
		return
	}
	got := classesOf(err)
	if len(got) != 1 || !slices.Contains(allowed, got[0]) {
		t.Errorf("%s: error %q wraps %v, want exactly one of %v", what, err, got, allowed)
	}
}

func TestWrongPassphrase(t *testing.T) {
	const pass = "correct horse battery staple ü"
	home := newPassphraseVault(t, pass)
	v := mustOpen(t, home, passphraseOpts(pass))
	addKeys(t, v, "k", 4) // four saves: three backups exist
	v.Close()
	if n := len(vaultFiles(t, home)); n != 7 {
		t.Fatalf("expected vault.age, 3 backups, identity.age, vault.lock, vault.stamp; have %v", vaultFiles(t, home))
	}
	before := snapshot(t, home)

	wrong := []string{
		"Tr0ub4dor&3",
		"",
		pass + " ",
		strings.ToUpper(pass),
		"correct horse battery staple u\u0308", // NFD form of the same text: a different passphrase
	}
	for i := range 20 {
		wrong = append(wrong, fmt.Sprintf("attempt-%d", i))
	}
	for _, p := range wrong {
		_, err := Open(home, passphraseOpts(p))
		if !errors.Is(err, ErrWrongPassphrase) {
			t.Errorf("Open(%q): err = %v, want ErrWrongPassphrase", p, err)
		}
		checkClass(t, fmt.Sprintf("Open(%q)", p), err, ErrWrongPassphrase)
		if p != "" && err != nil && strings.Contains(err.Error(), p) {
			t.Errorf("error echoes the passphrase: %v", err)
		}
		if _, err := Unlock(home, passphraseOpts(p)); !errors.Is(err, ErrWrongPassphrase) {
			t.Errorf("Unlock(%q): err = %v, want ErrWrongPassphrase", p, err)
		}
	}
	errPrompt := errors.New("prompt cancelled")
	if _, err := Open(home, Options{Passphrase: func() (string, error) { return "", errPrompt }}); !errors.Is(err, errPrompt) {
		t.Errorf("a failing prompt: err = %v", err)
	}
	if _, err := Open(home, Options{}); err == nil {
		t.Error("Open without a passphrase source succeeded")
	}
	sameSnapshot(t, "after wrong passphrases", before, snapshot(t, home))

	v2 := mustOpen(t, home, passphraseOpts(pass))
	if len(v2.Keys()) != 4 {
		t.Fatalf("right passphrase: %d keys", len(v2.Keys()))
	}
}

func TestWrongIdentity(t *testing.T) {
	home, opts, _ := newIdentityVault(t)
	v := mustOpen(t, home, opts)
	addKeys(t, v, "k", 3)
	v.Close()
	before := snapshot(t, home)

	other, _ := writeX25519Identity(t)
	hybrid, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	hybridPath := filepath.Join(t.TempDir(), "pq.txt")
	if err := os.WriteFile(hybridPath, []byte(hybrid.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{other, hybridPath} {
		_, err := Open(home, Options{IdentityFile: path})
		if !errors.Is(err, ErrWrongIdentity) {
			t.Errorf("Open with %s: err = %v, want ErrWrongIdentity", filepath.Base(path), err)
		}
		checkClass(t, "wrong identity", err, ErrWrongIdentity)
	}
	sameSnapshot(t, "after wrong identities", before, snapshot(t, home))

	// A passphrase vault opened with someone's identity file.
	phome := newPassphraseVault(t, "pw")
	pbefore := snapshot(t, phome)
	_, err = Open(phome, Options{IdentityFile: other})
	if !errors.Is(err, ErrWrongIdentity) {
		t.Errorf("passphrase vault with an identity file: err = %v, want ErrWrongIdentity", err)
	}
	sameSnapshot(t, "passphrase vault", pbefore, snapshot(t, phome))

	// Identity files that do not parse fail without echoing their content.
	bad := filepath.Join(t.TempDir(), "bad.txt")
	if err := os.WriteFile(bad, []byte("AGE-SECRET-KEY-1NOTAKEY\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(home, Options{IdentityFile: bad}); err == nil || strings.Contains(err.Error(), "NOTAKEY") {
		t.Errorf("malformed identity: err = %v", err)
	}
	if err := os.WriteFile(bad, []byte("not a key at all: hunter2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(home, Options{IdentityFile: bad}); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("junk identity file: err = %v", err)
	}
}

// headerLayout finds the parts of an age file: the end of the intro line,
// the start of the MAC line ("---") and the end of the header.
func headerLayout(t *testing.T, b []byte) (introEnd, macStart, headerEnd int) {
	t.Helper()
	if !bytes.HasPrefix(b, []byte(ageIntro)) {
		t.Fatal("not an age file")
	}
	i := bytes.Index(b, []byte("\n---"))
	if i < 0 {
		t.Fatal("no MAC line")
	}
	macStart = i + 1
	headerEnd = macStart + bytes.IndexByte(b[macStart:], '\n') + 1
	return len(ageIntro), macStart, headerEnd
}

type corruption struct {
	name    string
	data    []byte
	allowed []error
}

// corruptions builds the mutation set for an age file: truncations, single
// bit flips, appended garbage and replacements. Inside the recipient
// stanzas, stanzaClasses are accepted too (a flipped stanza can look like
// a wrong key).
func corruptions(t *testing.T, good []byte, stanzaClasses ...error) []corruption {
	t.Helper()
	introEnd, macStart, headerEnd := headerLayout(t, good)
	corrupted := []error{ErrCorrupted}
	inStanza := append([]error{ErrCorrupted}, stanzaClasses...)
	var out []corruption

	// Truncation: every header offset, then sampled payload offsets.
	cuts := []int{}
	for i := 0; i <= headerEnd+16; i++ {
		cuts = append(cuts, i)
	}
	for i := headerEnd + 17; i < len(good); i += 7 {
		cuts = append(cuts, i)
	}
	cuts = append(cuts, len(good)-1)
	for _, n := range cuts {
		out = append(out, corruption{fmt.Sprintf("truncate at %d", n), slices.Clone(good[:n]), corrupted})
	}

	// One bit flipped: every bit of the header, and one bit of every
	// third payload byte plus the last one.
	flip := func(off, bit int) {
		b := slices.Clone(good)
		b[off] ^= 1 << bit
		allowed := corrupted
		if off >= introEnd && off < macStart {
			allowed = inStanza
		}
		out = append(out, corruption{fmt.Sprintf("flip bit %d at %d", bit, off), b, allowed})
	}
	for off := range headerEnd {
		for bit := range 8 {
			flip(off, bit)
		}
	}
	for off := headerEnd; off < len(good); off += 3 {
		flip(off, off%8)
	}
	flip(len(good)-1, 0)

	garbage := bytes.Repeat([]byte{0x5a}, 1024)
	out = append(out,
		corruption{"append 1 byte", append(slices.Clone(good), 0), corrupted},
		corruption{"append 1 KiB", append(slices.Clone(good), garbage...), corrupted},
		corruption{"empty", []byte{}, corrupted},
		corruption{"not age", []byte("hello, this is not an age file\n"), corrupted},
		corruption{"binary junk", garbage, corrupted},
		corruption{"JSON plaintext", []byte(`{"schema":1,"generation":9,"keys":[]}`), corrupted},
		corruption{"future version", bytes.Replace(good, []byte("age-encryption.org/v1"), []byte("age-encryption.org/v2"), 1), corrupted},
		corruption{"CRLF intro", bytes.Replace(good, []byte("v1\n"), []byte("v1\r\n"), 1), corrupted},
	)
	var armored bytes.Buffer
	aw := armor.NewWriter(&armored)
	aw.Write(good)
	aw.Close()
	out = append(out, corruption{"armored", armored.Bytes(), corrupted})
	return out
}

func TestCorruptedVaultFile(t *testing.T) {
	home, opts, _ := newIdentityVault(t)
	stale := mustOpen(t, home, opts) // opened before the damage, then tries to save
	addKeys(t, stale, "k", 3)
	path := filepath.Join(home, vaultFile)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cases := corruptions(t, good, ErrWrongIdentity)
	t.Logf("%d corruptions of a %d byte vault.age", len(cases), len(good))
	for _, c := range cases {
		if err := os.WriteFile(path, c.data, 0o600); err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, home)
		_, err := Open(home, opts)
		checkClass(t, c.name+": Open", err, c.allowed...)

		// A Vault loaded before the damage must not overwrite it either.
		if err := stale.Update(func(tx *Tx) error { _, err := tx.Add(testKey(t, "new")); return err }); err == nil {
			t.Errorf("%s: Update over a corrupted vault.age succeeded", c.name)
		}
		if err := stale.save(); err == nil {
			t.Errorf("%s: Save over a corrupted vault.age succeeded", c.name)
		}
		if err := stale.load(); err == nil {
			t.Errorf("%s: Load of a corrupted vault.age succeeded", c.name)
		}
		sameSnapshot(t, c.name, before, snapshot(t, home))
		if t.Failed() {
			t.Fatalf("stopping at %s", c.name)
		}
	}

	// Put the good file back: the stale Vault reloaded, so it can save.
	if err := os.WriteFile(path, good, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := stale.Update(func(tx *Tx) error { return nil }); err != nil {
		t.Fatalf("Update after repair: %v", err)
	}
}

func TestCorruptedIdentityFile(t *testing.T) {
	const pass = "pw"
	home := newPassphraseVault(t, pass)
	path := filepath.Join(home, identityFile)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cases := corruptions(t, good, ErrWrongPassphrase)
	t.Logf("%d corruptions of a %d byte identity.age", len(cases), len(good))
	for _, c := range cases {
		if err := os.WriteFile(path, c.data, 0o600); err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, home)
		_, err := Open(home, passphraseOpts(pass))
		checkClass(t, c.name, err, c.allowed...)
		sameSnapshot(t, c.name, before, snapshot(t, home))
		if t.Failed() {
			t.Fatalf("stopping at %s", c.name)
		}
	}
	if err := os.WriteFile(path, good, 0o600); err != nil {
		t.Fatal(err)
	}
	mustOpen(t, home, passphraseOpts(pass))
}

// sealPayload writes p to path, encrypted to r, bypassing the package's
// own checks, to plant payloads a real save would never write.
func sealPayload(t *testing.T, path string, p any, r age.Recipient) {
	t.Helper()
	var b []byte
	switch p := p.(type) {
	case []byte:
		b = p
	case string:
		b = []byte(p)
	default:
		t.Fatalf("sealPayload: %T", p)
	}
	if err := seal(path, b, r); err != nil {
		t.Fatal(err)
	}
}

func TestBadPayloads(t *testing.T) {
	home, opts, id := newIdentityVault(t)
	path := filepath.Join(home, vaultFile)
	k := `{"id":"k_1","name":"a","provider":"openai","base_url":"https://api.openai.com/v1","budget":{},"created":"2025-01-01T00:00:00Z","secret":"sk-x"}`
	k2 := strings.Replace(k, `"k_1"`, `"k_2"`, 1)
	tests := []struct {
		name    string
		payload string
		want    error
	}{
		{"newer schema", `{"schema":2,"generation":3,"keys":[]}`, ErrUnsupported},
		{"schema zero", `{"schema":0,"generation":3,"keys":[]}`, ErrUnsupported},
		{"no schema", `{"generation":3,"keys":[]}`, ErrCorrupted},
		{"not JSON", `this is not json`, ErrCorrupted},
		{"empty", ``, ErrCorrupted},
		{"wrong types", `{"schema":1,"generation":"x"}`, ErrCorrupted},
		{"duplicate ID", `{"schema":1,"keys":[` + k + `,` + strings.Replace(k, `"name":"a"`, `"name":"b"`, 1) + `]}`, ErrCorrupted},
		{"duplicate name", `{"schema":1,"keys":[` + k + `,` + k2 + `]}`, ErrCorrupted},
		{"missing ID", `{"schema":1,"keys":[` + strings.Replace(k, `"k_1"`, `""`, 1) + `]}`, ErrCorrupted},
		{"invalid key", `{"schema":1,"keys":[` + strings.Replace(k, `"openai"`, `"nope"`, 1) + `]}`, ErrCorrupted},
		{"no secret", `{"schema":1,"keys":[` + strings.Replace(k, `"sk-x"`, `""`, 1) + `]}`, ErrCorrupted},
		{"bad recipient", `{"schema":1,"recipients":["not-a-recipient"],"keys":[]}`, ErrCorrupted},
	}
	for _, tt := range tests {
		sealPayload(t, path, tt.payload, id.Recipient())
		before := snapshot(t, home)
		_, err := Open(home, opts)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
		checkClass(t, tt.name, err, tt.want)
		if err != nil && strings.Contains(err.Error(), "sk-x") {
			t.Errorf("%s: error shows the secret: %v", tt.name, err)
		}
		sameSnapshot(t, tt.name, before, snapshot(t, home))
	}
	// A minimal old-style payload with no keys array opens.
	sealPayload(t, path, `{"schema":1,"generation":7}`, id.Recipient())
	v := mustOpen(t, home, opts)
	if v.generation() != 7 || len(v.Keys()) != 0 {
		t.Fatalf("generation %d, %d keys", v.generation(), len(v.Keys()))
	}
	if err := v.Update(func(tx *Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestSizeCaps(t *testing.T) {
	home, opts, id := newIdentityVault(t)
	path := filepath.Join(home, vaultFile)
	// A valid vault whose only key has a huge note. Just under the cap it
	// opens, which shows that over the cap only the size check refuses it.
	payloadOfSize := func(n int) string {
		head := `{"schema":1,"generation":5,"keys":[{"id":"k_1","name":"a","provider":"openai","base_url":"https://api.openai.com/v1","budget":{},"created":"2025-01-01T00:00:00Z","secret":"sk-x","note":"`
		tail := `"}]}`
		return head + strings.Repeat("n", n-len(head)-len(tail)) + tail
	}
	sealPayload(t, path, payloadOfSize(MaxVaultSize-64<<10), id.Recipient())
	v, err := Open(home, opts)
	if err != nil {
		t.Fatalf("a vault just under the cap: %v", err)
	}
	v.Close()
	sealPayload(t, path, payloadOfSize(MaxVaultSize), id.Recipient())
	before := snapshot(t, home)
	_, err = Open(home, opts)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over the cap: err = %v, want ErrTooLarge", err)
	}
	checkClass(t, "over the cap", err, ErrTooLarge)
	sameSnapshot(t, "over the cap", before, snapshot(t, home))

	// A sparse 1 GiB file is refused from its size alone.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(ageIntro)
	if err := f.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := Open(home, opts); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("sparse 1 GiB vault: err = %v, want ErrTooLarge", err)
	}

	// identity.age and identity files have their own cap.
	phome := newPassphraseVault(t, "pw")
	idPath := filepath.Join(phome, identityFile)
	b, _ := os.ReadFile(idPath)
	if err := os.WriteFile(idPath, append(b, make([]byte, maxIdentitySize)...), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(phome, passphraseOpts("pw")); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("huge identity.age: err = %v, want ErrTooLarge", err)
	}
	big := filepath.Join(t.TempDir(), "big.txt")
	if err := os.WriteFile(big, append([]byte(id.String()+"\n"), bytes.Repeat([]byte("#\n"), maxIdentitySize)...), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(home, Options{IdentityFile: big}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("huge identity file: err = %v, want ErrTooLarge", err)
	}
}

var scryptArgRe = regexp.MustCompile(`(?m)^(-> scrypt \S+) (\S+)$`)

// craftWorkFactor returns identity.age with its scrypt work factor argument
// replaced by logN. The header MAC no longer matches, but a bounded
// implementation refuses before it gets that far.
func craftWorkFactor(tb testing.TB, identityAge []byte, logN string) []byte {
	tb.Helper()
	if !scryptArgRe.Match(identityAge) {
		tb.Fatal("identity.age has no scrypt stanza")
	}
	return scryptArgRe.ReplaceAll(identityAge, []byte("${1} "+logN))
}

func TestCraftedWorkFactor(t *testing.T) {
	home := newPassphraseVault(t, "pw")
	path := filepath.Join(home, identityFile)
	good, _ := os.ReadFile(path)
	if m := scryptArgRe.FindSubmatch(good); string(m[2]) != fmt.Sprint(testWorkFactor) {
		t.Fatalf("identity.age written with logN %s, want %d", m[2], testWorkFactor)
	}
	for _, logN := range []string{"23", "30", "31", "99999999999999999999", "018", "0x12", "-1", ""} {
		crafted := craftWorkFactor(t, good, logN)
		if err := os.WriteFile(path, crafted, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Open(home, passphraseOpts("pw"))
		checkClass(t, "work factor "+logN, err, ErrCorrupted)
		if b, _ := os.ReadFile(path); !bytes.Equal(b, crafted) {
			t.Errorf("work factor %s: identity.age was rewritten", logN)
		}
	}
}

func TestDefaultWorkFactorIsWritten(t *testing.T) {
	restore := testOnlySetScryptWorkFactor(18)
	defer restore()
	if scryptWorkFactor != 18 {
		t.Fatal("hook did not set the work factor")
	}
	// Only encrypt: writing costs one scrypt run, about a second at 18.
	dir := t.TempDir()
	path := filepath.Join(dir, identityFile)
	if err := sealIdentity(path, "AGE-SECRET-KEY-PQ-1TEST", "pw"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if m := scryptArgRe.FindSubmatch(b); m == nil || string(m[2]) != "18" {
		t.Fatalf("identity.age stanza %q, want logN 18", m)
	}
}

func TestInitAndStateErrors(t *testing.T) {
	empty := t.TempDir()
	if _, err := Open(empty, passphraseOpts("x")); !errors.Is(err, ErrNotInitialized) {
		t.Errorf("Open(empty dir) = %v, want ErrNotInitialized", err)
	}
	if _, err := Open(filepath.Join(empty, "missing"), passphraseOpts("x")); !errors.Is(err, ErrNotInitialized) {
		t.Errorf("Open(missing dir) = %v, want ErrNotInitialized", err)
	}
	if Exists(empty) {
		t.Error("Exists(empty dir)")
	}

	home, opts, _ := newIdentityVault(t)
	if !Exists(home) || UsesPassphrase(home, Options{}) || UsesPassphrase(home, opts) {
		t.Error("identity vault: Exists/UsesPassphrase wrong")
	}
	if _, err := Init(home, opts); !errors.Is(err, ErrExists) {
		t.Errorf("Init over a vault = %v, want ErrExists", err)
	}
	if _, err := Init(home, passphraseOpts("x")); !errors.Is(err, ErrExists) {
		t.Errorf("Init over a vault = %v, want ErrExists", err)
	}
	phome := newPassphraseVault(t, "pw")
	if !UsesPassphrase(phome, Options{}) || UsesPassphrase(phome, opts) {
		t.Error("passphrase vault: UsesPassphrase wrong")
	}

	for name, o := range map[string]Options{
		"empty passphrase": passphraseOpts(""),
		"no passphrase":    {},
		"missing identity": {IdentityFile: filepath.Join(empty, "nope.txt")},
	} {
		dir := filepath.Join(t.TempDir(), "h")
		if _, err := Init(dir, o); err == nil {
			t.Errorf("Init with %s succeeded", name)
		}
		if Exists(dir) {
			t.Errorf("Init with %s left a vault.age", name)
		}
	}

	// A closed Vault refuses everything and holds nothing.
	v := mustOpen(t, home, opts)
	addKeys(t, v, "k", 2)
	v.Close()
	v.Close() // idempotent
	if len(v.Keys()) != 0 || v.red != nil {
		t.Error("a closed Vault still returns keys")
	}
	checks := map[string]error{
		"Update":  v.Update(func(*Tx) error { return nil }),
		"Save":    v.save(),
		"Load":    v.load(),
		"Restore": v.Restore(1),
		"Write":   v.Files().WriteFile("x.age", []byte("x")),
		"Pass":    v.ChangePassphrase("new"),
	}
	_, checks["Backups"] = v.Backups()
	_, checks["Read"] = v.Files().ReadFile("x.age", 0)
	for name, err := range checks {
		if !errors.Is(err, ErrLocked) {
			t.Errorf("%s on a closed Vault: %v, want ErrLocked", name, err)
		}
	}

	// Unlock without Load cannot save.
	u, err := Unlock(home, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := u.save(); err == nil || errors.Is(err, ErrLocked) {
		t.Errorf("Save on an unloaded Vault: %v", err)
	}
	if err := u.Update(func(*Tx) error { return nil }); err == nil {
		t.Error("Update on an unloaded Vault succeeded")
	}
}

func TestLockTimeout(t *testing.T) {
	home, opts, _ := newIdentityVault(t)
	v := mustOpen(t, home, opts)
	restore := testOnlySetLockTimeout(100 * time.Millisecond)
	defer restore()
	lockPath := filepath.Join(home, lockFile)
	ino := statIno(t, lockPath)
	l := flock.New(lockPath)
	if err := l.Lock(); err != nil {
		t.Fatal(err)
	}
	gen := v.generation()
	err := v.Update(func(tx *Tx) error { _, err := tx.Add(testKey(t, "a")); return err })
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("Update while another holds the lock: %v, want ErrInUse", err)
	}
	if err := v.Files().WriteFile("x.age", nil); !errors.Is(err, ErrInUse) {
		t.Fatalf("WriteFile while locked: %v, want ErrInUse", err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	if v.generation() != gen {
		t.Fatal("a refused Update changed the generation")
	}
	if err := v.Update(func(tx *Tx) error { _, err := tx.Add(testKey(t, "a")); return err }); err != nil {
		t.Fatalf("Update after release: %v", err)
	}
	// The lock file is never replaced: a lock on a renamed inode would
	// not exclude anyone.
	if statIno(t, lockPath) != ino {
		t.Fatal("vault.lock changed inode across saves")
	}
}

func TestChangePassphrase(t *testing.T) {
	home := newPassphraseVault(t, "old")
	v := mustOpen(t, home, passphraseOpts("old"))
	addKeys(t, v, "k", 1)
	if err := v.ChangePassphrase(""); err == nil {
		t.Error("empty new passphrase accepted")
	}
	if err := v.ChangePassphrase("new"); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(home, passphraseOpts("old")); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("old passphrase after change: %v", err)
	}
	v2 := mustOpen(t, home, passphraseOpts("new"))
	if len(v2.Keys()) != 1 {
		t.Fatal("keys lost")
	}
	ihome, opts, _ := newIdentityVault(t)
	iv := mustOpen(t, ihome, opts)
	if err := iv.ChangePassphrase("x"); err == nil {
		t.Error("ChangePassphrase on an identity-file vault succeeded")
	}
}

func statIno(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// TestDamagedVaultFileOfAPassphraseVault: the passphrase opened the
// vault's own identity (identity.age), so vault.age not opening with it
// means the file is damaged or replaced, not "the wrong identity", which
// would send the user looking for an identity file they never had.
func TestDamagedVaultFileOfAPassphraseVault(t *testing.T) {
	const pass = "correct horse battery staple"
	home := newPassphraseVault(t, pass)
	path := filepath.Join(home, vaultFile)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	introEnd, macStart, _ := headerLayout(t, good)
	damaged := slices.Clone(good)
	// Seven base64 letters changed inside the stanza: still a well-formed
	// header, which no identity opens.
	for off := introEnd + 40; off < min(introEnd+47, macStart); off++ {
		if damaged[off] == 'Q' {
			damaged[off] = 'R'
		} else {
			damaged[off] = 'Q'
		}
	}
	if err := os.WriteFile(path, damaged, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Open(home, passphraseOpts(pass))
	if !errors.Is(err, ErrCorrupted) || errors.Is(err, ErrWrongIdentity) {
		t.Fatalf("Open a damaged vault.age: %v; want ErrCorrupted, not ErrWrongIdentity", err)
	}
}
