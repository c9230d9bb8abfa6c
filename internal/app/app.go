// Package app is the façade the TUI talks to: it implements
// ui.Backend on top of the vault, the chat engine, the
// conversation store and the usage ledger, and turns their types into the
// plain view types the screen shows. It never hands a secret to the UI.
package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/renameio/v2"
	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/engine"
	"github.com/vaultchat/vaultchat/internal/keycheck"
	"github.com/vaultchat/vaultchat/internal/models"
	"github.com/vaultchat/vaultchat/internal/store"
	"github.com/vaultchat/vaultchat/internal/tokens"
	"github.com/vaultchat/vaultchat/internal/transcript"
	"github.com/vaultchat/vaultchat/internal/usage"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/vault"
)

// Config says which vault to open and how to run turns.
type Config struct {
	Home string
	// Vault carries the identity file and plugin UI; its Passphrase is
	// replaced by the one the unlock screen supplies.
	Vault  vault.Options
	Engine engine.Options
	// Now is the clock; nil means time.Now. It is also the engine's clock
	// unless Engine.Now is set, so that what a turn records lands on the
	// day and month that Keys and Usage look at.
	Now func() time.Time
}

// App implements view.Backend. It is safe for concurrent use.
type App struct {
	cfg Config

	mu      sync.Mutex
	vault   *vault.Vault
	engine  *engine.Engine
	models  map[string][]string        // key ID → model list cache
	limits  map[string]chat.RateLimits // key ID → last rate limits
	outcome map[string]keyOutcome      // key ID → what its last request said

	// active counts turns whose final event has not been handled yet;
	// Lock waits a moment for them so a canceled reply is still saved.
	active atomic.Int32
}

// lockGrace is how long Lock waits for turns in progress (which the UI
// cancels first) to save their partial replies before the vault closes.
const lockGrace = 5 * time.Second

// keyOutcome is what the last request made with a key in this session
// proved: that the key is invalid, or that it works.
type keyOutcome struct {
	invalid bool
	at      time.Time
}

