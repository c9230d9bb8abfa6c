package sim

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeKey returns a key-shaped test secret, different on every run.
func fakeKey(t *testing.T) string {
	t.Helper()
	return "sk-proj-CANARY" + strings.ToUpper(rand.Text())
}

// start runs a simulator on a random loopback port for the test.
func start(t *testing.T, opts Options) (*Server, string) {
	t.Helper()
	s := New(opts)
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s, base
}

type msg struct {
	Role    string `json:"role"`
	Content any    `json:"content"`
}

// chatBody returns a chat request body. streamOptions is nil for none.
func chatBody(model string, stream bool, streamOptions any, msgs ...msg) map[string]any {
	b := map[string]any{"model": model, "messages": msgs}
	if stream {
		b["stream"] = true
	}
	if streamOptions != nil {
		b["stream_options"] = streamOptions
	}
	return b
}

var includeUsage = map[string]any{"include_usage": true}

// do sends a request and returns the response with its whole body. It is
// safe to call from any goroutine.
func do(ctx context.Context, method, url string, body any, header http.Header) (*http.Response, []byte, error) {
	var rd io.Reader
	if raw, ok := body.([]byte); ok {
		rd = bytes.NewReader(raw)
	} else if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, nil, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp, data, err
}

// post sends a chat request and fails the test on transport errors.
func post(t *testing.T, url string, body any, header http.Header) (*http.Response, []byte) {
	t.Helper()
	resp, data, err := do(context.Background(), http.MethodPost, url, body, header)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	return resp, data
}

func bearer(key string) http.Header { return http.Header{"Authorization": {"Bearer " + key}} }

// parseSSE checks that body is exactly a sequence of "data: ...\n\n"
// events ending with "data: [DONE]\n\n" and returns the JSON payloads.
func parseSSE(t *testing.T, body []byte) []string {
	t.Helper()
	text := string(body)
	if !strings.HasSuffix(text, "data: [DONE]\n\n") {
		t.Fatalf("stream does not end with data: [DONE]: ...%q", text[max(0, len(text)-80):])
	}
	events := strings.Split(strings.TrimSuffix(text, "\n\n"), "\n\n")
	if events[len(events)-1] != "data: [DONE]" {
		t.Fatalf("last event is %q", events[len(events)-1])
	}
	var out []string
	for _, e := range events[:len(events)-1] {
		payload, ok := strings.CutPrefix(e, "data: ")
		if !ok || strings.Contains(payload, "\n") || !json.Valid([]byte(payload)) {
			t.Fatalf("malformed event %q", e)
		}
		out = append(out, payload)
	}
	return out
}

