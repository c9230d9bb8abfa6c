package sim

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
)

// Hostile fault modes: a server that is broken or malicious rather than
// merely failing. Each is what a security review found a real client must
// survive: bounded memory, timeouts, honest classification, usage that
// cannot corrupt a ledger, keys that stay masked however they are written.
const (
	FaultUsageOverflow     = "sim-usage-overflow"      // a normal reply reporting 2^63-1 prompt and completion tokens
	FaultNoNewline         = "sim-no-newline"          // one event that never ends: "data: " and then text without a line break, until the client leaves (at most 2 GiB)
	FaultHugeEvent         = "sim-huge-event"          // one 100 MB chunk of reply text in a single event
	FaultGzipBomb          = "sim-gzip-bomb"           // a gzip-encoded stream that expands without end (a few hundred KB on the wire for 200 MB)
	FaultModelsHuge        = "sim-models-huge"         // GET /models returns a 200 MB model list (chosen by the key: see Options.KeyFaults)
	FaultNeverAnswers      = "sim-never-answers"       // accepts the request and never sends a byte until the client leaves
	FaultStall             = "sim-stall"               // streams a few chunks, then nothing until the client leaves
	FaultHTML              = "sim-html"                // a web page with status 200 instead of an event stream
	FaultErrorString       = "sim-error-string"        // 500 {"error": "SyntaxError", "message": "…"}
	FaultErrorDetail       = "sim-error-detail"        // 422 {"detail": [{"loc": […], "msg": "…"}]} (FastAPI)
	FaultErrorMessage      = "sim-error-message"       // 500 {"message": "…"}
	FaultErrorText         = "sim-error-text"          // 503 with a plain-text body
	FaultErrorHTML         = "sim-error-html"          // 502 with an HTML error page
	FaultEchoAuthDisguised = "sim-echo-auth-disguised" // streams the key in disguises a Markdown renderer undoes: backslash escapes, entities, emphasis, a zero-width joiner
)

// hostileFaults are the hostile fault modes, in the order /v1/models
// shows them after the others.
var hostileFaults = []string{
	FaultUsageOverflow, FaultNoNewline, FaultHugeEvent, FaultGzipBomb, FaultModelsHuge,
	FaultNeverAnswers, FaultStall, FaultHTML,
	FaultErrorString, FaultErrorDetail, FaultErrorMessage, FaultErrorText, FaultErrorHTML,
	FaultEchoAuthDisguised,
}

// Sizes of the hostile payloads.
const (
	noNewlineMax  = 2 << 30   // bytes of the endless event before the server gives up
	hugeEventSize = 100 << 20 // the text of sim-huge-event's single chunk
	gzipBombSize  = 200 << 20 // what sim-gzip-bomb expands to
	modelsHugeLen = 200 << 20 // bytes of sim-models-huge's model list
	stallAfter    = 3         // chunks sim-stall sends before it stalls
)

// usageOverflow is what sim-usage-overflow reports: figures that overflow
// a 64-bit sum as soon as two are added.
var usageOverflow = usage{PromptTokens: math.MaxInt64, CompletionTokens: math.MaxInt64, TotalTokens: math.MaxInt64}

