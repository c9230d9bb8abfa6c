// Package session is the layer both faces of vaultchat use: the
// full-screen app (through ui.Backend, which *Session implements) and every
// command that touches conversations or usage (ask, usage, conversations,
// export, import).
//
// A Session owns an open vault home: the vault, the conversation store,
// the usage ledger, the price table, one redactor for every secret of the
// vault (built again only when the vault changes), and the chat engine,
// which gets what a turn needs from the session rather than building it.
// It serves the use cases — send a turn, key views, usage views, the
// conversation list, rename, delete, export, import — and is the one home
// of the rules they share: which key and model a turn uses, a key's
// budgets and their level, what its last request proved about it, and how
// an export file is written.
//
// A Session starts locked (New) or over a vault the caller unlocked
// (Open). Lock drops the vault, its keys and every cache; Unlock opens it
// again. It never hands a secret to its callers.
package session

import (
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/config"
	"github.com/vaultchat/vaultchat/internal/engine"
	"github.com/vaultchat/vaultchat/internal/provider"
	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/internal/store"
	"github.com/vaultchat/vaultchat/internal/usage"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/vault"
)

// Config says which vault home to open and how to run turns.
type Config struct {
	Home string
	// Vault carries the identity file and plugin UI; its Passphrase is
	// replaced by the one Unlock is given.
	Vault vault.Options
	// Settings are config.toml's: price overrides, retries, default key.
	// Nil means config.Default().
	Settings *config.Config
	// Stream tunes provider streams (tests: coalescing window, sleeps);
	// MaxRetries and the response and idle timeouts come from Settings
	// unless set here.
	Stream provider.Options
	// Transport is the HTTP transport of provider clients (tests).
	Transport http.RoundTripper
	// Now is the clock of turns, budgets and usage views; nil means
	// time.Now.
	Now func() time.Time
	// Ephemeral keeps new conversations in memory only ("ask
	// --no-save"); the usage ledger still records what was spent.
	Ephemeral bool
	// DeferLedger reads the usage ledger when it is first needed (a
	// key with a budget, or recording what a turn spent) instead of
	// when the vault opens, so that a command that runs one turn
	// (vaultchat ask) sends its request without reading every month
	// file first. A damaged month is then reported as it would be at
	// open (the ledger's Problems); it never refuses the turn.
	DeferLedger bool
}

// Errors a caller may want to tell apart.
var (
	// ErrNotFound is wrapped when no conversation has the ID.
	ErrNotFound = store.ErrNotFound
	// ErrConversationInUse is wrapped by Send when another process runs
	// a turn of the conversation (store.LockTurn); nothing was saved.
	ErrConversationInUse = store.ErrConversationInUse
	// ErrExists is wrapped when an export, without overwrite, finds a
	// file (or a symbolic link) at the path. It is view.ErrExists, which
	// the TUI checks for.
	ErrExists = view.ErrExists
	// ErrNoDirectory is wrapped when an export's directory does not
	// exist.
	// The message reads "export to PATH: directory DIR does not exist".
	ErrNoDirectory = errors.New("does not exist")
	// ErrNotAFile is wrapped when an export's path holds something other
	// than a regular file or a symbolic link (a directory, a FIFO, a
	// device): overwrite never replaces those.
	ErrNotAFile = errors.New("is not a regular file")
)

// Session is an open (or locked) vault home. It is safe for concurrent
// use.
type Session struct {
	cfg    Config
	prices *usage.Prices

	mu   sync.Mutex
	home *home // nil when locked
}

// lockGrace is how long Lock waits for turns in progress (which the UI
// cancels first) to save their partial replies before the vault closes.
const lockGrace = 5 * time.Second

