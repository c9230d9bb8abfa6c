package agent

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"filippo.io/age"
)

// Error is why a client got nothing from the agent: none runs, the
// socket is unsafe or unreachable, or the agent refused or failed the
// request. Code is one of the Code constants, or CodeNotRunning,
// CodeUnsafe or CodeUnreachable from the client's side.
type Error struct {
	Code    string
	Message string
}

// Codes of failures seen from the client's side.
const (
	CodeNotRunning  = "not-running" // no agent runs for the home
	CodeUnsafe      = "unsafe"      // the socket or its directory could be someone else's
	CodeUnreachable = "unreachable" // the connection failed or broke
)

func (e *Error) Error() string {
	switch e.Code {
	case CodeNotRunning:
		return "no vaultchat agent runs for this vault"
	case CodeUnsafe, CodeUnreachable:
		return "the vaultchat agent: " + e.Message
	case CodeUnwrap:
		return "the vaultchat agent could not unwrap the file key: " + e.Message
	case CodeClosing:
		return "the vaultchat agent is locking"
	}
	return "the vaultchat agent refused the request: " + e.Message
}

// IsNotRunning reports whether err means that no agent runs.
func IsNotRunning(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == CodeNotRunning
}

// Client talks to the agent of one vault home. Each request is one
// connection, so a client outlives an agent that ends and never blocks
// others. A Client is an age.Identity: pass it (with the Status's
// Recipient) to vault.Options.Identity.
type Client struct {
	// Socket is the agent's socket (see SocketDir and SocketPath).
	Socket string
	// Home is the canonical vault home the requests name.
	Home string
	// Prompter answers the questions the identity asks while it
	// unwraps; nil declines them.
	Prompter *Prompter
	// Dial replaces the connection to the socket (tests).
	Dial func() (net.Conn, error)
}

// Status asks the agent how it is. It fails with CodeNotRunning when no
// agent runs.
func (c *Client) Status() (*Status, error) {
	resp, err := c.roundTrip(Request{Op: OpStatus})
	if err != nil {
		return nil, err
	}
	if resp.Op != ReplyStatus {
		return nil, unexpected(resp)
	}
	return resp.Status, nil
}

// Lock makes the agent forget the identity and exit.
func (c *Client) Lock() error {
	resp, err := c.roundTrip(Request{Op: OpLock})
	if err != nil {
		return err
	}
	if resp.Op != ReplyOK {
		return unexpected(resp)
	}
	return nil
}

// Unwrap sends the stanzas of one file's header to the agent and returns
// that file's key, which is all the caller needs to decrypt the file. It
// implements age.Identity: an error wraps age.ErrIncorrectIdentity when
// no stanza is for the vault, and is an *Error otherwise.
func (c *Client) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	resp, err := c.roundTrip(Request{Op: OpUnwrap, Stanzas: fromAge(stanzas)})
	if err != nil {
		return nil, err
	}
	switch resp.Op {
	case ReplyFileKey:
		return resp.FileKey, nil
	case ReplyNoMatch:
		return nil, age.ErrIncorrectIdentity
	}
	return nil, unexpected(resp)
}

// roundTrip sends req, answers the agent's prompts, and returns its
// final reply. Error replies come back as *Error.
func (c *Client) roundTrip(req Request) (*Response, error) {
	req.V, req.Home = Version, c.Home
	conn, err := c.dial()
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(connTimeout))
	// A refusal (another user, too busy) may come before the request is
	// read and the connection be closed: a failed send still reads it.
	sendErr := writeMessage(conn, req)
	for {
		resp, err := ReadResponse(conn)
		if err != nil {
			if sendErr != nil {
				return nil, &Error{Code: CodeUnreachable, Message: "send the request: " + sendErr.Error()}
			}
			return nil, &Error{Code: CodeUnreachable, Message: "read the reply: " + err.Error()}
		}
		switch resp.Op {
		case ReplyError:
			return nil, &Error{Code: resp.Error.Code, Message: resp.Error.Message}
		case ReplyPrompt:
			// A person may take a while to answer.
			conn.SetDeadline(time.Now().Add(promptTimeout))
			a := c.Prompter.answer(resp.Prompt)
			conn.SetDeadline(time.Now().Add(connTimeout))
			if err := writeMessage(conn, Request{V: Version, Op: OpAnswer, Answer: &a}); err != nil {
				return nil, &Error{Code: CodeUnreachable, Message: "send the answer: " + err.Error()}
			}
			continue
		}
		return resp, nil
	}
}

// dial connects to the agent after checking that the socket and its
// directory are the user's own, and that the process answering runs as
// the user too.
func (c *Client) dial() (net.Conn, error) {
	if c.Dial != nil {
		return c.Dial()
	}
	fi, err := os.Lstat(c.Socket)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &Error{Code: CodeNotRunning}
	}
	if err != nil {
		return nil, &Error{Code: CodeUnreachable, Message: err.Error()}
	}
	if err := CheckDir(filepath.Dir(c.Socket)); err != nil {
		return nil, &Error{Code: CodeUnsafe, Message: err.Error()}
	}
	if fi.Mode().Type() != fs.ModeSocket || ownerOf(fi) != os.Getuid() {
		return nil, &Error{Code: CodeUnsafe, Message: fmt.Sprintf("%s is not a socket of yours", c.Socket)}
	}
	conn, err := net.DialTimeout("unix", c.Socket, connTimeout)
	if errors.Is(err, syscall.ECONNREFUSED) {
		// A socket left by an agent that died.
		return nil, &Error{Code: CodeNotRunning}
	}
	if err != nil {
		return nil, &Error{Code: CodeUnreachable, Message: err.Error()}
	}
	if uid, _, err := peerCred(conn); err != nil || uid != os.Getuid() {
		conn.Close()
		return nil, &Error{Code: CodeUnsafe, Message: fmt.Sprintf("the process answering on %s is not yours", c.Socket)}
	}
	return conn, nil
}

func unexpected(resp *Response) error {
	return &Error{Code: CodeUnreachable, Message: fmt.Sprintf("unexpected reply %q", resp.Op)}
}
