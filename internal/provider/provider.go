// Package provider talks to OpenAI, Azure OpenAI and OpenAI-compatible
// servers for one vault key. It is the only package that imports the
// go-openai SDK; everything it returns is provider-neutral (package chat).
//
// A Client is built from one key. It sends the key only to the key's own
// base URL (requests and redirects to any other host are refused), records
// the rate-limit headers of every response, and classifies every failure
// into a chat.Error whose text has passed value-based redaction of all
// vault secrets and the terminal sanitizer. Streamed reply text passes the
// same two filters, chunk boundaries notwithstanding.
//
// Nothing a server sends is trusted: what is read is bounded (limits.go:
// one event, a whole stream, the reply text, a model list, an error body;
// counted after gzip decoding), every wait is bounded (a response timeout
// and an idle timeout; a cancel still ends a turn at once), an answer that
// is not the API's (a web page on a stream) is an unexpected response,
// error bodies of every common shape are read (httperror.go), and the
// usage a server reports is checked before it is believed (usage.go).
// keys check lists models through this client too, so one set of rules
// (URLs, Azure versions, proxy, redirects, Retry-After, classification)
// serves every request a key makes.
//
// Stream runs one chat turn and reports it as events on a channel; see
// Stream for the contract.
package provider

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/internal/sanitize"
)

// DefaultAzureAPIVersion is the Azure OpenAI API version used when a key
// names none: the current GA version, which supports stream usage.
const DefaultAzureAPIVersion = "2024-10-21"

// Config describes one key. Format hides Secret, so a Config may be
// printed; never copy Secret anywhere else.
type Config struct {
	// Provider is a kind of the providers table ("openai", the default,
	// "azure", "openai-compatible").
	Provider string
	// BaseURL is where requests go ("https://api.openai.com/v1",
	// "https://NAME.openai.azure.com", "http://127.0.0.1:8080/v1"). The
	// key is sent to this URL's scheme and host only.
	BaseURL string
	// AllowInsecureHTTP is the key's consent to travel over plain http
	// to a host that is not this machine (providers.CheckCleartext).
	AllowInsecureHTTP bool
	// Secret is the API key. It is never logged and never part of an
	// error. It may be empty for servers that need no key.
	Secret string
	// KeyName is the vault name of the key, used in hints
	// ("vaultchat keys check NAME").
	KeyName string
	// Organization and Project are sent as the OpenAI-Organization and
	// OpenAI-Project headers when set.
	Organization, Project string
	// AzureAPIVersion defaults to DefaultAzureAPIVersion.
	AzureAPIVersion string
	// AzureDeployments maps a model name to its Azure deployment name;
	// a model missing from it is used as the deployment name.
	AzureDeployments map[string]string
	// Transport is the base HTTP transport, for tests. The default is a
	// clone of http.DefaultTransport that uses a proxy from the
	// environment for https only (a proxy would see an http request's key).
	Transport http.RoundTripper
	// NoRedirects refuses every redirect, even to the key's own host, and
	// reports it (keys check: the user should fix the base URL). Without
	// it, redirects within the key's scheme and host are followed.
	NoRedirects bool
	// Redactor masks every secret of the unlocked vault; every text from
	// the server or the model passes it. It must mask Secret (when
	// redact.Maskable says Secret can be masked at all). Nil means a
	// Redactor for Secret alone.
	Redactor *redact.Redactor
}

// Format prints the Config with its secret masked, whatever the verb, so
// that a stray %v or %#v cannot leak the key.
func (c Config) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "provider.Config{Provider:%q BaseURL:%q KeyName:%q Secret:%q}",
		c.Provider, c.BaseURL, c.KeyName, redact.Mask(c.Secret))
}