// hostileChat serves the hostile faults that replace a chat reply, and
// reports whether fault was one of them.
func (s *Server) hostileChat(w http.ResponseWriter, r *http.Request, c *call, fault string) bool {
	switch fault {
	case FaultNeverAnswers:
		<-r.Context().Done()
		s.update(c, func(rec *Request) { rec.Outcome = "canceled" })
	case FaultHTML:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><h1>Sign in to continue</h1><form>…</form></body></html>\n")
	case FaultErrorString:
		writeRaw(w, http.StatusInternalServerError, "application/json",
			`{"error":"SyntaxError","message":"Bad control character in string literal in JSON at position 42"}`)
	case FaultErrorDetail:
		writeRaw(w, http.StatusUnprocessableEntity, "application/json",
			`{"detail":[{"loc":["body","messages",0,"content"],"msg":"field required","type":"missing"}]}`)
	case FaultErrorMessage:
		writeRaw(w, http.StatusInternalServerError, "application/json", `{"message":"upstream model worker crashed"}`)
	case FaultErrorText:
		writeRaw(w, http.StatusServiceUnavailable, "text/plain; charset=utf-8", "model is loading, try again in a minute\n")
	case FaultErrorHTML:
		writeRaw(w, http.StatusBadGateway, "text/html",
			"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
	case FaultNoNewline:
		s.endless(w, c, false)
	case FaultGzipBomb:
		s.endless(w, c, true)
	default:
		return false
	}
	return true
}

func writeRaw(w http.ResponseWriter, status int, contentType, body string) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// endless streams an event that never ends. Plain, it is "data: " and
// then letters without a line break (at most noNewlineMax bytes); as a
// gzip bomb, a gzip-encoded stream of valid events, small on the wire,
// that expands to gzipBombSize. Either way it stops when the client
// leaves.
func (s *Server) endless(w http.ResponseWriter, c *call, bomb bool) {
	w.Header().Set("Content-Type", "text/event-stream")
	var out io.Writer = w
	var zw *gzip.Writer
	if bomb {
		w.Header().Set("Content-Encoding", "gzip")
		zw, _ = gzip.NewWriterLevel(w, gzip.BestCompression)
		out = zw
	}
	w.WriteHeader(http.StatusOK)
	block := []byte(strings.Repeat("A", 64<<10))
	limit := noNewlineMax
	if bomb {
		// An event that never ends, too: the compressor makes a
		// megabyte of it a few hundred bytes.
		limit = gzipBombSize
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	if _, err := io.WriteString(bw, "data: "); err != nil {
		return
	}
	for n := 0; n < limit; n += len(block) {
		if _, err := bw.Write(block); err != nil {
			s.update(c, func(rec *Request) { rec.Outcome = "canceled" })
			return
		}
	}
	_ = bw.Flush()
	if zw != nil {
		_ = zw.Close()
	}
	s.update(c, func(rec *Request) { rec.Outcome = "ok" })
}

// writeHugeEvent writes sim-huge-event's single event of hugeEventSize
// bytes of reply text, a block at a time, so that the simulator itself
// never holds it.
func (s *Server) writeHugeEvent(w http.ResponseWriter, rc *http.ResponseController, p streamPlan) error {
	head := marshal(chunk{ID: p.id, Object: "chat.completion.chunk", Created: p.created, Model: p.model,
		SystemFingerprint: fingerprint, Choices: []chunkChoice{{Delta: delta{Content: new(string)}}}})
	// Split the event where the empty content string is: text goes in
	// between its quotes.
	before, after, _ := strings.Cut(string(head), `"content":""`)
	bw := bufio.NewWriterSize(w, 64<<10)
	if _, err := io.WriteString(bw, "data: "+before+`"content":"`); err != nil {
		return err
	}
	block := strings.Repeat("All work and no play. ", 64<<10/22)
	for n := 0; n < hugeEventSize; n += len(block) {
		if _, err := io.WriteString(bw, block); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(bw, `"`+after+"\n\n"); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return rc.Flush()
}

// disguisedEcho is sim-echo-auth-disguised's payload: the key the request
// carried, written four ways that a Markdown renderer turns back into the
// key itself.
func disguisedEcho(header string) []string {
	key := header
	if i := strings.LastIndexByte(header, ' '); i >= 0 {
		key = header[i+1:] // the token of "Bearer TOKEN"
	}
	if len(key) < 4 {
		key = "(no key)"
	}
	return []string{
		"\nYour key, escaped: " + strings.ReplaceAll(key, "-", `\-`) + "\n",
		"\nAs entities: " + strings.ReplaceAll(key, "-", "&#45;") + "\n",
		"\nEmphasised: " + key[:1] + "**" + key[1:] + "**\n",
		"\nWith a joiner: " + key[:3] + "\u200d" + key[3:] + "\n",
	}
}

// listHugeModels serves sim-models-huge: a model list of modelsHugeLen
// bytes, written until done or the client leaves.
func (s *Server) listHugeModels(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	defer bw.Flush()
	if _, err := io.WriteString(bw, `{"object":"list","data":[`); err != nil {
		return
	}
	for i, n := 0, 0; n < modelsHugeLen; i++ {
		entry := fmt.Sprintf(`{"id":"sim-model-%09d","object":"model","created":%d,"owned_by":"vaultchat-sim"},`, i, modelsCreated)
		if _, err := io.WriteString(bw, entry); err != nil {
			return
		}
		n += len(entry)
	}
	_, _ = io.WriteString(bw, `{"id":"last","object":"model","created":0,"owned_by":"vaultchat-sim"}]}`)
}
