package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/vaultchat/vaultchat/internal/chat"
)

const benchChunks = 2000

// benchReply is a whole SSE reply of benchChunks small content chunks and
// a usage chunk, built once so the server only copies bytes.
func benchReply(b *testing.B) []byte {
	b.Helper()
	var buf bytes.Buffer
	for i := range benchChunks {
		j, err := json.Marshal(choiceChunk(fmt.Sprintf("tok%d ", i), ""))
		if err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(&buf, "data: %s\n\n", j)
	}
	j, _ := json.Marshal(choiceChunk("", "stop"))
	fmt.Fprintf(&buf, "data: %s\n\n", j)
	// Usage, as OpenAI sends it when asked; without it the turn would
	// also count the reply's tokens.
	fmt.Fprintf(&buf, "data: %s\n\ndata: [DONE]\n\n", `{"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":20,"completion_tokens":4000,"total_tokens":4020}}`)
	return buf.Bytes()
}

func benchServer(b *testing.B, reply []byte) *server {
	return newServer(b, func(w http.ResponseWriter, r *http.Request, _ int) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(reply)
	})
}

// BenchmarkStreamOverheadPerChunk measures a whole turn against a local
// server that streams benchChunks chunks without delay: HTTP, SSE parsing,
// JSON decoding, redaction, sanitizing, coalescing and delivery, per chunk.
func BenchmarkStreamOverheadPerChunk(b *testing.B) {
	reply := benchReply(b)
	s := benchServer(b, reply)
	c := newClient(b, s, newSecret(b))
	b.ReportAllocs()
	for b.Loop() {
		var last chat.Event
		for ev := range c.Stream(context.Background(), userTurn, Options{}) {
			last = ev
		}
		if _, ok := last.(chat.Done); !ok {
			b.Fatalf("turn ended with %+v", last)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchChunks), "ns/chunk")
}

// BenchmarkStreamBaselinePerChunk reads the same reply with a bare HTTP
// client, so the engine's own share is the difference.
func BenchmarkStreamBaselinePerChunk(b *testing.B) {
	reply := benchReply(b)
	s := benchServer(b, reply)
	b.ReportAllocs()
	for b.Loop() {
		resp, err := http.Post(s.URL+"/v1/chat/completions", "application/json", bytes.NewReader([]byte(`{}`)))
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if n != int64(len(reply)) {
			b.Fatalf("read %d of %d bytes", n, len(reply))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchChunks), "ns/chunk")
}
