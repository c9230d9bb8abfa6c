package provider

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/tokens"
)

func TestStreamCoalescesDeltas(t *testing.T) {
	const chunks = 40
	var want strings.Builder
	for i := range chunks {
		want.WriteString("word" + string(rune('a'+i%26)) + " ")
	}
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		startSSE(w)
		for i := range chunks {
			sseText(w, "word"+string(rune('a'+i%26))+" ")
			time.Sleep(time.Millisecond) // a slow model
		}
		sseFinish(w, "stop")
		sseDone(w)
	})
	c := newClient(t, s, newSecret(t))
	evs := collect(t, c.Stream(context.Background(), userTurn, Options{Coalesce: 50 * time.Millisecond}))
	d := mustDone(t, evs)
	if got := textOf(evs); got != want.String() {
		t.Fatalf("text = %q\nwant %q", got, want.String())
	}
	t.Logf("%d deltas for %d chunks", deltas(evs), chunks)
	if n := deltas(evs); n < 1 || n >= chunks/2 {
		t.Fatalf("%d deltas for %d chunks; want them coalesced", n, chunks)
	}
	if d.FinishReason != "stop" {
		t.Errorf("finish reason %q", d.FinishReason)
	}
}

func TestStreamUsageFromFinalChunk(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		startSSE(w)
		sseText(w, "Hello")
		sseText(w, ", world.")
		sseFinish(w, "stop")
		sseUsage(w, 19, 4, 3, 1)
		sseDone(w)
	})
	c := newClient(t, s, newSecret(t))
	evs := collect(t, c.Stream(context.Background(), userTurn, Options{}))
	d := mustDone(t, evs)
	want := chat.Usage{PromptTokens: 19, CachedPromptTokens: 4, CompletionTokens: 3, ReasoningTokens: 1}
	if d.Usage != want {
		t.Errorf("usage = %+v; want %+v", d.Usage, want)
	}
	if got := textOf(evs); got != "Hello, world." {
		t.Errorf("text = %q", got)
	}
	reqs := s.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	opts, _ := reqs[0].Body["stream_options"].(map[string]any)
	if opts["include_usage"] != true || reqs[0].Body["stream"] != true {
		t.Errorf("request did not ask for a stream with usage: %v", reqs[0].Body)
	}
}

func TestStreamEstimatesUsageWhenNoneReported(t *testing.T) {
	reply := []string{"Hello ", "there, ", "how can I help?"}
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		sseReply(w, reply...) // ignores stream_options: no usage chunk
	})
	c := newClient(t, s, newSecret(t))
	evs := collect(t, c.Stream(context.Background(), userTurn, Options{}))
	d := mustDone(t, evs)
	want := chat.Usage{
		PromptTokens:     int64(tokens.CountMessages(userTurn.Model, userTurn.Messages)),
		CompletionTokens: int64(tokens.Count(userTurn.Model, strings.Join(reply, ""))),
		Estimated:        true,
	}
	if d.Usage != want || want.PromptTokens == 0 || want.CompletionTokens == 0 {
		t.Errorf("usage = %+v; want %+v", d.Usage, want)
	}
}

func TestStreamSendsRolesAndSkipsNotes(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { sseReply(w, "ok") })
	c := newClient(t, s, newSecret(t))
	req := Request{Model: "gpt-4o", Messages: []chat.Message{
		{Role: chat.RoleSystem, Content: "sys"},
		{Role: chat.RoleUser, Content: "one"},
		{Role: chat.RoleAssistant, Content: "two"},
		{Role: chat.RoleNote, Content: "switched key: never sent"},
		{Role: chat.RoleUser, Content: "three"},
	}}
	mustDone(t, collect(t, c.Stream(context.Background(), req, Options{})))
	reqs := s.requests()
	if len(reqs) != 1 || reqs[0].Path != "/v1/chat/completions" || reqs[0].Body["model"] != "gpt-4o" {
		t.Fatalf("requests = %+v", reqs)
	}
	var got []string
	for _, m := range reqs[0].Body["messages"].([]any) {
		m := m.(map[string]any)
		got = append(got, m["role"].(string)+":"+m["content"].(string))
	}
	want := "system:sys user:one assistant:two user:three"
	if strings.Join(got, " ") != want {
		t.Errorf("messages sent = %q; want %q", strings.Join(got, " "), want)
	}
}

