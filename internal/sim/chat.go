package sim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// maxBody bounds a request body; a 10,000-message conversation fits.
const maxBody = 64 << 20

// disconnectAfter is how many content chunks sim-disconnect sends before
// it drops the connection.
const disconnectAfter = 5

// chat serves POST /v1/chat/completions and its Azure form.
// maxLoggedBody bounds the request bodies kept in the log, which holds
// the last thousand requests of a long demo.
const maxLoggedBody = 1 << 20

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	c := callOf(r)
	deployment := r.PathValue("deployment")
	azure := deployment != ""
	apiVersion := r.URL.Query().Get("api-version")
	key, header, hasAuth := credentials(r)
	s.update(c, func(rec *Request) {
		rec.Azure, rec.APIVersion, rec.Auth, rec.APIKey = azure, apiVersion, hasAuth, key
	})
	if azure && apiVersion == "" {
		writeError(w, http.StatusNotFound, apiError{Message: "Resource not found: the api-version query parameter is missing", Type: "invalid_request_error", Code: str("404")})
		return
	}
	if !s.authorize(w, r) {
		return
	}

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, apiError{Message: "request body too large or unreadable", Type: "invalid_request_error"})
		return
	}
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, apiError{Message: "We could not parse the JSON body of your request: " + err.Error(), Type: "invalid_request_error"})
		return
	}
	model := req.Model
	if azure {
		model = deployment
	}
	msgs := make([]Message, len(req.Messages))
	for i, m := range req.Messages {
		msgs[i] = Message{Role: m.Role, Content: m.text()}
	}
	hasStreamOptions := len(req.StreamOptions) > 0
	includeUsage := false
	if hasStreamOptions {
		var opts struct {
			IncludeUsage bool `json:"include_usage"`
		}
		_ = json.Unmarshal(req.StreamOptions, &opts) // null or malformed: no usage
		includeUsage = opts.IncludeUsage
	}
	fault := s.keyFault(key)
	if fault == "" && isFault(model) {
		fault = model
	}
	s.update(c, func(rec *Request) {
		rec.Model, rec.Messages, rec.Stream = model, msgs, req.Stream
		if len(body) <= maxLoggedBody {
			rec.Body = body
		}
		rec.StreamOptions, rec.IncludeUsage, rec.Fault = hasStreamOptions, includeUsage, fault
	})

	switch {
	case model == "":
		writeError(w, http.StatusBadRequest, apiError{Message: "you must provide a model parameter", Type: "invalid_request_error", Param: str("model")})
		return
	case len(msgs) == 0:
		writeError(w, http.StatusBadRequest, apiError{Message: "[] is too short - 'messages'", Type: "invalid_request_error", Param: str("messages")})
		return
	case fault == "" && !azure && !known(model):
		writeError(w, http.StatusNotFound, modelNotFound(model))
		return
	}

	conv := conversation{model: model, messages: msgs, stream: req.Stream}
	if s.fail(w, fault, conv, hasStreamOptions, header) || s.hostileChat(w, r, c, fault) {
		return
	}

	content, pieces := replyPieces(conv, fault, header)
	use := countUsage(msgs, content)
	if fault == "" {
		s.accounts.record(key, model, s.opts.Now(), int64(use.PromptTokens), int64(use.PromptTokensDetails.CachedTokens), int64(use.CompletionTokens), 1)
	}
	s.mu.Lock()
	tokens := s.tokens.take(s.opts.Now(), float64(use.TotalTokens))
	created := s.opts.Now().Unix()
	s.mu.Unlock()
	setTokenHeaders(w.Header(), tokens)

	if fault == FaultSlow && !s.sleep(r.Context(), s.opts.SlowDelay) {
		s.update(c, func(rec *Request) { rec.Outcome = "canceled" })
		return
	}
	var reportUsage *usage
	switch fault {
	case FaultNoUsage:
	case FaultUsageOverflow:
		reportUsage = &usageOverflow
	default:
		reportUsage = &use
	}
	id := fmt.Sprintf("chatcmpl-sim%06d", c.seq)
	if !req.Stream {
		if fault == FaultDisconnect {
			s.disconnect(w, c)
			return
		}
		s.update(c, func(rec *Request) { rec.Outcome = "ok" })
		writeJSON(w, http.StatusOK, completion{
			ID: id, Object: "chat.completion", Created: created, Model: model, SystemFingerprint: fingerprint,
			Choices: []completionChoice{{Message: completionMessage{Role: "assistant", Content: content}, FinishReason: "stop"}},
			Usage:   reportUsage,
		})
		return
	}
	if !includeUsage {
		reportUsage = nil
	}
	s.stream(w, r, c, streamPlan{
		id: id, created: created, model: model, pieces: pieces,
		includeUsage: includeUsage, usage: reportUsage, disconnect: fault == FaultDisconnect,
		stall: fault == FaultStall, hugeEvent: fault == FaultHugeEvent,
	})
}