type testChunk struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Role    *string `json:"role"`
			Content *string `json:"content"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *usage `json:"usage"`
}

// streamResult is a parsed stream.
type streamResult struct {
	raw     []string // payloads as sent
	chunks  []testChunk
	pieces  []string // content of each content chunk
	content string
	usage   *usage
	finish  string
}

func parseStream(t *testing.T, body []byte) streamResult {
	t.Helper()
	var r streamResult
	r.raw = parseSSE(t, body)
	for _, p := range r.raw {
		var c testChunk
		if err := json.Unmarshal([]byte(p), &c); err != nil {
			t.Fatal(err)
		}
		r.chunks = append(r.chunks, c)
		if c.Usage != nil {
			r.usage = c.Usage
		}
		for _, ch := range c.Choices {
			if ch.Delta.Content != nil && *ch.Delta.Content != "" {
				r.pieces = append(r.pieces, *ch.Delta.Content)
			}
			if ch.FinishReason != nil {
				r.finish = *ch.FinishReason
			}
		}
	}
	r.content = strings.Join(r.pieces, "")
	return r
}

func TestStreamFraming(t *testing.T) {
	_, base := start(t, Options{})
	resp, body := post(t, base+"/chat/completions",
		chatBody("sim-fast", true, includeUsage, msg{"user", "hello there"}), bearer(fakeKey(t)))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Errorf("Content-Type = %q", ct)
	}
	r := parseStream(t, body)
	if len(r.chunks) < 10 {
		t.Fatalf("only %d events; the reply should come in many small chunks", len(r.chunks))
	}
	first := r.chunks[0]
	if len(first.Choices) != 1 || first.Choices[0].Delta.Role == nil || *first.Choices[0].Delta.Role != "assistant" ||
		first.Choices[0].Delta.Content == nil || *first.Choices[0].Delta.Content != "" {
		t.Errorf("first event is not the role chunk: %s", r.raw[0])
	}
	n := len(r.chunks)
	final, last := r.chunks[n-2], r.chunks[n-1]
	if len(final.Choices) != 1 || final.Choices[0].FinishReason == nil || *final.Choices[0].FinishReason != "stop" ||
		final.Choices[0].Delta.Content != nil || final.Choices[0].Delta.Role != nil {
		t.Errorf("second to last event is not the finish chunk: %s", r.raw[n-2])
	}
	if !strings.Contains(r.raw[n-1], `"choices":[]`) || last.Usage == nil {
		t.Errorf("last event is not a usage chunk with empty choices: %s", r.raw[n-1])
	}
	for i, c := range r.chunks {
		if c.Object != "chat.completion.chunk" || c.Model != "sim-fast" || c.ID != first.ID {
			t.Errorf("event %d has object %q model %q id %q", i, c.Object, c.Model, c.ID)
		}
		if i < n-1 && !strings.Contains(r.raw[i], `"usage":null`) {
			t.Errorf("event %d lacks \"usage\":null although usage was asked for: %s", i, r.raw[i])
		}
		if i > 0 && i < n-2 && (len(c.Choices) != 1 || c.Choices[0].FinishReason != nil) {
			t.Errorf("content event %d is malformed: %s", i, r.raw[i])
		}
	}
	for _, p := range r.pieces {
		if len(strings.Fields(p)) > 3 {
			t.Errorf("chunk %q has more than a few words", p)
		}
	}
	if r.usage.TotalTokens != r.usage.PromptTokens+r.usage.CompletionTokens || r.usage.CompletionTokens != countTokens(r.content) {
		t.Errorf("usage %+v does not add up for a reply of %d tokens", *r.usage, countTokens(r.content))
	}
}

func TestUsageChunkOnlyWhenAsked(t *testing.T) {
	_, base := start(t, Options{})
	tests := []struct {
		name          string
		streamOptions any
		wantUsage     bool
	}{
		{"no stream_options", nil, false},
		{"include_usage false", map[string]any{"include_usage": false}, false},
		{"include_usage true", includeUsage, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := post(t, base+"/chat/completions", chatBody("gpt-4o-mini", true, tc.streamOptions, msg{"user", "hi"}), nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			r := parseStream(t, body)
			if got := r.usage != nil; got != tc.wantUsage {
				t.Fatalf("usage chunk present = %v, want %v", got, tc.wantUsage)
			}
			if !tc.wantUsage && bytes.Contains(body, []byte(`"usage"`)) {
				t.Errorf("stream mentions usage although it was not asked for")
			}
			emptyChoices := 0
			for _, raw := range r.raw {
				if strings.Contains(raw, `"choices":[]`) {
					emptyChoices++
				}
			}
			if want := map[bool]int{true: 1, false: 0}[tc.wantUsage]; emptyChoices != want {
				t.Errorf("%d events with empty choices, want %d", emptyChoices, want)
			}
		})
	}
}

func TestContextQuote(t *testing.T) {
	_, base := start(t, Options{})
	tests := []struct {
		name string
		msgs []msg
		want []string
	}{
		{
			name: "two turns with a system prompt",
			msgs: []msg{
				{"system", "You are a terse pirate."},
				{"user", "What is the capital of France?"},
				{"assistant", "Paris."},
				{"user", "And of Italy?"},
			},
			want: []string{"turn 2", `"And of Italy?"`, `"What is the capital of France?"`, `"You are a terse pirate."`, "Messages: 4"},
		},
		{
			name: "first turn without a system prompt",
			msgs: []msg{{"user", "Hello, simulator."}},
			want: []string{"turn 1", `"Hello, simulator."`, "this is the first turn", "none was sent"},
		},
		{
			name: "content as parts",
			msgs: []msg{{"user", []map[string]string{{"type": "text", "text": "Describe"}, {"type": "text", "text": "this picture"}}}},
			want: []string{"turn 1", `"Describe this picture"`},
		},
		{
			name: "three turns quotes the last two",
			msgs: []msg{{"user", "one"}, {"assistant", "a"}, {"user", "two"}, {"assistant", "b"}, {"user", "three"}},
			want: []string{"turn 3", `"three"`, `"two"`},
		},
	}
	for _, tc := range tests {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s stream=%v", tc.name, stream), func(t *testing.T) {
				resp, body := post(t, base+"/chat/completions", chatBody("sim-smart", stream, nil, tc.msgs...), nil)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d: %s", resp.StatusCode, body)
				}
				content := replyContent(t, body, stream)
				for _, w := range tc.want {
					if !strings.Contains(content, w) {
						t.Errorf("reply lacks %q:\n%s", w, content)
					}
				}
				for _, md := range []string{"## Simulated reply", "\n### ", "\n- ", "\n1. ", "\n|---:|", "\n```go\n"} {
					if !strings.Contains(content, md) {
						t.Errorf("reply lacks markdown %q", md)
					}
				}
			})
		}
	}
}

