package providers

import (
	"errors"
	"strings"
	"testing"
)

func TestLookupAndDefaults(t *testing.T) {
	k, err := Lookup(OpenAI)
	if err != nil || k.Protocol != ProtocolOpenAI {
		t.Fatalf("Lookup(openai) = %+v, %v", k, err)
	}
	if got, err := k.BaseURL(""); err != nil || got != "https://api.openai.com/v1" {
		t.Errorf("openai default base URL = %q, %v", got, err)
	}
	if got, _ := k.BaseURL(" https://proxy.example/v1// "); got != "https://proxy.example/v1" {
		t.Errorf("given base URL = %q", got)
	}
	az, _ := Lookup(Azure)
	if _, err := az.BaseURL(""); err == nil || !strings.Contains(err.Error(), "azure key needs a base URL") {
		t.Errorf("azure without base URL: %v", err)
	}
	if _, err := Lookup("anthropic"); err == nil || err.Error() != `unknown provider "anthropic" (want openai, azure, openai-compatible or openrouter)` {
		t.Errorf("unknown kind: %v", err)
	}
}

func TestCheckCleartext(t *testing.T) {
	for _, tc := range []struct {
		url   string
		allow bool
		ok    bool
	}{
		{"https://api.example.com/v1", false, true},
		{"http://127.0.0.1:8080/v1", false, true},
		{"http://127.3.4.5/v1", false, true},
		{"http://[::1]:11434/v1", false, true},
		{"http://localhost:11434/v1", false, true},
		{"http://LOCALHOST./v1", false, true},
		{"http://ollama.localhost/v1", false, true},
		{"http://llm.example.net/v1", false, false},
		{"http://10.0.0.5:8000/v1", false, false},
		{"http://[::2]/v1", false, false},
		{"http://localhost.example.net/v1", false, false},
		{"http://128.0.0.1/v1", false, false},
		{"http://llm.example.net/v1", true, true},
	} {
		u, err := ParseBaseURL(tc.url)
		if err != nil {
			t.Fatalf("ParseBaseURL(%q): %v", tc.url, err)
		}
		err = CheckCleartext(u, tc.allow)
		if (err == nil) != tc.ok || err != nil && !errors.Is(err, ErrInsecureHTTP) {
			t.Errorf("CheckCleartext(%s, allow=%v) = %v, want ok=%v", tc.url, tc.allow, err, tc.ok)
		}
	}
}

func TestParseBaseURL(t *testing.T) {
	for _, bad := range []string{"ftp://x", "https:///v1", "https://u:p@h/v1", "https://h/v1?x=1", "https://h/v1#f", "https://h/ v1", "https://h/\nv1", "sk-proj-notaurl"} {
		if _, err := ParseBaseURL(bad); err == nil {
			t.Errorf("ParseBaseURL(%q) accepted", bad)
		} else if strings.Contains(err.Error(), bad) {
			t.Errorf("ParseBaseURL(%q) quotes its input: %v", bad, err)
		}
	}
}

func TestCheckHeaderValue(t *testing.T) {
	for _, bad := range []string{"org\nX-Evil: 1", "proj\r", "a\tb", "a\x00b", "a\u0085b"} {
		if err := CheckHeaderValue("organization", bad); err == nil || !strings.Contains(err.Error(), "organization contains a newline") {
			t.Errorf("CheckHeaderValue(%q) = %v", bad, err)
		}
	}
	if err := CheckHeaderValue("project", "proj_123"); err != nil {
		t.Error(err)
	}
}