// replyPieces returns the reply to conv and the pieces a stream sends it
// in, shaped by the fault modes that change a successful reply. header is
// the request's authorization header value, for sim-echo-auth.
func replyPieces(conv conversation, fault, header string) (content string, pieces []string) {
	content = replyText(conv)
	switch fault {
	case FaultHuge:
		huge := hugeText()
		pieces = append(splitWords(content, 3), splitWords(huge, 12)...)
		return content + huge, pieces
	case FaultLong:
		long := longText(1_300)
		pieces = append(splitWords(content, 3), splitWords(long, 12)...)
		return content + long, pieces
	case FaultInject:
		// The payload goes right after the heading.
		head, rest, _ := strings.Cut(content, "\n\n")
		pieces = append(splitWords(head+"\n", 3), injectChunks...)
		pieces = append(pieces, splitWords(rest, 3)...)
	case FaultEchoAuthDisguised:
		pieces = append(splitWords(content, 3), disguisedEcho(header)...)
	case FaultEchoAuth:
		if header == "" {
			header = "(none)"
		}
		// Split the value in two chunks, as a streaming redactor must
		// expect.
		half := len(header) / 2
		pieces = append(splitWords(content, 3),
			"\nYour request's authorization header was `"+header[:half],
			header[half:]+"`.\n")
	default:
		return content, splitWords(content, 3)
	}
	return strings.Join(pieces, ""), pieces
}

// fingerprint is the system_fingerprint of every response.
const fingerprint = "fp_vaultchat_sim"

// fail sends the error response of an error fault and reports whether it
// did; faults that shape a successful reply are left to the caller.
func (s *Server) fail(w http.ResponseWriter, fault string, conv conversation, hasStreamOptions bool, header string) bool {
	switch fault {
	case Fault401:
		writeError(w, http.StatusUnauthorized, invalidKey)
	case FaultQuota:
		writeError(w, http.StatusTooManyRequests, apiError{
			Message: "You exceeded your current quota, please check your plan and billing details.",
			Type:    "insufficient_quota", Code: str("insufficient_quota"),
		})
	case Fault429:
		s.rateLimited(w, conv.model, 2)
	case FaultFlaky:
		sum := sha256.Sum256(marshal(struct {
			Model    string
			Messages []Message
		}{conv.model, conv.messages}))
		id := hex.EncodeToString(sum[:])
		s.mu.Lock()
		s.attempts[id]++
		first := s.attempts[id] == 1
		s.mu.Unlock()
		if !first {
			return false
		}
		if conv.turn()%2 == 0 {
			s.rateLimited(w, conv.model, 1)
		} else {
			writeError(w, http.StatusInternalServerError, serverError)
		}
	case Fault500:
		writeError(w, http.StatusInternalServerError, serverError)
	case FaultNoStreamOpts:
		if !hasStreamOptions {
			return false
		}
		writeError(w, http.StatusBadRequest, apiError{
			Message: "Unrecognized request argument supplied: stream_options",
			Type:    "invalid_request_error", Param: str("stream_options"),
		})
	case FaultEchoAuth, FaultEchoAuthError:
		if fault == FaultEchoAuth && conv.stream {
			return false
		}
		writeError(w, http.StatusBadRequest, apiError{
			Message: "Invalid authorization header: " + header,
			Type:    "invalid_request_error", Code: str("invalid_authorization_header"),
		})
	case Fault404:
		writeError(w, http.StatusNotFound, modelNotFound(conv.model))
	case FaultContext:
		prompt := countUsage(conv.messages, "").PromptTokens
		writeError(w, http.StatusBadRequest, apiError{
			Message: fmt.Sprintf("This model's maximum context length is 128000 tokens. However, your messages resulted in %d tokens. Please reduce the length of the messages.", 128_000+prompt),
			Type:    "invalid_request_error", Param: str("messages"), Code: str("context_length_exceeded"),
		})
	default:
		return false
	}
	return true
}

