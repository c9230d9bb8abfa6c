package agent

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// startupFD is the descriptor on which a starting agent finds the
// process that started it (the first of exec.Cmd's ExtraFiles).
const startupFD = 3

// startTimeout bounds the start-up exchange outside of prompts: the
// scrypt unlock of identity.age takes a second or two.
const startTimeout = 2 * time.Minute

// StartOptions says how to start an agent process.
type StartOptions struct {
	// Path and Args are the program to run and its arguments (Args[0]
	// included): vaultchat itself, with its hidden agent command.
	Path string
	Args []string
	// Env is the agent's whole environment: only what it needs (PATH, so
	// that age plugins are found).
	Env []string
	// Prompter answers the agent's questions during start-up: the vault
	// passphrase, which crosses a private socket pair, never the
	// agent's socket, argv or the environment.
	Prompter *Prompter
}

// Start runs the agent in the background and waits until it listens (it
// returns its status) or gives up (the error says why). The agent gets a
// session of its own, so a Ctrl+C in the shell that ran "vaultchat
// unlock" does not reach it; its standard streams are /dev/null and its
// working directory is /, so it holds no terminal and no directory busy.
func Start(opts StartOptions) (*Status, error) {
	closeInheritedOnExec()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		return nil, fmt.Errorf("start the agent: %w", err)
	}
	syscall.CloseOnExec(fds[0])
	ours := os.NewFile(uintptr(fds[0]), "agent-startup")
	theirs := os.NewFile(uintptr(fds[1]), "agent-startup")
	conn, err := net.FileConn(ours)
	ours.Close()
	if err != nil {
		theirs.Close()
		return nil, fmt.Errorf("start the agent: %w", err)
	}
	defer conn.Close()

	cmd := &exec.Cmd{
		Path:        opts.Path,
		Args:        opts.Args,
		Env:         opts.Env,
		Dir:         "/",
		ExtraFiles:  []*os.File{theirs},
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	err = cmd.Start()
	theirs.Close()
	if err != nil {
		return nil, fmt.Errorf("start the agent: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	for {
		conn.SetDeadline(time.Now().Add(startTimeout))
		resp, err := ReadResponse(conn)
		if err != nil {
			if errors.Is(err, io.EOF) {
				// The agent ended without a word: say how.
				select {
				case werr := <-exited:
					return nil, fmt.Errorf("the agent exited while starting: %v", werr)
				case <-time.After(5 * time.Second):
				}
			}
			cmd.Process.Kill()
			return nil, fmt.Errorf("the agent did not start: %w", err)
		}
		switch resp.Op {
		case ReplyPrompt:
			conn.SetDeadline(time.Now().Add(promptTimeout))
			a := opts.Prompter.answer(resp.Prompt)
			if err := writeMessage(conn, Request{V: Version, Op: OpAnswer, Answer: &a}); err != nil {
				cmd.Process.Kill()
				return nil, fmt.Errorf("the agent did not start: %w", err)
			}
		case ReplyStatus:
			// The agent runs on; Wait's goroutine reaps it if it ends
			// while this process still lives.
			return resp.Status, nil
		case ReplyError:
			return nil, &StartError{Code: resp.Error.Code, Message: resp.Error.Message}
		default:
			cmd.Process.Kill()
			return nil, fmt.Errorf("the agent did not start: %w", unexpected(resp))
		}
	}
}

// Startup is a starting agent's line to the process that started it.
type Startup struct{ conn net.Conn }

// OpenStartup returns the line to the process that started this agent,
// or an error when there is none (the hidden command was run by hand).
func OpenStartup() (*Startup, error) {
	f := os.NewFile(startupFD, "agent-startup")
	if f == nil {
		return nil, errors.New("not started by vaultchat unlock")
	}
	conn, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return nil, errors.New("not started by vaultchat unlock")
	}
	return &Startup{conn: conn}, nil
}

// AttachTo makes the relay ask the starting process, until Ready or Fail.
func (s *Startup) AttachTo(r *Relay) { r.attach(s.conn) }

// Ready tells the starting process that the agent serves, with its
// status, and closes the line.
func (s *Startup) Ready(r *Relay, st Status) error {
	if r != nil {
		r.detach()
	}
	defer s.conn.Close()
	return writeMessage(s.conn, Response{Op: ReplyStatus, Status: &st})
}

// Fail tells the starting process why the agent cannot start, with a
// code of the caller's choosing that Start's StartError carries, and
// closes the line.
func (s *Startup) Fail(r *Relay, code string, err error) {
	if r != nil {
		r.detach()
	}
	defer s.conn.Close()
	writeMessage(s.conn, Response{Op: ReplyError, Error: &ErrorReply{Code: code, Message: truncate(err.Error(), maxTextLen)}})
}

// StartError is why an agent could not start, as it reported it: Code
// is what the agent passed to Fail, Message the error's text.
type StartError struct {
	Code    string
	Message string
}

func (e *StartError) Error() string { return e.Message }
