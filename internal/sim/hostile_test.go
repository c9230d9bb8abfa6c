package sim

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestHostileErrorShapes(t *testing.T) {
	_, base := start(t, Options{})
	tests := []struct {
		model       string
		status      int
		contentType string
		body        string
	}{
		{FaultErrorString, 500, "application/json", `{"error":"SyntaxError","message":`},
		{FaultErrorDetail, 422, "application/json", `{"detail":[{"loc":`},
		{FaultErrorMessage, 500, "application/json", `{"message":"upstream model worker crashed"}`},
		{FaultErrorText, 503, "text/plain", "model is loading"},
		{FaultErrorHTML, 502, "text/html", "<title>502 Bad Gateway</title>"},
		{FaultHTML, 200, "text/html", "<title>Sign in</title>"},
	}
	for _, tc := range tests {
		resp, body := post(t, base+"/chat/completions", chatBody(tc.model, true, nil, msg{"user", "hi"}), nil)
		if resp.StatusCode != tc.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.contentType) || !strings.Contains(string(body), tc.body) {
			t.Errorf("%s: %d %q %q", tc.model, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
}

func TestUsageOverflow(t *testing.T) {
	_, base := start(t, Options{})
	resp, body := post(t, base+"/chat/completions", chatBody(FaultUsageOverflow, false, nil, msg{"user", "hi"}), nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"prompt_tokens":9223372036854775807`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}

// readPrefix sends a streaming request and returns the start of the raw
// body (the transport's gzip decoding undone by hand).
func readPrefix(t *testing.T, base, model string, n int) (*http.Response, string) {
	t.Helper()
	payload, _ := json.Marshal(chatBody(model, true, nil, msg{"user", "hi"}))
	req, _ := http.NewRequest("POST", base+"/chat/completions", bytes.NewReader(payload))
	req.Header.Set("Accept-Encoding", "gzip") // set by hand: no transparent decoding
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bufio.NewReader(resp.Body))
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	buf := make([]byte, n)
	got, _ := io.ReadFull(r, buf)
	return resp, string(buf[:got])
}

func TestEndlessEvents(t *testing.T) {
	_, base := start(t, Options{})
	for _, model := range []string{FaultNoNewline, FaultGzipBomb} {
		resp, head := readPrefix(t, base, model, 4<<20)
		if len(head) != 4<<20 || !strings.HasPrefix(head, "data: AAAA") || strings.Contains(head, "\n") {
			t.Errorf("%s: %d bytes, %q…", model, len(head), head[:min(len(head), 20)])
		}
		if model == FaultGzipBomb && resp.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("gzip bomb not gzip-encoded")
		}
	}
	_, head := readPrefix(t, base, FaultHugeEvent, 8<<20)
	// The ordinary reply's events, then one that goes on for megabytes.
	if tail := head[len(head)-(4<<20):]; strings.Contains(tail, "\n") || !strings.Contains(tail, "All work and no play. All work") {
		t.Errorf("huge event: …%q", tail[:200])
	}
}

func TestKeyChoosesModelsFault(t *testing.T) {
	_, base := start(t, Options{})
	req, _ := http.NewRequest("GET", base+"/models", nil)
	req.Header.Set("Authorization", "Bearer "+FaultModelsHuge)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	n, _ := io.Copy(io.Discard, io.LimitReader(resp.Body, 16<<20))
	if resp.StatusCode != 200 || n != 16<<20 {
		t.Fatalf("status %d, %d bytes; want a model list over 16 MiB", resp.StatusCode, n)
	}
}