var serverError = apiError{
	Message: "The server had an error while processing your request. Sorry about that!",
	Type:    "server_error",
}

// rateLimited sends a 429 rate_limit_exceeded with Retry-After and no
// requests remaining.
func (s *Server) rateLimited(w http.ResponseWriter, model string, retryAfter int) {
	w.Header().Set("Retry-After", fmt.Sprint(retryAfter))
	w.Header().Set("x-ratelimit-remaining-requests", "0")
	writeError(w, http.StatusTooManyRequests, apiError{
		Message: fmt.Sprintf("Rate limit reached for %s in organization org-sim on requests per min (RPM): Limit %d, Used %d, Requested 1. Please try again in %ds.",
			model, limitRequests, limitRequests, retryAfter),
		Type: "requests", Code: str("rate_limit_exceeded"),
	})
}

// streamPlan is everything a stream sends.
type streamPlan struct {
	id           string
	created      int64
	model        string
	pieces       []string
	includeUsage bool
	usage        *usage // nil: no usage chunk
	disconnect   bool   // drop the connection after disconnectAfter pieces
	stall        bool   // send nothing after stallAfter pieces until the client leaves
	hugeEvent    bool   // after the pieces, one event of hugeEventSize bytes of text
}

// stream sends a reply as server-sent events: a role chunk, one chunk per
// piece, a chunk with the finish reason, the usage chunk (empty choices)
// if asked for, then [DONE]. It stops as soon as the client goes away.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, c *call, p streamPlan) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	ctx := r.Context()

	null := json.RawMessage("null")
	event := func(choices []chunkChoice, u json.RawMessage) error {
		if p.includeUsage && u == nil {
			u = null
		}
		data := marshal(chunk{ID: p.id, Object: "chat.completion.chunk", Created: p.created, Model: p.model,
			SystemFingerprint: fingerprint, Choices: choices, Usage: u})
		if _, err := fmt.Fprintf(w, "data: %s\n\n", data); err != nil {
			return err
		}
		return rc.Flush()
	}
	canceled := func() { s.update(c, func(rec *Request) { rec.Outcome = "canceled" }) }

	empty := ""
	if event([]chunkChoice{{Delta: delta{Role: "assistant", Content: &empty}}}, nil) != nil {
		canceled()
		return
	}
	for i, piece := range p.pieces {
		if p.disconnect && i == disconnectAfter {
			s.disconnect(w, c)
			return
		}
		if p.stall && i == stallAfter {
			<-ctx.Done()
			canceled()
			return
		}
		if !s.sleep(ctx, time.Duration(s.chunkDelay.Load())) {
			canceled()
			return
		}
		if event([]chunkChoice{{Delta: delta{Content: &piece}}}, nil) != nil {
			canceled()
			return
		}
		s.update(c, func(rec *Request) { rec.Chunks++ })
	}
	if p.hugeEvent && s.writeHugeEvent(w, rc, p) != nil {
		canceled()
		return
	}
	stop := "stop"
	if event([]chunkChoice{{Delta: delta{}, FinishReason: &stop}}, nil) != nil {
		canceled()
		return
	}
	if p.includeUsage && p.usage != nil {
		if event([]chunkChoice{}, marshal(p.usage)) != nil {
			canceled()
			return
		}
	}
	s.update(c, func(rec *Request) { rec.Outcome = "ok" })
	if _, err := io.WriteString(w, "data: [DONE]\n\n"); err != nil {
		canceled()
		return
	}
	if rc.Flush() != nil {
		canceled()
	}
}

// sleep waits d, or less if ctx ends first; it reports whether ctx is
// still live. With d zero it only checks ctx.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// disconnect drops the connection under a response in progress: whatever
// was written is flushed, then the socket is closed with no end of stream.
func (s *Server) disconnect(w http.ResponseWriter, c *call) {
	s.update(c, func(rec *Request) { rec.Outcome = "disconnected" })
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Hijack is not possible (HTTP/2, say): abort the response
		// instead, which also ends it without a proper end of stream.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close() // dropping the connection is the point; an error changes nothing
}
