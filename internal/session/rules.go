package session

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/keycheck"
	"github.com/vaultchat/vaultchat/internal/usage"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/vault"
)

// This file holds the domain rules both faces share: which key and model
// a turn uses, a key's budgets and their level, and what a key's last
// request or check says about it. Each has one function here, and the
// engine, the TUI views and the commands all reach it through the
// Session.

// Resolve picks the key and model of a turn in conversation c (nil before
// it exists), from the key (name or ID) and model asked for, either of
// which may be empty. The rule, for both the TUI and "ask":
//
//   - the key: the one asked for; else the one chosen for the
//     conversation (its last switch or turn: chat.Conversation.ChosenKey);
//     if that key was removed, an error (ErrKeyRemoved), never another
//     key, since the conversation would silently move to another account
//     or provider; else config.toml's default_key; else the key used
//     last; else the vault's only key; else an error whose hint names
//     --key and default_key;
//   - the model: the one asked for; else the model chosen or last used
//     with that key in this conversation; else the key's default model;
//     else an error whose hint names --model, ctrl+p and "keys edit
//     --model" (ErrNoModel).
//
// It implements engine.Accounts.
func (h *home) Resolve(c *chat.Conversation, key, model string) (vault.Key, string, error) {
	k, _, err := h.resolveKey(c, key)
	if err != nil {
		return vault.Key{}, "", err
	}
	m, err := resolveModel(c, k, model)
	if err != nil {
		return vault.Key{}, "", err
	}
	if err := h.checkModelName(m); err != nil {
		return vault.Key{}, "", err
	}
	if err := h.vault.CheckSettings(k); err != nil {
		// A record an older build stored: nothing is sent until fixed.
		return vault.Key{}, "", &ChoiceError{err: err, msg: err.Error() + "; nothing was sent",
			hint:    fmt.Sprintf("change it with \"vaultchat keys edit %s\"", k.Name),
			appHint: fmt.Sprintf("change it with \"vaultchat keys edit %s\", or pick another key with ctrl+k", k.Name)}
	}
	return k, m, nil
}

// checkModelName refuses a model name that holds a key the vault stores
// (or any key-shaped string): the model is sent in the request body and
// kept in the ledger, the conversation and every face that names it. The
// vault keeps secrets out of a key's default and allowed models; this is
// for a model typed or read from a role file.
func (h *home) checkModelName(model string) error {
	if model == "" || h.redactor().String(model) == model {
		return nil
	}
	return &ChoiceError{err: ErrModelHoldsSecret,
		msg:     "the model name holds an API key; nothing was sent",
		hint:    "give the model's name; \"vaultchat models --key KEY\" lists them",
		appHint: "pick a model with ctrl+p"}
}

// Errors of Resolve and Choose, wrapped in a *ChoiceError that carries
// the hint.
var (
	// ErrNoKey: several keys, none asked for, chosen, set as default_key
	// or ever used.
	ErrNoKey = errors.New("no key chosen")
	// ErrNoModel: no model asked for, chosen in the conversation or set
	// as the key's default.
	ErrNoModel = errors.New("no model chosen")
	// ErrKeyRemoved: the key chosen for the conversation (its last
	// switch or turn) is no longer in the vault, and none was asked for.
	ErrKeyRemoved = errors.New("the conversation's key was removed")
	// ErrModelNotAllowed: Choose was given a model outside the key's
	// allowed models.
	ErrModelNotAllowed = errors.New("model not allowed")
	// ErrModelHoldsSecret: the model asked for contains an API key.
	ErrModelHoldsSecret = errors.New("the model name holds an API key")
)

// ChoiceError says why Resolve could not choose a key or a model, with a
// hint naming the ways to choose one: the commands' flags (Hint), and the
// app's keys (AppHint), which the app shows alone since its user cannot
// pass a flag.
type ChoiceError struct {
	err     error
	msg     string
	hint    string
	appHint string
}

func (e *ChoiceError) Error() string { return e.msg }

// Unwrap returns ErrNoKey or ErrNoModel.
func (e *ChoiceError) Unwrap() error { return e.err }

// Hint says how to choose.
func (e *ChoiceError) Hint() string { return e.hint }

// AppHint says how to choose in the app; Hint when there is no other way.
func (e *ChoiceError) AppHint() string {
	if e.appHint != "" {
		return e.appHint
	}
	return e.hint
}

// Why a key was chosen when none was asked for (view.Choice.Why).
const (
	WhyConversation = "the conversation's"
	WhyDefaultKey   = "default_key"
	WhyUsedLast     = "the key used last"
	WhyOnly         = "the only key"
	// WhyFirstShown: Choice only, for the app (see there).
	WhyFirstShown = "the first key"
)

