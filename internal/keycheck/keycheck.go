// Package keycheck asks each key's provider whether the key works, by
// listing the models it can use with the provider client
// (provider.Client.ListModels), so that a check and a chat turn share one
// set of rules: URLs (Azure classic and v1), headers, the https-only proxy
// rule, response caps and HTTP error classification.
//
// A check sends the secret only to the key's own base URL: every redirect
// is refused, even to the same host, because the user should learn that
// the base URL moved, and following one elsewhere would hand the key (and
// headers such as Azure's api-key, which net/http does not strip) to
// whatever host the server names. Every piece of server text in a Result
// is redacted by value and sanitized for the terminal.
package keycheck

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/provider"
	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/internal/sanitize"
	"github.com/vaultchat/vaultchat/vault"
)

// Outcome is the short verdict of one check. Its String is what the CLI
// shows and what the vault records in the key's LastCheck.Status; Recorded
// reads it back.
type Outcome int

// Outcomes of a check.
const (
	Unknown     Outcome = iota // no check recorded, or one this version does not know
	OK                         // the key lists models (an account key: its account API answers)
	InvalidKey                 // 401 or 403
	NoQuota                    // 429 insufficient_quota
	RateLimited                // other 429
	HTTPError                  // any other status, a refused redirect
	BadResponse                // 2xx that is not a model list
	Unreachable                // no HTTP response at all
	WrongKind                  // a management key that OpenRouter says is a chat key
)

var outcomeNames = [...]string{
	Unknown:     "unknown",
	OK:          "ok",
	InvalidKey:  "invalid key",
	NoQuota:     "no quota",
	RateLimited: "rate limited",
	HTTPError:   "http error",
	BadResponse: "unexpected response",
	Unreachable: "unreachable",
	WrongKind:   "not a management key",
}

// String returns the outcome as shown and recorded ("invalid key").
func (o Outcome) String() string {
	if o < 0 || int(o) >= len(outcomeNames) {
		return outcomeNames[Unknown]
	}
	return outcomeNames[o]
}

// Recorded returns the outcome a key's last check recorded in the vault,
// Unknown if there is none.
func Recorded(c vault.Check) Outcome {
	if c.At.IsZero() {
		return Unknown
	}
	for o, name := range outcomeNames {
		if name == c.Status {
			return Outcome(o)
		}
	}
	return Unknown
}

// DefaultTimeout bounds one key's check, connection to last byte.
const DefaultTimeout = 15 * time.Second

// defaultConcurrency is how many keys are checked at once.
const defaultConcurrency = 8

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
	// Account: an admin or management key, checked against its
	// account API rather than by listing models.
	Account bool
}

// OK reports whether the key works.
func (r Result) OK() bool { return r.Outcome == OK }

// Summary returns a one-line description such as "ok (52 models)" or
// "invalid key: invalid API key (HTTP 401): …": the outcome, then the
// detail, the outcome said once when the detail starts with it.
func (r Result) Summary() string {
	if r.OK() {
		if r.Account {
			return "ok (account API)"
		}
		if r.Models == 1 {
			return "ok (1 model)"
		}
		return fmt.Sprintf("ok (%d models)", r.Models)
	}
	if r.Detail == "" {
		return r.Outcome.String()
	}
	if strings.HasPrefix(r.Detail, r.Outcome.String()+" ") {
		// The provider's message already names it ("unexpected
		// response from HOST: …").
		return r.Detail
	}
	return r.Outcome.String() + ": " + r.Detail
}

// Checker checks keys. The zero value is not usable; call New.
type Checker struct {
	// Transport is the HTTP transport, for tests; nil means the
	// provider's default (a proxy from the environment for https only).
	Transport http.RoundTripper
	// Timeout bounds each key's check.
	Timeout time.Duration
	// Redactor masks secrets in server text. New's caller should build it
	// from every secret in the vault, not only the checked ones: a server
	// may echo anything it has seen.
	Redactor *redact.Redactor
	// Concurrency is how many keys are checked at once.
	Concurrency int
}

