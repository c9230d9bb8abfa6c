package agent

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"filippo.io/age"
)

// Server defaults.
const (
	// connTimeout bounds one exchange (request in, reply out), so a
	// client that stalls mid-message holds its connection slot briefly.
	connTimeout = 10 * time.Second
	// maxConns bounds the connections served at once; more wait for a
	// slot (in the kernel's listen queue) for up to busyWait, then are
	// refused as busy, and clients then unlock without the agent.
	maxConns = 32
	// drainTimeout bounds how long an ending agent waits for the replies
	// it is writing.
	drainTimeout = 2 * time.Second
	// pollInterval is how often the agent checks its timeouts, its
	// socket and the files whose change ends it.
	pollInterval = time.Second
)

// busyWait is how long a connection waits for a slot before it is
// refused as busy: long enough for a burst of quick requests, short
// enough that stalled clients holding every slot cost others little.
var busyWait = 2 * time.Second

// Config is what a Server serves and for how long.
type Config struct {
	// Home is the one vault home served (canonical; see CanonicalHome).
	Home string
	// Identity unwraps file keys: the unlocked vault. It never leaves the
	// agent.
	Identity age.Identity
	// Recipient is the vault's public recipient, given to clients so
	// they can encrypt without the agent.
	Recipient string
	// Idle and Max end the agent after that long without an unwrap
	// request, and that long after it started.
	Idle, Max time.Duration
	// UID is the only user served.
	UID int
	// Relay passes the identity's questions to the client being served;
	// nil means the identity never asks.
	Relay *Relay
	// Watch holds files whose change (or appearance, or removal) since
	// WatchFiles looked at them ends the agent: identity.age changes when
	// the passphrase does.
	Watch *Watched
	// MemoryLockError is why the identity could not be kept out of swap,
	// for the status; nil means it is.
	MemoryLockError error
	// Now is the clock; nil means time.Now. Poll is how often expiry is
	// checked; zero means every second.
	Now  func() time.Time
	Poll time.Duration
}

// Server answers clients on a Unix socket until its identity must be
// forgotten.
type Server struct {
	cfg     Config
	started time.Time

	mu          sync.Mutex
	lastUsed    time.Time
	lastRefusal *Refusal
	stopReason  string
	stopping    bool // set by Stop: no new connection is taken

	served  atomic.Int64
	refused atomic.Int64

	// unwrapMu serialises unwraps: an identity that asks questions asks
	// the client attached to the relay, one at a time.
	unwrapMu sync.Mutex
	slots    chan struct{}
	handlers sync.WaitGroup // connections being answered
	done     chan struct{}
	stopOnce sync.Once
	ln       *Listener
}

// NewServer returns a Server for cfg; its clock starts now.
func NewServer(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Poll <= 0 {
		cfg.Poll = pollInterval
	}
	now := cfg.Now()
	return &Server{
		cfg: cfg, started: now, lastUsed: now,
		slots: make(chan struct{}, maxConns),
		done:  make(chan struct{}),
	}
}

// Serve answers connections on ln until the agent must end: a lock
// request, a timeout, a change of a watched file, the socket gone, or
// Stop. It closes ln, removes the socket, and returns why it ended.
func (s *Server) Serve(ln *Listener) string {
	s.mu.Lock()
	s.ln = ln
	stopped := s.stopping
	s.mu.Unlock()
	if stopped {
		// Stopped before it served (a signal during start-up).
		ln.Close()
	}
	go s.accept(ln)
	tick := time.NewTicker(s.cfg.Poll)
	defer tick.Stop()
	for {
		select {
		case <-s.done:
			// Replies being written (the "ok" to a lock) get a moment
			// before the process exits.
			finished := make(chan struct{})
			go func() { s.handlers.Wait(); close(finished) }()
			select {
			case <-finished:
			case <-time.After(drainTimeout):
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.stopReason
		case <-tick.C:
			if reason := s.expired(); reason != "" {
				s.Stop(reason)
			} else if !ln.stillOurs() {
				s.Stop("its socket was removed or replaced")
			} else if name := s.cfg.Watch.changed(); name != "" {
				s.Stop(name + " changed")
			}
		}
	}
}

// Stop ends Serve with reason; later calls do nothing.
func (s *Server) Stop(reason string) {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		s.stopReason, s.stopping = reason, true
		ln := s.ln
		s.mu.Unlock()
		if ln != nil {
			ln.Close()
		}
		close(s.done)
	})
}

// expired says why the agent's time is over, or "".
func (s *Server) expired() string {
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case now.Sub(s.started) >= s.cfg.Max:
		return fmt.Sprintf("its maximum lifetime (%s) is over", s.cfg.Max)
	case now.Sub(s.lastUsed) >= s.cfg.Idle:
		return fmt.Sprintf("it was idle for %s", s.cfg.Idle)
	}
	return ""
}

func (s *Server) accept(ln *Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			select {
			case <-s.done:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			// The listener is broken: nothing more can be served.
			s.Stop("its socket failed: " + err.Error())
			return
		}
		// Counted under the lock Stop takes, so that Serve's wait for
		// the handlers never races a new one.
		s.mu.Lock()
		if s.stopping {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.handlers.Add(1)
		s.mu.Unlock()
		if !s.takeSlot() {
			go func() {
				defer s.handlers.Done()
				s.refuse(c, CodeBusy, fmt.Sprintf("it is busy with %d connections, its limit", maxConns))
			}()
			continue
		}
		go func() {
			defer func() { <-s.slots; s.handlers.Done() }()
			s.handle(c)
		}()
	}
}

