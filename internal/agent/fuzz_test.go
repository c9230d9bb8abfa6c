package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"testing"
)

// FuzzReadRequest feeds the agent's decoder arbitrary bytes (the seed
// corpus in testdata/fuzz/FuzzReadRequest holds well-formed requests of
// every kind and the classic malformed ones). It must never panic, must
// refuse with a protocol error or a read error, and whatever it accepts
// must respect every bound and encode back to an equal request.
func FuzzReadRequest(f *testing.F) {
	for _, req := range []Request{
		{V: Version, Op: OpStatus, Home: "/home/u/.local/share/vaultchat"},
		{V: Version, Op: OpLock, Home: "/h"},
		{V: Version, Op: OpUnwrap, Home: "/h", Stanzas: []Stanza{{Type: "X25519", Args: []string{"abc"}, Body: []byte{1, 2, 3}}}},
		{V: Version, Op: OpAnswer, Answer: &Answer{Value: "123456"}},
	} {
		f.Add(frame(f, req))
	}
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte("\x00\x00\x00\x02{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := ReadRequest(bytes.NewReader(data))
		if err != nil {
			var pe *protocolError
			if !errors.As(err, &pe) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("an error that is neither a refusal nor a short read: %v", err)
			}
			return
		}
		if req.V != Version || len(req.Stanzas) > maxStanzas {
			t.Fatalf("accepted out of bounds: %+v", req)
		}
		if req.Op != OpAnswer && !filepath.IsAbs(req.Home) {
			t.Fatalf("accepted a relative home %q", req.Home)
		}
		for _, s := range req.Stanzas {
			if !isArg(s.Type) || len(s.Args) > maxArgs {
				t.Fatalf("accepted a malformed stanza %+v", s)
			}
		}
		again, err := ReadRequest(bytes.NewReader(frame(t, req)))
		if err != nil {
			t.Fatalf("an accepted request does not read back: %v", err)
		}
		a, _ := json.Marshal(req)
		b, _ := json.Marshal(again)
		if !bytes.Equal(a, b) {
			t.Fatalf("round trip changed the request:\n%s\n%s", a, b)
		}
	})
}

// FuzzReadResponse does the same for the client's decoder: a hostile
// process on the socket must not crash a client.
func FuzzReadResponse(f *testing.F) {
	for _, resp := range []Response{
		{Op: ReplyFileKey, FileKey: bytes.Repeat([]byte{7}, 16)},
		{Op: ReplyNoMatch},
		{Op: ReplyStatus, Status: &Status{Home: "/h", Idle: Duration(15 * 60 * 1e9)}},
		{Op: ReplyPrompt, Prompt: &Prompt{Kind: PromptValue, Plugin: "yubikey", Text: "PIN:", Secret: true}},
		{Op: ReplyError, Error: &ErrorReply{Code: CodeWrongHome, Message: "no"}},
	} {
		f.Add(frame(f, resp))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		resp, err := ReadResponse(bytes.NewReader(data))
		if err != nil {
			return
		}
		switch resp.Op {
		case ReplyFileKey:
			if len(resp.FileKey) == 0 {
				t.Fatal("accepted an empty file key")
			}
		case ReplyStatus:
			if resp.Status == nil {
				t.Fatal("accepted a status reply without a status")
			}
		case ReplyPrompt:
			if resp.Prompt == nil {
				t.Fatal("accepted a prompt reply without a prompt")
			}
		case ReplyError:
			if resp.Error == nil {
				t.Fatal("accepted an error reply without an error")
			}
		}
	})
}
