// Package sim is an OpenAI-compatible chat completions server built into
// vaultchat. Every test talks to it instead of a real provider, and
// "vaultchat --demo" and "vaultchat simulate" run it so the app can be
// tried without a key.
//
// It serves, on 127.0.0.1 only:
//
//	GET  /v1/models                       the sim models (Models)
//	GET  /v1/models/{model}
//	POST /v1/chat/completions             streaming (SSE) and not
//	POST /openai/deployments/{deployment}/chat/completions?api-version=...
//	GET  /openai/models?api-version=...   (Azure form; "api-key" header)
//
// Replies are deterministic functions of the request: they quote the turn
// number (the count of user messages), the last two user messages and the
// system prompt, so a test can prove the whole context was sent, and they
// carry a heading, lists, a table and a fenced code block, so a renderer
// has something to render. Streamed replies come in chunks of a few words
// with exact OpenAI SSE framing; usage is counted from words.
//
// Model names choose fault modes (see the Fault constants); Options.KeyFaults
// attaches a fault to an API key instead, so one server can hold a good key
// and a broken one. Besides servers that fail, there are hostile ones
// (hostile.go): lying about usage, streaming without end or in one huge
// event, gzip bombs, never answering or stalling, web pages instead of an
// API, error bodies of every common shape, keys echoed in disguise.
//
// Every response carries x-ratelimit-* headers backed by per-server token
// buckets (60 requests and 150,000 tokens a minute), so the remaining
// counts go down with each request and recover over time.
package sim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultChunkDelay is the pause between streamed chunks that makes
// streaming visible in a demo. Tests usually leave Options.ChunkDelay zero.
const DefaultChunkDelay = 15 * time.Millisecond

// DefaultSlowDelay is how long the sim-slow model waits before its first
// byte unless Options.SlowDelay says otherwise.
const DefaultSlowDelay = 3 * time.Second

// maxLog bounds the request log so a long benchmark or demo does not grow
// without limit; the oldest entries are dropped first.
const maxLog = 1000

// Options configure a Server. The zero value is a server that accepts any
// key and streams without delay.
type Options struct {
	// ChunkDelay is the pause before each streamed content chunk. Zero
	// means no pause (what tests want); the demo uses DefaultChunkDelay.
	ChunkDelay time.Duration
	// SlowDelay is how long sim-slow waits before its first byte; zero
	// means DefaultSlowDelay. It ends early when the client cancels.
	SlowDelay time.Duration
	// Keys, if non-empty, is the set of accepted API keys, sent as a
	// Bearer token or an Azure "api-key" header; any other key, or none,
	// gets 401. If empty, every request is accepted.
	Keys []string
	// KeyFaults maps an API key (the secret value) to a fault name
	// (FaultQuota, ...), applied to every request made with that key
	// whatever the model. A model name that is a fault applies too; the
	// key's fault wins. A key that is itself a fault name ("sim-models-
	// huge") has that fault, so "vaultchat simulate" users can pick
	// faults that no model name can choose, such as a huge model list.
	KeyFaults map[string]string
	// AdminKeys are OpenAI admin keys and ManagementKeys OpenRouter
	// management keys: the only keys the usage and key management
	// endpoints accept (openaiadmin.go, openrouter.go), and keys the chat
	// endpoints refuse, as the real providers do.
	AdminKeys, ManagementKeys []string
	// AnyAccountKey makes the account endpoints accept keys nobody
	// listed, as "vaultchat simulate --accounts" offers: any sk-admin-…
	// key is an OpenAI admin key (and cannot chat), and any key may use
	// OpenRouter's management endpoints.
	AnyAccountKey bool
	// AdminThrottle, when positive, answers every AdminThrottle-th request
	// to those endpoints with 429 and a Retry-After.
	AdminThrottle int
	// Now returns the current time, for "created" fields and the rate-limit
	// buckets; nil means time.Now. Tests fix it to make the rate-limit
	// headers exact.
	Now func() time.Time
}

