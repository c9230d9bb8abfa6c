package provider

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/redact"
)

// TestErrorDetailMaskedBeforeItIsCut: a server's error message is cut to
// 300 bytes for display. A key it quotes across that point, written
// with JSON escapes (so only decoding makes it whole), is masked before
// the cut: cut first, a secret known only by value would lose its end
// and no longer be recognised, and half of it would show.
func TestErrorDetailMaskedBeforeItIsCut(t *testing.T) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	secret := hex.EncodeToString(b) // a prefix-less key, masked by value only
	escaped := secret[:10] + fmt.Sprintf(`\u%04x`, secret[10]) + secret[11:]
	for _, at := range []int{280, 290, 296} {
		s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error":{"message":"%s%s and more","type":"invalid_request_error"}}`, strings.Repeat("x", at), escaped)
		})
		c, err := New(Config{Provider: providers.OpenAICompatible, BaseURL: s.URL + "/v1", Secret: secret, KeyName: "work", Redactor: redact.New(secret)})
		if err != nil {
			t.Fatal(err)
		}
		evs := collect(t, c.Stream(context.Background(), userTurn, Options{MaxRetries: -1}))
		failed, ok := evs[len(evs)-1].(chat.Failed)
		if !ok {
			t.Fatalf("last event %#v", evs[len(evs)-1])
		}
		msg := failed.Err.Message
		for i := 0; i+8 <= len(secret); i++ {
			if strings.Contains(msg, secret[i:i+8]) {
				t.Fatalf("key at %d: the error shows part of it: %q", at, msg[max(0, len(msg)-80):])
			}
		}
	}
}

// TestUsageWarningQuotesNoPartOfAKey: a usage figure that is not a
// number is quoted in the warning only whole (and then masked): cut to
// a few characters first, a quoted key would show its beginning, which
// no mask recognises.
func TestUsageWarningQuotesNoPartOfAKey(t *testing.T) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	secret := hex.EncodeToString(b)
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		startSSE(w)
		sseText(w, "hello")
		sseFinish(w, "stop")
		sseEvent(w, map[string]any{
			"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": []any{},
			"usage": map[string]any{"prompt_tokens": secret, "completion_tokens": 1, "total_tokens": 1},
		})
		sseDone(w)
	})
	c, err := New(Config{Provider: providers.OpenAICompatible, BaseURL: s.URL + "/v1", Secret: secret, KeyName: "work", Redactor: redact.New(secret)})
	if err != nil {
		t.Fatal(err)
	}
	warned := false
	for _, ev := range collect(t, c.Stream(context.Background(), userTurn, Options{MaxRetries: -1})) {
		w, ok := ev.(chat.Warning)
		if !ok {
			continue
		}
		warned = warned || strings.Contains(w.Text, "prompt_tokens is not a number")
		for i := 0; i+8 <= len(secret); i++ {
			if strings.Contains(w.Text, secret[i:i+8]) {
				t.Fatalf("the warning shows part of the key: %q", w.Text)
			}
		}
	}
	if !warned {
		t.Fatal("no warning about the usage figure; the test proves nothing")
	}
}