func TestStreamOptionsRejectedRetriedWithoutAndRemembered(t *testing.T) {
	var s *server
	s = newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if _, ok := s.requests()[n-1].Body["stream_options"]; ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":{"message":"Unrecognized request argument supplied: stream_options","type":"invalid_request_error","param":"stream_options","code":null}}`))
			return
		}
		sseReply(w, "fine")
	})
	c := newClient(t, s, newSecret(t))
	sl := &fakeSleep{}
	evs := collect(t, c.Stream(context.Background(), userTurn, Options{Sleep: sl.Sleep}))
	d := mustDone(t, evs)
	if textOf(evs) != "fine" || !d.Usage.Estimated {
		t.Errorf("text %q usage %+v", textOf(evs), d.Usage)
	}
	if rs := retryings(evs); len(rs) != 0 || len(sl.Waits()) != 0 {
		t.Errorf("the fallback is not a retry: %v %v", rs, sl.Waits())
	}
	reqs := s.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests; want 2", len(reqs))
	}
	if _, ok := reqs[0].Body["stream_options"]; !ok {
		t.Error("first request had no stream_options")
	}
	if _, ok := reqs[1].Body["stream_options"]; ok {
		t.Error("second request still had stream_options")
	}

	// The client remembers: the next turn sends no stream_options at all.
	mustDone(t, collect(t, c.Stream(context.Background(), userTurn, Options{})))
	reqs = s.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests after the second turn; want 3", len(reqs))
	}
	if _, ok := reqs[2].Body["stream_options"]; ok {
		t.Error("the second turn sent stream_options again")
	}
}

func TestStreamOptionsRejectedOnlyOnce(t *testing.T) {
	// A server that refuses every request with a 400 naming
	// stream_options must not make the client loop.
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		jsonError(w, 400, "invalid_request_error", "", "stream_options is not supported")
	})
	c := newClient(t, s, newSecret(t))
	f := mustFail(t, collect(t, c.Stream(context.Background(), userTurn, Options{})))
	if f.Err.Class != chat.ErrBadRequest || len(s.requests()) != 2 {
		t.Errorf("class %s after %d requests; want bad_request after 2", f.Err.Class, len(s.requests()))
	}
}