// Client talks to one provider with one key. It is safe for concurrent
// use. It remembers, for its key, whether the server rejects
// stream_options, so only the first turn pays for finding out.
type Client struct {
	api     *openai.Client
	tr      *transport
	red     *redact.Redactor
	keyName string
	host    string
	// kind is the key's preset, for the hint when its server cannot be
	// reached.
	kind providers.Kind
	// loopback says the server is on this machine, where a refused
	// connection means it is not running: not worth a retry.
	loopback bool
	// baseURL is the key's base URL (the kind's default when it names
	// none), where the account APIs live too.
	baseURL string
	// deployments maps model names to Azure deployments for the Azure v1
	// API, which takes the deployment as the request's model.
	deployments map[string]string

	// noStreamOptions is set once the server has refused stream_options.
	noStreamOptions atomic.Bool

	// turnExited, when set by a test, is called after a turn's
	// goroutine has closed its channel.
	turnExited func()
}

// New returns a Client for cfg. Its errors never contain the secret.
func New(cfg Config) (*Client, error) {
	kind, err := providers.Lookup(cmp.Or(cfg.Provider, providers.OpenAI))
	if err != nil {
		return nil, err
	}
	base, err := kind.BaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	red := cfg.Redactor
	if red == nil {
		red = redact.New(cfg.Secret)
	}
	// A secret too short to mask (a local server's "ollama") is not
	// masked by value by any redactor; see redact.Maskable.
	if redact.Maskable(cfg.Secret) && strings.Contains(red.String(cfg.Secret), cfg.Secret) {
		return nil, errors.New("the redactor does not mask this key's secret")
	}
	u, err := providers.ParseBaseURL(base)
	if err != nil {
		return nil, err
	}
	// The last gate before a key leaves: whatever the vault stored
	// (records written before the rule, a caller that skipped it), a key
	// goes over plain http only to this machine or with its consent.
	if err := providers.CheckCleartext(u, cfg.AllowInsecureHTTP, cfg.Secret); err != nil {
		return nil, err
	}
	sent := providers.SentFields{Organization: cfg.Organization, Project: cfg.Project, AzureAPIVersion: cfg.AzureAPIVersion, AzureDeployments: cfg.AzureDeployments}
	if err := sent.Check(); err != nil {
		return nil, err
	}

	rt := cfg.Transport
	if rt == nil {
		rt = defaultTransport()
	}
	tr := &transport{base: rt, scheme: u.Scheme, host: u.Host, now: time.Now, extra: http.Header{}, noRedirects: cfg.NoRedirects}
	if cfg.Organization != "" {
		tr.extra.Set("OpenAI-Organization", cfg.Organization)
	}
	if cfg.Project != "" {
		tr.extra.Set("OpenAI-Project", cfg.Project)
	}
	for name, value := range kind.Headers {
		tr.extra.Set(name, value)
	}
	if kind.KeyHeader != "" {
		tr.extra.Set(kind.KeyHeader, cfg.Secret)
	}
	// No client timeout: a streamed reply may legitimately take minutes.
	// Cancellation comes from the caller's context.
	httpClient := &http.Client{Transport: tr, CheckRedirect: tr.checkRedirect}

	var oc openai.ClientConfig
	var v1Deployments map[string]string
	switch {
	case kind.Protocol == providers.ProtocolAzure && IsAzureV1(base):
		// The Azure v1 API takes OpenAI's paths under .../openai/v1, no
		// api-version, the key in the api-key header and the deployment
		// as the model.
		oc = openai.DefaultConfig("")
		oc.BaseURL = base
		tr.extra.Set("api-key", cfg.Secret)
		v1Deployments = maps.Clone(cfg.AzureDeployments)
	case kind.Protocol == providers.ProtocolAzure:
		oc = openai.DefaultAzureConfig(cfg.Secret, base)
		oc.APIVersion = cmp.Or(cfg.AzureAPIVersion, DefaultAzureAPIVersion)
		deployments := maps.Clone(cfg.AzureDeployments)
		oc.AzureModelMapperFunc = func(model string) string {
			if d := deployments[model]; d != "" {
				return azurePathSegment(d)
			}
			return azurePathSegment(model)
		}
	default:
		oc = openai.DefaultConfig(cfg.Secret)
		oc.BaseURL = base
	}
	oc.HTTPClient = httpClient

	return &Client{
		api:         openai.NewClientWithConfig(oc),
		tr:          tr,
		red:         red,
		keyName:     cfg.KeyName,
		host:        u.Host,
		baseURL:     base,
		deployments: v1Deployments,
		kind:        kind,
		loopback:    providers.IsLoopback(u.Hostname()),
	}, nil
}