// New returns a Checker with DefaultTimeout and r for redaction.
func New(r *redact.Redactor) *Checker {
	return &Checker{Timeout: DefaultTimeout, Redactor: r, Concurrency: defaultConcurrency}
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

// Check lists k's models with the provider client (provider.ListModels:
// the same URLs, headers, proxy rule, caps and error classification as a
// chat turn) and turns the answer into a Result. An admin or management
// key, which lists no models, asks its account API instead (checkAccount).
// Redirects are refused, not followed.
func (c *Checker) Check(ctx context.Context, k vault.Key) Result {
	res := Result{Name: k.Name, KeyID: k.ID, Account: !k.ForChat()}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	cfg := provider.Config{
		Provider:         k.Provider,
		BaseURL:          k.BaseURL,
		Secret:           k.Secret.Reveal(),
		KeyName:          k.Name,
		Organization:     k.Organization,
		Project:          k.Project,
		AzureAPIVersion:  k.AzureAPIVersion,
		AzureDeployments: k.AzureDeployments,
		Transport:        c.Transport,
		Redactor:         c.Redactor,
		NoRedirects:      true,

		// The owner's consent to plain http to another host.
		AllowInsecureHTTP: k.AllowInsecureHTTP,
	}
	var (
		models []string
		e      *chat.Error
		err    error
	)
	var wrongKind bool
	if res.Account {
		wrongKind, e, err = checkAccount(ctx, cfg, k)
	} else {
		var client *provider.Client
		if client, err = provider.New(cfg); err == nil {
			models, e = client.ListModels(ctx)
		}
	}
	if err != nil {
		res.Outcome, res.Detail = Unreachable, sanitize.String(c.Redactor.String(err.Error()))
		res.Hint = fmt.Sprintf("fix the base URL: vaultchat keys edit %s --base-url URL", k.Name)
		return res
	}
	if wrongKind {
		res.Outcome, res.Status = WrongKind, http.StatusOK
		res.Detail = "OpenRouter says this key is an ordinary API key, which cannot mint keys"
		res.Hint = fmt.Sprintf("store it as a chat key: vaultchat keys rm %s, then vaultchat keys add %s --provider openrouter (without --management)", k.Name, k.Name)
		return res
	}
	if e == nil {
		// A model list or an account's answer only comes with a 2xx
		// status (redirects are refused, error statuses are errors).
		res.Outcome, res.Models, res.Status = OK, len(models), http.StatusOK
		return res
	}
	res.Status, res.Detail, res.Hint = e.Status, e.Message, e.Hint
	kind, _ := providers.Lookup(k.Provider)
	switch e.Class {
	case chat.ErrInvalidKey:
		res.Outcome = InvalidKey
		res.Hint = fmt.Sprintf("the provider refused the key; rotate it: vaultchat keys rotate %s", k.Name)
		if k.Secret.Reveal() == providers.NoKey {
			// A keyless key (the placeholder) on a server started
			// with a key of its own, such as "vllm serve --api-key".
			res.Hint = fmt.Sprintf("the server wants a key; store the one it was started with: vaultchat keys rotate %s", k.Name)
		}
	case chat.ErrNoQuota:
		res.Outcome = NoQuota
	case chat.ErrRateLimited:
		res.Outcome = RateLimited
	case chat.ErrTimeout:
		res.Outcome = Unreachable
		res.Detail = fmt.Sprintf("no answer from %s within %s", k.Host(), timeout)
		res.Hint = "check the base URL and the network"
	case chat.ErrNetwork, chat.ErrCanceled:
		res.Outcome = Unreachable
		res.Hint = kind.UnreachableHint(k.Name)
	case chat.ErrBadResponse:
		res.Outcome = BadResponse
		if e.Status >= 300 {
			res.Outcome = HTTPError
		}
	default:
		res.Outcome = HTTPError
		if e.Status == 0 {
			res.Outcome = Unreachable
		}
		if e.Status == http.StatusNotFound && !res.Account {
			// A 404 reads as an unknown model; on the model list it
			// means the base URL is wrong.
			res.Detail = fmt.Sprintf("HTTP 404 for %s", sanitize.String(c.Redactor.String(modelsURL(k))))
			res.Hint = fmt.Sprintf("check the base URL: vaultchat keys edit %s --base-url URL", k.Name)
		}
	}
	return res
}

// modelsURL is where the model list was asked for, for a 404's message.
func modelsURL(k vault.Key) string {
	base := strings.TrimRight(k.BaseURL, "/")
	if k.Provider == providers.Azure && !provider.IsAzureV1(base) {
		return base + "/openai/models"
	}
	return base + "/models"
}

// checkAccount asks an admin or management key's account API the
// cheapest question that needs the key's own rights: OpenAI's
// organization costs of the last day for an admin key, OpenRouter's
// "current key" for a management key (vault.Key.CheckKind ties each kind
// to its provider). wrongKind is a management key OpenRouter calls an
// ordinary key (its "is_management_key"); err is a client that cannot be
// built (a bad base URL).
func checkAccount(ctx context.Context, cfg provider.Config, k vault.Key) (wrongKind bool, e *chat.Error, err error) {
	a, err := provider.NewAccounts(cfg)
	if err != nil {
		return false, nil, err
	}
	if k.Kind == vault.KindManagement {
		info, e := a.OpenRouterKey(ctx)
		return e == nil && !info.IsManagementKey, e, nil
	}
	now := time.Now()
	_, e = a.OpenAICosts(ctx, now.Add(-24*time.Hour), now)
	return false, e, nil
}
