// Package providers is the one table of provider kinds a vault key can
// belong to, with their default base URLs, and the rules every base URL
// and header-bound field follows wherever a key is stored or used: the
// vault checks them when a key is added or edited, the command line
// before it unlocks anything, and the provider client again before it
// sends a key.
//
// A kind is a row of the table: adding a preset for another
// OpenAI-compatible service (its name, default base URL, key prefixes,
// whether it needs a key and whether it is free) is adding a row. The
// package imports only the standard library.
package providers

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strings"
	"unicode"
)

// Names of the kinds, as stored in key records.
const (
	OpenAI           = "openai"
	Azure            = "azure"
	OpenAICompatible = "openai-compatible"
	OpenRouter       = "openrouter"
	Groq             = "groq"
	Together         = "together"
	Mistral          = "mistral"
	DeepSeek         = "deepseek"
	XAI              = "xai"
	Gemini           = "gemini"
	Anthropic        = "anthropic"
	Ollama           = "ollama"
	LMStudio         = "lmstudio"
	VLLM             = "vllm"
)

// Default base URLs, each from the provider's own documentation of its
// OpenAI-compatible API (checked 2026-12-03).
const (
	// OpenAIBaseURL is OpenAI's API, the default base URL of openai keys.
	OpenAIBaseURL = "https://api.openai.com/v1"
	// OpenRouterBaseURL is OpenRouter's OpenAI-compatible API.
	OpenRouterBaseURL = "https://openrouter.ai/api/v1"
	// GroqBaseURL is Groq's OpenAI-compatible API.
	GroqBaseURL = "https://api.groq.com/openai/v1"
	// TogetherBaseURL is Together AI's OpenAI-compatible API.
	TogetherBaseURL = "https://api.together.ai/v1"
	// MistralBaseURL is Mistral's API.
	MistralBaseURL = "https://api.mistral.ai/v1"
	// DeepSeekBaseURL is DeepSeek's OpenAI-compatible API (its docs give
	// it without /v1 and accept /v1 too).
	DeepSeekBaseURL = "https://api.deepseek.com"
	// XAIBaseURL is xAI's API.
	XAIBaseURL = "https://api.x.ai/v1"
	// GeminiBaseURL is the Gemini API's OpenAI-compatible endpoint: under
	// /v1beta/openai, not /v1.
	GeminiBaseURL = "https://generativelanguage.googleapis.com/v1beta/openai"
	// AnthropicBaseURL is Anthropic's OpenAI SDK compatibility endpoint.
	AnthropicBaseURL = "https://api.anthropic.com/v1"
	// OllamaBaseURL is a local Ollama server's OpenAI-compatible API.
	OllamaBaseURL = "http://127.0.0.1:11434/v1"
	// LMStudioBaseURL is LM Studio's local server.
	LMStudioBaseURL = "http://127.0.0.1:1234/v1"
	// VLLMBaseURL is a local vLLM server ("vllm serve").
	VLLMBaseURL = "http://127.0.0.1:8000/v1"
)

// Protocol is how requests to a kind's server are made.
type Protocol int

const (
	// ProtocolOpenAI is OpenAI's API: the key as a bearer token, paths
	// such as /chat/completions under the base URL.
	ProtocolOpenAI Protocol = iota
	// ProtocolAzure is Azure OpenAI: the key in the api-key header,
	// deployments and an api-version (or the v1 API under /openai/v1).
	ProtocolAzure
)

// AccountAPI is the provider's own API for what a key spent and for
// keys made from keys (usage --reconcile, keys mint), beside chat.
type AccountAPI int

const (
	// AccountNone: the provider has no account API vaultchat speaks.
	AccountNone AccountAPI = iota
	// AccountOpenAI is OpenAI's organization usage and costs API and its
	// project service accounts (an admin key).
	AccountOpenAI
	// AccountOpenRouter is OpenRouter's /key and /keys (a chat key reads
	// its own spend; a management key mints).
	AccountOpenRouter
)

// Kind is one row of the table.
type Kind struct {
	// Name is what key records store and --provider takes.
	Name string
	// Protocol says how requests are made.
	Protocol Protocol
	// DefaultBaseURL is used when a key names no base URL; empty means
	// the key must name one.
	DefaultBaseURL string
	// Accounts is the provider's account API.
	Accounts AccountAPI
	// KeyOptional says the server needs no key (a local server): "keys
	// add" then stores the placeholder NoKey instead of asking for one.
	KeyOptional bool
	// KeyPrefixes are the prefixes of the keys the provider issues that
	// no other provider's keys start with; GuessByPrefix reads them. A
	// shared prefix (plain "sk-", used by OpenAI's old keys and DeepSeek)
	// is left out: it would point at the wrong provider.
	KeyPrefixes []string
	// StreamUsage says the server reports token usage at the end of a
	// stream when asked (stream_options.include_usage). The provider
	// client asks every server and estimates, marked so, only when none
	// is reported; this column documents where that is expected.
	StreamUsage bool
	// Free says the server charges nothing (a local server): its turns
	// cost $0, not an unknown amount (see usage.Prices.KeyCost).
	Free bool
	// Start says how to start a local server, for the hint shown when
	// it cannot be reached; empty for hosted providers.
	Start string
	// KeyHeader names a header that carries the key too, beside the
	// bearer token, and Headers are sent with every request: Anthropic's
	// model list is its native Models API, which reads x-api-key and an
	// anthropic-version, while its OpenAI-compatible chat reads the
	// bearer token.
	KeyHeader string
	Headers   map[string]string
}