func TestStreamErrorClasses(t *testing.T) {
	tests := []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request)
		class   chat.ErrorClass
		status  int
		inMsg   string // part of Message
		inHint  string // part of Hint
	}{
		{
			name: "invalid key",
			handler: func(w http.ResponseWriter, r *http.Request) {
				jsonError(w, 401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided.")
			},
			class: chat.ErrInvalidKey, status: 401, inMsg: "invalid API key", inHint: `vaultchat keys check work`,
		},
		{
			name: "no quota",
			handler: func(w http.ResponseWriter, r *http.Request) {
				jsonError(w, 429, "insufficient_quota", "insufficient_quota", "You exceeded your current quota.")
			},
			class: chat.ErrNoQuota, status: 429, inMsg: "no quota", inHint: "billing",
		},
		{
			name: "rate limited",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "12")
				jsonError(w, 429, "requests", "rate_limit_exceeded", "Rate limit reached for requests.")
			},
			class: chat.ErrRateLimited, status: 429, inMsg: "rate limited", inHint: "retry in 12s or switch key",
		},
		{
			name: "model not found",
			handler: func(w http.ResponseWriter, r *http.Request) {
				jsonError(w, 404, "invalid_request_error", "model_not_found", "The model `gpt-9` does not exist.")
			},
			class: chat.ErrModelNotFound, status: 404, inMsg: "model not found",
		},
		{
			name: "context too long",
			handler: func(w http.ResponseWriter, r *http.Request) {
				jsonError(w, 400, "invalid_request_error", "context_length_exceeded", "This model's maximum context length is 8192 tokens.")
			},
			class: chat.ErrContextTooLong, status: 400, inMsg: "context window",
		},
		{
			name: "bad request",
			handler: func(w http.ResponseWriter, r *http.Request) {
				jsonError(w, 400, "invalid_request_error", "", "Invalid value for 'temperature'.")
			},
			class: chat.ErrBadRequest, status: 400, inMsg: "temperature",
		},
		{
			name: "server error, not JSON",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "upstream exploded", http.StatusBadGateway)
			},
			class: chat.ErrServer, status: 502, inMsg: "upstream exploded",
		},
		{
			name: "error event before any text",
			handler: func(w http.ResponseWriter, r *http.Request) {
				startSSE(w)
				sseEvent(w, map[string]any{"error": map[string]any{"message": "The server had an error.", "type": "server_error"}})
			},
			class: chat.ErrServer, inMsg: "server error (reported in the stream): The server had an error.",
		},
		{
			name: "error event mid-stream",
			handler: func(w http.ResponseWriter, r *http.Request) {
				startSSE(w)
				sseText(w, "Half a rep")
				sseEvent(w, map[string]any{"error": map[string]any{"message": "The server had an error.", "type": "server_error"}})
			},
			class: chat.ErrServer, inMsg: "server error (reported mid-stream): The server had an error.",
		},
		{
			name: "dropped before [DONE]",
			handler: func(w http.ResponseWriter, r *http.Request) {
				startSSE(w)
				sseText(w, "Half a rep")
			},
			class: chat.ErrNetwork, inMsg: "connection dropped mid-reply",
		},
		{
			name: "connection cut",
			handler: func(w http.ResponseWriter, r *http.Request) {
				startSSE(w)
				sseText(w, "Half a rep")
				panic(http.ErrAbortHandler) // closes the connection without ending the body
			},
			class: chat.ErrNetwork, inMsg: "connection dropped mid-reply",
		},
		{
			name: "garbage",
			handler: func(w http.ResponseWriter, r *http.Request) {
				startSSE(w)
				w.Write([]byte("data: {not json\n\n"))
			},
			class: chat.ErrBadResponse, status: 200, inMsg: "malformed reply",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { tt.handler(w, r) })
			c := newClient(t, s, newSecret(t))
			evs := collect(t, c.Stream(context.Background(), userTurn, Options{MaxRetries: -1}))
			f := mustFail(t, evs)
			if f.Err.Class != tt.class || f.Err.Status != tt.status {
				t.Fatalf("error = %+v; want class %s status %d", f.Err, tt.class, tt.status)
			}
			if !strings.Contains(f.Err.Message, tt.inMsg) || !strings.Contains(f.Err.Hint, tt.inHint) {
				t.Errorf("message %q hint %q; want %q and %q in them", f.Err.Message, f.Err.Hint, tt.inMsg, tt.inHint)
			}
			if n := len(s.requests()); n != 1 {
				t.Errorf("%d requests with retries off", n)
			}
		})
	}
}

// TestStreamRefusedHereIsNotRetried: nothing listening on this machine
// is not worth retrying (the server is not started, waiting ~4s does
// not start it): the turn fails at once.
func TestStreamRefusedHereIsNotRetried(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {})
	c := newClient(t, s, newSecret(t))
	host := strings.TrimPrefix(s.URL, "http://")
	s.Close() // nothing listens there now
	sl := &fakeSleep{}
	evs := collect(t, c.Stream(context.Background(), userTurn, Options{Sleep: sl.Sleep, Jitter: noJitter}))
	f := mustFail(t, evs)
	if f.Err.Class != chat.ErrNetwork || !strings.Contains(f.Err.Message, "cannot reach "+host) || f.Err.Hint == "" {
		t.Fatalf("error = %+v", f.Err)
	}
	if got := sl.Waits(); len(got) != 0 {
		t.Errorf("connection refused on this machine was retried after %v", got)
	}
	if f.Usage != (chat.Usage{}) {
		t.Errorf("a request that never arrived reported usage %+v", f.Usage)
	}
}

// TestStreamRefusedHereGivesPresetHint: a local preset's unreachable
// server gets the preset's own hint, the one keys check and models give.
func TestStreamRefusedHereGivesPresetHint(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {})
	url := s.URL + "/v1"
	s.Close()
	c, err := New(Config{Provider: providers.Ollama, BaseURL: url, Secret: providers.NoKey, KeyName: "loc"})
	if err != nil {
		t.Fatal(err)
	}
	f := mustFail(t, collect(t, c.Stream(context.Background(), userTurn, Options{Sleep: (&fakeSleep{}).Sleep})))
	kind, _ := providers.Lookup(providers.Ollama)
	if want := kind.UnreachableHint("loc"); f.Err.Hint != want || !strings.Contains(want, `"ollama serve"`) {
		t.Errorf("hint %q; want %q", f.Err.Hint, want)
	}
}