// Resolve says which key and model a turn in the conversation (ID; ""
// before it exists) would use when asked for key (name or ID) and model,
// either of which may be empty: the rule every turn follows (see
// home.Resolve).
func (s *Session) Resolve(conversationID, key, model string) (chat.KeyRef, string, error) {
	h, err := s.open()
	if err != nil {
		return chat.KeyRef{}, "", err
	}
	c, err := h.loadSaved(conversationID)
	if err != nil {
		return chat.KeyRef{}, "", err
	}
	k, m, err := h.Resolve(c, key, model)
	if err != nil {
		return chat.KeyRef{}, "", err
	}
	return keyRef(k), m, nil
}

// loadSaved loads conversation id, or gives nil for "" (a conversation
// not saved yet), which the rules take as one without history.
func (h *home) loadSaved(id string) (*chat.Conversation, error) {
	if id == "" {
		return nil, nil
	}
	return h.convs.Load(id)
}

// resolveKey is the key half of Resolve; why is "" when the key was asked
// for.
func (h *home) resolveKey(c *chat.Conversation, nameOrID string) (vault.Key, string, error) {
	if nameOrID != "" {
		k, err := h.vault.Key(nameOrID)
		if err == nil {
			err = k.CheckChat()
		}
		return k, "", err
	}
	if id := c.ChosenKey(); id != "" {
		k, err := h.vault.Key(id)
		switch {
		case err == nil:
			return k, WhyConversation, nil
		case errors.Is(err, vault.ErrKeyNotFound):
			return vault.Key{}, "", removedKeyError(c, id)
		default:
			return vault.Key{}, "", err
		}
	}
	if def := h.cfg.Settings.DefaultKey; def != "" {
		k, err := DefaultKey(h.vault, def)
		if err != nil {
			return vault.Key{}, "", err
		}
		return k, WhyDefaultKey, nil
	}
	keys := chatKeys(h.vault.Keys())
	switch len(keys) {
	case 0:
		return vault.Key{}, "", errors.New("the vault holds no key; add one with \"vaultchat keys add NAME\"")
	case 1:
		return keys[0], WhyOnly, nil
	}
	last := -1
	for i, k := range keys {
		if !k.LastUsed.IsZero() && (last < 0 || k.LastUsed.After(keys[last].LastUsed)) {
			last = i
		}
	}
	if last >= 0 {
		return keys[last], WhyUsedLast, nil
	}
	return vault.Key{}, "", &ChoiceError{err: ErrNoKey,
		msg:     "several keys in the vault and none chosen",
		hint:    "name one with --key (ctrl+k in the app), or set default_key in config.toml",
		appHint: "pick one with ctrl+k"}
}

// DefaultKey looks up config.toml's default_key, name, in v: it must be a
// chat key of the vault. Turns and "config check" use this one rule.
func DefaultKey(v *vault.Vault, name string) (vault.Key, error) {
	k, err := v.Key(name)
	if err == nil {
		err = k.CheckChat()
	}
	if err != nil {
		return vault.Key{}, fmt.Errorf("default_key %q in config.toml: %w", name, err)
	}
	return k, nil
}

// removedKeyError is ErrKeyRemoved for the key id of conversation c,
// named as the conversation's turns recorded it.
func removedKeyError(c *chat.Conversation, id string) *ChoiceError {
	what := "the key"
	for i := len(c.Messages) - 1; i >= 0; i-- {
		if t := c.Messages[i].Turn; t != nil && t.KeyID == id && t.KeyName != "" {
			what = "key " + t.KeyName
			break
		}
	}
	return &ChoiceError{err: ErrKeyRemoved,
		msg:     what + " of this conversation was removed",
		hint:    "name the key to continue with: --key NAME",
		appHint: "pick another with ctrl+k"}
}

// resolveModel is the model half of Resolve.
func resolveModel(c *chat.Conversation, k vault.Key, model string) (string, error) {
	if model == "" {
		model = c.ChosenModel(k.ID)
	}
	if model == "" {
		model = k.DefaultModel
	}
	if model == "" {
		return "", &ChoiceError{err: ErrNoModel,
			msg:     fmt.Sprintf("no model chosen for key %s, which has no default model", k.Name),
			hint:    fmt.Sprintf("name one with --model (ctrl+p in the app), or give the key a default with \"vaultchat keys edit %s --model MODEL\"", k.Name),
			appHint: "pick one with ctrl+p"}
	}
	return model, nil
}

// budgetOf is the key's budget as the usage ledger checks it.
func budgetOf(k vault.Key) usage.Budget {
	return usage.Budget{
		Key:           k.Name,
		DailyUSD:      k.Budget.DailyUSD,
		MonthlyUSD:    k.Budget.MonthlyUSD,
		MonthlyTokens: k.Budget.MonthlyTokens,
		Hard:          k.Budget.Hard,
	}
}

