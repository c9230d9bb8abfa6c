package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestFormatVersion(t *testing.T) {
	const rev = "8381d8a8e337b40e77e6f623a0510111e7116178"
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev},
			{Key: "vcs.time", Value: "2026-12-02T22:04:43Z"}, {Key: "vcs.modified", Value: modified}}
	}
	platform := runtime.GOOS + "/" + runtime.GOARCH
	tests := []struct {
		name     string
		bi       debug.BuildInfo
		override string
		want     string
	}{
		{"go build in a clean clone",
			debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261202220443-8381d8a8e337"}, Settings: vcs("false")}, "",
			"vaultchat v0.0.0-20261202220443-8381d8a8e337 (commit 8381d8a8e337, 2026-12-02T22:04:43Z, go1.26.8 " + platform + ")"},
		{"go build with changes",
			debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261202220443-8381d8a8e337+dirty"}, Settings: vcs("true")}, "",
			"vaultchat v0.0.0-20261202220443-8381d8a8e337+dirty (commit 8381d8a8e337+dirty, 2026-12-02T22:04:43Z, go1.26.8 " + platform + ")"},
		{"go install @version",
			debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.0"}}, "",
			"vaultchat v1.2.0 (go1.26.8 " + platform + ")"},
		{"go run",
			debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, "",
			`vaultchat (devel) (no commit recorded: "go run", -buildvcs=false and git worktrees record none; "go build" in a clone does, go1.26.8 ` + platform + ")"},
		{"release ldflags",
			debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: vcs("false")}, "v1.3.0",
			"vaultchat v1.3.0 (commit 8381d8a8e337, 2026-12-02T22:04:43Z, go1.26.8 " + platform + ")"},
	}
	for _, tt := range tests {
		if got := formatVersion(&tt.bi, tt.override); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

// TestVersionOfRealBuilds builds vaultchat from a fresh clone of this
// repository, as a user would, and checks that --version names the
// clone's commit (with +dirty once a tracked file changed) and its time;
// then that "go run" says it has no commit instead of printing "dev".
func TestVersionOfRealBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds vaultchat twice")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("not in a git checkout: %v", err)
	}
	src := strings.TrimSpace(string(top))
	clone := filepath.Join(t.TempDir(), "vaultchat")
	gitRun(t, "", "clone", "--quiet", "--no-hardlinks", src, clone)
	head := gitRun(t, clone, "rev-parse", "HEAD")
	when := gitRun(t, clone, "log", "-1", "--format=%cd", "--date=format-local:%Y-%m-%dT%H:%M:%SZ")
	// The clone gets this working tree's files, so that what is tested is
	// the code under test, committed or not; and a tracked file changed,
	// so the build is of a dirty tree whatever the working tree holds.
	for _, name := range strings.Split(gitRun(t, src, "ls-files", "--cached", "--others", "--exclude-standard"), "\n") {
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			continue // deleted in the working tree
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(clone, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(clone, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	readme := filepath.Join(clone, "README.md")
	if err := os.WriteFile(readme, []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	bin := filepath.Join(t.TempDir(), "vaultchat")
	goRun(t, clone, "build", "-buildvcs=auto", "-o", bin, "./cmd/vaultchat")
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("vaultchat --version: %v", err)
	}
	line := strings.TrimSpace(string(out))
	for _, want := range []string{"commit " + head[:12] + "+dirty", when, "+dirty (", runtime.Version()} {
		if !strings.Contains(line, want) {
			t.Errorf("go build: --version = %q; want it to contain %q", line, want)
		}
	}
	if strings.Contains(line, "dev)") || strings.HasPrefix(line, "vaultchat dev") {
		t.Errorf("go build: --version = %q; want no dev", line)
	}

	line = goRun(t, clone, "run", "./cmd/vaultchat", "--version")
	if !strings.HasPrefix(line, `vaultchat (devel) (no commit recorded: "go run"`) {
		t.Errorf("go run: --version = %q; want (devel) and why there is no commit", line)
	}
}

func gitRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TZ=UTC")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// goRun runs the go command in dir with the environment's GOFLAGS
// dropped (a -buildvcs=false there would hide what a user's build
// records) and returns its trimmed stdout.
func goRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %v: %v\n%s", args, err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}
