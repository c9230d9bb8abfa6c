package agent

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"filippo.io/age"
)

// TestOtherUserRefused runs a client as another user (nobody) against the
// agent. The directory and socket modes would already stop it, so the
// test opens them up on purpose, as OpenSSH's agent-getpeereid test does:
// what is left is the agent's own check of the peer's uid, which must
// refuse it, say so to the client, and record it in the status.
func TestOtherUserRefused(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("running a client as another user needs root (the test suite runs as root in CI)")
	}
	x, _ := age.GenerateX25519Identity()
	srv := serve(t, Config{Identity: x, Recipient: x.Recipient().String()})
	for _, p := range []string{filepath.Dir(filepath.Dir(srv.socket)), filepath.Dir(srv.socket)} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(srv.socket, 0o666); err != nil {
		t.Fatal(err)
	}

	// The test binary, somewhere nobody may run it from.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	binDir, err := os.MkdirTemp("", "agtbin")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(binDir)
	if err := os.Chmod(binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(binDir, "agent.test")
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(bin)
	cmd.Env = []string{"AGENT_TEST_RAW_CLIENT=" + srv.socket}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("client as nobody: %v\n%s", err, out)
	}
	if !strings.HasPrefix(string(out), "refused forbidden:") || !strings.Contains(string(out), "uid 65534") {
		t.Fatalf("client as nobody got:\n%s", out)
	}

	// Close the directory again: the user's own client checks it.
	if err := os.Chmod(filepath.Dir(srv.socket), 0o700); err != nil {
		t.Fatal(err)
	}
	st, err := srv.client(testHome).Status()
	if err != nil {
		t.Fatalf("the agent stopped serving its own user: %v", err)
	}
	if st.Refused != 1 || st.LastRefusal == nil || st.LastRefusal.Code != CodeForbidden || !strings.Contains(st.LastRefusal.Reason, "uid 65534") {
		t.Errorf("status after the refusal: %+v, last %+v", st, st.LastRefusal)
	}
}
