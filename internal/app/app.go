// Package app is the façade the TUI talks to: it implements
// ui/backend.Backend on top of the vault, the chat engine, the
// conversation store and the usage ledger, and turns their types into the
// plain view types the screen shows. It never hands a secret to the UI.
package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/renameio/v2"
	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/engine"
	"github.com/vaultchat/vaultchat/internal/models"
	"github.com/vaultchat/vaultchat/internal/store"
	"github.com/vaultchat/vaultchat/internal/tokens"
	"github.com/vaultchat/vaultchat/internal/transcript"
	"github.com/vaultchat/vaultchat/internal/usage"
	"github.com/vaultchat/vaultchat/ui/backend"
	"github.com/vaultchat/vaultchat/vault"
)

// Config says which vault to open and how to run turns.
type Config struct {
	Home string
	// Vault carries the identity file and plugin UI; its Passphrase is
	// replaced by the one the unlock screen supplies.
	Vault  vault.Options
	Engine engine.Options
	Now    func() time.Time
}

// App implements backend.Backend. It is safe for concurrent use.
type App struct {
	cfg Config

	mu        sync.Mutex
	vault     *vault.Vault
	engine    *engine.Engine
	models    map[string][]string        // key ID → model list cache
	limits    map[string]chat.RateLimits // key ID → last rate limits
	keyFailed map[string]bool            // key ID → last request said invalid key
}

var _ backend.Backend = (*App)(nil)

// New returns a locked App.
func New(cfg Config) *App {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &App{cfg: cfg}
}

// Open wraps an already unlocked vault, for callers that unlocked it
// themselves (the CLI does, to print errors before the screen starts).
func Open(cfg Config, v *vault.Vault) (*App, error) {
	a := New(cfg)
	if err := a.attach(v); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *App) attach(v *vault.Vault) error {
	eng, err := engine.New(v, a.cfg.Engine)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.vault, a.engine = v, eng
	a.models = map[string][]string{}
	a.limits = map[string]chat.RateLimits{}
	a.keyFailed = map[string]bool{}
	return nil
}

// NeedsPassphrase reports whether the vault is passphrase-protected.
func (a *App) NeedsPassphrase() bool { return vault.UsesPassphrase(a.cfg.Home, a.cfg.Vault) }

// Unlock opens the vault with the passphrase (ignored for identity-file
// vaults).
func (a *App) Unlock(passphrase []byte) error {
	opts := a.cfg.Vault
	pass := string(passphrase)
	opts.Passphrase = func() (string, error) { return pass, nil }
	v, err := vault.Open(a.cfg.Home, opts)
	if err != nil {
		return err
	}
	if err := a.attach(v); err != nil {
		v.Close()
		return err
	}
	return nil
}

// IsWrongPassphrase reports whether err means the passphrase was wrong.
func (a *App) IsWrongPassphrase(err error) bool {
	return errors.Is(err, vault.ErrWrongPassphrase) || errors.Is(err, vault.ErrWrongIdentity)
}

// IsInUse reports whether err means another process holds the vault.
func (a *App) IsInUse(err error) bool {
	return errors.Is(err, vault.ErrInUse) || errors.Is(err, store.ErrInUse) || errors.Is(err, usage.ErrInUse)
}

// Lock drops the vault, its keys and every cache.
func (a *App) Lock() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.vault != nil {
		a.vault.Close()
	}
	a.vault, a.engine, a.models, a.limits, a.keyFailed = nil, nil, nil, nil, nil
}

// unlocked returns the vault and engine, or ErrLocked.
func (a *App) unlocked() (*vault.Vault, *engine.Engine, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.engine == nil {
		return nil, nil, vault.ErrLocked
	}
	return a.vault, a.engine, nil
}

// Engine returns the chat engine of the unlocked vault, or nil when locked.
func (a *App) Engine() *engine.Engine {
	_, e, _ := a.unlocked()
	return e
}

// Keys lists the keys with their month-to-date usage.
func (a *App) Keys() []backend.KeyInfo {
	v, eng, err := a.unlocked()
	if err != nil {
		return nil
	}
	now := a.cfg.Now()
	var out []backend.KeyInfo
	for _, k := range v.Keys() {
		month := eng.Ledger().Month(k.ID, now)
		today := eng.Ledger().Today(k.ID, now)
		verdict := usage.CheckBudget(budgetOf(k), now, today, month)
		a.mu.Lock()
		failed := a.keyFailed[k.ID]
		a.mu.Unlock()
		out = append(out, backend.KeyInfo{
			KeyRef:        Ref(k),
			DefaultModel:  k.DefaultModel,
			AllowedModels: k.AllowedModels,
			LastUsed:      k.LastUsed,
			MonthTokens:   month.Usage.Total(),
			MonthCostUSD:  month.CostUSD,
			CostKnown:     !month.CostUnknown,
			Estimated:     month.Usage.Estimated,
			Budget:        budgetLevel(verdict.States),
			CheckFailed:   failed || (!k.LastCheck.At.IsZero() && !k.LastCheck.OK),
		})
	}
	return out
}