// IsAzureV1 reports whether an Azure base URL is for the v1 API
// (".../openai/v1"), which takes OpenAI's paths, rather than the classic
// data-plane API (deployments in the path, an api-version query).
func IsAzureV1(baseURL string) bool {
	return strings.HasSuffix(strings.TrimRight(baseURL, "/"), "/openai/v1")
}

// model returns the model name to send: the Azure v1 API takes the
// deployment.
func (c *Client) model(name string) string {
	if d := c.deployments[name]; d != "" {
		return d
	}
	return name
}

// azurePathSegment escapes a deployment name for the one URL path segment
// go-openai puts it in (it does not escape it itself). A model name may
// come from an imported conversation or a server's model list; unescaped,
// "../x" would climb out of /openai/deployments/, and "?" or "#" would
// replace or cut off the api-version. The host cannot change either way
// (the transport pins it), but the request must go where it says.
func azurePathSegment(name string) string {
	switch name {
	case ".", "..":
		// PathEscape leaves dots alone, and a lone dot segment would be
		// resolved as a relative path step.
		return strings.Repeat("%2E", len(name))
	}
	return url.PathEscape(name)
}

// defaultTransport is http.DefaultTransport with a proxy for https
// requests only: through an HTTP proxy, an http request's key would be
// readable by the proxy, another host than the key's.
func defaultTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = func(r *http.Request) (*url.URL, error) {
		if r.URL.Scheme != "https" {
			return nil, nil
		}
		return http.ProxyFromEnvironment(r)
	}
	return t
}

// RateLimits returns the rate limits of the last response from this
// key's server that reported any, whichever request it answered.
func (c *Client) RateLimits() chat.RateLimits { return c.tr.lastRateLimits() }

// ListModels returns the IDs of the models the key can use, sorted. It is
// also the cheapest way to check that a key works (keys check). The list
// is read within maxJSONBody and the default timeouts; a reply that is
// not an OpenAI-style model list ({"data": [...]}) is an unexpected
// response.
func (c *Client) ListModels(ctx context.Context) ([]string, *chat.Error) {
	ctx, w := watch(ctx, Options{}.withDefaults().timeouts())
	defer w.stop()
	list, err := c.api.ListModels(ctx)
	var synErr *json.SyntaxError
	var valErr *json.UnmarshalTypeError
	switch {
	case w.status < 300 && (errors.As(err, &synErr) || errors.As(err, &valErr)):
		return nil, c.notModelList(w.status)
	case err != nil:
		return nil, c.classify(ctx, err, w, false, false)
	}
	if list.Models == nil {
		return nil, c.notModelList(w.status)
	}
	ids := make([]string, 0, len(list.Models))
	for _, m := range list.Models {
		ids = append(ids, c.clean(m.ID))
	}
	slices.Sort(ids)
	return ids, nil
}

// notModelList is a successful reply that is not a model list.
func (c *Client) notModelList(status int) *chat.Error {
	return &chat.Error{
		Class:   chat.ErrBadResponse,
		Status:  status,
		Message: c.clean(fmt.Sprintf("unexpected response from %s (HTTP %d): not a model list", c.host, status)),
		Hint:    "is the base URL an OpenAI-compatible API (it usually ends in /v1)?",
	}
}

// clean makes server or model text safe to show and store: secrets are
// masked first (the sanitizer never drops a character, so it cannot join
// the halves of a key), then control characters and escape sequences are
// neutralised.
func (c *Client) clean(s string) string {
	return sanitize.String(c.red.String(s))
}
