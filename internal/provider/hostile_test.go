package provider

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/sim"
)

// These tests run the client against the simulator's hostile fault
// models: servers that are broken or malicious rather than failing.

func warnings(evs []chat.Event) []string {
	var ws []string
	for _, ev := range evs {
		if w, ok := ev.(chat.Warning); ok {
			ws = append(ws, w.Text)
		}
	}
	return ws
}

func TestUsageOverflowIsReplacedByEstimate(t *testing.T) {
	_, base := startSim(t, sim.Options{})
	c := simClient(t, base, newSecret(t))
	evs := collect(t, c.Stream(context.Background(), simTurn(sim.FaultUsageOverflow), Options{}))
	d := mustDone(t, evs)
	if !d.Usage.Estimated || d.Usage.PromptTokens <= 0 || d.Usage.PromptTokens > 1_000_000 || d.Usage.CompletionTokens <= 0 {
		t.Errorf("usage = %+v; want a local estimate", d.Usage)
	}
	ws := warnings(evs)
	if len(ws) != 1 || !strings.Contains(ws[0], c.host) || !strings.Contains(ws[0], "9223372036854775807") {
		t.Errorf("warnings = %q; want one naming the server and the figure", ws)
	}
}

func TestUsageValidation(t *testing.T) {
	const text = "Hello there, a short reply."
	tests := []struct {
		name, usage string
		bad         bool
	}{
		{"ordinary", `{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19}`, false},
		{"details", `{"prompt_tokens":12,"completion_tokens":900,"total_tokens":912,"prompt_tokens_details":{"cached_tokens":8},"completion_tokens_details":{"reasoning_tokens":890}}`, false},
		{"no total", `{"prompt_tokens":12,"completion_tokens":7}`, false},
		{"integral float", `{"prompt_tokens":12.0,"completion_tokens":7,"total_tokens":19}`, false},
		{"negative", `{"prompt_tokens":-5,"completion_tokens":7,"total_tokens":2}`, true},
		{"fraction", `{"prompt_tokens":12.5,"completion_tokens":7,"total_tokens":19.5}`, true},
		{"string", `{"prompt_tokens":"12","completion_tokens":7,"total_tokens":19}`, true},
		{"absurd", `{"prompt_tokens":1000000000001,"completion_tokens":7,"total_tokens":1000000000008}`, true},
		{"beyond int64", `{"prompt_tokens":18446744073709551616,"completion_tokens":7}`, true},
		{"total mismatch", `{"prompt_tokens":12,"completion_tokens":7,"total_tokens":500}`, true},
		{"more cached than prompt", `{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19,"prompt_tokens_details":{"cached_tokens":13}}`, true},
		{"far beyond the reply", `{"prompt_tokens":12,"completion_tokens":90000,"total_tokens":90012}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				startSSE(w)
				sseText(w, text)
				sseFinish(w, "stop")
				fmt.Fprintf(w, "data: {\"choices\":[],\"usage\":%s}\n\n", tt.usage)
				sseDone(w)
			})
			c := newClient(t, s, newSecret(t))
			evs := collect(t, c.Stream(context.Background(), userTurn, Options{}))
			d := mustDone(t, evs)
			if textOf(evs) != text {
				t.Errorf("text = %q", textOf(evs))
			}
			if d.Usage.Estimated != tt.bad || (len(warnings(evs)) == 1) != tt.bad {
				t.Errorf("usage %+v, warnings %q; want rejected=%v", d.Usage, warnings(evs), tt.bad)
			}
			if !tt.bad && d.Usage.PromptTokens != 12 {
				t.Errorf("usage %+v; want the server's figures", d.Usage)
			}
		})
	}
}

// TestMemoryCaps streams past each cap and checks the classified error;
// whatever text arrived before it is kept.
func TestMemoryCaps(t *testing.T) {
	_, base := startSim(t, sim.Options{})
	c := simClient(t, base, newSecret(t))
	for _, tt := range []struct {
		fault, msg string
		keepsText  bool
	}{
		{sim.FaultNoNewline, "one event of the stream is over 1 MiB", false},
		{sim.FaultHugeEvent, "one event of the stream is over 1 MiB", true},
		{sim.FaultGzipBomb, "one event of the stream is over 1 MiB", false},
	} {
		t.Run(tt.fault, func(t *testing.T) {
			evs := collect(t, c.Stream(context.Background(), simTurn(tt.fault), Options{}))
			f := mustFail(t, evs)
			if f.Err.Class != chat.ErrBadResponse || f.Err.Retryable() || !strings.Contains(f.Err.Message, tt.msg) {
				t.Fatalf("error = %+v; want an unexpected response: %s", f.Err, tt.msg)
			}
			if tt.keepsText && !strings.Contains(textOf(evs), "Simulated reply") {
				t.Errorf("the text before the huge event was lost: %q", textOf(evs))
			}
		})
	}

	t.Run("whole stream", func(t *testing.T) {
		pad := strings.Repeat("p", 900<<10)
		s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			startSSE(w)
			sseText(w, "kept")
			for i := 0; i < maxStreamBody/len(pad)+2; i++ {
				if _, err := fmt.Fprintf(w, "data: {\"choices\":[],\"pad\":%q}\n\n", pad); err != nil {
					return
				}
			}
		})
		evs := collect(t, newClient(t, s, newSecret(t)).Stream(context.Background(), userTurn, Options{}))
		f := mustFail(t, evs)
		if f.Err.Class != chat.ErrBadResponse || !strings.Contains(f.Err.Message, "the streamed response is over 64 MiB") || textOf(evs) != "kept" {
			t.Fatalf("error = %+v, text %q", f.Err, textOf(evs))
		}
	})
	t.Run("reply text", func(t *testing.T) {
		piece := strings.Repeat("t", 900<<10)
		s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			startSSE(w)
			for i := 0; i < maxReplyText/len(piece)+2; i++ {
				sseText(w, piece)
			}
		})
		evs := collect(t, newClient(t, s, newSecret(t)).Stream(context.Background(), userTurn, Options{}))
		f := mustFail(t, evs)
		if f.Err.Class != chat.ErrBadResponse || !strings.Contains(f.Err.Message, "the reply text is over 8 MiB") {
			t.Fatalf("error = %+v", f.Err)
		}
		if n := len(textOf(evs)); n == 0 || n > maxReplyText {
			t.Errorf("kept %d bytes of text; want the part within the cap", n)
		}
	})
	t.Run("model list", func(t *testing.T) {
		huge := simClient(t, base, sim.FaultModelsHuge) // the key chooses the fault
		_, err := huge.ListModels(context.Background())
		if err == nil || err.Class != chat.ErrBadResponse || !strings.Contains(err.Message, "the model list is over 8 MiB") {
			t.Fatalf("ListModels error = %+v", err)
		}
	})
}

func TestTimeouts(t *testing.T) {
	s, base := startSim(t, sim.Options{})
	c := simClient(t, base, newSecret(t))
	short := Options{ResponseTimeout: 50 * time.Millisecond, StreamIdleTimeout: 50 * time.Millisecond}

	t.Run("no response", func(t *testing.T) {
		before := len(s.Requests())
		evs := collect(t, c.Stream(context.Background(), simTurn(sim.FaultNeverAnswers), short))
		f := mustFail(t, evs)
		if f.Err.Class != chat.ErrTimeout || f.Err.Retryable() || !strings.Contains(f.Err.Message, "no response from "+c.host+" within 50ms") {
			t.Fatalf("error = %+v", f.Err)
		}
		if n := len(s.Requests()) - before; n != 1 {
			t.Errorf("%d requests; a timeout is not retried", n)
		}
	})
	t.Run("stall mid-stream", func(t *testing.T) {
		evs := collect(t, c.Stream(context.Background(), simTurn(sim.FaultStall), short))
		f := mustFail(t, evs)
		if f.Err.Class != chat.ErrTimeout || !strings.Contains(f.Err.Message, "stalled") {
			t.Fatalf("error = %+v", f.Err)
		}
		if !strings.Contains(textOf(evs), "Simulated") {
			t.Errorf("the reply so far was lost: %q", textOf(evs))
		}
		if !f.Usage.Estimated || f.Usage.CompletionTokens == 0 {
			t.Errorf("usage = %+v; want an estimate of what arrived", f.Usage)
		}
	})
	t.Run("cancel while waiting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		before := len(s.Requests())
		ch := c.Stream(ctx, simTurn(sim.FaultNeverAnswers), Options{ResponseTimeout: time.Hour, StreamIdleTimeout: time.Hour})
		for len(s.Requests()) == before {
			time.Sleep(time.Millisecond) // wait until the request is in
		}
		cancel()
		if f := mustFail(t, collect(t, ch)); f.Err.Class != chat.ErrCanceled {
			t.Fatalf("error = %+v; want canceled", f.Err)
		}
	})
}

func TestWebPageOnAStreamIsUnexpected(t *testing.T) {
	s, base := startSim(t, sim.Options{})
	c := simClient(t, base, newSecret(t))
	evs := collect(t, c.Stream(context.Background(), simTurn(sim.FaultHTML), Options{Sleep: (&fakeSleep{}).Sleep}))
	f := mustFail(t, evs)
	if f.Err.Class != chat.ErrBadResponse || f.Err.Status != 200 || !strings.Contains(f.Err.Message, "unexpected response") || !strings.Contains(f.Err.Message, "text/html") {
		t.Fatalf("error = %+v", f.Err)
	}
	if len(retryings(evs)) != 0 || len(s.Requests()) != 1 {
		t.Errorf("retried: %d requests", len(s.Requests()))
	}
	if f.Usage != (chat.Usage{}) {
		t.Errorf("usage %+v for a request no model saw", f.Usage)
	}
}

func TestErrorShapes(t *testing.T) {
	_, base := startSim(t, sim.Options{})
	c := simClient(t, base, newSecret(t))
	tests := []struct {
		fault  string
		class  chat.ErrorClass
		status int
		want   string
	}{
		{sim.Fault500, chat.ErrServer, 500, "server error (HTTP 500): The server had an error while processing your request. Sorry about that!"},
		{sim.FaultErrorString, chat.ErrServer, 500, "server error (HTTP 500): SyntaxError: Bad control character in string literal in JSON at position 42"},
		{sim.FaultErrorDetail, chat.ErrBadRequest, 422, "request refused (HTTP 422): content: field required"},
		{sim.FaultErrorMessage, chat.ErrServer, 500, "server error (HTTP 500): upstream model worker crashed"},
		{sim.FaultErrorText, chat.ErrServer, 503, "server error (HTTP 503): model is loading, try again in a minute"},
		{sim.FaultErrorHTML, chat.ErrServer, 502, "server error (HTTP 502 Bad Gateway)"},
	}
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			f := mustFail(t, collect(t, c.Stream(context.Background(), simTurn(tt.fault), Options{MaxRetries: -1})))
			if f.Err.Class != tt.class || f.Err.Status != tt.status || f.Err.Message != tt.want {
				t.Errorf("error = %+v; want %s %d %q", f.Err, tt.class, tt.status, tt.want)
			}
		})
	}
}

func TestErrorDetailShapes(t *testing.T) {
	tests := []struct{ body, code, detail string }{
		{`{"error":{"message":"m","type":"t","code":"c"}}`, "c", "m"},
		{`{"error":{"message":"m","type":"t","code":null}}`, "t", "m"},
		{`{"error":{"message":["a","b"],"code":404}}`, "404", "a; b"},
		{`{"error":"SyntaxError","message":"bad"}`, "SyntaxError", "SyntaxError: bad"},
		{`{"error":"just this"}`, "", "just this"},
		{`{"detail":"Not authenticated"}`, "", "Not authenticated"},
		{`{"detail":[{"loc":["body","model"],"msg":"field required"},{"msg":"also"}]}`, "", "model: field required; also"},
		{`{"message":"m","code":"c"}`, "c", "m"},
		{`{"other":1}`, "", `{"other":1}`},
		{"plain words", "", "plain words"},
		{"<!DOCTYPE html><html><body>x</body></html>", "", ""},
		{"  <html><head><title>t</title>", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		code, detail := errorDetail(tt.body)
		if code != tt.code || detail != tt.detail {
			t.Errorf("errorDetail(%q) = %q, %q; want %q, %q", tt.body, code, detail, tt.code, tt.detail)
		}
	}
}

func TestListModelsWantsAModelList(t *testing.T) {
	for body, want := range map[string]string{
		`{"object":"list"}`:           "not a model list",
		`<html>login</html>`:          "not a model list",
		`{"object":"list","data":[]}`: "",
	} {
		s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { fmt.Fprint(w, body) })
		ids, err := newClient(t, s, newSecret(t)).ListModels(context.Background())
		switch {
		case want == "" && (err != nil || ids == nil || len(ids) != 0):
			t.Errorf("%s: %v, %v", body, ids, err)
		case want != "" && (err == nil || err.Class != chat.ErrBadResponse || !strings.Contains(err.Message, want)):
			t.Errorf("%s: error %+v; want %q", body, err, want)
		}
	}
}