// kinds is the table, in the order help texts list them. Key prefixes
// are the providers' documented formats (checked 2026-12-03).
// docs/presets-sources.md gives the source of each row's base URL,
// StreamUsage and prefixes, and what could not be verified.
var kinds = []Kind{
	{Name: OpenAI, Protocol: ProtocolOpenAI, DefaultBaseURL: OpenAIBaseURL, Accounts: AccountOpenAI,
		KeyPrefixes: []string{"sk-proj-", "sk-svcacct-", "sk-admin-"}, StreamUsage: true},
	{Name: Azure, Protocol: ProtocolAzure, StreamUsage: true},
	{Name: OpenRouter, Protocol: ProtocolOpenAI, DefaultBaseURL: OpenRouterBaseURL, Accounts: AccountOpenRouter,
		KeyPrefixes: []string{"sk-or-v1-"}, StreamUsage: true},
	{Name: Groq, Protocol: ProtocolOpenAI, DefaultBaseURL: GroqBaseURL, KeyPrefixes: []string{"gsk_"}, StreamUsage: true},
	{Name: Together, Protocol: ProtocolOpenAI, DefaultBaseURL: TogetherBaseURL, StreamUsage: true},
	{Name: Mistral, Protocol: ProtocolOpenAI, DefaultBaseURL: MistralBaseURL, StreamUsage: true},
	{Name: DeepSeek, Protocol: ProtocolOpenAI, DefaultBaseURL: DeepSeekBaseURL, StreamUsage: true},
	{Name: XAI, Protocol: ProtocolOpenAI, DefaultBaseURL: XAIBaseURL, KeyPrefixes: []string{"xai-"}, StreamUsage: true},
	{Name: Gemini, Protocol: ProtocolOpenAI, DefaultBaseURL: GeminiBaseURL, KeyPrefixes: []string{"AIza", "AQ."}, StreamUsage: true},
	{Name: Anthropic, Protocol: ProtocolOpenAI, DefaultBaseURL: AnthropicBaseURL, KeyPrefixes: []string{"sk-ant-"}, StreamUsage: true,
		KeyHeader: "x-api-key", Headers: map[string]string{"anthropic-version": "2023-06-01"}},
	{Name: Ollama, Protocol: ProtocolOpenAI, DefaultBaseURL: OllamaBaseURL, KeyOptional: true, StreamUsage: true, Free: true,
		Start: `start it with "ollama serve"`},
	{Name: LMStudio, Protocol: ProtocolOpenAI, DefaultBaseURL: LMStudioBaseURL, KeyOptional: true, StreamUsage: true, Free: true,
		Start: `start its server with "lms server start" or in LM Studio's Developer tab`},
	{Name: VLLM, Protocol: ProtocolOpenAI, DefaultBaseURL: VLLMBaseURL, KeyOptional: true, StreamUsage: true, Free: true,
		Start: `start it with "vllm serve MODEL"`},
	// Anything else that speaks OpenAI's API; the key names its base URL.
	{Name: OpenAICompatible, Protocol: ProtocolOpenAI},
}

// UnreachableHint is the hint for a key of this kind whose server cannot
// be reached: how to start a local server (Start), or where to look for
// a hosted one. keyName names the key in the command it suggests. Every
// place that reports an unreachable server (ask, the app, keys check,
// models) gives this one.
func (k Kind) UnreachableHint(keyName string) string {
	if k.Start != "" {
		return fmt.Sprintf("is %s running? %s; or fix the base URL: vaultchat keys edit %s --base-url URL", k.Name, k.Start, keyName)
	}
	return fmt.Sprintf("check the network connection and the base URL (vaultchat keys show %s)", keyName)
}

// NoKey is the secret stored for a key of a kind that needs none
// (KeyOptional) when none is given: the OpenAI protocol sends some bearer
// token, and local servers ignore it. It is not a secret.
const NoKey = "no-key"

// Kinds returns the table, in help order. Like every row this package
// returns, the rows are copies: changing one changes nothing here.
func Kinds() []Kind {
	out := make([]Kind, len(kinds))
	for i, k := range kinds {
		out[i] = k.clone()
	}
	return out
}

// clone returns a copy of k that shares no slice or map with it, so a
// caller that appends to or edits a returned row cannot change the table.
func (k Kind) clone() Kind {
	k.KeyPrefixes = slices.Clone(k.KeyPrefixes)
	k.Headers = maps.Clone(k.Headers)
	return k
}