// Fault modes, chosen by model name or through Options.KeyFaults.
const (
	Fault401           = "sim-401"               // 401, code "invalid_api_key"
	FaultQuota         = "sim-quota"             // 429, code "insufficient_quota"
	Fault429           = "sim-429"               // 429 with Retry-After: 2 and no requests remaining, always
	FaultFlaky         = "sim-flaky"             // first request with given messages fails (500 on odd turns, 429 with Retry-After: 1 on even), a repeat succeeds
	Fault500           = "sim-500"               // 500 server_error
	FaultDisconnect    = "sim-disconnect"        // streams a few chunks then drops the connection; no [DONE]
	FaultSlow          = "sim-slow"              // waits Options.SlowDelay before the first byte
	FaultHuge          = "sim-huge"              // a reply of about 20,000 tokens
	FaultLong          = "sim-long"              // a reply of about 2,000 tokens
	FaultNoUsage       = "sim-nousage"           // never reports usage, even when asked
	FaultNoStreamOpts  = "sim-no-stream-options" // 400 naming stream_options if the request has that field
	FaultEchoAuth      = "sim-echo-auth"         // streams the Authorization (or api-key) header value split across two chunks; non-streaming gets a 400 quoting it
	FaultEchoAuthError = "sim-echo-auth-error"   // a 400 whose error message quotes the header value
	FaultInject        = "sim-inject"            // terminal escape payloads split across chunks
	Fault404           = "sim-404"               // 404 model_not_found
	FaultContext       = "sim-context"           // 400 context_length_exceeded
)

// Faults lists every fault mode, in the order /v1/models shows them.
var Faults = slices.Concat([]string{
	Fault401, FaultQuota, Fault429, FaultFlaky, Fault500, FaultDisconnect, FaultSlow, FaultHuge, FaultLong,
	FaultNoUsage, FaultNoStreamOpts, FaultEchoAuth, FaultEchoAuthError, FaultInject, Fault404, FaultContext,
}, hostileFaults)

// Models lists the well-behaved models /v1/models shows before the fault
// models. Any other "gpt-*" or "o<digit>*" name works as well, so demo keys
// with real-looking model names work.
var Models = []string{"sim-fast", "sim-smart", "gpt-4o-mini", "gpt-4o"}

// Message is one chat message as the simulator received it. Content of the
// array form (text parts) is joined with newlines.
type Message struct {
	Role    string
	Content string
}

// Request is the log entry of one request the simulator received.
type Request struct {
	Time   time.Time
	Method string
	Path   string // without the query
	// Azure is set for the /openai/deployments/... form; Model is then the
	// deployment name.
	Azure      bool
	APIVersion string
	Model      string
	Messages   []Message
	// Body is the request body as received (chat requests of at most
	// 1 MiB), for tests that check fields the log does not break out
	// (temperature, the parts of a multi-part message).
	Body   []byte
	Stream bool
	// StreamOptions is set when the body had a "stream_options" field;
	// IncludeUsage is its include_usage.
	StreamOptions bool
	IncludeUsage  bool
	// Auth is set when an Authorization or api-key header was present.
	Auth bool
	// APIKey is the key the request carried (the Bearer token or the
	// api-key header), so tests can tell which key was used. It is a
	// secret: Request.String leaves it out; never print it.
	APIKey string
	Fault  string // the fault mode applied, "" if none
	Status int    // the HTTP status sent, 0 if the connection was dropped first
	// Outcome is "ok", "error" (an error status was sent), "canceled" (the
	// client went away first) or "disconnected" (sim-disconnect dropped
	// it). It is "" while the request is in flight.
	//
	// Status, Outcome and Chunks are final by the time the client has the
	// last byte of an error body, a non-streamed reply or "data: [DONE]";
	// the other fields are set before any byte of the response is sent.
	Outcome string
	Chunks  int // content chunks written to a stream
}

// String describes the request without its API key.
func (r Request) String() string {
	return fmt.Sprintf("%s %s model=%q messages=%d stream=%t include_usage=%t auth=%t fault=%q status=%d outcome=%q chunks=%d",
		r.Method, r.Path, r.Model, len(r.Messages), r.Stream, r.IncludeUsage, r.Auth, r.Fault, r.Status, r.Outcome, r.Chunks)
}

// Server is the simulator. Create it with New; serve it with Start or mount
// Handler (in an httptest.Server, say); Close it when done.
type Server struct {
	opts    Options
	handler http.Handler

	mu       sync.Mutex
	idle     *sync.Cond // signalled when inflight drops to zero
	inflight int
	log      []*Request
	seq      int            // requests served, for ids
	attempts map[string]int // sim-flaky: requests seen per conversation
	requests bucket
	tokens   bucket
	srv      *http.Server
	accounts *accounts // keys and spend as the provider sees them
	// chunkDelay is Options.ChunkDelay as SetChunkDelay last set it.
	chunkDelay atomic.Int64
}

// SetChunkDelay changes the pause before each streamed chunk, for the
// requests that start from then on (the demo seeds its history without
// a pause, then streams visibly).
func (s *Server) SetChunkDelay(d time.Duration) { s.chunkDelay.Store(int64(d)) }