// TestStreamDroppedConnectionIsRetried: a network error that is not a
// refusal on this machine (here the server hangs up before answering)
// is retried with backoff: 0.5s, 1s, 2s.
func TestStreamDroppedConnectionIsRetried(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	c := newClient(t, s, newSecret(t))
	sl := &fakeSleep{}
	f := mustFail(t, collect(t, c.Stream(context.Background(), userTurn, Options{Sleep: sl.Sleep, Jitter: noJitter})))
	if f.Err.Class != chat.ErrNetwork {
		t.Fatalf("error = %+v", f.Err)
	}
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}
	if got := sl.Waits(); !equalDurations(got, want) {
		t.Errorf("waits = %v; want %v", got, want)
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter func() string
		want       time.Duration
	}{
		{"seconds", func() string { return "7" }, 7 * time.Second},
		{"http date", func() string { return time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat) }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if n <= 2 {
					w.Header().Set("Retry-After", tt.retryAfter())
					jsonError(w, 429, "requests", "rate_limit_exceeded", "Rate limit reached.")
					return
				}
				sseReply(w, "finally")
			})
			c := newClient(t, s, newSecret(t))
			sl := &fakeSleep{}
			evs := collect(t, c.Stream(context.Background(), userTurn, Options{Sleep: sl.Sleep, Jitter: noJitter}))
			rs := retryings(evs)
			if tt.want == 0 {
				// An HTTP date 90s away is beyond maxRetryWait: no retry,
				// and the hint says when to come back.
				f := mustFail(t, evs)
				if len(rs) != 0 || len(sl.Waits()) != 0 || f.Err.Class != chat.ErrRateLimited {
					t.Fatalf("retried %v / %v; err %+v", rs, sl.Waits(), f.Err)
				}
				if f.Err.RetryAfter < 80*time.Second || f.Err.RetryAfter > 90*time.Second || !strings.Contains(f.Err.Hint, "retry in") {
					t.Errorf("retry after %s, hint %q", f.Err.RetryAfter, f.Err.Hint)
				}
				return
			}
			mustDone(t, evs)
			if got := sl.Waits(); !equalDurations(got, []time.Duration{tt.want, tt.want}) {
				t.Errorf("waits = %v", got)
			}
			if len(rs) != 2 || rs[0].Attempt != 1 || rs[1].Attempt != 2 || rs[0].Wait != tt.want || rs[0].Err.Class != chat.ErrRateLimited {
				t.Errorf("retrying events = %+v", rs)
			}
			if textOf(evs) != "finally" || len(s.requests()) != 3 {
				t.Errorf("text %q after %d requests", textOf(evs), len(s.requests()))
			}
		})
	}
}

func TestRetryBackoffThenGiveUp(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		http.Error(w, "try later", http.StatusServiceUnavailable)
	})
	c := newClient(t, s, newSecret(t))
	sl := &fakeSleep{}
	jitterCalls := 0
	evs := collect(t, c.Stream(context.Background(), userTurn, Options{
		Sleep:  sl.Sleep,
		Jitter: func(d time.Duration) time.Duration { jitterCalls++; return d + time.Millisecond },
	}))
	f := mustFail(t, evs)
	want := []time.Duration{501 * time.Millisecond, 1001 * time.Millisecond, 2001 * time.Millisecond}
	if got := sl.Waits(); !equalDurations(got, want) || jitterCalls != 3 {
		t.Errorf("waits = %v (jitter called %d times); want %v", got, jitterCalls, want)
	}
	if f.Err.Class != chat.ErrServer || len(s.requests()) != 4 || len(retryings(evs)) != 3 {
		t.Errorf("err %+v after %d requests and %d retryings", f.Err, len(s.requests()), len(retryings(evs)))
	}
	for i, r := range retryings(evs) {
		if r.Wait != want[i] {
			t.Errorf("retrying %d says wait %s; slept %s", i+1, r.Wait, want[i])
		}
	}
}

func TestRetryNotForQuotaOrAuth(t *testing.T) {
	for _, status := range []int{401, 429} {
		s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			w.Header().Set("Retry-After", "1")
			jsonError(w, status, "insufficient_quota", "insufficient_quota", "You exceeded your current quota.")
		})
		c := newClient(t, s, newSecret(t))
		sl := &fakeSleep{}
		f := mustFail(t, collect(t, c.Stream(context.Background(), userTurn, Options{Sleep: sl.Sleep})))
		if len(s.requests()) != 1 || len(sl.Waits()) != 0 || f.Err.Retryable() {
			t.Errorf("HTTP %d: %d requests, waits %v, err %+v", status, len(s.requests()), sl.Waits(), f.Err)
		}
	}
}

