// Package keycheck asks each key's provider whether the key works, by
// listing the models it can use.
//
// A check sends the secret only to the key's own base URL: the HTTP client
// refuses every redirect, because following one would hand the key (and
// headers such as Azure's api-key, which net/http does not strip) to
// whatever host the server names. Every piece of server text in a Result
// is redacted by value and sanitized for the terminal.
package keycheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/internal/sanitize"
	"github.com/vaultchat/vaultchat/vault"
)

// Outcome is the short verdict of one check. Its text is what the CLI shows
// and what the vault records in the key's LastCheck.Status.
type Outcome string

// Outcomes of a check.
const (
	OK          Outcome = "ok"
	InvalidKey  Outcome = "invalid key"         // 401 or 403
	NoQuota     Outcome = "no quota"            // 429 insufficient_quota
	RateLimited Outcome = "rate limited"        // other 429
	HTTPError   Outcome = "http error"          // any other status
	BadResponse Outcome = "unexpected response" // 2xx that is not a model list
	Unreachable Outcome = "unreachable"         // no HTTP response at all
)

// DefaultTimeout bounds one key's check, connection to last byte.
const DefaultTimeout = 15 * time.Second

// DefaultAzureAPIVersion is the api-version sent for azure keys that record
// none: the generally available data-plane version that lists models.
const DefaultAzureAPIVersion = "2024-10-21"

// defaultConcurrency is how many keys are checked at once.
const defaultConcurrency = 8

// Body size caps: a model list is tens of kilobytes; an error body is
// only read for its message.
const (
	maxListBody  = 8 << 20
	maxErrorBody = 64 << 10
)

// Result is the outcome of checking one key. Detail and Hint are redacted
// and sanitized, safe to print.
type Result struct {
	Name    string
	KeyID   string
	Outcome Outcome
	Status  int    // HTTP status, 0 when there was no response
	Models  int    // number of models listed, for OK
	Detail  string // explanation, for anything but OK
	Hint    string // what the user can do, may be empty
}

// OK reports whether the key works.
func (r Result) OK() bool { return r.Outcome == OK }

// Summary returns a one-line description such as "ok (52 models)" or
// "invalid key: invalid API key (HTTP 401): …".
func (r Result) Summary() string {
	if r.OK() {
		if r.Models == 1 {
			return "ok (1 model)"
		}
		return fmt.Sprintf("ok (%d models)", r.Models)
	}
	if r.Detail == "" {
		return string(r.Outcome)
	}
	return string(r.Outcome) + ": " + r.Detail
}

// Checker checks keys. The zero value is not usable; call New.
type Checker struct {
	// Client sends the requests. New sets one that refuses redirects;
	// a replacement must refuse them too.
	Client *http.Client
	// Timeout bounds each key's check.
	Timeout time.Duration
	// Redactor masks secrets in server text. New's caller should build it
	// from every secret in the vault, not only the checked ones: a server
	// may echo anything it has seen.
	Redactor *redact.Redactor
	// Concurrency is how many keys are checked at once.
	Concurrency int
}

// New returns a Checker with a redirect-refusing client, DefaultTimeout
// and r for redaction.
func New(r *redact.Redactor) *Checker {
	return &Checker{Client: NewClient(), Timeout: DefaultTimeout, Redactor: r, Concurrency: defaultConcurrency}
}

// NewClient returns an HTTP client that never follows a redirect: the
// 3xx response itself comes back, and Check reports it as an HTTP error.
// It uses a proxy from the environment for https only: an http request
// through a proxy hands the proxy, another host than the key's, the
// Authorization header in clear text, while an https one only asks it for
// a tunnel it cannot read.
func NewClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = httpsProxyOnly
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// httpsProxyOnly is http.ProxyFromEnvironment for https requests and no
// proxy for anything else.
func httpsProxyOnly(r *http.Request) (*url.URL, error) {
	if r.URL.Scheme != "https" {
		return nil, nil
	}
	return http.ProxyFromEnvironment(r)
}

// CheckAll checks keys concurrently and returns the results in name order.
func (c *Checker) CheckAll(ctx context.Context, keys []vault.Key) []Result {
	results := make([]Result, len(keys))
	n := c.Concurrency
	if n <= 0 {
		n = 1
	}
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i, k := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = c.Check(ctx, k)
		}()
	}
	wg.Wait()
	sort.SliceStable(results, func(i, j int) bool { return results[i].Name < results[j].Name })
	return results
}