// New returns a Server that is not yet listening.
func New(opts Options) *Server {
	if opts.SlowDelay == 0 {
		opts.SlowDelay = DefaultSlowDelay
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts:     opts,
		attempts: map[string]int{},
		requests: bucket{limit: limitRequests},
		tokens:   bucket{limit: limitTokens},
	}
	s.chunkDelay.Store(int64(opts.ChunkDelay))
	s.accounts = newAccounts(opts, opts.Now())
	s.idle = sync.NewCond(&s.mu)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", s.listModels)
	mux.HandleFunc("GET /v1/models/{model}", s.getModel)
	mux.HandleFunc("POST /v1/chat/completions", s.chat)
	mux.HandleFunc("GET /openai/models", s.listModels)
	mux.HandleFunc("POST /openai/deployments/{deployment}/chat/completions", s.chat)
	mux.HandleFunc("GET /v1/organization/usage/completions", s.usageCompletions)
	mux.HandleFunc("GET /v1/organization/costs", s.organizationCosts)
	mux.HandleFunc("GET /v1/organization/projects/{project_id}/api_keys", s.projectAPIKeys)
	mux.HandleFunc("POST /v1/organization/projects/{project_id}/service_accounts", s.createServiceAccount)
	mux.HandleFunc("DELETE /v1/organization/projects/{project_id}/service_accounts/{service_account_id}", s.deleteServiceAccount)
	mux.HandleFunc("GET /api/v1/models", s.listModels)
	mux.HandleFunc("POST /api/v1/chat/completions", s.chat)
	mux.HandleFunc("GET /api/v1/key", s.currentKey)
	mux.HandleFunc("POST /api/v1/keys", s.createKey)
	mux.HandleFunc("PATCH /api/v1/keys/{hash}", s.updateKey)
	mux.HandleFunc("DELETE /api/v1/keys/{hash}", s.deleteKey)
	// The presets' base URL paths (internal/providers): Groq's
	// /openai/v1, Gemini's /v1beta/openai, DeepSeek's root.
	for _, prefix := range []string{"/openai/v1", "/v1beta/openai", ""} {
		mux.HandleFunc("GET "+prefix+"/models", s.listModels)
		mux.HandleFunc("POST "+prefix+"/chat/completions", s.chat)
	}
	mux.HandleFunc("/", s.notFound)
	s.handler = s.track(mux)
	return s
}

// Start listens on addr, which must be a loopback address such as
// "127.0.0.1:0" (a random port) or "localhost:8080", and serves in the
// background. It returns the OpenAI-style base URL,
// "http://127.0.0.1:PORT/v1"; Azure clients use it without the "/v1".
func (s *Server) Start(addr string) (baseURL string, err error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("start simulator: %w", err)
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("start simulator: %q is not a loopback address; the simulator listens on 127.0.0.1 only", addr)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return "", errors.New("start simulator: already started")
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return "", fmt.Errorf("start simulator: %w", err)
	}
	s.srv = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	// Serve only returns once Close has been called; its error then is
	// always ErrServerClosed.
	go s.srv.Serve(ln)
	return "http://" + ln.Addr().String() + "/v1", nil
}

// Handler returns the simulator as an http.Handler, for httptest or for
// embedding in another server.
func (s *Server) Handler() http.Handler { return s.handler }

// Close stops a started server, drops its connections (which cancels any
// stream in progress) and waits until every handler has returned, whether
// the server was started with Start or mounted through Handler.
func (s *Server) Close() error {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	var err error
	if srv != nil {
		if err = srv.Close(); err != nil {
			err = fmt.Errorf("close simulator: %w", err)
		}
	}
	s.waitIdle()
	return err
}

// Requests returns a copy of the request log, oldest first (at most the
// last 1000 requests).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.log))
	for i, r := range s.log {
		out[i] = *r
		out[i].Messages = slices.Clone(r.Messages)
	}
	return out
}

// waitIdle blocks until no handler is running.
func (s *Server) waitIdle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.inflight > 0 {
		s.idle.Wait()
	}
}

