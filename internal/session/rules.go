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

// FallbackModel is the model of a turn when neither the request, the
// conversation nor the key names one.
const FallbackModel = "gpt-4o-mini"

// Resolve picks the key and model of a turn in conversation c (nil before
// it exists), from the key (name or ID) and model asked for, either of
// which may be empty. The rule, for both the TUI and "ask":
//
//   - the key: the one asked for; else config.toml's default_key; else
//     the key of the conversation's last reply, if it still exists; else
//     the vault's only key; else an error naming --key;
//   - the model: the one asked for; else the model of the last reply made
//     with that key in this conversation; else the key's default model;
//     else FallbackModel.
//
// It implements engine.Accounts.
func (h *home) Resolve(c *chat.Conversation, key, model string) (vault.Key, string, error) {
	if key == "" {
		key = h.cfg.Settings.DefaultKey
	}
	k, err := h.resolveKey(c, key)
	if err != nil {
		return vault.Key{}, "", err
	}
	return k, resolveModel(c, k, model), nil
}

// Resolve says which key and model a turn in the conversation (ID; ""
// before it exists) would use when asked for key (name or ID) and model,
// either of which may be empty: the rule every turn follows (see
// home.Resolve).
func (s *Session) Resolve(conversationID, key, model string) (chat.KeyRef, string, error) {
	h, err := s.open()
	if err != nil {
		return chat.KeyRef{}, "", err
	}
	var c *chat.Conversation
	if conversationID != "" {
		if c, err = h.convs.Load(conversationID); err != nil {
			return chat.KeyRef{}, "", err
		}
	}
	k, m, err := h.Resolve(c, key, model)
	if err != nil {
		return chat.KeyRef{}, "", err
	}
	return keyRef(k), m, nil
}

func (h *home) resolveKey(c *chat.Conversation, nameOrID string) (vault.Key, error) {
	if nameOrID != "" {
		return h.vault.Key(nameOrID)
	}
	if c != nil {
		for i := len(c.Messages) - 1; i >= 0; i-- {
			if t := c.Messages[i].Turn; t != nil {
				if k, err := h.vault.Key(t.KeyID); err == nil {
					return k, nil
				}
			}
		}
	}
	keys := h.vault.Keys()
	switch len(keys) {
	case 0:
		return vault.Key{}, errors.New("the vault holds no key; add one with \"vaultchat keys add NAME\"")
	case 1:
		return keys[0], nil
	}
	return vault.Key{}, errors.New("several keys in the vault; name one with --key")
}

// resolveModel is the model half of Resolve.
func resolveModel(c *chat.Conversation, k vault.Key, model string) string {
	if model == "" {
		model = lastModel(c, k.ID)
	}
	if model == "" {
		model = k.DefaultModel
	}
	if model == "" {
		model = FallbackModel
	}
	return model
}

// lastModel returns the model of the last reply made with the key keyID in
// conversation c (nil: none), so a conversation keeps its model until the
// user picks another; "" when the key made none.
func lastModel(c *chat.Conversation, keyID string) string {
	if c == nil {
		return ""
	}
	for i := len(c.Messages) - 1; i >= 0; i-- {
		if t := c.Messages[i].Turn; t != nil && t.KeyID == keyID {
			return t.Model
		}
	}
	return ""
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
	return usage.CheckBudget(budgetOf(k), now, h.ledger.Today(k.ID, now), h.ledger.Month(k.ID, now))
}

// Record adds a request to the usage ledger and marks the key used now.
// A key removed meanwhile is not an error. It implements engine.Accounts.
func (h *home) Record(k vault.Key, e usage.Entry) error {
	err := h.ledger.Record(e)
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
	if key == "" {
		key = h.cfg.Settings.DefaultKey
	}
	k, err := h.resolveKey(nil, key)
	if err != nil {
		return err
	}
	if m := resolveModel(nil, k, model); !k.AllowsModel(m) {
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