func TestRetryDisabled(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	c := newClient(t, s, newSecret(t))
	sl := &fakeSleep{}
	mustFail(t, collect(t, c.Stream(context.Background(), userTurn, Options{MaxRetries: -1, Sleep: sl.Sleep})))
	if len(s.requests()) != 1 || len(sl.Waits()) != 0 {
		t.Errorf("%d requests, waits %v", len(s.requests()), sl.Waits())
	}
}

func TestRetryWhenStreamDropsBeforeAnyText(t *testing.T) {
	for _, cut := range []bool{false, true} {
		s := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				startSSE(w) // answers 200, then hangs up before any text
				sseEvent(w, choiceChunk("", ""))
				if cut {
					panic(http.ErrAbortHandler)
				}
				return
			}
			sseReply(w, "second try")
		})
		c := newClient(t, s, newSecret(t))
		sl := &fakeSleep{}
		evs := collect(t, c.Stream(context.Background(), userTurn, Options{Sleep: sl.Sleep, Jitter: noJitter}))
		mustDone(t, evs)
		rs := retryings(evs)
		if textOf(evs) != "second try" || len(s.requests()) != 2 || len(rs) != 1 || rs[0].Err.Class != chat.ErrNetwork {
			t.Errorf("cut=%v: text %q, %d requests, retryings %+v", cut, textOf(evs), len(s.requests()), rs)
		}
	}
}

func TestNoRetryAfterFirstToken(t *testing.T) {
	tests := []struct {
		name string
		end  func(w http.ResponseWriter)
	}{
		{"error event", func(w http.ResponseWriter) {
			sseEvent(w, map[string]any{"error": map[string]any{"message": "overloaded", "type": "server_error"}})
		}},
		{"hang up", func(w http.ResponseWriter) {}},
		{"connection cut", func(w http.ResponseWriter) { panic(http.ErrAbortHandler) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				startSSE(w)
				sseText(w, "The answer ")
				sseText(w, "is ")
				tt.end(w)
			})
			c := newClient(t, s, newSecret(t))
			sl := &fakeSleep{}
			evs := collect(t, c.Stream(context.Background(), userTurn, Options{Sleep: sl.Sleep}))
			f := mustFail(t, evs)
			if len(s.requests()) != 1 || len(sl.Waits()) != 0 || len(retryings(evs)) != 0 {
				t.Fatalf("retried after text: %d requests", len(s.requests()))
			}
			if !f.Err.Retryable() {
				t.Errorf("class %s: the test should use a retryable failure", f.Err.Class)
			}
			if got := textOf(evs); got != "The answer is " {
				t.Errorf("partial text %q", got)
			}
			if !f.Usage.Estimated || f.Usage.CompletionTokens != int64(tokens.Count(userTurn.Model, "The answer is ")) || f.Usage.PromptTokens == 0 {
				t.Errorf("usage of the failed turn = %+v", f.Usage)
			}
		})
	}
}

func TestCancelMidStream(t *testing.T) {
	handlerSawCancel := make(chan struct{})
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		startSSE(w)
		sseText(w, "Once upon a time, ")
		<-r.Context().Done() // a model that is thinking
		close(handlerSawCancel)
	})
	c := newClient(t, s, newSecret(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := c.Stream(ctx, userTurn, Options{})
	first, ok := <-ch
	if d, isDelta := first.(chat.Delta); !ok || !isDelta || d.Text != "Once upon a time, " {
		t.Fatalf("first event = %+v", first)
	}
	cancel()
	evs := append([]chat.Event{first}, collect(t, ch)...)
	f := mustFail(t, evs)
	if f.Err.Class != chat.ErrCanceled {
		t.Fatalf("err = %+v; want canceled", f.Err)
	}
	if !f.Usage.Estimated || f.Usage.PromptTokens == 0 || f.Usage.CompletionTokens == 0 {
		t.Errorf("canceled turn usage = %+v; want an estimate", f.Usage)
	}
	select {
	case <-handlerSawCancel:
	case <-time.After(30 * time.Second):
		t.Fatal("the server never saw the request end")
	}
}

func TestCancelWhileWaitingForRetry(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
	})
	c := newClient(t, s, newSecret(t))
	ctx, cancel := context.WithCancel(context.Background())
	sleepCalled := 0
	opts := Options{Sleep: func(ctx context.Context, d time.Duration) error {
		sleepCalled++
		cancel() // the user gives up during the countdown
		return ctx.Err()
	}}
	f := mustFail(t, collect(t, c.Stream(ctx, userTurn, opts)))
	if f.Err.Class != chat.ErrCanceled || sleepCalled != 1 || len(s.requests()) != 1 {
		t.Errorf("err %+v after %d sleeps and %d requests", f.Err, sleepCalled, len(s.requests()))
	}
	if f.Usage != (chat.Usage{}) {
		t.Errorf("usage %+v for requests the server refused", f.Usage)
	}
}