// New returns a locked App.
func New(cfg Config) *App {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Engine.Now == nil {
		cfg.Engine.Now = cfg.Now
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
	replacing := a.vault != nil && a.vault != v
	a.mu.Unlock()
	if replacing {
		// A turn of the old vault may still be saving its reply.
		a.waitForTurns()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.vault != nil && a.vault != v {
		// Unlocked twice: drop the old vault's secrets now rather than
		// leave them to the garbage collector.
		a.vault.Close()
	}
	a.vault, a.engine = v, eng
	a.models = map[string][]string{}
	a.limits = map[string]chat.RateLimits{}
	a.outcome = map[string]keyOutcome{}
	return nil
}

// NeedsPassphrase reports whether the vault is passphrase-protected.
func (a *App) NeedsPassphrase() bool { return vault.UsesPassphrase(a.cfg.Home, a.cfg.Vault) }

// Unlock opens the vault with the passphrase (ignored for identity-file
// vaults) and zeroes the passphrase buffer.
func (a *App) Unlock(passphrase []byte) error {
	opts := a.cfg.Vault
	pass := string(passphrase)
	clear(passphrase)
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

// UnlockWith takes a vault the caller opened itself (through the
// vaultchat agent, say) instead of opening one with a passphrase. On
// error the caller still owns v.
func (a *App) UnlockWith(v *vault.Vault) error { return a.attach(v) }

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
	a.waitForTurns()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.vault != nil {
		a.vault.Close()
	}
	a.vault, a.engine, a.models, a.limits, a.outcome = nil, nil, nil, nil, nil
}

// waitForTurns waits, at most lockGrace, for turns in progress to save
// their replies, before the vault they write with is closed.
func (a *App) waitForTurns() {
	for deadline := time.Now().Add(lockGrace); a.active.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
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
func (a *App) Keys() []view.Key {
	v, eng, err := a.unlocked()
	if err != nil {
		return nil
	}
	now := a.cfg.Now()
	var out []view.Key
	for _, k := range v.Keys() {
		month := eng.Ledger().Month(k.ID, now)
		today := eng.Ledger().Today(k.ID, now)
		verdict := usage.CheckBudget(budgetOf(k), now, today, month)
		a.mu.Lock()
		seen, ok := a.outcome[k.ID]
		a.mu.Unlock()
		out = append(out, view.Key{
			KeyRef:        Ref(k),
			DefaultModel:  k.DefaultModel,
			AllowedModels: k.AllowedModels,
			LastUsed:      k.LastUsed,
			MonthTokens:   month.Usage.Total(),
			MonthCostUSD:  month.CostUSD,
			CostKnown:     !month.CostUnknown,
			Estimated:     month.Usage.Estimated,
			Budget:        budgetLevel(verdict.States),
			CheckFailed:   checkFailed(k.LastCheck, seen, ok),
		})
	}
	return out
}

// checkFailed reports whether a key's latest evidence says it is invalid:
// the last request this session made with it, or the last "keys check",
// whichever is newer. Other failures (unreachable, no quota, rate
// limited) say nothing about the key itself.
func checkFailed(check vault.Check, seen keyOutcome, haveSeen bool) bool {
	if haveSeen && !seen.at.Before(check.At) {
		return seen.invalid
	}
	return !check.At.IsZero() && !check.OK && check.Status == string(keycheck.InvalidKey)
}

// Ref returns the UI's view of a key: no secret, a masked fingerprint.
func Ref(k vault.Key) chat.KeyRef {
	return chat.KeyRef{ID: k.ID, Name: k.Name, Provider: k.Provider, Host: k.Host(), Fingerprint: k.Secret.Masked()}
}

func budgetOf(k vault.Key) usage.Budget {
	return usage.Budget{Key: k.Name, DailyUSD: k.Budget.DailyUSD, MonthlyUSD: k.Budget.MonthlyUSD, MonthlyTokens: k.Budget.MonthlyTokens, Hard: k.Budget.Hard}
}

// fractionSlack absorbs float rounding as usage.CheckBudget does, so that
// the level agrees with its warnings: $0.24 of $0.30 is 80%, and $0.30 of
// $0.30 spent as 0.1+0.2 is 100%.
const fractionSlack = 1e-9

func budgetLevel(states []usage.BudgetState) view.BudgetLevel {
	if len(states) == 0 {
		return view.BudgetNone
	}
	level := view.BudgetOK
	for _, s := range states {
		switch {
		case s.Fraction >= 1-fractionSlack:
			return view.BudgetOver
		case s.Fraction >= usage.WarnFraction-fractionSlack:
			level = view.BudgetWarn
		}
	}
	return level
}

// Models lists the key's models, cached per key until refresh. Callers
// get their own copy of the list.
func (a *App) Models(ctx context.Context, keyID string, refresh bool) ([]string, error) {
	_, eng, err := a.unlocked()
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	cached, ok := a.models[keyID]
	a.mu.Unlock()
	if ok && !refresh {
		return slices.Clone(cached), nil
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
	return slices.Clone(list), nil
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

// Rename sets a conversation's title. It waits for a turn of the
// conversation in progress, so that the turn's save does not undo it.
func (a *App) Rename(id, title string) error {
	_, eng, err := a.unlocked()
	if err != nil {
		return err
	}
	defer eng.Hold(id)()
	return eng.Store().Rename(id, eng.Redactor().String(title))
}

// Delete removes a conversation, after a turn of it in progress has ended
// (else the turn's save would bring it back).
func (a *App) Delete(id string) error {
	_, eng, err := a.unlocked()
	if err != nil {
		return err
	}
	defer eng.Hold(id)()
	return eng.Store().Delete(id)
}

// SetSystemPrompt changes a conversation's system prompt.
func (a *App) SetSystemPrompt(id, prompt string) error {
	return a.edit(id, func(c *chat.Conversation, eng *engine.Engine) {
		c.SystemPrompt = eng.Redactor().String(prompt)
	})
}

// AddNote appends a note to a conversation. A note added while a reply
// streams lands after that reply.
func (a *App) AddNote(id, text string) (chat.Message, error) {
	var note chat.Message
	err := a.edit(id, func(c *chat.Conversation, eng *engine.Engine) {
		note = chat.Message{ID: newNoteID(), Role: chat.RoleNote, Content: eng.Redactor().String(text), Time: a.cfg.Now().UTC()}
		c.Messages = append(c.Messages, note)
	})
	if err != nil {
		return chat.Message{}, err
	}
	return note, nil
}

// newNoteID returns a random message ID: a clock-based one repeats when
// two notes come within the clock's resolution, or under a frozen clock.
func newNoteID() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return "n_" + hex.EncodeToString(b[:])
}

// edit loads, changes and saves a conversation under its lock.
func (a *App) edit(id string, fn func(*chat.Conversation, *engine.Engine)) error {
	_, eng, err := a.unlocked()
	if err != nil {
		return err
	}
	defer eng.Hold(id)()
	// Update, not Load and Save: a turn another process (vaultchat ask)
	// saves meanwhile is kept.
	_, err = eng.Store().Update(id, func(c *chat.Conversation) error {
		fn(c, eng)
		return nil
	})
	return err
}

// sendBuffer is the capacity of the channel Send returns.
const sendBuffer = 16

// Send runs one turn and remembers what its final event says about the
// key (rate limits, an invalid key). It forwards the engine's events; the
// engine must always be drained, since it holds the conversation until its
// last event is taken. Once ctx is canceled the forwarder stops waiting
// for a reader: events that do not fit in the buffer are dropped (the
// final event carries the stored reply, which replaces the streamed
// text), and room is made for the final event, so the turn ends, the
// reply is saved and the channel is closed even if nobody reads again.
func (a *App) Send(ctx context.Context, req view.SendRequest) (<-chan chat.Event, error) {
	v, eng, err := a.unlocked()
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
	out := make(chan chat.Event, sendBuffer)
	a.active.Add(1)
	go func() {
		defer close(out)
		defer a.active.Add(-1)
		for ev := range in {
			switch e := ev.(type) {
			case chat.Done:
				a.noteKey(v, "", e.Message, e.RateLimits, nil)
			case chat.Failed:
				a.noteKey(v, e.KeyID, e.Message, e.RateLimits, e.Err)
			default:
				forward(ctx, out, ev)
				continue
			}
			forwardFinal(ctx, out, ev)
		}
	}()
	return out, nil
}

// forward sends ev, or drops it when ctx is canceled and the buffer is
// full: the reader may have gone.
func forward(ctx context.Context, out chan chat.Event, ev chat.Event) {
	select {
	case out <- ev:
	case <-ctx.Done():
		select {
		case out <- ev:
		default:
		}
	}
}

// forwardFinal sends the turn's Done or Failed. Once ctx is canceled it
// never blocks: it drops the oldest buffered events to make room.
func forwardFinal(ctx context.Context, out chan chat.Event, ev chat.Event) {
	select {
	case out <- ev:
		return
	case <-ctx.Done():
	}
	for {
		select {
		case out <- ev:
			return
		default:
		}
		select {
		case <-out:
		default:
		}
	}
}

// noteKey records what a turn's final event says about its key. A Done
// proves the key works and an invalid-key error that it does not; a
// refusal, a cancel or another failure proves nothing and changes nothing.
func (a *App) noteKey(v *vault.Vault, keyID string, msg *chat.Message, rl chat.RateLimits, cerr *chat.Error) {
	invalid := cerr != nil && cerr.Class == chat.ErrInvalidKey
	if msg != nil && msg.Turn != nil {
		keyID = msg.Turn.KeyID
	}
	now := a.cfg.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.limits == nil || a.vault != v || keyID == "" {
		return // locked, or unlocked again, since the turn started
	}
	if rl.Known() {
		a.limits[keyID] = rl
	}
	if cerr == nil || invalid {
		a.outcome[keyID] = keyOutcome{invalid: invalid, at: now}
	}
}

// Usage returns the side pane's snapshot for a key (ID or name) and
// conversation. The key's totals come from the ledger, so a key unknown to
// the vault (a deleted one) shows what it spent; keyID "" sums every key.
func (a *App) Usage(keyID, conversationID string) view.Usage {
	v, eng, err := a.unlocked()
	if err != nil {
		return view.Usage{}
	}
	now := a.cfg.Now()
	var out view.Usage
	key, kerr := v.Key(keyID)
	if kerr == nil {
		keyID = key.ID
	}
	l := eng.Ledger()
	out.Today = total(l.Today(keyID, now))
	out.Month = total(l.Month(keyID, now))
	out.Lifetime = total(l.Lifetime(keyID))
	for _, d := range l.Daily(keyID, 14, now) {
		out.Daily = append(out.Daily, view.Day{Day: d.Date, Tokens: d.Usage.Total(), CostUSD: d.CostUSD, Estimated: d.Usage.Estimated})
	}
	model := key.DefaultModel
	if kerr == nil {
		verdict := usage.CheckBudget(budgetOf(key), now, l.Today(key.ID, now), l.Month(key.ID, now))
		for _, s := range verdict.States {
			out.Budgets = append(out.Budgets, view.Budget{Name: s.Name, Spent: s.Spent, Limit: s.Limit, USD: s.Unit == "USD", Hard: s.Hard, ResetsAt: s.ResetAt})
		}
	}
	a.mu.Lock()
	out.RateLimits = a.limits[keyID]
	a.mu.Unlock()
	if conversationID != "" {
		if c, err := eng.Store().Load(conversationID); err == nil {
			out.Conversation = conversationTotal(c)
			if m := lastModel(c, keyID); m != "" {
				model = m
			}
			if model == "" {
				model = engine.FallbackModel
			}
			// Only with a known window: it bounds how much is counted.
			if window, ok := models.ContextWindow(model); ok && window > 0 {
				msgs, _ := store.ContextMessages(c, window, func(m chat.Message) int { return tokens.CountMessage(model, m) })
				out.ContextWindow = window
				out.ContextUsed = tokens.CountMessages(model, msgs)
				out.ContextEstimated = true
			}
		}
	}
	if out.ContextWindow == 0 {
		if model == "" {
			model = engine.FallbackModel // what the next turn would use
		}
		out.ContextWindow, _ = models.ContextWindow(model)
	}
	return out
}

func lastModel(c *chat.Conversation, keyID string) string {
	for i := len(c.Messages) - 1; i >= 0; i-- {
		if t := c.Messages[i].Turn; t != nil && t.KeyID == keyID {
			return t.Model
		}
	}
	return ""
}

func total(t usage.Totals) view.Total {
	return view.Total{Tokens: t.Usage.Total(), CostUSD: t.CostUSD, CostKnown: !t.CostUnknown, Estimated: t.Usage.Estimated}
}

func conversationTotal(c *chat.Conversation) view.Total {
	t := view.Total{CostKnown: true}
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

// Export writes the conversation in format ("md", "json", "txt" or
// "html") to path and returns the absolute path written. The content is
// redacted with the engine's redactor (every secret in the vault) and
// sanitized. An empty path means a safe name from the title in the
// current directory; a leading "~/" means the user's home directory, as
// typed at the prompt. Without overwrite it never replaces a file or a
// symbolic link (the error then wraps view.ErrExists); with overwrite
// it replaces the file atomically. Either way the file has mode 0600.
func (a *App) Export(conversationID, format, path string, overwrite bool) (string, error) {
	_, eng, err := a.unlocked()
	if err != nil {
		return "", err
	}
	f, err := transcript.ParseFormat(format)
	if err != nil {
		return "", err
	}
	c, err := eng.Store().Load(conversationID)
	if err != nil {
		return "", err
	}
	if path == "" {
		path = transcript.FileName(c, f)
	}
	var buf bytes.Buffer
	if err := transcript.Export(&buf, c, f, transcript.Options{Redactor: eng.Redactor()}); err != nil {
		return "", err
	}
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("export: %w", err)
		}
		path = filepath.Join(home, rest)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("export: %w", err)
	}
	if overwrite {
		// Replace atomically: a symbolic link at abs is replaced, never
		// what it points to. The temporary file goes beside abs so the
		// rename stays on one file system. Static permissions keep 0600
		// even when the file replaced was more open (renameio.WriteFile
		// would copy the old permissions).
		pf, err := renameio.NewPendingFile(abs, renameio.WithStaticPermissions(0o600), renameio.WithTempDir(filepath.Dir(abs)))
		if err != nil {
			return "", fmt.Errorf("export: %w", err)
		}
		defer pf.Cleanup()
		if _, err := pf.Write(buf.Bytes()); err != nil {
			return "", fmt.Errorf("export: %w", err)
		}
		if err := pf.CloseAtomicallyReplace(); err != nil {
			return "", fmt.Errorf("export: %w", err)
		}
		return abs, nil
	}
	if err := writeNew(abs, buf.Bytes()); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("export to %s: %w", abs, view.ErrExists)
		}
		return "", fmt.Errorf("export: %w", err)
	}
	return abs, nil
}

// writeNew writes data to path (mode 0600) only if nothing is there yet,
// and atomically: readers see no file or the whole file. It writes a
// temporary file beside path and hard-links it into place, which fails
// rather than replace a file (or a symbolic link) that appeared meanwhile;
// a rename would replace it.
func writeNew(path string, data []byte) error {
	if _, err := os.Lstat(path); err == nil {
		return fs.ErrExist
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	err = os.Link(tmp.Name(), path)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrExist):
		return fs.ErrExist
	}
	// The file system has no hard links (FAT, some network mounts):
	// create the file exclusively instead, which still never replaces
	// one, and remove it if the write fails.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}
