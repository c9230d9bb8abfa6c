package filelock

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var errBusy = errors.New("busy")

func TestRunExcludesAndTimesOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "x.lock")
	inner := make(chan error)
	err := Run(path, time.Second, errBusy, func() error {
		go func() { inner <- Run(path, 50*time.Millisecond, errBusy, func() error { return nil }) }()
		return <-inner
	})
	if !errors.Is(err, errBusy) {
		t.Fatalf("second holder: %v, want errBusy", err)
	}
	fi, err := os.Stat(filepath.Dir(path))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("lock directory mode %v, %v", fi.Mode(), err)
	}
	if err := Run(path, time.Second, errBusy, func() error { return nil }); err != nil {
		t.Fatalf("lock not released: %v", err)
	}
}

func TestRunRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.lock")
	if err := os.Symlink(filepath.Join(dir, "elsewhere"), path); err != nil {
		t.Fatal(err)
	}
	if err := Run(path, time.Second, errBusy, func() error { return nil }); err == nil {
		t.Fatal("a symlinked lock file was accepted")
	}
}

func TestTempsAndVersions(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".x.age12345"), []byte("age-encryption.org/v1"), 0o600)
	os.WriteFile(filepath.Join(dir, "x.age"), []byte("a"), 0o600)
	if !HasTemps(dir) {
		t.Fatal("temp file not seen")
	}
	if err := RemoveTemps(dir); err != nil || HasTemps(dir) {
		t.Fatalf("temps not removed: %v", err)
	}
	v1, ok, err := Stat(filepath.Join(dir, "x.age"))
	if err != nil || !ok || v1.Size != 1 {
		t.Fatalf("Stat = %+v %v %v", v1, ok, err)
	}
	if _, ok, err := Stat(filepath.Join(dir, "missing")); ok || err != nil {
		t.Fatalf("missing file: %v %v", ok, err)
	}
}