// replyContent returns the reply text of a streamed or plain response.
func replyContent(t *testing.T, body []byte, stream bool) string {
	t.Helper()
	if stream {
		return parseStream(t, body).content
	}
	var c completion
	if err := json.Unmarshal(body, &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Choices) != 1 {
		t.Fatalf("%d choices", len(c.Choices))
	}
	return c.Choices[0].Message.Content
}

func TestRepliesAreDeterministic(t *testing.T) {
	_, base := start(t, Options{})
	body := chatBody("sim-fast", true, includeUsage, msg{"user", "same question"})
	_, first := post(t, base+"/chat/completions", body, nil)
	_, second := post(t, base+"/chat/completions", body, nil)
	a, b := parseStream(t, first), parseStream(t, second)
	if !slices.Equal(a.pieces, b.pieces) || *a.usage != *b.usage {
		t.Errorf("two identical requests got different replies")
	}
}

func TestNonStreaming(t *testing.T) {
	_, base := start(t, Options{})
	resp, body := post(t, base+"/chat/completions", chatBody("gpt-4o", false, nil,
		msg{"user", "first question"}, msg{"assistant", "first answer"}, msg{"user", "second question"}), nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, type %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var c completion
	if err := json.Unmarshal(body, &c); err != nil {
		t.Fatal(err)
	}
	if c.Object != "chat.completion" || c.Model != "gpt-4o" || len(c.Choices) != 1 ||
		c.Choices[0].Message.Role != "assistant" || c.Choices[0].FinishReason != "stop" {
		t.Fatalf("unexpected completion: %s", body)
	}
	if !strings.Contains(c.Choices[0].Message.Content, "turn 2") || !strings.Contains(c.Choices[0].Message.Content, "Streaming: no") {
		t.Errorf("content does not describe the request:\n%s", c.Choices[0].Message.Content)
	}
	u := c.Usage
	if u == nil || u.PromptTokens <= 0 || u.CompletionTokens != countTokens(c.Choices[0].Message.Content) ||
		u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Fatalf("bad usage: %s", body)
	}
	if cached := u.PromptTokensDetails.CachedTokens; cached <= 0 || cached >= u.PromptTokens {
		t.Errorf("turn 2 reports %d cached of %d prompt tokens", cached, u.PromptTokens)
	}
}

func TestCachedTokensOnlyOnLaterTurns(t *testing.T) {
	one := countUsage([]Message{{"system", "be brief"}, {"user", "hi"}}, "hello")
	if one.PromptTokensDetails.CachedTokens != 0 {
		t.Errorf("turn 1 reports %d cached tokens", one.PromptTokensDetails.CachedTokens)
	}
	two := countUsage([]Message{{"system", "be brief"}, {"user", "hi"}, {"assistant", "hello"}, {"user", "again"}}, "x")
	prefix := countUsage([]Message{{"system", "be brief"}, {"user", "hi"}, {"assistant", "hello"}}, "")
	if got := two.PromptTokensDetails.CachedTokens; got != prefix.PromptTokens {
		t.Errorf("turn 2 reports %d cached tokens, want the %d tokens before the last user message", got, prefix.PromptTokens)
	}
}

func TestModels(t *testing.T) {
	key := fakeKey(t)
	_, base := start(t, Options{Keys: []string{key}})
	resp, body, err := do(context.Background(), http.MethodGet, base+"/models", nil, bearer(key))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /models: %v %v %s", err, resp, body)
	}
	var list modelList
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range list.Data {
		if m.Object != "model" || m.OwnedBy == "" {
			t.Errorf("malformed model %+v", m)
		}
		ids = append(ids, m.ID)
	}
	for _, want := range slices.Concat([]string{"sim-fast", "sim-smart", "gpt-4o-mini", "gpt-4o"}, Faults) {
		if !slices.Contains(ids, want) {
			t.Errorf("models list lacks %q: %v", want, ids)
		}
	}
	for model, status := range map[string]int{"gpt-4o": 200, "o3-mini": 200, "sim-500": 200, "llama-3": 404} {
		resp, _, err := do(context.Background(), http.MethodGet, base+"/models/"+model, nil, bearer(key))
		if err != nil || resp.StatusCode != status {
			t.Errorf("GET /models/%s: %v status %v, want %d", model, err, resp.StatusCode, status)
		}
	}
	if resp, _, _ := do(context.Background(), http.MethodGet, base+"/models", nil, bearer("sk-wrong")); resp.StatusCode != 401 {
		t.Errorf("GET /models with a wrong key: status %d, want 401", resp.StatusCode)
	}
}

