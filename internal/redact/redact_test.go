package redact

import (
	"strings"
	"testing"
)

func TestMask(t *testing.T) {
	tests := []struct{ in, want string }{
		{"sk-proj-" + "abcdefghijklmnopqrstuvwxyz", "sk-proj-…wxyz"},
		{"sk-" + "abcdefghijklmnopqrstuvwxyz1234", "sk-…1234"},
		{"plainsecretvalue-0123456789", "…6789"},
		{"short", "…"},
		{"sk-short", "…"},
	}
	for _, tt := range tests {
		if got := Mask(tt.in); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedactorByValueAndShape(t *testing.T) {
	secret := "custom-token-QWERTYUIOPASDFGH"
	r := New(secret)
	in := "echo: Bearer " + secret + " and sk-proj-" + "ZZZZZZZZZZZZZZZZZZZZ1234 ok"
	got := r.String(in)
	if strings.Contains(got, secret) || strings.Contains(got, "ZZZZZZZZZZZZZZZZ") {
		t.Fatalf("secret survived: %q", got)
	}
	if !strings.Contains(got, "…DFGH") || !strings.Contains(got, "sk-proj-…1234") {
		t.Fatalf("masked forms missing: %q", got)
	}
}

func TestStreamCatchesSplitSecrets(t *testing.T) {
	secret := "sk-proj-" + "CANARY0123456789abcdefXYZ"
	text := "before " + secret + " middle " + secret + ", after"
	r := New(secret)
	for split := 1; split < len(text); split++ {
		s := r.Stream()
		out := s.Write(text[:split]) + s.Write(text[split:]) + s.Flush()
		if strings.Contains(out, "CANARY") {
			t.Fatalf("split at %d leaked: %q", split, out)
		}
		if want := r.String(text); out != want {
			t.Fatalf("split at %d: got %q, want %q", split, out, want)
		}
	}
	// One byte at a time.
	s := r.Stream()
	var b strings.Builder
	for i := 0; i < len(text); i++ {
		b.WriteString(s.Write(text[i : i+1]))
	}
	b.WriteString(s.Flush())
	if strings.Contains(b.String(), "CANARY") {
		t.Fatalf("byte-wise stream leaked: %q", b.String())
	}
}

func TestStreamEmitsPlainTextPromptly(t *testing.T) {
	s := New("sk-proj-" + "CANARY0123456789abcdef").Stream()
	if got := s.Write("hello world. "); got != "hello world. " {
		t.Fatalf("plain text held back: %q", got)
	}
}

func TestShortValuesAreNotMaskedByValue(t *testing.T) {
	r := New("ollama", "EMPTY", "lm-studio", "aaaaaaaaaaaaaaaaaaaaaaaa", "abababababababababababab")
	in := "how do I run ollama serve with EMPTY keys in lm-studio? aaaaaaaaaaaaaaaaaaaaaaaa abababababababababababab"
	if got := r.String(in); got != in {
		t.Fatalf("short or regular values rewrote text: %q", got)
	}
	for _, v := range []string{"ollama", "EMPTY", "lm-studio", "sk-no-key-required"} {
		if Maskable(v) {
			t.Errorf("Maskable(%q) = true", v)
		}
	}
	for _, v := range []string{"0123456789abcdef0123456789abcdef", "custom-token-QWERTYUIOPASDFGH"} {
		if !Maskable(v) {
			t.Errorf("Maskable(%q) = false", v)
		}
	}
}
