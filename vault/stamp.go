package vault

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/vaultchat/vaultchat/internal/filelock"
)

// The data stamp, vault.stamp, lets a Vault held open in one process
// (the app) skip reloading and decrypting vault.age after another process
// saved nothing but bookkeeping (a key's last use or last check), which
// happens on every chat turn.
//
// It says "vault.age at this version (size, modification time) holds the
// key data this token names", where the key data is everything but the
// bookkeeping. A save that changes only bookkeeping keeps the token it
// loaded; every other save draws a new one. The stamp is written after
// vault.age is in place, so a stamp that is missing (an older vault), stale
// (a writer killed in between), damaged or planted describes another
// version of vault.age than the current one, and costs one full reload,
// never a missed change.
//
// It holds nothing secret and tells nothing new: the token is random,
// drawn afresh for each change and unrelated to the content; the version
// is what anyone who can read the stamp can stat of vault.age itself; and
// when the token changes (a save that is not bookkeeping) the backups
// already tell, as they rotate on exactly those saves.
const stampFile = "vault.stamp"

// maxStampSize bounds what readStamp reads; a stamp is under 100 bytes.
const maxStampSize = 4 << 10

// dataStamp is the content of vault.stamp.
type dataStamp struct {
	Data  string `json:"data"`  // the random token of the key data
	Size  int64  `json:"size"`  // vault.age's size
	MTime int64  `json:"mtime"` // and modification time, UnixNano
}

// newDataToken draws a token for key data saved for the first time.
func newDataToken() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b[:])
}

// stampedToken returns the token of the key data in vault.age at version
// ver, or "" when the stamp does not describe that version (or does not
// read): the caller then cannot tell what changed and reloads.
func stampedToken(dir string, ver filelock.Version) string {
	path := filepath.Join(dir, stampFile)
	if refuseSymlink(path) != nil {
		return ""
	}
	b, err := readSmallFile(path, maxStampSize)
	if err != nil {
		return ""
	}
	var s dataStamp
	if json.Unmarshal(b, &s) != nil || s.Data == "" || (filelock.Version{Size: s.Size, MTime: s.MTime}) != ver {
		return ""
	}
	return s.Data
}

// writeStamp records that vault.age at version ver holds the key data
// token names. The caller holds the lock. A failure leaves the previous
// stamp, which describes an earlier version and so matches nothing.
//
// It is renamed into place, so a reader never sees half of it, but not
// synced: every save (every chat turn) writes it, and it need not survive
// a crash. After one the stamp may be the previous one or empty;
// vault.age was synced before it was written, so neither can describe
// the current vault.age, and the cost is one reload.
func writeStamp(dir, token string, ver filelock.Version) error {
	b, err := json.Marshal(dataStamp{Data: token, Size: ver.Size, MTime: ver.MTime})
	if err != nil {
		return err
	}
	path := filepath.Join(dir, stampFile)
	if err := refuseSymlink(path); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+stampFile+"*") // mode 0600
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}

// cleanStampTemps removes the temp files of stamp writes a killed writer
// left (".vault.stamp…"; cleanTemps knows only those of sealed files).
// The caller holds the lock, so no live writer owns one.
func cleanStampTemps(dir string) {
	temps, _ := filepath.Glob(filepath.Join(dir, "."+stampFile+"*"))
	for _, path := range temps {
		_ = os.Remove(path)
	}
}