// Budget checks the key's budgets against what it spent today and this
// month. It implements engine.Accounts.
func (h *home) Budget(k vault.Key, now time.Time) usage.Verdict {
	if k.Budget.IsZero() {
		return usage.Verdict{} // nothing to check: the ledger is not read
	}
	l := h.usageLedger()
	return budgetVerdict(k, now, l.Today(k.ID, now), l.Month(k.ID, now))
}

// budgetVerdict is Budget for a caller that has summed the key's usage of
// today and this month already (the key list, the side pane), so that the
// ledger is not summed twice.
func budgetVerdict(k vault.Key, now time.Time, today, month usage.Totals) usage.Verdict {
	if k.Budget.IsZero() {
		return usage.Verdict{}
	}
	return usage.CheckBudget(budgetOf(k), now, today, month)
}

// Record adds a request to the usage ledger and marks the key used now.
// A key removed meanwhile is not an error. It implements engine.Accounts.
func (h *home) Record(k vault.Key, e usage.Entry) error {
	return h.touched(k, e, h.usageLedger().Record(e))
}

// Journal writes a turn's request to the ledger's journal before its reply
// is saved; the commit records it and marks the key used.
func (h *home) Journal(k vault.Key, e usage.Entry) func() error {
	p := h.usageLedger().Begin(e)
	return func() error { return h.touched(k, e, p.Commit()) }
}

// touched marks the key used at e's time, adding a failure to err.
func (h *home) touched(k vault.Key, e usage.Entry, err error) error {
	touchErr := h.vault.Update(func(tx *vault.Tx) error { return tx.Touch(k.ID, e.Time) })
	if touchErr != nil && !errors.Is(touchErr, vault.ErrKeyNotFound) {
		err = errors.Join(err, touchErr)
	}
	return err
}

// fractionSlack absorbs float rounding as usage.CheckBudget does, so that
// the level agrees with its warnings: $0.24 of $0.30 is 80%, and $0.30 of
// $0.30 spent as 0.1+0.2 is 100%.
const fractionSlack = 1e-9

// budgetLevel sums up a key's budget states for the pickers.
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

// keyOutcome is what the last request made with a key in this session
// proved: that the key is invalid, or that it works.
type keyOutcome struct {
	invalid bool
	at      time.Time
}

// checkFailed reports whether a key's latest evidence says it is invalid:
// the last request this session made with it, or the last "keys check",
// whichever is newer. Other failures (unreachable, no quota, rate
// limited) say nothing about the key itself.
func checkFailed(check vault.Check, seen keyOutcome, haveSeen bool) bool {
	if haveSeen && !seen.at.Before(check.At) {
		return seen.invalid
	}
	return keycheck.Recorded(check) == keycheck.InvalidKey
}

// noteKey records what a turn's final event says about its key: its rate
// limits, and whether it works. A Done proves the key works and an
// invalid-key error that it does not; a refusal, a cancel or another
// failure proves nothing and changes nothing. The engine calls it
// (engine.Config.Finished) before it delivers the event.
func (h *home) noteKey(keyID string, final chat.Event) {
	var rl chat.RateLimits
	var cerr *chat.Error
	switch ev := final.(type) {
	case chat.Done:
		rl = ev.RateLimits
	case chat.Failed:
		rl, cerr = ev.RateLimits, ev.Err
	}
	invalid := cerr != nil && cerr.Class == chat.ErrInvalidKey
	now := h.cfg.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if keyID == "" {
		return
	}
	if rl.Known() {
		h.limits[keyID] = rl
	}
	if cerr == nil || invalid {
		h.outcome[keyID] = keyOutcome{invalid: invalid, at: now}
	}
}

// CheckModel refuses, before anything is sent, a key (name or ID; empty
// picks as Resolve does for a new conversation) that does not exist or
// is not allowed the model (empty: the key's default): the rule of
// vault.Key.AllowsModel that the engine applies to every turn, asked
// early by callers that must name where the key and model came from (a
// role file's line).
func (s *Session) CheckModel(key, model string) error {
	h, err := s.open()
	if err != nil {
		return err
	}
	k, _, err := h.resolveKey(nil, key)
	if err != nil {
		return err
	}
	m, err := resolveModel(nil, k, model)
	if err != nil {
		return err
	}
	if !k.AllowsModel(m) {
		return &ModelNotAllowedError{Key: k.Name, Model: m, Allowed: k.AllowedModels}
	}
	return nil
}

// ModelNotAllowedError is CheckModel's refusal of a model outside the
// key's allowed models.
type ModelNotAllowedError struct {
	Key, Model string
	Allowed    []string
}

func (e *ModelNotAllowedError) Error() string {
	return fmt.Sprintf("key %s is not allowed to use model %s (allowed: %s)", e.Key, e.Model, strings.Join(e.Allowed, ", "))
}
