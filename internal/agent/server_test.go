package agent

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"
	"filippo.io/age/plugin"
)

// TestUnwrapThroughAgent decrypts files with the agent's identity from a
// client that never has it, and checks that only the client's own
// decryption yields the plaintext.
func TestUnwrapThroughAgent(t *testing.T) {
	for _, kind := range []string{"post-quantum", "X25519"} {
		t.Run(kind, func(t *testing.T) {
			var (
				id age.Identity
				r  age.Recipient
			)
			if kind == "X25519" {
				x, _ := age.GenerateX25519Identity()
				id, r = x, x.Recipient()
			} else {
				h, _ := age.GenerateHybridIdentity()
				id, r = h, h.Recipient()
			}
			srv := serve(t, Config{Identity: id, Recipient: fmt.Sprint(r)})
			c := srv.client(testHome)

			got, err := decryptWith(encryptTo(t, "through the agent", r), c)
			if err != nil || got != "through the agent" {
				t.Fatalf("decrypt through the agent = %q, %v", got, err)
			}
			other, _ := age.GenerateX25519Identity()
			_, err = decryptWith(encryptTo(t, "not for the agent", other.Recipient()), c)
			var noMatch *age.NoIdentityMatchError
			if !errors.As(err, &noMatch) {
				t.Errorf("a file for another identity: %v; want no identity match", err)
			}
			st, err := c.Status()
			if err != nil {
				t.Fatal(err)
			}
			if st.Served != 2 || st.Refused != 0 || st.Home != testHome || st.Recipient != fmt.Sprint(r) || st.PID != os.Getpid() {
				t.Errorf("status = %+v", st)
			}
		})
	}
}

// TestRefusals sends what a confused or hostile client could: each is
// refused with a clear code, counted and remembered in the status, and
// the agent goes on serving.
func TestRefusals(t *testing.T) {
	x, _ := age.GenerateX25519Identity()
	srv := serve(t, Config{Identity: x, Recipient: x.Recipient().String()})
	ciphertext := encryptTo(t, "still served", x.Recipient())

	oversized := make([]byte, 4)
	binary.BigEndian.PutUint32(oversized, MaxMessageSize+1)
	manyStanzas := make([]Stanza, maxStanzas+1)
	for i := range manyStanzas {
		manyStanzas[i] = Stanza{Type: "X25519", Args: []string{"a"}}
	}
	for _, tt := range []struct {
		name  string
		frame []byte
		code  string
	}{
		{"garbage", append([]byte{0, 0, 0, 9}, "not json!"...), CodeBadRequest},
		{"oversized", oversized, CodeTooLarge},
		{"another version", frame(t, Request{V: Version + 1, Op: OpStatus, Home: testHome}), CodeVersion},
		{"unknown operation", frame(t, Request{V: Version, Op: "identity", Home: testHome}), CodeBadRequest},
		{"unknown field", append([]byte{0, 0, 0, 44}, `{"v":1,"op":"status","home":"/x","give":"id"}`...), CodeBadRequest},
		{"another home", frame(t, Request{V: Version, Op: OpStatus, Home: "/some/other/home"}), CodeWrongHome},
		{"relative home", frame(t, Request{V: Version, Op: OpStatus, Home: "home"}), CodeBadRequest},
		{"too many stanzas", frame(t, Request{V: Version, Op: OpUnwrap, Home: testHome, Stanzas: manyStanzas}), CodeBadRequest},
		{"stanza type with a space", frame(t, Request{V: Version, Op: OpUnwrap, Home: testHome, Stanzas: []Stanza{{Type: "X 25519"}}}), CodeBadRequest},
		{"answer with no question", frame(t, Request{V: Version, Op: OpAnswer, Answer: &Answer{Value: "1234"}}), CodeBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before, err := srv.client(testHome).Status()
			if err != nil {
				t.Fatal(err)
			}
			resp, err := rawExchange(t, srv.socket, tt.frame)
			if err != nil {
				t.Fatalf("no reply: %v", err)
			}
			if resp.Op != ReplyError || resp.Error.Code != tt.code {
				t.Fatalf("reply %+v; want error %s", resp, tt.code)
			}
			after, err := srv.client(testHome).Status()
			if err != nil {
				t.Fatalf("the agent stopped serving: %v", err)
			}
			if after.Refused != before.Refused+1 || after.LastRefusal == nil || after.LastRefusal.Code != tt.code {
				t.Errorf("status after the refusal: refused %d (was %d), last %+v", after.Refused, before.Refused, after.LastRefusal)
			}
			if got, err := decryptWith(ciphertext, srv.client(testHome)); err != nil || got != "still served" {
				t.Errorf("decrypt after the refusal = %q, %v", got, err)
			}
		})
	}

	// The client's side of a refusal is a clear error.
	_, err := srv.client("/some/other/home").Status()
	wantCode(t, "status for another home", err, CodeWrongHome)
	if err == nil || !strings.Contains(err.Error(), "/some/other/home") {
		t.Errorf("the refusal does not say which home: %v", err)
	}
}