// Ref returns the UI's view of a key: no secret, a masked fingerprint.
func Ref(k vault.Key) chat.KeyRef {
	return chat.KeyRef{ID: k.ID, Name: k.Name, Provider: k.Provider, Host: k.Host(), Fingerprint: k.Secret.Masked()}
}

func budgetOf(k vault.Key) usage.Budget {
	return usage.Budget{Key: k.Name, DailyUSD: k.Budget.DailyUSD, MonthlyUSD: k.Budget.MonthlyUSD, MonthlyTokens: k.Budget.MonthlyTokens, Hard: k.Budget.Hard}
}

func budgetLevel(states []usage.BudgetState) backend.BudgetLevel {
	if len(states) == 0 {
		return backend.BudgetNone
	}
	level := backend.BudgetOK
	for _, s := range states {
		switch {
		case s.Fraction >= 1:
			return backend.BudgetOver
		case s.Fraction >= usage.WarnFraction:
			level = backend.BudgetWarn
		}
	}
	return level
}

// Models lists the key's models, cached per key until refresh.
func (a *App) Models(ctx context.Context, keyID string, refresh bool) ([]string, error) {
	_, eng, err := a.unlocked()
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	cached, ok := a.models[keyID]
	a.mu.Unlock()
	if ok && !refresh {
		return cached, nil
	}
	list, err := eng.Models(ctx, keyID)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	if a.models != nil {
		a.models[keyID] = list
	}
	a.mu.Unlock()
	return list, nil
}

// Conversations lists saved conversations, newest first.
func (a *App) Conversations() ([]chat.Summary, error) {
	_, eng, err := a.unlocked()
	if err != nil {
		return nil, err
	}
	return eng.Store().List()
}

// Load returns one conversation.
func (a *App) Load(id string) (*chat.Conversation, error) {
	_, eng, err := a.unlocked()
	if err != nil {
		return nil, err
	}
	return eng.Store().Load(id)
}

// Create saves a new conversation.
func (a *App) Create(systemPrompt string) (*chat.Conversation, error) {
	_, eng, err := a.unlocked()
	if err != nil {
		return nil, err
	}
	return eng.Create(systemPrompt)
}

// Rename sets a conversation's title.
func (a *App) Rename(id, title string) error {
	_, eng, err := a.unlocked()
	if err != nil {
		return err
	}
	return eng.Store().Rename(id, eng.Redactor().String(title))
}

// Delete removes a conversation.
func (a *App) Delete(id string) error {
	_, eng, err := a.unlocked()
	if err != nil {
		return err
	}
	return eng.Store().Delete(id)
}

// SetSystemPrompt changes a conversation's system prompt.
func (a *App) SetSystemPrompt(id, prompt string) error {
	return a.edit(id, func(c *chat.Conversation, eng *engine.Engine) {
		c.SystemPrompt = eng.Redactor().String(prompt)
	})
}

// AddNote appends a note to a conversation.
func (a *App) AddNote(id, text string) (chat.Message, error) {
	var note chat.Message
	err := a.edit(id, func(c *chat.Conversation, eng *engine.Engine) {
		note = chat.Message{ID: fmt.Sprintf("n_%d", a.cfg.Now().UnixNano()), Role: chat.RoleNote, Content: eng.Redactor().String(text), Time: a.cfg.Now().UTC()}
		c.Messages = append(c.Messages, note)
	})
	return note, err
}

func (a *App) edit(id string, fn func(*chat.Conversation, *engine.Engine)) error {
	_, eng, err := a.unlocked()
	if err != nil {
		return err
	}
	c, err := eng.Store().Load(id)
	if err != nil {
		return err
	}
	fn(c, eng)
	return eng.Store().Save(c)
}

// Send runs one turn and remembers what its final event says about the
// key (rate limits, an invalid key).
func (a *App) Send(ctx context.Context, req backend.SendRequest) (<-chan chat.Event, error) {
	_, eng, err := a.unlocked()
	if err != nil {
		return nil, err
	}
	in, err := eng.Send(ctx, engine.SendRequest{
		ConversationID: req.ConversationID,
		Prompt:         req.Prompt,
		Key:            req.KeyID,
		Model:          req.Model,
		Regenerate:     req.Regenerate,
		EditLast:       req.EditLast,
	})
	if err != nil {
		return nil, err
	}
	out := make(chan chat.Event, 16)
	go func() {
		defer close(out)
		for ev := range in {
			switch ev := ev.(type) {
			case chat.Done:
				a.noteKey(req.KeyID, ev.Message, ev.RateLimits, nil)
			case chat.Failed:
				a.noteKey(req.KeyID, ev.Message, ev.RateLimits, ev.Err)
			}
			out <- ev
		}
	}()
	return out, nil
}

