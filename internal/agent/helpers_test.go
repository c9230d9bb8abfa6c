package agent

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"
	"filippo.io/age/plugin"
)

// testHome is the vault home the test servers serve; nothing is read
// from it.
const testHome = "/nonexistent/vaultchat-test-home"

func TestMain(m *testing.M) {
	switch {
	case filepath.Base(os.Args[0]) == "age-plugin-"+testPluginName:
		os.Exit(runTestPlugin())
	case os.Getenv("AGENT_TEST_RAW_CLIENT") != "":
		os.Exit(runRawClient(os.Getenv("AGENT_TEST_RAW_CLIENT")))
	}
	os.Exit(m.Run())
}

// socketDir returns a fresh directory for sockets, mode 0700, with a
// short path: a socket address holds at most 107 bytes.
func socketDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "agt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sd := filepath.Join(dir, "vaultchat")
	if err := PrepareDir(sd); err != nil {
		t.Fatal(err)
	}
	return sd
}

// clock is a settable clock for the server's timeouts.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// running is a server on a socket in a temp dir.
type running struct {
	srv    *Server
	socket string
	ended  chan string // Serve's reason, once it returns
}

// serve starts a server for cfg (Home, UID, Idle and Max get defaults)
// and stops it when the test ends.
func serve(t *testing.T, cfg Config) *running {
	t.Helper()
	if cfg.Home == "" {
		cfg.Home = testHome
	}
	if cfg.UID == 0 {
		cfg.UID = os.Getuid()
	}
	if cfg.Idle == 0 {
		cfg.Idle = time.Hour
	}
	if cfg.Max == 0 {
		cfg.Max = 2 * time.Hour
	}
	if cfg.Poll == 0 {
		cfg.Poll = 5 * time.Millisecond
	}
	socket := filepath.Join(socketDir(t), "agent.sock")
	ln, err := Listen(socket)
	if err != nil {
		t.Fatal(err)
	}
	r := &running{srv: NewServer(cfg), socket: socket, ended: make(chan string, 1)}
	go func() { r.ended <- r.srv.Serve(ln) }()
	t.Cleanup(func() {
		r.srv.Stop("test over")
		select {
		case <-r.ended:
		case <-time.After(10 * time.Second):
			t.Error("the server did not stop")
		}
	})
	return r
}

// client returns a client of the server for home.
func (r *running) client(home string) *Client {
	return &Client{Socket: r.socket, Home: home}
}

// waitEnd waits for Serve to return and gives its reason.
func (r *running) waitEnd(t *testing.T) string {
	t.Helper()
	select {
	case reason := <-r.ended:
		r.ended <- reason // for the cleanup
		return reason
	case <-time.After(10 * time.Second):
		t.Fatal("the server is still running")
		return ""
	}
}

// encryptTo returns data encrypted to r.
func encryptTo(t *testing.T, data string, rs ...age.Recipient) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rs...)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// decryptWith decrypts ciphertext with ids.
func decryptWith(ciphertext []byte, ids ...age.Identity) (string, error) {
	r, err := age.Decrypt(bytes.NewReader(ciphertext), ids...)
	if err != nil {
		return "", err
	}
	b, err := io.ReadAll(r)
	return string(b), err
}

// rawExchange sends frame (already framed bytes) on a new connection and
// returns the reply, or the read error.
func rawExchange(t *testing.T, socket string, frame []byte) (*Response, error) {
	t.Helper()
	c, err := net.Dial("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(frame); err != nil {
		return nil, err
	}
	return ReadResponse(c)
}

// frame encodes v as one message.
func frame(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := writeMessage(&buf, v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// runRawClient is the test binary run as another user: it connects to
// the socket without any of the client's checks, asks for the status and
// prints the reply's code.
func runRawClient(socket string) int {
	c, err := net.Dial("unix", socket)
	if err != nil {
		fmt.Println("dial:", err)
		return 1
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	// The refusal may come before the request is read.
	writeErr := writeMessage(c, Request{V: Version, Op: OpStatus, Home: testHome})
	resp, err := ReadResponse(c)
	if err != nil && writeErr != nil {
		fmt.Println("write:", writeErr)
		return 1
	}
	if err != nil {
		fmt.Println("read:", err)
		return 1
	}
	if resp.Op == ReplyError {
		fmt.Printf("refused %s: %s\n", resp.Error.Code, resp.Error.Message)
		return 0
	}
	fmt.Println("served", resp.Op)
	return 0
}

// testPluginName is the age plugin the test binary pretends to be. Its
// identities carry an X25519 identity; before unwrapping, it shows a
// message and asks for a PIN, which must be testPIN.
const (
	testPluginName = "agenttest"
	testPIN        = "246810"
)

func runTestPlugin() int {
	p, err := plugin.New(testPluginName)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	p.HandleIdentity(func(data []byte) (age.Identity, error) {
		x, err := age.ParseX25519Identity(string(data))
		if err != nil {
			return nil, err
		}
		return pinIdentity{p: p, x: x}, nil
	})
	fs := flag.NewFlagSet("age-plugin-"+testPluginName, flag.ContinueOnError)
	p.RegisterFlags(fs)
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 1
	}
	return p.Main()
}

// pinIdentity asks for the PIN, as a hardware token's plugin does.
type pinIdentity struct {
	p *plugin.Plugin
	x *age.X25519Identity
}

func (i pinIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	if err := i.p.DisplayMessage("touch the test token"); err != nil {
		return nil, err
	}
	pin, err := i.p.RequestValue("PIN for the test token:", true)
	if err != nil {
		return nil, err
	}
	if pin != testPIN {
		return nil, fmt.Errorf("wrong PIN")
	}
	return i.x.Unwrap(stanzas)
}

// installTestPlugin puts age-plugin-agenttest (a link to this test
// binary) first on PATH.
func installTestPlugin(t *testing.T) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(exe, filepath.Join(dir, "age-plugin-"+testPluginName)); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// wantCode fails unless err is an *Error with code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	e, ok := err.(*Error)
	if !ok || e.Code != code {
		t.Errorf("%s: %v (%T); want an agent error with code %s", what, err, err, code)
	}
}

func umask(m int) int { return syscall.Umask(m) }

// contains reports whether any of the logs holds s.
func contains(log []byte, s string) bool { return s != "" && strings.Contains(string(log), s) }
