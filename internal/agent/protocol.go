package agent

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
)

// Version is the protocol version every request carries. An agent
// refuses any other, so a client and an agent of different vaultchat
// builds fail clearly instead of misreading each other.
const Version = 1

// Limits on what one message may hold. A header of vault.age has one
// stanza per recipient (a post-quantum one is about 1.5 KiB as JSON), so
// these leave room for a vault shared by dozens of recipients while
// bounding what a client can make the agent read.
const (
	// MaxMessageSize is the largest message, in bytes, either side reads.
	MaxMessageSize = 256 << 10
	maxStanzas     = 128
	maxArgs        = 16
	maxArgLen      = 4 << 10
	maxTextLen     = 4 << 10
)

// Operations a client asks for.
const (
	OpStatus = "status" // how the agent is; also what a client needs to open the vault
	OpUnwrap = "unwrap" // the file key of one file, from its header's stanzas
	OpLock   = "lock"   // forget the identity and exit
	OpAnswer = "answer" // the answer to a prompt the agent relayed
)

// Replies of the agent.
const (
	ReplyFileKey = "file-key" // FileKey holds the file key
	ReplyNoMatch = "no-match" // no stanza is for the agent's identity
	ReplyStatus  = "status"   // Status holds the status
	ReplyOK      = "ok"       // the lock request was done
	ReplyError   = "error"    // Error says why the request was refused or failed
	ReplyPrompt  = "prompt"   // Prompt must be answered with an OpAnswer request
)

// Request is a message from a client (or, while the agent starts, from
// the unlock command answering a prompt).
type Request struct {
	V       int      `json:"v"`
	Op      string   `json:"op"`
	Home    string   `json:"home,omitempty"`
	Stanzas []Stanza `json:"stanzas,omitempty"`
	Answer  *Answer  `json:"answer,omitempty"`
}

// Stanza is one recipient stanza of an age header, as age.Stanza. The
// stanzas are read from the encrypted file itself: nothing in them is
// secret.
type Stanza struct {
	Type string   `json:"type"`
	Args []string `json:"args,omitempty"`
	Body []byte   `json:"body"`
}

// Answer is what the user said to a prompt.
type Answer struct {
	Value string `json:"value,omitempty"`
	Yes   bool   `json:"yes,omitempty"`
	// Error is set when the client could not ask (no terminal, say).
	Error string `json:"error,omitempty"`
}

// Response is a message from the agent.
type Response struct {
	Op      string      `json:"op"`
	FileKey []byte      `json:"file_key,omitempty"`
	Status  *Status     `json:"status,omitempty"`
	Prompt  *Prompt     `json:"prompt,omitempty"`
	Error   *ErrorReply `json:"error,omitempty"`
}

// Prompt kinds: the vault's passphrase (while the agent starts, or an SSH
// key's passphrase), and the three questions an age plugin may ask.
const (
	PromptPassphrase = "passphrase"
	PromptMessage    = "message"
	PromptValue      = "value"
	PromptConfirm    = "confirm"
)

// Prompt is a question the identity asks while it unwraps: the agent has
// no terminal, so it passes the question to the client being served.
type Prompt struct {
	Kind   string `json:"kind"`
	Plugin string `json:"plugin,omitempty"`
	Text   string `json:"text"`
	Secret bool   `json:"secret,omitempty"`
	Yes    string `json:"yes,omitempty"`
	No     string `json:"no,omitempty"`
}

