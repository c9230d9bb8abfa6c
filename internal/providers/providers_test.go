package providers

import (
	"errors"
	"maps"
	"os"
	"slices"
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
	if _, err := Lookup("claude"); err == nil || err.Error() != `unknown provider "claude" (want openai, azure, openrouter, groq, together, mistral, deepseek, xai, gemini, anthropic, ollama, lmstudio, vllm or openai-compatible)` {
		t.Errorf("unknown kind: %v", err)
	}
}

// TestPresets pins each preset's row: its default base URL (as the
// providers document them), whether it needs a key, and whether it is
// free. A changed row is a deliberate change of this test.
func TestPresets(t *testing.T) {
	for _, want := range []struct {
		name     string
		base     string
		optional bool
		free     bool
	}{
		{OpenAI, "https://api.openai.com/v1", false, false},
		{Azure, "", false, false},
		{OpenRouter, "https://openrouter.ai/api/v1", false, false},
		{Groq, "https://api.groq.com/openai/v1", false, false},
		{Together, "https://api.together.ai/v1", false, false},
		{Mistral, "https://api.mistral.ai/v1", false, false},
		{DeepSeek, "https://api.deepseek.com", false, false},
		{XAI, "https://api.x.ai/v1", false, false},
		{Gemini, "https://generativelanguage.googleapis.com/v1beta/openai", false, false},
		{Anthropic, "https://api.anthropic.com/v1", false, false},
		{Ollama, "http://127.0.0.1:11434/v1", true, true},
		{LMStudio, "http://127.0.0.1:1234/v1", true, true},
		{VLLM, "http://127.0.0.1:8000/v1", true, true},
		{OpenAICompatible, "", false, false},
	} {
		k, err := Lookup(want.name)
		if err != nil {
			t.Fatal(err)
		}
		if k.DefaultBaseURL != want.base || k.KeyOptional != want.optional || k.Free != want.free {
			t.Errorf("%s = base %q, key optional %v, free %v; want %q, %v, %v",
				want.name, k.DefaultBaseURL, k.KeyOptional, k.Free, want.base, want.optional, want.free)
		}
		if k.DefaultBaseURL == "" {
			continue
		}
		// Every default passes the rules a stored key follows: a local
		// server's plain http only because it is this machine.
		u, err := ParseBaseURL(k.DefaultBaseURL)
		if err != nil {
			t.Errorf("%s default base URL: %v", k.Name, err)
			continue
		}
		if err := CheckCleartext(u, false, fakeKey("sk-")); err != nil {
			t.Errorf("%s default base URL: %v", k.Name, err)
		}
		if (u.Scheme == "http") != k.Free {
			t.Errorf("%s: only local (free) servers default to plain http, got %s", k.Name, k.DefaultBaseURL)
		}
	}
	if got := len(Kinds()); got != 14 {
		t.Errorf("%d kinds, want 14", got)
	}
}

// fakeKey builds a key-shaped string at run time, so no key-looking
// literal sits in the source.
func fakeKey(prefix string) string { return prefix + strings.Repeat("x7Q", 16) }

func TestGuessByPrefix(t *testing.T) {
	for _, c := range []struct{ prefix, want string }{
		{"sk-proj-", OpenAI}, {"sk-svcacct-", OpenAI}, {"sk-admin-", OpenAI},
		{"sk-or-v1-", OpenRouter}, {"gsk_", Groq}, {"xai-", XAI}, {"AIza", Gemini}, {"AQ.", Gemini},
		{"sk-ant-api03-", Anthropic}, {"sk-ant-admin01-", Anthropic},
	} {
		k, p, ok := GuessByPrefix(fakeKey(c.prefix))
		if !ok || k.Name != c.want || !strings.HasPrefix(c.prefix, p) {
			t.Errorf("GuessByPrefix(%s…) = %s, %q, %v; want %s", c.prefix, k.Name, p, ok, c.want)
		}
	}
	// A shared or unknown prefix guesses nothing: plain "sk-" is OpenAI's
	// old format and DeepSeek's, Mistral's keys have none.
	for _, s := range []string{fakeKey("sk-"), fakeKey(""), "ollama", ""} {
		if k, _, ok := GuessByPrefix(s); ok {
			t.Errorf("GuessByPrefix(%.6s…) = %s, want no guess", s, k.Name)
		}
	}
}