// apiErr decodes an OpenAI error body.
func apiErr(t *testing.T, body []byte) (code, typ, message string) {
	t.Helper()
	var e struct {
		Error struct {
			Message string  `json:"message"`
			Type    string  `json:"type"`
			Code    *string `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body is not OpenAI-shaped: %v: %s", err, body)
	}
	if e.Error.Code != nil {
		code = *e.Error.Code
	}
	return code, e.Error.Type, e.Error.Message
}

func TestErrorFaults(t *testing.T) {
	_, base := start(t, Options{})
	tests := []struct {
		model      string
		status     int
		code       string
		retryAfter string
	}{
		{Fault401, 401, "invalid_api_key", ""},
		{FaultQuota, 429, "insufficient_quota", ""},
		{Fault429, 429, "rate_limit_exceeded", "2"},
		{Fault500, 500, "", ""},
		{Fault404, 404, "model_not_found", ""},
		{FaultContext, 400, "context_length_exceeded", ""},
		{FaultEchoAuthError, 400, "invalid_authorization_header", ""},
		{"no-such-model", 404, "model_not_found", ""},
	}
	for _, tc := range tests {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s stream=%v", tc.model, stream), func(t *testing.T) {
				// Repeat: the fault is permanent, unlike sim-flaky.
				for range 2 {
					resp, body := post(t, base+"/chat/completions", chatBody(tc.model, stream, nil, msg{"user", "hi"}), nil)
					if resp.StatusCode != tc.status {
						t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
					}
					if code, _, _ := apiErr(t, body); code != tc.code {
						t.Errorf("code %q, want %q", code, tc.code)
					}
					if got := resp.Header.Get("Retry-After"); got != tc.retryAfter {
						t.Errorf("Retry-After %q, want %q", got, tc.retryAfter)
					}
					if tc.model == Fault429 && resp.Header.Get("x-ratelimit-remaining-requests") != "0" {
						t.Errorf("x-ratelimit-remaining-requests = %q, want 0", resp.Header.Get("x-ratelimit-remaining-requests"))
					}
				}
			})
		}
	}
}

func TestFlaky(t *testing.T) {
	_, base := start(t, Options{})
	oneTurn := chatBody(FaultFlaky, true, nil, msg{"user", "flaky question"})
	resp, body := post(t, base+"/chat/completions", oneTurn, nil)
	if resp.StatusCode != 500 {
		t.Fatalf("first attempt of turn 1: status %d, want 500: %s", resp.StatusCode, body)
	}
	resp, body = post(t, base+"/chat/completions", oneTurn, nil)
	if resp.StatusCode != 200 || !strings.Contains(parseStream(t, body).content, "turn 1") {
		t.Fatalf("retry of turn 1: status %d: %s", resp.StatusCode, body)
	}
	twoTurns := chatBody(FaultFlaky, false, nil, msg{"user", "flaky question"}, msg{"assistant", "ok"}, msg{"user", "next"})
	resp, body = post(t, base+"/chat/completions", twoTurns, nil)
	if code, _, _ := apiErr(t, body); resp.StatusCode != 429 || code != "rate_limit_exceeded" || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("first attempt of turn 2: status %d Retry-After %q: %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	resp, body = post(t, base+"/chat/completions", twoTurns, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("retry of turn 2: status %d: %s", resp.StatusCode, body)
	}
}

func TestKeysAndKeyFaults(t *testing.T) {
	good, quota, revoked := fakeKey(t), fakeKey(t), fakeKey(t)
	s, base := start(t, Options{
		Keys:      []string{good, quota, revoked},
		KeyFaults: map[string]string{quota: FaultQuota, revoked: Fault401},
	})
	tests := []struct {
		name   string
		header http.Header
		status int
		code   string
	}{
		{"good key", bearer(good), 200, ""},
		{"lowercase bearer", http.Header{"Authorization": {"bearer " + good}}, 200, ""},
		{"no key", nil, 401, "invalid_api_key"},
		{"unknown key", bearer(fakeKey(t)), 401, "invalid_api_key"},
		{"key with quota fault", bearer(quota), 429, "insufficient_quota"},
		{"key with 401 fault", bearer(revoked), 401, "invalid_api_key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := post(t, base+"/chat/completions", chatBody("sim-fast", false, nil, msg{"user", "hi"}), tc.header)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if tc.status != 200 {
				if code, _, msg := apiErr(t, body); code != tc.code || strings.Contains(msg, "CANARY") {
					t.Errorf("code %q (want %q), message %q", code, tc.code, msg)
				}
			}
		})
	}
	reqs := s.Requests()
	if len(reqs) != len(tests) {
		t.Fatalf("%d requests logged, want %d", len(reqs), len(tests))
	}
	if r := reqs[0]; !r.Auth || r.APIKey != good || r.Model != "sim-fast" || r.Outcome != "ok" || r.Status != 200 {
		t.Errorf("first request logged as %v", r)
	}
	if r := reqs[2]; r.Auth || r.APIKey != "" || r.Outcome != "error" || r.Status != 401 {
		t.Errorf("request without a key logged as %v", r)
	}
	if r := reqs[4]; r.Fault != FaultQuota {
		t.Errorf("key fault logged as %q", r.Fault)
	}
	for _, r := range reqs {
		if strings.Contains(r.String(), "CANARY") || strings.Contains(fmt.Sprintf("%v %+v", r, r), "CANARY") {
			t.Errorf("Request formatting shows the key: %v", r)
		}
	}
}

func TestRequestLog(t *testing.T) {
	s, base := start(t, Options{})
	post(t, base+"/chat/completions", chatBody("sim-fast", true, includeUsage,
		msg{"system", "sys"}, msg{"user", "question"}), bearer("sk-test"))
	reqs := s.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests logged", len(reqs))
	}
	r := reqs[0]
	want := []Message{{"system", "sys"}, {"user", "question"}}
	if r.Method != "POST" || r.Path != "/v1/chat/completions" || r.Model != "sim-fast" || !slices.Equal(r.Messages, want) ||
		!r.Stream || !r.StreamOptions || !r.IncludeUsage || !r.Auth || r.Outcome != "ok" || r.Chunks < 10 {
		t.Errorf("logged %v with messages %v", r, r.Messages)
	}
	reqs[0].Messages[0].Content = "changed"
	if s.Requests()[0].Messages[0].Content != "sys" {
		t.Errorf("Requests returns the log's own slices")
	}
}

func TestRateLimitHeaders(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	_, base := start(t, Options{Now: clock})
	headers := func(model string) http.Header {
		resp, body := post(t, base+"/chat/completions", chatBody(model, false, nil, msg{"user", "count me"}), nil)
		if model == "sim-fast" && resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		return resp.Header
	}
	num := func(h http.Header, name string) int {
		t.Helper()
		n, err := strconv.Atoi(h.Get(name))
		if err != nil {
			t.Fatalf("header %s = %q: %v", name, h.Get(name), err)
		}
		return n
	}
	var lastReq, lastTok int
	for i := range 3 {
		h := headers("sim-fast")
		if num(h, "x-ratelimit-limit-requests") != limitRequests || num(h, "x-ratelimit-limit-tokens") != limitTokens {
			t.Errorf("limits %q %q", h.Get("x-ratelimit-limit-requests"), h.Get("x-ratelimit-limit-tokens"))
		}
		req, tok := num(h, "x-ratelimit-remaining-requests"), num(h, "x-ratelimit-remaining-tokens")
		if want := limitRequests - 1 - i; req != want {
			t.Errorf("request %d: remaining requests %d, want %d", i+1, req, want)
		}
		if i > 0 && tok >= lastTok || tok >= limitTokens {
			t.Errorf("request %d: remaining tokens %d, previous %d: not going down", i+1, tok, lastTok)
		}
		if want := fmt.Sprintf("%ds", i+1); h.Get("x-ratelimit-reset-requests") != want {
			t.Errorf("request %d: reset-requests %q, want %q", i+1, h.Get("x-ratelimit-reset-requests"), want)
		}
		if _, err := time.ParseDuration(h.Get("x-ratelimit-reset-tokens")); err != nil {
			t.Errorf("reset-tokens %q: %v", h.Get("x-ratelimit-reset-tokens"), err)
		}
		lastReq, lastTok = req, tok
	}
	// Error responses carry the headers too.
	if h := headers(Fault500); num(h, "x-ratelimit-remaining-requests") != lastReq-1 {
		t.Errorf("error response: remaining requests %q, want %d", h.Get("x-ratelimit-remaining-requests"), lastReq-1)
	}
	// A minute later the buckets are full again.
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	if h := headers("sim-fast"); num(h, "x-ratelimit-remaining-requests") != limitRequests-1 {
		t.Errorf("a minute later: remaining requests %q, want %d", h.Get("x-ratelimit-remaining-requests"), limitRequests-1)
	}
}

func TestAzure(t *testing.T) {
	key := fakeKey(t)
	s, base := start(t, Options{Keys: []string{key}})
	root := strings.TrimSuffix(base, "/v1")
	url := root + "/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21"
	apiKey := http.Header{"Api-Key": {key}}

	resp, body := post(t, url, chatBody("", true, includeUsage, msg{"user", "hello azure"}), apiKey)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	r := parseStream(t, body)
	if r.chunks[0].Model != "my-gpt4o" || !strings.Contains(r.content, "turn 1") || r.usage == nil {
		t.Errorf("azure stream: model %q usage %v content %q", r.chunks[0].Model, r.usage, r.content)
	}
	log := s.Requests()[0]
	if !log.Azure || log.Model != "my-gpt4o" || log.APIVersion != "2024-10-21" || log.APIKey != key {
		t.Errorf("logged %v", log)
	}

	resp, body = post(t, url, chatBody("", false, nil, msg{"user", "hello"}), apiKey)
	if resp.StatusCode != 200 || !strings.Contains(replyContent(t, body, false), "my-gpt4o") {
		t.Errorf("non-streaming: status %d: %s", resp.StatusCode, body)
	}
	if resp, _ := post(t, url, chatBody("", false, nil, msg{"user", "hello"}), http.Header{"Api-Key": {"wrong"}}); resp.StatusCode != 401 {
		t.Errorf("wrong api-key: status %d", resp.StatusCode)
	}
	noVersion := root + "/openai/deployments/my-gpt4o/chat/completions"
	if resp, _ := post(t, noVersion, chatBody("", false, nil, msg{"user", "hello"}), apiKey); resp.StatusCode != 404 {
		t.Errorf("without api-version: status %d, want 404", resp.StatusCode)
	}
	faulty := root + "/openai/deployments/sim-quota/chat/completions?api-version=2024-10-21"
	if resp, body := post(t, faulty, chatBody("", false, nil, msg{"user", "hello"}), apiKey); resp.StatusCode != 429 {
		t.Errorf("fault deployment: status %d: %s", resp.StatusCode, body)
	}
	resp, _, err := do(context.Background(), http.MethodGet, root+"/openai/models?api-version=2024-10-21", nil, apiKey)
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("azure models: %v %v", err, resp.StatusCode)
	}
}

func TestDisconnect(t *testing.T) {
	s, base := start(t, Options{})
	for _, stream := range []bool{true, false} {
		t.Run(fmt.Sprintf("stream=%v", stream), func(t *testing.T) {
			resp, body, err := do(context.Background(), http.MethodPost, base+"/chat/completions",
				chatBody(FaultDisconnect, stream, includeUsage, msg{"user", "hi"}), nil)
			if err == nil {
				t.Fatalf("the response ended cleanly (status %d): %q", resp.StatusCode, body)
			}
			if stream {
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("error %v, want an unexpected EOF", err)
				}
				if !bytes.Contains(body, []byte(`"content":"## Simulated`)) || bytes.Contains(body, []byte("[DONE]")) {
					t.Errorf("partial body %q", body)
				}
			}
		})
	}
	s.waitIdle()
	for _, r := range s.Requests() {
		if r.Outcome != "disconnected" {
			t.Errorf("logged outcome %q", r.Outcome)
		}
	}
}

