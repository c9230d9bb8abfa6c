package session

import (
	"context"
	"slices"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/usage"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/vault"
)

// Keys lists the keys, sorted by name, as the pickers and the side pane
// show them: no secret, a masked fingerprint, month-to-date usage, budget
// level, and whether the latest evidence says the key is invalid. Locked,
// it lists none.
func (s *Session) Keys() []view.Key {
	h, err := s.open()
	if err != nil {
		return nil
	}
	now := s.cfg.Now()
	l := h.usageLedger()
	var out []view.Key
	for _, k := range chatKeys(h.vault.Keys()) { // the picker offers only keys that chat
		// One sum of the month serves the column and the budgets.
		month := l.Month(k.ID, now)
		var verdict usage.Verdict
		if !k.Budget.IsZero() {
			verdict = budgetVerdict(k, now, l.Today(k.ID, now), month)
		}
		h.mu.Lock()
		seen, ok := h.outcome[k.ID]
		h.mu.Unlock()
		out = append(out, view.Key{
			KeyRef:        keyRef(k),
			DefaultModel:  k.DefaultModel,
			AllowedModels: k.AllowedModels,
			LastUsed:      k.LastUsed,
			Month:         total(month),
			Budget:        budgetLevel(verdict.States),
			CheckFailed:   checkFailed(k.LastCheck, seen, ok),
			Free:          KeyFree(k),
		})
	}
	return out
}

// KeyFree reports whether every turn on k costs 0, by the rule that
// prices its turns (usage.KeyFree): the one answer the side pane (through
// Keys) and "keys list"/"keys show" print.
func KeyFree(k vault.Key) bool { return usage.KeyFree(k.Provider, k.PriceFree) }

// keyRef is what the UI sees of a key: no secret, a masked fingerprint.
func keyRef(k vault.Key) chat.KeyRef {
	return chat.KeyRef{ID: k.ID, Name: k.Name, Provider: k.Provider, Host: k.Host(), Fingerprint: k.Fingerprint()}
}

// total is a ledger period as the views show it.
func total(t usage.Totals) view.Total {
	return view.Total{Tokens: t.Usage.Total(), Estimated: t.Usage.Estimated, Cost: t.Cost()}
}

// Models lists the models of the key's (ID or name) server, all of them
// (the model picker marks those outside the key's allowed models, and
// Choose refuses them), cached per key until refresh. Callers get their
// own copy of the list.
func (s *Session) Models(ctx context.Context, keyID string, refresh bool) ([]string, error) {
	h, err := s.open()
	if err != nil {
		return nil, err
	}
	key, err := h.vault.Key(keyID)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	cached, ok := h.models[key.ID]
	h.mu.Unlock()
	if ok && !refresh {
		return slices.Clone(cached), nil
	}
	list, err := h.engine.Models(ctx, key)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	h.models[key.ID] = list
	h.mu.Unlock()
	return slices.Clone(list), nil
}