func TestWrongProvider(t *testing.T) {
	groqKey := fakeKey("gsk_")
	m, ok := WrongProvider(OpenAI, "", groqKey)
	if !ok || m.Likely.Name != Groq || m.Prefix != "gsk_" || m.Host != "api.openai.com" {
		t.Errorf("groq key stored as openai: %+v, %v", m, ok)
	}
	if m, ok := WrongProvider(OpenAICompatible, "https://llm.example.com/v1", fakeKey("sk-ant-api03-")); !ok || m.Likely.Name != Anthropic || m.Host != "llm.example.com" {
		t.Errorf("anthropic key at another host: %+v, %v", m, ok)
	}
	for _, c := range []struct{ kind, base, secret string }{
		{Groq, "", groqKey}, // right provider
		{OpenAICompatible, "https://api.groq.com/openai/v1", groqKey}, // its provider's host
		{OpenAI, "", fakeKey("sk-")},                                  // no distinctive prefix
		{Ollama, "", NoKey},
		{DeepSeek, "", fakeKey("sk-")},
	} {
		if m, ok := WrongProvider(c.kind, c.base, c.secret); ok {
			t.Errorf("WrongProvider(%s, %q) = %+v, want none", c.kind, c.base, m)
		}
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
		err = CheckCleartext(u, tc.allow, fakeKey("sk-"))
		if (err == nil) != tc.ok || err != nil && !errors.Is(err, ErrInsecureHTTP) {
			t.Errorf("CheckCleartext(%s, allow=%v) = %v, want ok=%v", tc.url, tc.allow, err, tc.ok)
		}
		// Without a key (the placeholder of a local server, or none)
		// there is nothing to protect.
		for _, none := range []string{NoKey, ""} {
			if err := CheckCleartext(u, tc.allow, none); err != nil {
				t.Errorf("CheckCleartext(%s, allow=%v, no key %q) = %v", tc.url, tc.allow, none, err)
			}
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

// TestREADMEPresetsTable keeps README's presets table true: one row per
// kind, in table order, with its default base URL and whether it is free.
func TestREADMEPresetsTable(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if len(cells) == 6 {
			rows = append(rows, cells)
		}
	}
	kinds := Kinds()
	if len(rows) != len(kinds) {
		t.Fatalf("README presets table has %d rows, the providers table %d kinds", len(rows), len(kinds))
	}
	for i, k := range kinds {
		r := rows[i]
		if r[0] != "`"+k.Name+"`" {
			t.Errorf("row %d is %s, want %s", i, r[0], k.Name)
		}
		if k.DefaultBaseURL != "" && r[1] != "`"+k.DefaultBaseURL+"`" {
			t.Errorf("%s: README base URL %s, want %s", k.Name, r[1], k.DefaultBaseURL)
		}
		if strings.HasPrefix(r[2], "no") != k.KeyOptional {
			t.Errorf("%s: README key needed %q, table KeyOptional %v", k.Name, r[2], k.KeyOptional)
		}
		for _, p := range k.KeyPrefixes {
			if !strings.Contains(r[3], "`"+p+"`") {
				t.Errorf("%s: README prefixes %q miss %s", k.Name, r[3], p)
			}
		}
		if (r[5] == "yes") != k.Free {
			t.Errorf("%s: README free %q, table %v", k.Name, r[5], k.Free)
		}
	}
}

// TestReturnedRowsAreCopies: a caller that changes a row it got from
// Lookup, GuessByPrefix, WrongProvider or Kinds (appends a prefix, sets a
// header, overwrites a slot) leaves the table, and so every later
// lookup, as it was.
func TestReturnedRowsAreCopies(t *testing.T) {
	vandalize := func(k *Kind) {
		if len(k.KeyPrefixes) > 0 {
			k.KeyPrefixes[0] = "vandal-"
		}
		k.KeyPrefixes = append(k.KeyPrefixes, "vandal-")
		if k.Headers != nil {
			k.Headers["anthropic-version"] = "vandal"
			k.Headers["x-vandal"] = "1"
		}
	}
	want := Kinds()
	check := func(after string) {
		t.Helper()
		got := Kinds()
		for i := range want {
			if !slices.Equal(got[i].KeyPrefixes, want[i].KeyPrefixes) || !maps.Equal(got[i].Headers, want[i].Headers) {
				t.Errorf("after changing a row from %s, %s is %v %v, want %v %v", after,
					got[i].Name, got[i].KeyPrefixes, got[i].Headers, want[i].KeyPrefixes, want[i].Headers)
			}
		}
		for _, k := range []string{OpenAI, Anthropic, Gemini} {
			row, _ := Lookup(k)
			if slices.Contains(row.KeyPrefixes, "vandal-") || row.Headers["x-vandal"] != "" {
				t.Errorf("after changing a row from %s, Lookup(%s) = %v %v", after, k, row.KeyPrefixes, row.Headers)
			}
		}
		if _, p, ok := GuessByPrefix("vandal-" + strings.Repeat("x7Q", 16)); ok {
			t.Errorf("after changing a row from %s, GuessByPrefix matches the added prefix %q", after, p)
		}
	}
	for _, name := range []string{OpenAI, Anthropic, Gemini} {
		k, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		vandalize(&k)
		check("Lookup(" + name + ")")
	}
	for _, prefix := range []string{"sk-proj-", "sk-ant-", "AIza"} {
		k, _, ok := GuessByPrefix(fakeKey(prefix))
		if !ok {
			t.Fatalf("GuessByPrefix(%s…) found nothing", prefix)
		}
		vandalize(&k)
		check("GuessByPrefix(" + prefix + ")")
	}
	if m, ok := WrongProvider(OpenAI, "", fakeKey("sk-ant-api03-")); ok {
		vandalize(&m.Likely)
		check("WrongProvider")
	} else {
		t.Fatal("WrongProvider found no mismatch")
	}
	all := Kinds()
	for i := range all {
		vandalize(&all[i])
	}
	check("Kinds")
}

// TestURLErrorsEchoNoKey: a key pasted into a base URL (a host label,
// credentials, the path or the query) is never echoed by the errors that
// refuse the URL, nor is a header-bound value that holds one. This
// package cannot mask (it imports only the standard library), so its
// errors show nothing the user typed.
func TestURLErrorsEchoNoKey(t *testing.T) {
	key := fakeKey("sk-proj-")
	random := strings.Repeat("x7Q", 16) // what any key, key-shaped or not, would show
	for _, base := range []string{
		"http://" + key + ".example.net/v1",
		"http://" + key + ".example.net:8080/" + key,
		"http://" + strings.Repeat("x7Q", 7) + ".example.net/v1",
		"https://user:" + key + "@llm.example.net/v1",
		"https://" + key + "@llm.example.net/v1",
		"https://llm.example.net/v1?key=" + key,
		"https://llm.example.net/" + key + " /v1",
		"ftp://" + key + ".example.net/v1",
	} {
		u, err := ParseBaseURL(base)
		if err == nil {
			err = CheckCleartext(u, false, key)
		}
		if err == nil {
			t.Errorf("%.30s… accepted", base)
			continue
		}
		if strings.Contains(err.Error(), random[:21]) {
			t.Errorf("the error for %.30s… echoes the key: %v", base, err)
		}
	}
	if err := CheckHeaderValue("organization", key+"\n"); err == nil || strings.Contains(err.Error(), random[:12]) {
		t.Errorf("CheckHeaderValue = %v", err)
	}
}