// TestStreamNeverBlocksOnAStoppedConsumer checks the channel contract: a
// consumer that stops reading, whether or not it canceled, does not keep
// the turn's goroutine alive, and the final event is still there.
func TestStreamNeverBlocksOnAStoppedConsumer(t *testing.T) {
	for _, cancelFirst := range []bool{false, true} {
		for _, retries := range []int{-1, 0, 2} {
			pieces := make([]string, 200)
			for i := range pieces {
				pieces[i] = "tok" + string(rune('a'+i%26)) + " "
			}
			s := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if n == 1 && retries > 0 {
					http.Error(w, "busy", http.StatusServiceUnavailable)
					return
				}
				sseReply(w, pieces...)
			})
			c := newClient(t, s, newSecret(t))
			exited := make(chan struct{})
			c.turnExited = func() { close(exited) }
			ctx, cancel := context.WithCancel(context.Background())
			sl := &fakeSleep{}
			ch := c.Stream(ctx, userTurn, Options{Coalesce: time.Nanosecond, MaxRetries: retries, Sleep: sl.Sleep})
			if cancelFirst {
				cancel()
			}
			select {
			case <-exited:
			case <-time.After(30 * time.Second):
				t.Fatalf("cancel=%v retries=%d: the turn's goroutine is stuck on a consumer that stopped reading", cancelFirst, retries)
			}
			cancel()
			evs := collect(t, ch)
			checkShape(t, evs)
			if !cancelFirst {
				mustDone(t, evs)
				if textOf(evs) != strings.Join(pieces, "") {
					t.Errorf("text lost: got %d bytes", len(textOf(evs)))
				}
			}
		}
	}
}

func TestEscapeSequenceSplitAcrossChunks(t *testing.T) {
	payload := "Copy this: \x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07 done \x1b[2J\x9b31m"
	var pieces []string
	for i := 0; i < len(payload); i += 3 {
		pieces = append(pieces, payload[i:min(i+3, len(payload))])
	}
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { sseReply(w, pieces...) })
	c := newClient(t, s, newSecret(t))
	evs := collect(t, c.Stream(context.Background(), userTurn, Options{Coalesce: time.Nanosecond}))
	mustDone(t, evs)
	got := textOf(evs)
	for _, bad := range []string{"\x1b", "\x07", "\u009b"} {
		if strings.Contains(got, bad) {
			t.Fatalf("reply text holds %q raw: %q", bad, got)
		}
	}
	if !strings.Contains(got, "Copy this: ") || !strings.Contains(got, " done ") {
		t.Errorf("ordinary text lost: %q", got)
	}
}

// TestStreamCompleteWithoutDone: a reply that reached its finish reason
// is complete even if the server hangs up before [DONE].
func TestStreamCompleteWithoutDone(t *testing.T) {
	for _, cut := range []bool{false, true} {
		s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			startSSE(w)
			sseText(w, "All of it.")
			sseFinish(w, "length")
			if cut {
				panic(http.ErrAbortHandler)
			}
		})
		c := newClient(t, s, newSecret(t))
		evs := collect(t, c.Stream(context.Background(), userTurn, Options{}))
		d := mustDone(t, evs)
		if d.FinishReason != "length" || textOf(evs) != "All of it." || !d.Usage.Estimated {
			t.Errorf("cut=%v: %+v, text %q", cut, d, textOf(evs))
		}
	}
}

func TestStreamWithCanceledContextSendsNothing(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { sseReply(w, "no") })
	c := newClient(t, s, newSecret(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := mustFail(t, collect(t, c.Stream(ctx, userTurn, Options{})))
	if f.Err.Class != chat.ErrCanceled || f.Usage != (chat.Usage{}) || len(s.requests()) != 0 {
		t.Errorf("err %+v usage %+v after %d requests", f.Err, f.Usage, len(s.requests()))
	}
}