// ErrorReply is a refusal or a failure, with a code a program can test
// and a message for the user.
type ErrorReply struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Status describes a running agent. It holds nothing secret: the
// recipient is the vault's public key.
type Status struct {
	PID       int       `json:"pid"`
	Home      string    `json:"home"`
	Recipient string    `json:"recipient"`
	Since     time.Time `json:"since"`
	// Idle is the idle timeout; IdleLeft and MaxLeft are what is left
	// before the idle timeout and the maximum lifetime end the agent.
	Idle     Duration `json:"idle"`
	IdleLeft Duration `json:"idle_left"`
	MaxLeft  Duration `json:"max_left"`
	// MemoryLocked says whether mlock keeps the identity out of swap;
	// MemoryLockError says why not.
	MemoryLocked    bool   `json:"memory_locked"`
	MemoryLockError string `json:"memory_lock_error,omitempty"`
	// Served counts unwrap requests answered; Refused counts requests
	// refused (garbage, too large, another home, another user…).
	Served      int64     `json:"served"`
	Refused     int64     `json:"refused"`
	LastRefusal *Refusal  `json:"last_refusal,omitempty"`
	Now         time.Time `json:"now"`
}

// Refusal is the last request the agent refused.
type Refusal struct {
	At     time.Time `json:"at"`
	Code   string    `json:"code"`
	Reason string    `json:"reason"`
}

// Duration is a time.Duration written in JSON as "15m0s".
type Duration time.Duration

// MarshalJSON writes d as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Error codes of refusals and failures.
const (
	CodeBadRequest = "bad-request" // not a well-formed message
	CodeTooLarge   = "too-large"   // over MaxMessageSize
	CodeVersion    = "version"     // another protocol version
	CodeWrongHome  = "wrong-home"  // the request is for another vault home
	CodeForbidden  = "forbidden"   // the client runs as another user
	CodeBusy       = "busy"        // too many connections at once
	CodeUnwrap     = "unwrap"      // the identity failed (a plugin error, say)
	CodeClosing    = "closing"     // the agent is shutting down
)

// protocolError is a message that cannot be accepted; Code says why.
type protocolError struct {
	Code string
	msg  string
}

func (e *protocolError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &protocolError{Code: CodeBadRequest, msg: fmt.Sprintf(format, args...)}
}

// writeMessage writes v as one frame: a 4-byte big-endian length, then
// that many bytes of JSON.
func writeMessage(w io.Writer, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if len(body) > MaxMessageSize {
		return &protocolError{Code: CodeTooLarge, msg: fmt.Sprintf("message of %d bytes is over the %d byte limit", len(body), MaxMessageSize)}
	}
	frame := make([]byte, 4+len(body))
	binary.BigEndian.PutUint32(frame, uint32(len(body)))
	copy(frame[4:], body)
	_, err = w.Write(frame)
	return err
}

// readFrame reads one frame's body, refusing one over MaxMessageSize
// before reading it.
func readFrame(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > MaxMessageSize {
		return nil, &protocolError{Code: CodeTooLarge, msg: fmt.Sprintf("message of %d bytes is over the %d byte limit", size, MaxMessageSize)}
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, fmt.Errorf("truncated message: %w", err)
	}
	return body, nil
}

// decodeStrict decodes exactly one JSON value with no unknown fields and
// nothing after it.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("malformed message: %v", err)
	}
	if dec.More() {
		return badRequest("malformed message: data after the message")
	}
	return nil
}

// ReadRequest reads and checks one request. It is the agent's decoder,
// the part a hostile client talks to: every field is bounded and
// checked, and an error says what was wrong (its code is the refusal
// code reported to the client).
func ReadRequest(r io.Reader) (*Request, error) {
	body, err := readFrame(r)
	if err != nil {
		return nil, err
	}
	return decodeRequest(body)
}

