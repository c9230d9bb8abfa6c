package e2e

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestWrongPassphrase types a wrong passphrase on the unlock screen: the
// error shows there, every file of the vault home is byte-identical
// afterwards, and the right passphrase still opens the vault.
func TestWrongPassphrase(t *testing.T) {
	f := newFixture(t)
	_, url := f.startSim(0)
	pass := f.passphraseVault()
	f.addKey("only", url, "sim-fast", "--passphrase-file", f.passFile())
	before := snapshot(t, f.home)

	tm := f.app(termW, termH)
	tm.waitText("passphrase:")
	tm.send("not the passphrase" + keyEnter)
	s := tm.waitText("wrong passphrase")
	if strings.Contains(s, "not the passphrase") {
		t.Errorf("the typed passphrase is shown on the screen:\n%s", s)
	}
	if diff := diffFiles(before, snapshot(t, f.home)); len(diff) > 0 {
		t.Errorf("a wrong passphrase changed the vault home: %s", strings.Join(diff, ", "))
	}

	tm.send(pass + keyEnter)
	tm.waitFor("the main screen", idle)
	tm.send(keyCtrlC)
	tm.waitExit()
}

// files maps a path under a directory to its mode and contents.
type files map[string]fileState

type fileState struct {
	mode fs.FileMode
	data []byte
}

// snapshot reads every file and directory under dir.
func snapshot(t *testing.T, dir string) files {
	t.Helper()
	out := files{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		st := fileState{mode: info.Mode()}
		if d.Type().IsRegular() {
			if st.data, err = os.ReadFile(path); err != nil {
				return err
			}
		}
		out[rel] = st
		return nil
	})
	if err != nil {
		t.Fatalf("snapshot %s: %v", dir, err)
	}
	return out
}

// diffFiles describes how b differs from a, one entry per path.
func diffFiles(a, b files) []string {
	var out []string
	for name, x := range a {
		y, ok := b[name]
		switch {
		case !ok:
			out = append(out, name+" removed")
		case x.mode != y.mode:
			out = append(out, fmt.Sprintf("%s mode %v → %v", name, x.mode, y.mode))
		case !bytes.Equal(x.data, y.data):
			out = append(out, name+" changed")
		}
	}
	for name := range b {
		if _, ok := a[name]; !ok {
			out = append(out, name+" added")
		}
	}
	sort.Strings(out)
	return out
}
