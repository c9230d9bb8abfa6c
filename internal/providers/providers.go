// Package providers is the one table of provider kinds a vault key can
// belong to, with their default base URLs, and the rules every base URL
// and header-bound field follows wherever a key is stored or used: the
// vault checks them when a key is added or edited, the command line
// before it unlocks anything, and the provider client again before it
// sends a key.
//
// A kind is a row of the table: adding a preset for another
// OpenAI-compatible service (its name and default base URL) is adding a
// row. The package imports only the standard library.
package providers

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"unicode"
)

// Names of the kinds, as stored in key records.
const (
	OpenAI           = "openai"
	Azure            = "azure"
	OpenAICompatible = "openai-compatible"
	OpenRouter       = "openrouter"
)

// Default base URLs.
const (
	// OpenAIBaseURL is OpenAI's API, the default base URL of openai keys.
	OpenAIBaseURL = "https://api.openai.com/v1"
	// OpenRouterBaseURL is OpenRouter's OpenAI-compatible API.
	OpenRouterBaseURL = "https://openrouter.ai/api/v1"
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
}

// kinds is the table, in the order help texts list them.
var kinds = []Kind{
	{Name: OpenAI, Protocol: ProtocolOpenAI, DefaultBaseURL: OpenAIBaseURL, Accounts: AccountOpenAI},
	{Name: Azure, Protocol: ProtocolAzure},
	{Name: OpenAICompatible, Protocol: ProtocolOpenAI},
	{Name: OpenRouter, Protocol: ProtocolOpenAI, DefaultBaseURL: OpenRouterBaseURL, Accounts: AccountOpenRouter},
}

// Lookup returns the kind with that name. The error lists the known kinds.
func Lookup(name string) (Kind, error) {
	for _, k := range kinds {
		if k.Name == name {
			return k, nil
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

// NameList returns the names for a sentence: "openai, azure or
// openai-compatible or openrouter".
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

// CheckCleartext is the one rule on plain http: a key may go over http
// only to this machine (localhost, 127.0.0.0/8, ::1), unless its owner
// allowed it (allowInsecure). The error wraps ErrInsecureHTTP.
func CheckCleartext(u *url.URL, allowInsecure bool) error {
	if u.Scheme != "http" || allowInsecure || IsLoopback(u.Hostname()) {
		return nil
	}
	return fmt.Errorf("base URL http://%s: %w", u.Host, ErrInsecureHTTP)
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
// otherwise fail only later, as "cannot reach".
func CheckHeaderValue(field, value string) error {
	if strings.ContainsFunc(value, unicode.IsControl) {
		return fmt.Errorf("%s contains a newline or another control character", field)
	}
	return nil
}