// home is what an unlock opens; a new one replaces it on every unlock,
// so what a turn of an earlier unlock notes never reaches the new one.
type home struct {
	cfg   *Config
	vault *vault.Vault
	store *store.Store
	convs engine.Conversations // pending: the store, or memory when Ephemeral, and Begin's new conversations
	// pending holds the conversations Begin made until their first write.
	pending *pendingConvs
	engine  *engine.Engine
	// usageLedger returns the usage ledger: read at open, or with
	// Config.DeferLedger on first use.
	usageLedger func() *usage.Ledger

	mu      sync.Mutex
	models  map[string][]string        // key ID → model list cache
	limits  map[string]chat.RateLimits // key ID → last rate limits
	outcome map[string]keyOutcome      // key ID → what its last request said

	search searchCache // what Search keeps between searches
	caches cacheFiles  // the provider caches the side pane reads
}

// New returns a locked Session.
func New(cfg Config) *Session {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Settings == nil {
		def := config.Default()
		cfg.Settings = &def
	}
	if cfg.Stream.MaxRetries == 0 {
		cfg.Stream.MaxRetries = cfg.Settings.MaxRetries
		if cfg.Stream.MaxRetries == 0 {
			cfg.Stream.MaxRetries = -1 // provider.Options: 0 means the default, -1 none
		}
	}
	if cfg.Stream.ResponseTimeout == 0 {
		cfg.Stream.ResponseTimeout = noLimitIfZero(cfg.Settings.ResponseTimeout)
	}
	if cfg.Stream.StreamIdleTimeout == 0 {
		cfg.Stream.StreamIdleTimeout = noLimitIfZero(cfg.Settings.StreamIdleTimeout)
	}
	return &Session{cfg: cfg, prices: prices(cfg.Settings)}
}