// waitIdle waits until every handler of s has returned; a handler that
// ignores cancellation fails the test instead of hanging it.
func waitIdle(t *testing.T, s *Server) {
	t.Helper()
	done := make(chan struct{})
	go func() { s.waitIdle(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("a handler is still running after its client went away")
	}
}

// waitFor polls the request log until cond holds for the last request.
func waitFor(t *testing.T, s *Server, cond func(Request) bool) {
	t.Helper()
	for range 3000 {
		if reqs := s.Requests(); len(reqs) > 0 && cond(reqs[len(reqs)-1]) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the simulator never reached the expected state")
}

func TestSlowStopsWhenClientCancels(t *testing.T) {
	s, base := start(t, Options{SlowDelay: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, _, err := do(ctx, http.MethodPost, base+"/chat/completions", chatBody(FaultSlow, true, nil, msg{"user", "hi"}), nil)
		errc <- err
	}()
	waitFor(t, s, func(r Request) bool { return r.Fault == FaultSlow })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("client error %v, want canceled", err)
	}
	waitIdle(t, s)
	if r := s.Requests()[0]; r.Outcome != "canceled" || r.Status != 0 {
		t.Errorf("logged %v", r)
	}
}

func TestSlowEventuallyReplies(t *testing.T) {
	_, base := start(t, Options{SlowDelay: time.Millisecond})
	resp, body := post(t, base+"/chat/completions", chatBody(FaultSlow, true, includeUsage, msg{"user", "hi"}), nil)
	if resp.StatusCode != 200 || parseStream(t, body).usage == nil {
		t.Errorf("status %d: %s", resp.StatusCode, body)
	}
}

func TestStreamStopsWhenClientCancels(t *testing.T) {
	s, base := start(t, Options{ChunkDelay: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	data, _ := json.Marshal(chatBody(FaultHuge, true, nil, msg{"user", "go on"}))
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/chat/completions", bytes.NewReader(data))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for events := 0; events < 5 && sc.Scan(); {
		if strings.HasPrefix(sc.Text(), "data: ") {
			events++
		}
	}
	cancel()
	waitIdle(t, s)
	r := s.Requests()[0]
	total := len(splitWords(hugeText(), 12))
	if r.Outcome != "canceled" || r.Chunks >= total {
		t.Errorf("logged %v; the whole reply has more than %d chunks", r, total)
	}
}

func TestCloseEndsStreams(t *testing.T) {
	s := New(Options{ChunkDelay: time.Hour})
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		// The stream is cut by Close, so an error is expected.
		_, _, _ = do(context.Background(), http.MethodPost, base+"/chat/completions", chatBody("sim-fast", true, nil, msg{"user", "hi"}), nil)
	}()
	waitFor(t, s, func(r Request) bool { return r.Model == "sim-fast" })
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Close did not end a stream in progress")
	}
}

func TestHuge(t *testing.T) {
	_, base := start(t, Options{})
	resp, body := post(t, base+"/chat/completions", chatBody(FaultHuge, true, includeUsage, msg{"user", "tell me everything"}), nil)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	r := parseStream(t, body)
	if r.usage.CompletionTokens < 18_000 || r.usage.CompletionTokens > 25_000 {
		t.Errorf("huge reply has %d tokens, want about 20,000", r.usage.CompletionTokens)
	}
	if len(r.pieces) < 1000 || !strings.Contains(r.content, "turn 1") || !strings.Contains(r.content, "## Part 50 ") {
		t.Errorf("huge reply: %d chunks, %d bytes", len(r.pieces), len(r.content))
	}
}

func TestNoUsage(t *testing.T) {
	_, base := start(t, Options{})
	resp, body := post(t, base+"/chat/completions", chatBody(FaultNoUsage, true, includeUsage, msg{"user", "hi"}), nil)
	if r := parseStream(t, body); resp.StatusCode != 200 || r.usage != nil || r.finish != "stop" || r.content == "" {
		t.Errorf("status %d usage %v: %s", resp.StatusCode, r.usage, body)
	}
	resp, body = post(t, base+"/chat/completions", chatBody(FaultNoUsage, false, nil, msg{"user", "hi"}), nil)
	if resp.StatusCode != 200 || bytes.Contains(body, []byte(`"usage"`)) {
		t.Errorf("non-streaming: status %d: %s", resp.StatusCode, body)
	}
}

func TestNoStreamOptions(t *testing.T) {
	_, base := start(t, Options{})
	for _, opts := range []any{includeUsage, map[string]any{}, json.RawMessage("null")} {
		resp, body := post(t, base+"/chat/completions", chatBody(FaultNoStreamOpts, true, opts, msg{"user", "hi"}), nil)
		if _, _, message := apiErr(t, body); resp.StatusCode != 400 || !strings.Contains(message, "stream_options") {
			t.Errorf("stream_options %s: status %d: %s", opts, resp.StatusCode, body)
		}
	}
	resp, body := post(t, base+"/chat/completions", chatBody(FaultNoStreamOpts, true, nil, msg{"user", "hi"}), nil)
	if r := parseStream(t, body); resp.StatusCode != 200 || !strings.Contains(r.content, "turn 1") {
		t.Errorf("without stream_options: status %d", resp.StatusCode)
	}
}

func TestEchoAuth(t *testing.T) {
	key := fakeKey(t)
	_, base := start(t, Options{})
	resp, body := post(t, base+"/chat/completions", chatBody(FaultEchoAuth, true, nil, msg{"user", "hi"}), bearer(key))
	r := parseStream(t, body)
	if resp.StatusCode != 200 || !strings.Contains(r.content, "Bearer "+key) {
		t.Fatalf("streamed content does not echo the header: %q", r.content)
	}
	for _, p := range r.pieces {
		if strings.Contains(p, key) {
			t.Errorf("the key arrived in one chunk %q; it should be split", p)
		}
	}
	for _, model := range []string{FaultEchoAuth, FaultEchoAuthError} {
		for _, stream := range []bool{false, true} {
			if model == FaultEchoAuth && stream {
				continue
			}
			resp, body := post(t, base+"/chat/completions", chatBody(model, stream, nil, msg{"user", "hi"}), bearer(key))
			if _, _, message := apiErr(t, body); resp.StatusCode != 400 || !strings.Contains(message, "Bearer "+key) {
				t.Errorf("%s stream=%v: status %d, message does not echo the header: %s", model, stream, resp.StatusCode, body)
			}
		}
	}
	azure := strings.TrimSuffix(base, "/v1") + "/openai/deployments/" + FaultEchoAuthError + "/chat/completions?api-version=1"
	resp, body = post(t, azure, chatBody("", false, nil, msg{"user", "hi"}), http.Header{"Api-Key": {key}})
	if _, _, message := apiErr(t, body); resp.StatusCode != 400 || !strings.Contains(message, key) {
		t.Errorf("azure echo: status %d: %s", resp.StatusCode, body)
	}
}

func TestInject(t *testing.T) {
	_, base := start(t, Options{})
	resp, body := post(t, base+"/chat/completions", chatBody(FaultInject, true, nil, msg{"user", "hi"}), nil)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	r := parseStream(t, body)
	for _, want := range []string{"\x1b]52;c;cm0gLXJmIH4K\x07", "\x1b]0;pwned\x07", "\x1b[2J", "\u009b31m", "\u202e", "&#27;", "&#x1b;", "turn 1", "```go"} {
		if !strings.Contains(r.content, want) {
			t.Errorf("content lacks %q", want)
		}
	}
	for _, whole := range []string{"\x1b]52", "\x1b]0;pwned\x07", "\x1b[2J", "&#27;"} {
		for _, p := range r.pieces {
			if strings.Contains(p, whole) {
				t.Errorf("%q arrived whole in chunk %q; it should be split", whole, p)
			}
		}
	}
	_, body = post(t, base+"/chat/completions", chatBody(FaultInject, false, nil, msg{"user", "hi"}), nil)
	c := replyContent(t, body, false)
	if strings.Replace(c, "Streaming: no", "Streaming: yes", 1) != r.content {
		t.Errorf("non-streaming content differs from the stream's apart from the streaming line")
	}
}

func TestBadRequests(t *testing.T) {
	_, base := start(t, Options{})
	tests := []struct {
		name, method, path string
		body               any
		status             int
	}{
		{"bad json", "POST", "/chat/completions", []byte(`{"model":`), 400},
		{"no messages", "POST", "/chat/completions", map[string]any{"model": "sim-fast", "messages": []msg{}}, 400},
		{"no model", "POST", "/chat/completions", map[string]any{"messages": []msg{{"user", "hi"}}}, 400},
		{"unknown path", "POST", "/completions", map[string]any{}, 404},
		{"wrong method", "GET", "/chat/completions", nil, 404}, // as OpenAI: "Invalid URL (GET ...)"
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, data, err := do(context.Background(), tc.method, base+tc.path, tc.body, nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, data)
			}
			apiErr(t, data)
			if resp.Header.Get("x-ratelimit-remaining-requests") == "" {
				t.Errorf("no rate-limit headers")
			}
		})
	}
}

func TestStartRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "example.com:80", "[::]:0", "nonsense"} {
		s := New(Options{})
		if base, err := s.Start(addr); err == nil {
			s.Close()
			t.Errorf("Start(%q) = %q, want an error", addr, base)
		}
	}
	s := New(Options{})
	base, err := s.Start("localhost:0")
	if err != nil || !strings.HasPrefix(base, "http://127.0.0.1:") || !strings.HasSuffix(base, "/v1") {
		t.Errorf("Start(localhost:0) = %q, %v", base, err)
	}
	if _, err := s.Start("127.0.0.1:0"); err == nil {
		t.Errorf("a second Start succeeded")
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
}

func TestHandlerWithHTTPTest(t *testing.T) {
	s := New(Options{})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	resp, body := post(t, ts.URL+"/v1/chat/completions", chatBody("sim-fast", true, includeUsage, msg{"user", "hi"}), nil)
	if r := parseStream(t, body); resp.StatusCode != 200 || r.usage == nil {
		t.Errorf("status %d", resp.StatusCode)
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
}

func TestSplitWords(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want []string
	}{
		{"", 3, nil},
		{"one", 3, []string{"one"}},
		{"one two three four", 3, []string{"one two three ", "four"}},
		{"  lead\n\n## x y\n", 2, []string{"  lead\n\n## ", "x y\n"}},
		{"a b c d e f g", 2, []string{"a b ", "c d ", "e f ", "g"}},
	}
	for _, tc := range tests {
		got := splitWords(tc.in, tc.n)
		if !slices.Equal(got, tc.want) {
			t.Errorf("splitWords(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
		if strings.Join(got, "") != tc.in {
			t.Errorf("pieces of %q do not add up", tc.in)
		}
	}
}
