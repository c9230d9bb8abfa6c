package vault

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/filelock"
	"github.com/vaultchat/vaultchat/internal/providers"
)

// benchVault makes an identity-file vault holding n keys, added in one
// Update.
func benchVault(b *testing.B, n int) (string, Options) {
	b.Helper()
	home, opts, _ := newIdentityVault(b)
	v := mustOpen(b, home, opts)
	err := v.Update(func(tx *Tx) error {
		for i := range n {
			k := fullKeyForBench(b, "key-"+strconv.Itoa(i))
			if _, err := tx.Add(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	v.Close()
	return home, opts
}

func fullKeyForBench(b *testing.B, name string) Key {
	return Key{
		Name: name, Provider: providers.Azure, BaseURL: "https://bench.openai.azure.com",
		DefaultModel: "gpt-4o", AllowedModels: []string{"gpt-4o", "gpt-4o-mini"},
		Budget: Budget{DailyUSD: 1, MonthlyUSD: 20, MonthlyTokens: 1_000_000, Hard: true},
		Note:   "benchmark key with a note of ordinary length", Created: fixedTime,
		AzureAPIVersion: "2024-10-21", AzureDeployments: map[string]string{"gpt-4o": "d1", "gpt-4o-mini": "d2"},
		Secret: mustSecret(b, canary(b)),
	}
}

// BenchmarkOpen100Keys measures a full Open (identity file, lock, read,
// decrypt, parse and validate) of a vault with 100 keys.
func BenchmarkOpen100Keys(b *testing.B) {
	home, opts := benchVault(b, 100)
	fi, _ := os.Stat(filepath.Join(home, vaultFile))
	b.ReportMetric(float64(fi.Size()), "vault-bytes")
	for b.Loop() {
		v, err := Open(home, opts)
		if err != nil {
			b.Fatal(err)
		}
		v.Close()
	}
}

// BenchmarkSave100Keys measures one Update (reload, encrypt, fsync of the
// file and the directory, backup rotation) of a vault with 100 keys.
func BenchmarkSave100Keys(b *testing.B) {
	home, opts := benchVault(b, 100)
	v := mustOpen(b, home, opts)
	for b.Loop() {
		if err := v.Update(func(tx *Tx) error { return tx.Touch("key-7", time.Now()) }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnlockPassphrase measures Unlock of a passphrase vault at the
// default scrypt work factor (18). Report only; run with -benchtime=3x.
func BenchmarkUnlockPassphrase(b *testing.B) {
	restore := testOnlySetScryptWorkFactor(18)
	home := newPassphraseVault(b, "benchmark passphrase")
	restore()
	for b.Loop() {
		v, err := Unlock(home, passphraseOpts("benchmark passphrase"))
		if err != nil {
			b.Fatal(err)
		}
		v.Close()
	}
}

// BenchmarkCraftedWorkFactor measures how long Open takes to refuse an
// identity.age whose scrypt stanza asks for logN 23 (8 GiB of memory if it
// were honoured).
func BenchmarkCraftedWorkFactor(b *testing.B) {
	home := newPassphraseVault(b, "pw")
	path := filepath.Join(home, identityFile)
	good, _ := os.ReadFile(path)
	if err := os.WriteFile(path, craftWorkFactor(b, good, "23"), 0o600); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Open(home, passphraseOpts("pw")); err == nil {
			b.Fatal("crafted identity.age opened")
		}
	}
}

// BenchmarkReadFile1MiB measures ReadFile of a 1 MiB sealed file, the cost
// of opening a large conversation.
func BenchmarkReadFile1MiB(b *testing.B) {
	home, opts, _ := newIdentityVault(b)
	v := mustOpen(b, home, opts)
	if err := v.Files().WriteFile("conversations/big.age", make([]byte, 1<<20)); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(1 << 20)
	for b.Loop() {
		if _, err := v.Files().ReadFile("conversations/big.age", 0); err != nil {
			b.Fatal(err)
		}
	}
}

// benchRefreshAfter measures Refresh of a Vault (the app) after another
// Vault on the same home (a second process: ask, another app) saved the
// change that elsewhere makes; only Refresh is timed.
func benchRefreshAfter(b *testing.B, elsewhere func(tx *Tx, i int) error) {
	home, opts := benchVault(b, 100)
	app := mustOpen(b, home, opts)
	other := mustOpen(b, home, opts)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		if err := other.Update(func(tx *Tx) error { return elsewhere(tx, i) }); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := app.Refresh(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRefreshAfterTouchElsewhere: the other process only recorded a
// key's last use, as every chat turn does.
func BenchmarkRefreshAfterTouchElsewhere(b *testing.B) {
	benchRefreshAfter(b, func(tx *Tx, i int) error {
		return tx.Touch("key-7", fixedTime.Add(time.Duration(i)*time.Second))
	})
}

// BenchmarkRefreshAfterEditElsewhere: the other process changed a key's
// note, which every holder must see.
func BenchmarkRefreshAfterEditElsewhere(b *testing.B) {
	benchRefreshAfter(b, func(tx *Tx, i int) error {
		_, err := tx.Edit("key-7", func(k *Key) error { k.Note = "note " + strconv.Itoa(i); return nil })
		return err
	})
}

// BenchmarkWriteStamp is what each save adds for vault.stamp (written
// after vault.age, without fsync; the temp files of killed writers are
// looked for first).
func BenchmarkWriteStamp(b *testing.B) {
	dir := b.TempDir()
	ver := filelock.Version{Size: 4096, MTime: time.Now().UnixNano()}
	for b.Loop() {
		cleanStampTemps(dir)
		if err := writeStamp(dir, newDataToken(), ver); err != nil {
			b.Fatal(err)
		}
	}
}