// noLimitIfZero turns config.toml's "0s" (no limit) into provider.Options'
// negative (no limit; zero there means the default).
func noLimitIfZero(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// prices is the built-in price table with config.toml's overrides.
func prices(s *config.Config) *usage.Prices {
	p := usage.DefaultPrices()
	if len(s.Prices) == 0 {
		return p
	}
	overrides := map[string]usage.Price{}
	for model, pr := range s.Prices {
		overrides[model] = usage.Price{Input: pr.Input, CachedInput: pr.CachedInput, Output: pr.Output}
	}
	return p.WithOverrides(overrides)
}

// Open returns a Session over a vault the caller has unlocked (the CLI
// does, to print its errors before anything else). The Session takes the
// vault over: Lock or Close closes it.
func Open(cfg Config, v *vault.Vault) (*Session, error) {
	s := New(cfg)
	if err := s.attach(v); err != nil {
		return nil, err
	}
	return s, nil
}

// attach opens the store and ledger of v and makes them current.
func (s *Session) attach(v *vault.Vault) error {
	files := v.Files()
	// A damaged ledger never keeps the vault from opening: the ledger
	// reports it (Session.LedgerAttention) and journals what it cannot
	// record until "vaultchat usage --repair".
	h := &home{cfg: &s.cfg, vault: v, store: store.New(storeFiles{files}), usageLedger: s.openLedger(files)}
	// An import a killed process left half done is finished or undone
	// now, before anything lists the conversations; a failure here only
	// leaves it for the next open.
	_ = h.store.Recover()
	var inner engine.Conversations = h.store
	if s.cfg.Ephemeral {
		inner = &engine.Memory{}
	}
	h.pending = &pendingConvs{Conversations: inner}
	h.convs = h.pending
	h.resetCaches()
	h.engine = engine.New(engine.Config{
		Conversations: h.convs,
		Accounts:      h,
		Redactor:      h.redactor,
		Prices:        s.prices,
		Stream:        s.cfg.Stream,
		Transport:     s.cfg.Transport,
		Now:           s.cfg.Now,
		Finished:      h.noteKey,
	})
	s.mu.Lock()
	old := s.home
	s.mu.Unlock()
	if old != nil && old.vault != v {
		// A turn of the old vault may still be saving its reply.
		old.engine.Wait(lockGrace)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.home != nil && s.home.vault != v {
		// Unlocked twice: drop the old vault's secrets now rather than
		// leave them to the garbage collector.
		s.home.vault.Close()
	}
	s.home = h
	return nil
}

// openUsage reads a usage ledger; a variable so that a test can see when
// the ledger is read.
var openUsage = func(f *vault.Files) *usage.Ledger { return usage.Open(f) }

// openLedger reads the usage ledger of v now and returns a function that
// returns it; with Config.DeferLedger the function reads it, once, on
// first use.
func (s *Session) openLedger(f *vault.Files) func() *usage.Ledger {
	if s.cfg.DeferLedger {
		return sync.OnceValue(func() *usage.Ledger { return openUsage(f) })
	}
	ledger := openUsage(f)
	return func() *usage.Ledger { return ledger }
}

func (h *home) resetCaches() {
	h.models = map[string][]string{}
	h.limits = map[string]chat.RateLimits{}
	h.outcome = map[string]keyOutcome{}
}

// NeedsPassphrase reports whether the vault is passphrase-protected.
func (s *Session) NeedsPassphrase() bool { return vault.UsesPassphrase(s.cfg.Home, s.cfg.Vault) }

// Unlock opens the vault with the passphrase (ignored for identity-file
// vaults) and zeroes the passphrase buffer.
func (s *Session) Unlock(passphrase []byte) error {
	opts := s.cfg.Vault
	pass := string(passphrase)
	clear(passphrase)
	opts.Passphrase = func() (string, error) { return pass, nil }
	v, err := vault.Open(s.cfg.Home, opts)
	if err != nil {
		return err
	}
	if err := s.attach(v); err != nil {
		v.Close()
		return err
	}
	return nil
}

// UnlockWith takes a vault the caller opened itself (through the
// vaultchat agent, say) instead of opening one with a passphrase. On
// error the caller still owns v.
func (s *Session) UnlockWith(v *vault.Vault) error { return s.attach(v) }

// IsWrongPassphrase reports whether err means the passphrase was wrong.
func (s *Session) IsWrongPassphrase(err error) bool {
	return errors.Is(err, vault.ErrWrongPassphrase) || errors.Is(err, vault.ErrWrongIdentity)
}

// IsInUse reports whether err means another process holds the vault, the
// conversation store or the ledger.
func (s *Session) IsInUse(err error) bool {
	return errors.Is(err, vault.ErrInUse) || errors.Is(err, store.ErrInUse) || errors.Is(err, usage.ErrInUse)
}

// Lock waits a moment for turns in progress to save, then drops the
// vault, its keys and every cache.
func (s *Session) Lock() {
	s.mu.Lock()
	h := s.home
	s.mu.Unlock()
	if h == nil {
		return
	}
	h.engine.Wait(lockGrace)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.home == h {
		s.home = nil
	}
	h.vault.Close()
	h.caches.clear()
}

// Close is Lock, for callers that are done with the Session.
func (s *Session) Close() { s.Lock() }

// open returns the current home, or vault.ErrLocked.
func (s *Session) open() (*home, error) {
	s.mu.Lock()
	h := s.home
	s.mu.Unlock()
	if h == nil {
		return nil, vault.ErrLocked
	}
	// Another process may have changed the keys (keys rm in another
	// terminal): a stat, and a reload only then. A vault damaged
	// meanwhile keeps the keys as they were read.
	_ = h.vault.Refresh()
	return h, nil
}

// redactor returns the vault's redactor, built again only when its
// secrets change (vault.Vault.Redactor).
func (h *home) redactor() *redact.Redactor { return h.vault.Redactor() }

// Redactor returns the redactor for every secret of the vault (nil, which
// still masks key-shaped text, when locked).
func (s *Session) Redactor() *redact.Redactor {
	h, err := s.open()
	if err != nil {
		return nil
	}
	return h.redactor()
}