func decodeRequest(body []byte) (*Request, error) {
	var req Request
	if err := decodeStrict(body, &req); err != nil {
		return nil, err
	}
	if req.V != Version {
		return nil, &protocolError{Code: CodeVersion, msg: fmt.Sprintf("protocol version %d, this agent speaks %d (run the same vaultchat for both, or \"vaultchat lock\" and unlock again)", req.V, Version)}
	}
	switch req.Op {
	case OpStatus, OpLock, OpUnwrap:
		if req.Home == "" || !filepath.IsAbs(req.Home) || len(req.Home) > maxArgLen || hasControl(req.Home) {
			return nil, badRequest("the request names no valid vault home")
		}
		if req.Answer != nil {
			return nil, badRequest("an answer in a %s request", req.Op)
		}
	case OpAnswer:
		if req.Answer == nil {
			return nil, badRequest("an answer request without an answer")
		}
		if len(req.Answer.Value) > maxTextLen || len(req.Answer.Error) > maxTextLen {
			return nil, badRequest("the answer is too long")
		}
	default:
		return nil, badRequest("unknown operation %q", truncate(req.Op, 32))
	}
	if req.Op != OpUnwrap && len(req.Stanzas) > 0 {
		return nil, badRequest("stanzas in a %s request", req.Op)
	}
	if req.Op == OpUnwrap {
		if err := checkStanzas(req.Stanzas); err != nil {
			return nil, err
		}
	}
	return &req, nil
}

// checkStanzas applies the age format's rules for stanza types and
// arguments (non-empty printable ASCII without spaces) and our bounds.
func checkStanzas(ss []Stanza) error {
	if len(ss) == 0 {
		return badRequest("an unwrap request without stanzas")
	}
	if len(ss) > maxStanzas {
		return badRequest("%d stanzas, over the limit of %d", len(ss), maxStanzas)
	}
	for i, s := range ss {
		if !isArg(s.Type) {
			return badRequest("stanza %d: malformed type", i+1)
		}
		if len(s.Args) > maxArgs {
			return badRequest("stanza %d: %d arguments, over the limit of %d", i+1, len(s.Args), maxArgs)
		}
		for _, a := range s.Args {
			if !isArg(a) {
				return badRequest("stanza %d: malformed argument", i+1)
			}
		}
	}
	return nil
}

// isArg reports whether s is a valid age stanza type or argument.
func isArg(s string) bool {
	if s == "" || len(s) > maxArgLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 33 || s[i] > 126 {
			return false
		}
	}
	return true
}

// ReadResponse reads and checks one response, the client's decoder.
func ReadResponse(r io.Reader) (*Response, error) {
	body, err := readFrame(r)
	if err != nil {
		return nil, err
	}
	return decodeResponse(body)
}

func decodeResponse(body []byte) (*Response, error) {
	var resp Response
	if err := decodeStrict(body, &resp); err != nil {
		return nil, err
	}
	switch resp.Op {
	case ReplyFileKey:
		if len(resp.FileKey) == 0 || len(resp.FileKey) > 64 {
			return nil, badRequest("a file key of %d bytes", len(resp.FileKey))
		}
	case ReplyStatus:
		if resp.Status == nil {
			return nil, badRequest("a status reply without a status")
		}
	case ReplyError:
		if resp.Error == nil {
			return nil, badRequest("an error reply without an error")
		}
	case ReplyPrompt:
		if resp.Prompt == nil {
			return nil, badRequest("a prompt reply without a prompt")
		}
		switch resp.Prompt.Kind {
		case PromptPassphrase, PromptMessage, PromptValue, PromptConfirm:
		default:
			return nil, badRequest("unknown prompt kind %q", truncate(resp.Prompt.Kind, 32))
		}
	case ReplyNoMatch, ReplyOK:
	default:
		return nil, badRequest("unknown reply %q", truncate(resp.Op, 32))
	}
	return &resp, nil
}

// toAge converts the wire stanzas to age's.
func toAge(ss []Stanza) []*age.Stanza {
	out := make([]*age.Stanza, len(ss))
	for i, s := range ss {
		out[i] = &age.Stanza{Type: s.Type, Args: s.Args, Body: s.Body}
	}
	return out
}

// fromAge converts age's stanzas to the wire form.
func fromAge(ss []*age.Stanza) []Stanza {
	out := make([]Stanza, len(ss))
	for i, s := range ss {
		out[i] = Stanza{Type: s.Type, Args: s.Args, Body: s.Body}
	}
	return out
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
