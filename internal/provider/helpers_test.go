package provider

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/redact"

	"github.com/vaultchat/vaultchat/internal/providers"
)

// newSecret returns a fresh fake key; nothing that looks like a real key
// is stored in the tests.
func newSecret(t testing.TB) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "sk-proj-CANARY" + hex.EncodeToString(b)
}

// seen is one request as the test server received it.
type seen struct {
	Method, Path, Query string
	Header              http.Header
	Body                map[string]any
}

// server is an httptest server on 127.0.0.1 that records every request
// before passing it to the test's handler. n counts requests from 1.
type server struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func newServer(t testing.TB, h func(w http.ResponseWriter, r *http.Request, n int)) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		s.mu.Lock()
		s.reqs = append(s.reqs, seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body})
		n := len(s.reqs)
		s.mu.Unlock()
		h(w, r, n)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) requests() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.reqs...)
}

// newClient returns a Client for s with the given secret, named "work".
func newClient(t testing.TB, s *server, secret string) *Client {
	t.Helper()
	c, err := New(Config{
		Provider: providers.OpenAICompatible,
		BaseURL:  s.URL + "/v1",
		Secret:   secret,
		KeyName:  "work",
		Redactor: redact.New(secret),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// SSE writers. Each event is flushed at once, like a real server.

func startSSE(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
}

func sseEvent(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	fmt.Fprintf(w, "data: %s\n\n", b)
	w.(http.Flusher).Flush()
}

func choiceChunk(content, finish string) map[string]any {
	var fr any
	if finish != "" {
		fr = finish
	}
	return map[string]any{
		"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
		"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": content}, "finish_reason": fr}},
	}
}

func sseText(w http.ResponseWriter, text string) { sseEvent(w, choiceChunk(text, "")) }

func sseFinish(w http.ResponseWriter, reason string) { sseEvent(w, choiceChunk("", reason)) }

func sseUsage(w http.ResponseWriter, prompt, cached, completion, reasoning int) {
	sseEvent(w, map[string]any{
		"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
		"choices": []any{},
		"usage": map[string]any{
			"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
			"prompt_tokens_details":     map[string]any{"cached_tokens": cached},
			"completion_tokens_details": map[string]any{"reasoning_tokens": reasoning},
		},
	})
}

func sseDone(w http.ResponseWriter) {
	fmt.Fprint(w, "data: [DONE]\n\n")
	w.(http.Flusher).Flush()
}

// sseReply streams text in the given pieces, then a finish reason and
// [DONE].
func sseReply(w http.ResponseWriter, pieces ...string) {
	startSSE(w)
	for _, p := range pieces {
		sseText(w, p)
	}
	sseFinish(w, "stop")
	sseDone(w)
}

func jsonError(w http.ResponseWriter, status int, typ, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": message, "type": typ, "code": code}})
}

// collect reads every event until the channel closes. The deadline only
// turns a hung turn into a test failure.
func collect(t testing.TB, ch <-chan chat.Event) []chat.Event {
	t.Helper()
	var evs []chat.Event
	guard := time.NewTimer(30 * time.Second)
	defer guard.Stop()
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return evs
			}
			evs = append(evs, ev)
		case <-guard.C:
			t.Fatalf("turn did not end; events so far: %+v", evs)
		}
	}
}

// checkShape fails unless evs is Deltas, Retryings and Warnings followed
// by exactly one Done or Failed.
func checkShape(t testing.TB, evs []chat.Event) {
	t.Helper()
	if len(evs) == 0 {
		t.Fatal("no events")
	}
	for i, ev := range evs {
		switch ev.(type) {
		case chat.Done, chat.Failed:
			if i != len(evs)-1 {
				t.Fatalf("final event %T at %d of %d", ev, i, len(evs))
			}
		case chat.Delta, chat.Retrying, chat.Warning:
			if i == len(evs)-1 {
				t.Fatalf("last event is %T, want Done or Failed", ev)
			}
		default:
			t.Fatalf("unexpected event %T", ev)
		}
	}
}

func textOf(evs []chat.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		if d, ok := ev.(chat.Delta); ok {
			b.WriteString(d.Text)
		}
	}
	return b.String()
}

func deltas(evs []chat.Event) int {
	n := 0
	for _, ev := range evs {
		if _, ok := ev.(chat.Delta); ok {
			n++
		}
	}
	return n
}

func retryings(evs []chat.Event) []chat.Retrying {
	var rs []chat.Retrying
	for _, ev := range evs {
		if r, ok := ev.(chat.Retrying); ok {
			rs = append(rs, r)
		}
	}
	return rs
}

func mustDone(t testing.TB, evs []chat.Event) chat.Done {
	t.Helper()
	checkShape(t, evs)
	d, ok := evs[len(evs)-1].(chat.Done)
	if !ok {
		t.Fatalf("turn ended with %+v, want Done", evs[len(evs)-1])
	}
	return d
}

func mustFail(t testing.TB, evs []chat.Event) chat.Failed {
	t.Helper()
	checkShape(t, evs)
	f, ok := evs[len(evs)-1].(chat.Failed)
	if !ok {
		t.Fatalf("turn ended with %+v, want Failed", evs[len(evs)-1])
	}
	if f.Err == nil {
		t.Fatal("Failed without an error")
	}
	return f
}

// fakeSleep records the waits asked for and returns at once.
type fakeSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (f *fakeSleep) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.waits = append(f.waits, d)
	f.mu.Unlock()
	return ctx.Err()
}

func (f *fakeSleep) Waits() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.waits...)
}

func noJitter(d time.Duration) time.Duration { return d }

var userTurn = Request{
	Model: "gpt-4o-mini",
	Messages: []chat.Message{
		{Role: chat.RoleSystem, Content: "You are terse."},
		{Role: chat.RoleUser, Content: "Say hello."},
	},
}