// GuessByPrefix returns the kind whose keys start like secret, by the
// longest distinctive prefix (KeyPrefixes), and the prefix that matched.
// The row is a copy.
// Only the prefix is ever worth showing; the rest of secret is not read.
func GuessByPrefix(secret string) (kind Kind, prefix string, ok bool) {
	for _, k := range kinds {
		for _, p := range k.KeyPrefixes {
			if strings.HasPrefix(secret, p) && len(p) > len(prefix) {
				kind, prefix, ok = k, p, true
			}
		}
	}
	if ok {
		kind = kind.clone()
	}
	return kind, prefix, ok
}

// Mismatch is a key that looks like another provider's (WrongProvider).
type Mismatch struct {
	// Likely is the provider the key's prefix belongs to.
	Likely Kind
	// Prefix is the prefix that says so ("gsk_"), safe to show.
	Prefix string
	// Host is where the key would be sent.
	Host string
}

// WrongProvider reports whether secret, stored as a key of kind at
// baseURL, looks like a key of another provider: its prefix belongs to
// that provider, and the key would go to a host that is not the other
// provider's default one (a proxy for that provider at another host is
// possible, so the caller warns rather than refuses). A key at its
// likely provider's own host is never a mismatch, whatever its kind.
func WrongProvider(kind, baseURL, secret string) (Mismatch, bool) {
	likely, prefix, ok := GuessByPrefix(secret)
	if !ok || likely.Name == kind {
		return Mismatch{}, false
	}
	host := hostOf(baseURL)
	if k, err := Lookup(kind); err == nil && host == "" {
		host = hostOf(k.DefaultBaseURL)
	}
	if host != "" && strings.EqualFold(host, hostOf(likely.DefaultBaseURL)) {
		return Mismatch{}, false
	}
	return Mismatch{Likely: likely, Prefix: prefix, Host: host}, true
}

func hostOf(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	return u.Host
}

// Lookup returns (a copy of) the kind with that name. The error lists the
// known kinds.
func Lookup(name string) (Kind, error) {
	for _, k := range kinds {
		if k.Name == name {
			return k.clone(), nil
		}
	}
	return Kind{}, fmt.Errorf("unknown provider %q (want %s)", name, NameList())
}

// Names returns the kinds' names, in table order.
func Names() []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = k.Name
	}
	return out
}

// NameList returns the names for a sentence: "openai, azure, …, vllm
// or …".
func NameList() string {
	names := Names()
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// BaseURL returns the base URL a key of this kind uses: given, without
// surrounding spaces and trailing slashes, or the kind's default when
// given is empty. A kind without a default needs one.
func (k Kind) BaseURL(given string) (string, error) {
	base := strings.TrimRight(strings.TrimSpace(given), "/")
	if base == "" {
		if k.DefaultBaseURL == "" {
			return "", fmt.Errorf("a %s key needs a base URL", k.Name)
		}
		return k.DefaultBaseURL, nil
	}
	return base, nil
}

// ErrInsecureHTTP is wrapped when a key would travel in clear text: a
// plain http base URL whose host is not this machine, on a key that does
// not allow it.
var ErrInsecureHTTP = errors.New("plain http to another host would send the key in clear text")

// ParseBaseURL checks a base URL: http or https, a host, no credentials,
// no query or fragment, no spaces or control characters. Its errors do not
// quote the URL: a key pasted into the wrong prompt lands here.
func ParseBaseURL(s string) (*url.URL, error) {
	if strings.ContainsFunc(s, unicode.IsSpace) || strings.ContainsFunc(s, unicode.IsControl) {
		return nil, errors.New("base URL contains spaces or control characters")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("base URL is not an http(s) URL (want https://host/…)")
	}
	if u.User != nil {
		return nil, errors.New("base URL must not contain credentials")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("base URL must not have a query or fragment")
	}
	return u, nil
}

// CheckCleartext is the one rule on plain http: a key (secret) may go
// over http only to this machine (localhost, 127.0.0.0/8, ::1), unless its
// owner allowed it (allowInsecure). No key (the NoKey placeholder of a
// local server, or none) has nothing to protect: a LAN Ollama is fine.
// The error wraps ErrInsecureHTTP and, like ParseBaseURL's, does not
// quote the URL: a host label can carry a key too, and this package has
// no mask for it.
func CheckCleartext(u *url.URL, allowInsecure bool, secret string) error {
	if u.Scheme != "http" || allowInsecure || IsLoopback(u.Hostname()) || secret == "" || secret == NoKey {
		return nil
	}
	return fmt.Errorf("base URL: %w", ErrInsecureHTTP)
}

// IsLoopback reports whether host (without port) names this machine:
// localhost (and names under .localhost), 127.0.0.0/8 or ::1.
func IsLoopback(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckHeaderValue refuses a value that is sent in an HTTP header, query
// or path (organization, project, API version, deployment) and holds a
// control character: a newline there would split the request, and would
// otherwise fail only later, as "cannot reach". The error names the
// field, never the value.
func CheckHeaderValue(field, value string) error {
	if strings.ContainsFunc(value, unicode.IsControl) {
		return fmt.Errorf("%s contains a newline or another control character", field)
	}
	return nil
}