// takeSlot waits up to busyWait for a free connection slot.
func (s *Server) takeSlot() bool {
	select {
	case s.slots <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(busyWait)
	defer t.Stop()
	select {
	case s.slots <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-s.done:
		return false
	}
}

// handle serves one connection: one request, its prompts, one reply.
func (s *Server) handle(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(connTimeout))
	uid, pid, err := peerCred(c)
	if err != nil {
		s.refuse(c, CodeForbidden, "could not tell who the client is: "+err.Error())
		return
	}
	if uid != s.cfg.UID {
		s.refuse(c, CodeForbidden, fmt.Sprintf("it serves uid %d only, not uid %d (pid %d)", s.cfg.UID, uid, pid))
		return
	}
	req, err := ReadRequest(c)
	if err != nil {
		var pe *protocolError
		if errors.As(err, &pe) {
			s.refuse(c, pe.Code, pe.msg)
		} else if !errors.Is(err, io.EOF) {
			s.refuse(c, CodeBadRequest, "unreadable request: "+err.Error())
		}
		return
	}
	if req.Op == OpAnswer {
		s.refuse(c, CodeBadRequest, "an answer to no question")
		return
	}
	if req.Home != s.cfg.Home {
		s.refuse(c, CodeWrongHome, fmt.Sprintf("it serves the vault %s, not %s", s.cfg.Home, truncate(req.Home, 256)))
		return
	}
	select {
	case <-s.done:
		writeMessage(c, Response{Op: ReplyError, Error: &ErrorReply{Code: CodeClosing, Message: "it is locking"}})
		return
	default:
	}
	switch req.Op {
	case OpStatus:
		st := s.Status()
		writeMessage(c, Response{Op: ReplyStatus, Status: &st})
	case OpLock:
		// Stop first: once the client hears "ok", no new request reaches
		// this agent.
		s.Stop("vaultchat lock")
		writeMessage(c, Response{Op: ReplyOK})
	case OpUnwrap:
		writeMessage(c, s.unwrap(c, req.Stanzas))
	}
}

// unwrap asks the identity for the file key.
func (s *Server) unwrap(c net.Conn, stanzas []Stanza) Response {
	s.unwrapMu.Lock()
	defer s.unwrapMu.Unlock()
	if s.cfg.Relay != nil {
		s.cfg.Relay.attach(c)
		defer s.cfg.Relay.detach()
	}
	fileKey, err := s.cfg.Identity.Unwrap(toAge(stanzas))
	s.mu.Lock()
	s.lastUsed = s.cfg.Now()
	s.mu.Unlock()
	s.served.Add(1)
	switch {
	case errors.Is(err, age.ErrIncorrectIdentity):
		return Response{Op: ReplyNoMatch}
	case err != nil:
		return Response{Op: ReplyError, Error: &ErrorReply{Code: CodeUnwrap, Message: truncate(err.Error(), maxTextLen)}}
	}
	return Response{Op: ReplyFileKey, FileKey: fileKey}
}

// refuse counts a refused request, remembers it for the status, and
// tells the client why.
func (s *Server) refuse(c net.Conn, code, reason string) {
	s.refused.Add(1)
	s.mu.Lock()
	s.lastRefusal = &Refusal{At: s.cfg.Now(), Code: code, Reason: reason}
	s.mu.Unlock()
	c.SetDeadline(time.Now().Add(connTimeout))
	writeMessage(c, Response{Op: ReplyError, Error: &ErrorReply{Code: code, Message: reason}})
	c.Close()
}

// Status reports the agent's state.
func (s *Server) Status() Status {
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{
		PID:       os.Getpid(),
		Home:      s.cfg.Home,
		Recipient: s.cfg.Recipient,
		Since:     s.started,
		Idle:      Duration(s.cfg.Idle),
		IdleLeft:  Duration(max(s.cfg.Idle-now.Sub(s.lastUsed), 0)),
		MaxLeft:   Duration(max(s.cfg.Max-now.Sub(s.started), 0)),
		Served:    s.served.Load(),
		Refused:   s.refused.Load(),
		Now:       now,
	}
	st.MemoryLocked = s.cfg.MemoryLockError == nil
	if s.cfg.MemoryLockError != nil {
		st.MemoryLockError = s.cfg.MemoryLockError.Error()
	}
	if s.lastRefusal != nil {
		r := *s.lastRefusal
		st.LastRefusal = &r
	}
	return st
}

// Watched is a set of files as they were when WatchFiles looked.
type Watched struct {
	paths []string
	was   []fingerprint
}

// WatchFiles records the state of paths now, before the identity is
// unlocked, so that a change made while it unlocks is not missed.
func WatchFiles(paths ...string) *Watched {
	w := &Watched{paths: paths}
	for _, p := range paths {
		w.was = append(w.was, fingerprintOf(p))
	}
	return w
}

// changed returns the base name of the first file that differs from
// what WatchFiles saw, or "".
func (w *Watched) changed() string {
	if w == nil {
		return ""
	}
	for i, p := range w.paths {
		if fingerprintOf(p) != w.was[i] {
			return baseName(p)
		}
	}
	return ""
}