// Check lists k's models at its base URL and classifies the answer.
func (c *Checker) Check(ctx context.Context, k vault.Key) Result {
	res := Result{Name: k.Name, KeyID: k.ID}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	req, err := NewRequest(ctx, k)
	if err != nil {
		res.Outcome, res.Detail = Unreachable, c.clean(err.Error())
		res.Hint = fmt.Sprintf("fix the base URL: vaultchat keys edit %s --base-url URL", k.Name)
		return res
	}
	resp, err := c.Client.Do(req)
	if err != nil {
		res.Outcome = Unreachable
		if errors.Is(err, context.DeadlineExceeded) {
			res.Detail = fmt.Sprintf("no answer from %s within %s", req.URL.Host, timeout)
		} else {
			res.Detail = c.clean(err.Error())
		}
		res.Hint = "check the base URL and the network"
		return res
	}
	defer resp.Body.Close()
	res.Status = resp.StatusCode

	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		res.Outcome = HTTPError
		res.Detail = fmt.Sprintf("HTTP %d redirect to %s refused: a key is only sent to its own base URL", resp.StatusCode, c.clean(redirectTarget(resp)))
		res.Hint = fmt.Sprintf("if the provider moved, set the new base URL: vaultchat keys edit %s --base-url URL", k.Name)
		return res
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		n, err := countModels(io.LimitReader(resp.Body, maxListBody+1))
		if err != nil {
			res.Outcome = BadResponse
			res.Detail = fmt.Sprintf("HTTP %d but %s", resp.StatusCode, c.clean(err.Error()))
			res.Hint = "is the base URL an OpenAI-compatible API (it usually ends in /v1)?"
			return res
		}
		res.Outcome, res.Models = OK, n
		return res
	}

	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := chat.ClassifyHTTP(resp.StatusCode, c.Redactor.String(string(body)), retryAfter(resp.Header.Get("Retry-After")), k.Name)
	res.Detail = c.clean(e.Message)
	res.Hint = c.clean(e.Hint)
	switch e.Class {
	case chat.ErrInvalidKey:
		res.Outcome = InvalidKey
		res.Hint = fmt.Sprintf("the provider refused the key; rotate it: vaultchat keys rotate %s", k.Name)
	case chat.ErrNoQuota:
		res.Outcome = NoQuota
	case chat.ErrRateLimited:
		res.Outcome = RateLimited
	default:
		res.Outcome = HTTPError
		if resp.StatusCode == http.StatusNotFound {
			// ClassifyHTTP reads 404 as an unknown model; on the model list
			// it means the base URL is wrong.
			res.Detail = fmt.Sprintf("HTTP 404 for %s", c.clean(req.URL.Redacted()))
			res.Hint = fmt.Sprintf("check the base URL: vaultchat keys edit %s --base-url URL", k.Name)
		}
	}
	return res
}

// NewRequest builds the model-list request for k, carrying its secret in
// the provider's header: "Authorization: Bearer" (plus OpenAI-Organization
// and OpenAI-Project when set) for OpenAI and compatible APIs, "api-key"
// for Azure.
func NewRequest(ctx context.Context, k vault.Key) (*http.Request, error) {
	base := strings.TrimRight(k.BaseURL, "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("base URL %q is not an http(s) URL", k.BaseURL)
	}
	azure := k.Provider == vault.ProviderAzure
	target := base + "/models"
	if azure && !strings.HasSuffix(base, "/openai/v1") {
		// The classic data-plane API needs the api-version; the newer
		// .../openai/v1 API takes OpenAI paths and none.
		v := k.AzureAPIVersion
		if v == "" {
			v = DefaultAzureAPIVersion
		}
		target = base + "/openai/models?api-version=" + url.QueryEscape(v)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if azure {
		req.Header.Set("api-key", k.Secret.Reveal())
	} else {
		req.Header.Set("Authorization", "Bearer "+k.Secret.Reveal())
		if k.Organization != "" {
			req.Header.Set("OpenAI-Organization", k.Organization)
		}
		if k.Project != "" {
			req.Header.Set("OpenAI-Project", k.Project)
		}
	}
	return req, nil
}

// countModels reads an OpenAI-style model list ({"data": [...]}) and
// returns how many models it holds.
func countModels(r io.Reader) (int, error) {
	body, err := io.ReadAll(r)
	if err != nil {
		return 0, fmt.Errorf("reading the model list failed: %v", err)
	}
	if len(body) > maxListBody {
		return 0, fmt.Errorf("the model list is over %d bytes", maxListBody)
	}
	var list struct {
		Data *[]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &list); err != nil || list.Data == nil {
		return 0, errors.New("the reply is not a model list")
	}
	return len(*list.Data), nil
}

// redirectTarget returns the host a redirect points at, for the message.
func redirectTarget(resp *http.Response) string {
	loc, err := resp.Location()
	if err != nil {
		return "another location"
	}
	return loc.Host + loc.EscapedPath()
}

// retryAfter parses a Retry-After header given in seconds.
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// clean redacts secrets from server or error text and makes it safe for a
// terminal.
func (c *Checker) clean(s string) string {
	return sanitize.String(c.Redactor.String(s))
}