// track wraps every request: it counts handlers in flight, sets the
// rate-limit headers every response carries and logs the request.
func (s *Server) track(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.inflight++
		now := s.opts.Now()
		s.seq++
		rec := &Request{Time: now, Method: r.Method, Path: r.URL.Path}
		s.log = append(s.log, rec)
		if len(s.log) > maxLog {
			s.log = slices.Delete(s.log, 0, len(s.log)-maxLog)
		}
		setRateHeaders(w.Header(), s.requests.take(now, 1), s.tokens.take(now, 0))
		w.Header().Set("x-request-id", fmt.Sprintf("req_sim_%06d", s.seq))
		seq := s.seq
		s.mu.Unlock()

		rw := &recorder{ResponseWriter: w, s: s, rec: rec}
		defer func() {
			s.mu.Lock()
			if rec.Outcome == "" { // not set by the handler or the recorder
				rec.Outcome = "ok"
				if rec.Status == 0 {
					rec.Outcome = "canceled"
				}
			}
			s.inflight--
			if s.inflight == 0 {
				s.idle.Broadcast()
			}
			s.mu.Unlock()
		}()
		ctx := context.WithValue(r.Context(), ctxKey{}, &call{rec: rec, seq: seq})
		next.ServeHTTP(rw, r.WithContext(ctx))
	})
}

// ctxKey carries the per-request call state from track to the handlers.
type ctxKey struct{}

type call struct {
	rec *Request
	seq int
}

func callOf(r *http.Request) *call { return r.Context().Value(ctxKey{}).(*call) }

// update changes a log entry under the lock.
func (s *Server) update(c *call, f func(*Request)) {
	s.mu.Lock()
	f(c.rec)
	s.mu.Unlock()
}

// recorder logs the status of a response before the status is sent, so
// the log entry of an error response is complete by the time its client
// sees it. It passes Flush and Hijack through (via Unwrap, for
// http.ResponseController).
type recorder struct {
	http.ResponseWriter
	s      *Server
	rec    *Request
	status int
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		w.s.mu.Lock()
		w.rec.Status = code
		if code >= 400 {
			w.rec.Outcome = "error"
		}
		w.s.mu.Unlock()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// credentials returns the API key of a request and the raw header value it
// came in: the Bearer token of Authorization, or Azure's api-key header.
func credentials(r *http.Request) (key, header string, ok bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		key = h
		if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			key = strings.TrimSpace(h[7:])
		}
		return key, h, true
	}
	if h := r.Header.Get("api-key"); h != "" {
		return h, h, true
	}
	return "", "", false
}

// authorize reports whether the request's key is accepted, and sends the
// 401 if not.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) bool {
	key, _, ok := credentials(r)
	if ok && s.accounts.isAdminKey(key) {
		// Admin and management keys cannot chat at OpenAI or OpenRouter.
		writeError(w, http.StatusUnauthorized, apiError{Message: "Admin and management keys cannot be used for this endpoint; use a project API key.", Type: "invalid_request_error", Code: str("invalid_api_key")})
		return false
	}
	live, revoked := s.accounts.chatKey(key)
	if !revoked && (len(s.opts.Keys) == 0 || ok && live) {
		return true
	}
	msg := "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys."
	if !ok {
		msg = "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
	}
	writeError(w, http.StatusUnauthorized, apiError{Message: msg, Type: "invalid_request_error", Code: str("invalid_api_key")})
	return false
}

// known reports whether model names a well-behaved model.
func known(model string) bool {
	if slices.Contains(Models, model) || strings.HasPrefix(model, "gpt-") {
		return true
	}
	return len(model) > 1 && model[0] == 'o' && model[1] >= '0' && model[1] <= '9'
}

func isFault(model string) bool { return slices.Contains(Faults, model) }

// keyFault returns the fault a key chooses: its KeyFaults entry, or the
// key itself when it is a fault name.
func (s *Server) keyFault(key string) string {
	if f := s.opts.KeyFaults[key]; f != "" {
		return f
	}
	if isFault(key) {
		return key
	}
	return ""
}

func (s *Server) listModels(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r) {
		return
	}
	key, _, _ := credentials(r)
	switch s.keyFault(key) {
	case Fault401:
		writeError(w, http.StatusUnauthorized, invalidKey)
		return
	case FaultModelsHuge:
		s.listHugeModels(w)
		return
	}
	list := modelList{Object: "list", Data: []modelObject{}}
	for _, id := range slices.Concat(Models, Faults) {
		list.Data = append(list.Data, s.modelObject(id))
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) getModel(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r) {
		return
	}
	id := r.PathValue("model")
	if !known(id) && !isFault(id) {
		writeError(w, http.StatusNotFound, modelNotFound(id))
		return
	}
	writeJSON(w, http.StatusOK, s.modelObject(id))
}

func (s *Server) modelObject(id string) modelObject {
	return modelObject{ID: id, Object: "model", Created: modelsCreated, OwnedBy: "vaultchat-sim"}
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, apiError{
		Message: fmt.Sprintf("Invalid URL (%s %s)", r.Method, r.URL.Path),
		Type:    "invalid_request_error",
	})
}