// TestSlowClientsDoNotBlock holds every connection slot open without
// sending anything: the next client is refused as busy at once instead
// of waiting, and once the slow ones go, the agent serves again.
func TestSlowClientsDoNotBlock(t *testing.T) {
	defer func(d time.Duration) { busyWait = d }(busyWait)
	busyWait = 50 * time.Millisecond
	x, _ := age.GenerateX25519Identity()
	srv := serve(t, Config{Identity: x, Recipient: x.Recipient().String()})
	var slow []net.Conn
	for range maxConns {
		c, err := net.Dial("unix", srv.socket)
		if err != nil {
			t.Fatal(err)
		}
		slow = append(slow, c)
	}
	// Every slot is taken once the agent has accepted them all; until
	// then a status may still get through, so ask until one is refused.
	var err error
	for i := 0; i < 1000; i++ {
		if _, err = srv.client(testHome).Status(); err != nil {
			break
		}
	}
	wantCode(t, "status with every slot taken", err, CodeBusy)
	for _, c := range slow {
		c.Close()
	}
	ciphertext := encryptTo(t, "served again", x.Recipient())
	for i := 0; ; i++ {
		got, err := decryptWith(ciphertext, srv.client(testHome))
		if err == nil && got == "served again" {
			break
		}
		if i == 1000 {
			t.Fatalf("the agent does not serve after the slow clients left: %v", err)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestConcurrentClients serves many clients at once.
func TestConcurrentClients(t *testing.T) {
	h, _ := age.GenerateHybridIdentity()
	srv := serve(t, Config{Identity: h, Recipient: h.Recipient().String()})
	const n = 64
	files := make([][]byte, n)
	for i := range files {
		files[i] = encryptTo(t, fmt.Sprintf("file %d", i), h.Recipient())
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := decryptWith(files[i], srv.client(testHome))
			if err == nil && got != fmt.Sprintf("file %d", i) {
				err = fmt.Errorf("file %d decrypted to %q", i, got)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestTimeouts drives the idle timeout and the maximum lifetime with an
// injected clock: requests keep the agent alive until the maximum
// lifetime, and idleness ends it.
func TestTimeouts(t *testing.T) {
	x, _ := age.GenerateX25519Identity()
	ciphertext := encryptTo(t, "x", x.Recipient())

	t.Run("idle", func(t *testing.T) {
		clk := newClock()
		srv := serve(t, Config{Identity: x, Recipient: x.Recipient().String(), Idle: 10 * time.Minute, Max: time.Hour, Now: clk.Now})
		c := srv.client(testHome)
		for range 3 {
			clk.Add(9 * time.Minute)
			if _, err := decryptWith(ciphertext, c); err != nil {
				t.Fatalf("decrypt 9 minutes after the last request: %v", err)
			}
		}
		st, err := c.Status()
		if err != nil {
			t.Fatal(err)
		}
		if time.Duration(st.IdleLeft) != 10*time.Minute || time.Duration(st.MaxLeft) != 33*time.Minute {
			t.Errorf("idle left %s, max left %s; want 10m0s and 33m0s", time.Duration(st.IdleLeft), time.Duration(st.MaxLeft))
		}
		// A status request is not use: it does not postpone the timeout.
		clk.Add(10 * time.Minute)
		if reason := srv.waitEnd(t); !strings.Contains(reason, "idle") {
			t.Errorf("ended because %q; want the idle timeout", reason)
		}
		_, err = c.Status()
		wantCode(t, "status after the idle timeout", err, CodeNotRunning)
	})

	t.Run("max", func(t *testing.T) {
		clk := newClock()
		srv := serve(t, Config{Identity: x, Recipient: x.Recipient().String(), Idle: 10 * time.Minute, Max: 30 * time.Minute, Now: clk.Now})
		for range 3 {
			clk.Add(9 * time.Minute)
			if _, err := decryptWith(ciphertext, srv.client(testHome)); err != nil {
				t.Fatal(err)
			}
		}
		clk.Add(3 * time.Minute)
		if reason := srv.waitEnd(t); !strings.Contains(reason, "maximum lifetime") {
			t.Errorf("ended because %q; want the maximum lifetime", reason)
		}
	})
}

// TestEndings: lock, a change of a watched file (identity.age after
// passwd), and the socket removed all end the agent, and the socket goes
// with it.
func TestEndings(t *testing.T) {
	x, _ := age.GenerateX25519Identity()
	cfg := Config{Identity: x, Recipient: x.Recipient().String()}

	t.Run("lock", func(t *testing.T) {
		srv := serve(t, cfg)
		if err := srv.client(testHome).Lock(); err != nil {
			t.Fatal(err)
		}
		// Lock returns once the agent stopped listening.
		_, err := srv.client(testHome).Status()
		wantCode(t, "status right after lock", err, CodeNotRunning)
		if reason := srv.waitEnd(t); reason != "vaultchat lock" {
			t.Errorf("ended because %q", reason)
		}
		if _, err := os.Lstat(srv.socket); err == nil {
			t.Error("the socket is still there")
		}
	})

	t.Run("watched file changes", func(t *testing.T) {
		watched := filepath.Join(t.TempDir(), "identity.age")
		if err := os.WriteFile(watched, []byte("one"), 0o600); err != nil {
			t.Fatal(err)
		}
		c := cfg
		c.Watch = WatchFiles(watched, filepath.Join(t.TempDir(), "home.json"))
		srv := serve(t, c)
		// As vault writes: a new file renamed over the old one.
		tmp := watched + ".new"
		if err := os.WriteFile(tmp, []byte("two"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, watched); err != nil {
			t.Fatal(err)
		}
		if reason := srv.waitEnd(t); reason != "identity.age changed" {
			t.Errorf("ended because %q", reason)
		}
	})

	t.Run("socket removed", func(t *testing.T) {
		srv := serve(t, cfg)
		if err := os.Remove(srv.socket); err != nil {
			t.Fatal(err)
		}
		if reason := srv.waitEnd(t); !strings.Contains(reason, "socket") {
			t.Errorf("ended because %q", reason)
		}
	})
}

// TestStopBeforeServe: a signal that arrives while the agent starts ends
// Serve at once, and the socket goes.
func TestStopBeforeServe(t *testing.T) {
	x, _ := age.GenerateX25519Identity()
	path := filepath.Join(socketDir(t), "agent.sock")
	ln, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(Config{Home: testHome, UID: os.Getuid(), Identity: x, Idle: time.Hour, Max: time.Hour})
	srv.Stop("signal terminated")
	if reason := srv.Serve(ln); reason != "signal terminated" {
		t.Errorf("Serve = %q", reason)
	}
	if _, err := os.Lstat(path); err == nil {
		t.Error("the socket is still there")
	}
}

// TestListen: a socket left by a dead agent is replaced, anything
// planted at the path is removed without being followed, and a live
// agent is not displaced.
func TestListen(t *testing.T) {
	t.Run("stale socket", func(t *testing.T) {
		path := filepath.Join(socketDir(t), "agent.sock")
		dead, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
		if err != nil {
			t.Fatal(err)
		}
		dead.SetUnlinkOnClose(false)
		dead.Close() // the file stays; nothing answers
		ln, err := Listen(path)
		if err != nil {
			t.Fatalf("Listen over a stale socket: %v", err)
		}
		ln.Close()
	})

	t.Run("planted symbolic link", func(t *testing.T) {
		dir := socketDir(t)
		target := filepath.Join(t.TempDir(), "precious")
		if err := os.WriteFile(target, []byte("do not touch"), 0o644); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "agent.sock")
		if err := os.Symlink(target, path); err != nil {
			t.Fatal(err)
		}
		ln, err := Listen(path)
		if err != nil {
			t.Fatalf("Listen over a symbolic link: %v", err)
		}
		defer ln.Close()
		if b, err := os.ReadFile(target); err != nil || string(b) != "do not touch" {
			t.Errorf("the link's target changed: %q, %v", b, err)
		}
		if fi, err := os.Lstat(path); err != nil || fi.Mode().Type() != os.ModeSocket {
			t.Errorf("the path is not the new socket: %v", err)
		}
	})

	t.Run("live agent", func(t *testing.T) {
		x, _ := age.GenerateX25519Identity()
		srv := serve(t, Config{Identity: x, Recipient: x.Recipient().String()})
		if _, err := Listen(srv.socket); !errors.Is(err, ErrRunning) {
			t.Fatalf("Listen over a live agent: %v; want ErrRunning", err)
		}
		if _, err := srv.client(testHome).Status(); err != nil {
			t.Errorf("the live agent was displaced: %v", err)
		}
	})
}

// TestModesUnderUmask000: the directory is 0700 and the socket 0600 even
// when the umask would leave them open to everyone.
func TestModesUnderUmask000(t *testing.T) {
	base, err := os.MkdirTemp("", "agt")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	old := umask(0)
	dir := filepath.Join(base, "vaultchat")
	err = PrepareDir(dir)
	var ln *Listener
	if err == nil {
		ln, err = Listen(filepath.Join(dir, "agent.sock"))
	}
	umask(old)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for path, want := range map[string]os.FileMode{dir: 0o700, ln.Path(): 0o600} {
		fi, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %04o; want %04o", path, fi.Mode().Perm(), want)
		}
	}
}

// TestUnsafeDirectories: a symbolic link, another user's directory or
// one open to others is refused, by the agent and by clients alike.
func TestUnsafeDirectories(t *testing.T) {
	base, err := os.MkdirTemp("", "agt")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	real := filepath.Join(base, "real")
	if err := os.Mkdir(real, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if err := PrepareDir(link); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("PrepareDir of a symbolic link: %v", err)
	}
	if _, err := Listen(filepath.Join(link, "agent.sock")); err == nil {
		t.Error("Listen in a symbolically linked directory succeeded")
	}
	// A client finds the (real) socket through the link and refuses it.
	ln, err := Listen(filepath.Join(real, "agent.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = (&Client{Socket: filepath.Join(link, "agent.sock"), Home: testHome}).Status()
	wantCode(t, "client through a linked directory", err, CodeUnsafe)

	open := filepath.Join(base, "open")
	if err := os.Mkdir(open, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := CheckDir(open); err == nil || !strings.Contains(err.Error(), "chmod 700") {
		t.Errorf("CheckDir of a 0755 directory: %v", err)
	}

	if os.Getuid() != 0 {
		t.Log("not root: the other-owner case needs chown")
		return
	}
	theirs := filepath.Join(base, "theirs")
	if err := os.Mkdir(theirs, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(theirs, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := CheckDir(theirs); err == nil || !strings.Contains(err.Error(), "uid 65534") {
		t.Errorf("CheckDir of another user's directory: %v", err)
	}
}

// TestPluginPromptsRelayed runs a plugin identity (age-plugin-agenttest,
// which asks for a PIN like a YubiKey's) inside the agent: its questions
// reach the client being served, whose answer unlocks the file; a client
// that cannot answer gets a clear failure, and the agent serves on.
func TestPluginPromptsRelayed(t *testing.T) {
	installTestPlugin(t)
	x, _ := age.GenerateX25519Identity()
	relay := NewRelay()
	id, err := plugin.NewIdentity(plugin.EncodeIdentity(testPluginName, []byte(x.String())), relay.ClientUI())
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, Config{Identity: id, Recipient: x.Recipient().String(), Relay: relay})
	ciphertext := encryptTo(t, "behind a PIN", x.Recipient())

	var shown []string
	c := srv.client(testHome)
	c.Prompter = &Prompter{Plugin: &plugin.ClientUI{
		DisplayMessage: func(name, msg string) error { shown = append(shown, name+": "+msg); return nil },
		RequestValue: func(name, prompt string, secret bool) (string, error) {
			if !secret {
				t.Errorf("the PIN prompt %q is not marked secret", prompt)
			}
			return testPIN, nil
		},
	}}
	got, err := decryptWith(ciphertext, c)
	if err != nil || got != "behind a PIN" {
		t.Fatalf("decrypt through the agent's plugin identity = %q, %v", got, err)
	}
	if len(shown) != 1 || shown[0] != testPluginName+": touch the test token" {
		t.Errorf("messages shown: %q", shown)
	}

	_, err = decryptWith(ciphertext, srv.client(testHome))
	var ae *Error
	if !errors.As(err, &ae) || ae.Code != CodeUnwrap {
		t.Errorf("a client that cannot answer: %v; want an unwrap failure", err)
	}
	if got, err := decryptWith(ciphertext, c); err != nil || got != "behind a PIN" {
		t.Errorf("the agent does not serve after a failed prompt: %v", err)
	}
}

// TestWireLogHoldsNoSecret records every byte that crosses the socket
// while a client decrypts: the file key goes by, as it must, but not the
// identity, nor the plaintext.
func TestWireLogHoldsNoSecret(t *testing.T) {
	h, _ := age.GenerateHybridIdentity()
	srv := serve(t, Config{Identity: h, Recipient: h.Recipient().String()})
	var (
		mu  sync.Mutex
		log bytes.Buffer
	)
	c := srv.client(testHome)
	c.Dial = func() (net.Conn, error) {
		conn, err := net.Dial("unix", srv.socket)
		if err != nil {
			return nil, err
		}
		return &recorder{Conn: conn, mu: &mu, log: &log}, nil
	}
	const plaintext = "sk-proj-CANARYplaintextthatneverleavestheclient"
	got, err := decryptWith(encryptTo(t, plaintext, h.Recipient()), c)
	if err != nil || got != plaintext {
		t.Fatal(err)
	}
	if log.Len() == 0 {
		t.Fatal("nothing was recorded")
	}
	for what, secret := range map[string]string{"identity": h.String(), "plaintext": plaintext, "identity's tail": h.String()[20:60]} {
		if contains(log.Bytes(), secret) {
			t.Errorf("the %s crossed the socket", what)
		}
	}
}

// recorder copies every byte read or written to log.
type recorder struct {
	net.Conn
	mu  *sync.Mutex
	log *bytes.Buffer
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.mu.Lock()
	r.log.Write(p[:n])
	r.mu.Unlock()
	return n, err
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	r.log.Write(p)
	r.mu.Unlock()
	return r.Conn.Write(p)
}
