package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/testkit"
)

func TestProcessSimulate(t *testing.T) {
	b := newBinEnv(t)
	cmd := b.command(nil, "simulate", "--addr", "127.0.0.1:0", "--delay", "0s")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Safety net only: a simulator that ignores SIGTERM must not hang
	// the suite.
	timer := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("no URL on stdout: %v\n%s", err, stderr.String())
	}
	url := strings.TrimSpace(line)
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.HasSuffix(url, "/v1") {
		t.Errorf("first line %q; want http://127.0.0.1:PORT/v1", line)
	}

	resp, err := http.Get(url + "/models")
	if err != nil {
		t.Fatal(err)
	}
	var models struct {
		Data []struct{ ID string }
	}
	err = json.NewDecoder(resp.Body).Decode(&models)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || len(models.Data) == 0 || models.Data[0].ID != "sim-fast" {
		t.Errorf("GET /models: status %d, %v, %+v", resp.StatusCode, err, models)
	}

	// The key added the way the simulator suggests works with ask.
	b.init()
	b.mustRun(testkit.Canary(t), "keys", "add", "sim", "--provider", "openai-compatible", "--base-url", url, "--model", "sim-fast")
	res := b.mustRun("", "ask", "hello simulator")
	wantContains(t, "ask", res.stdout, "Simulated reply to turn 1", `"hello simulator"`)

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("after SIGTERM: %v; want exit 0\n%s", err, stderr.String())
	}
	wantContains(t, "stderr", stderr.String(), "simulator listening", "keys add sim --provider openai-compatible --base-url "+url)
}

func TestProcessSimulateRefusesOtherAddresses(t *testing.T) {
	b := newBinEnv(t)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--addr", "0.0.0.0:0"}, 1, "not a loopback address"},
		{[]string{"--addr", "192.0.2.1:8080"}, 1, "not a loopback address"},
		{[]string{"--addr", "nonsense"}, 1, "start simulator"},
		{[]string{"--delay", "soon"}, 2, "--delay"},
		{[]string{"--delay", "-5ms"}, 2, "--delay"},
	} {
		res := b.run("", append([]string{"simulate"}, c.args...)...)
		if res.code != c.code {
			t.Errorf("simulate %v: exit %d; want %d\n%s", c.args, res.code, c.code, res.stderr)
		}
		wantContains(t, "stderr", res.stderr, "vaultchat: error: ", c.want)
		if res.stdout != "" {
			t.Errorf("simulate %v printed %q", c.args, res.stdout)
		}
	}
}