func (a *App) noteKey(keyID string, msg *chat.Message, rl chat.RateLimits, cerr *chat.Error) {
	if msg != nil && msg.Turn != nil {
		keyID = msg.Turn.KeyID
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.limits == nil || keyID == "" {
		return
	}
	if rl.Known() {
		a.limits[keyID] = rl
	}
	a.keyFailed[keyID] = cerr != nil && cerr.Class == chat.ErrInvalidKey
}

// Usage returns the side pane's snapshot for a key and conversation.
func (a *App) Usage(keyID, conversationID string) backend.UsageView {
	v, eng, err := a.unlocked()
	if err != nil {
		return backend.UsageView{}
	}
	now := a.cfg.Now()
	var view backend.UsageView
	key, kerr := v.Key(keyID)
	if kerr == nil {
		keyID = key.ID
	}
	l := eng.Ledger()
	view.Today = total(l.Today(keyID, now))
	view.Month = total(l.Month(keyID, now))
	view.Lifetime = total(l.Lifetime(keyID))
	for _, d := range l.Daily(keyID, 14, now) {
		view.Daily = append(view.Daily, backend.DayUsage{Day: d.Date, Tokens: d.Usage.Total(), CostUSD: d.CostUSD, Estimated: d.Usage.Estimated})
	}
	model := key.DefaultModel
	if kerr == nil {
		verdict := usage.CheckBudget(budgetOf(key), now, l.Today(key.ID, now), l.Month(key.ID, now))
		for _, s := range verdict.States {
			view.Budgets = append(view.Budgets, backend.Budget{Name: s.Name, Spent: s.Spent, Limit: s.Limit, USD: s.Unit == "USD", Hard: s.Hard, ResetsAt: s.ResetAt})
		}
	}
	a.mu.Lock()
	view.RateLimits = a.limits[keyID]
	a.mu.Unlock()
	if conversationID != "" {
		if c, err := eng.Store().Load(conversationID); err == nil {
			view.Conversation = conversationTotal(c)
			if m := lastModel(c, keyID); m != "" {
				model = m
			}
			if model == "" {
				model = engine.FallbackModel
			}
			window, _ := models.ContextWindow(model)
			msgs, _ := store.ContextMessages(c, window, func(m []chat.Message) int { return tokens.CountMessages(model, m) })
			view.ContextWindow = window
			view.ContextUsed = tokens.CountMessages(model, msgs)
			view.ContextEstimated = true
		}
	}
	if view.ContextWindow == 0 && model != "" {
		view.ContextWindow, _ = models.ContextWindow(model)
	}
	return view
}

func lastModel(c *chat.Conversation, keyID string) string {
	for i := len(c.Messages) - 1; i >= 0; i-- {
		if t := c.Messages[i].Turn; t != nil && t.KeyID == keyID {
			return t.Model
		}
	}
	return ""
}

func total(t usage.Totals) backend.Total {
	return backend.Total{Tokens: t.Usage.Total(), CostUSD: t.CostUSD, CostKnown: !t.CostUnknown, Estimated: t.Usage.Estimated}
}

func conversationTotal(c *chat.Conversation) backend.Total {
	t := backend.Total{CostKnown: true}
	for _, m := range c.Messages {
		if m.Turn == nil {
			continue
		}
		t.Tokens += m.Turn.Usage.Total()
		t.Estimated = t.Estimated || m.Turn.Usage.Estimated
		if m.Turn.CostUSD != nil {
			t.CostUSD += *m.Turn.CostUSD
		} else if m.Turn.Usage.Total() > 0 {
			t.CostKnown = false
		}
	}
	return t
}

// ExportMarkdown writes the conversation as Markdown to path, atomically
// and without replacing an existing file, and returns the path written.
func (a *App) ExportMarkdown(conversationID, path string) (string, error) {
	_, eng, err := a.unlocked()
	if err != nil {
		return "", err
	}
	c, err := eng.Store().Load(conversationID)
	if err != nil {
		return "", err
	}
	if path == "" {
		path = transcript.FileName(c, transcript.Markdown)
	}
	var buf bytes.Buffer
	if err := transcript.Export(&buf, c, transcript.Markdown, transcript.Options{Redactor: eng.Redactor()}); err != nil {
		return "", err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if _, err := os.Lstat(abs); err == nil {
		return "", fmt.Errorf("%s already exists; choose another path", abs)
	}
	if err := renameio.WriteFile(abs, buf.Bytes(), 0o600); err != nil {
		return "", fmt.Errorf("export: %w", err)
	}
	return abs, nil
}
