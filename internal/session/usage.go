package session

import (
	"sort"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/figures"
	"github.com/vaultchat/vaultchat/internal/models"
	"github.com/vaultchat/vaultchat/internal/store"
	"github.com/vaultchat/vaultchat/internal/tokens"
	"github.com/vaultchat/vaultchat/internal/usage"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/vault"
)

// Usage returns the side pane's snapshot for a key (ID or name) and
// conversation ("" before the first message). The key's totals come from
// the ledger, so a key unknown to the vault (a deleted one) shows what it
// spent; keyID "" sums every key. The conversation's row is its totals
// (chat.Conversation.Totals), the figures the lists and exports show.
func (s *Session) Usage(keyID, conversationID string) view.Usage {
	h, err := s.open()
	if err != nil {
		return view.Usage{}
	}
	now := s.cfg.Now()
	key, kerr := h.vault.Key(keyID)
	if kerr == nil {
		keyID = key.ID
	} else {
		key = vault.Key{ID: keyID}
	}
	l := h.usageLedger()
	today, month := l.Today(keyID, now), l.Month(keyID, now)
	out := view.Usage{
		Today:    total(today),
		Month:    total(month),
		Lifetime: total(l.Lifetime(keyID)),
		Ledger:   ledgerNote(l.Problems()),
	}
	for _, d := range l.Daily(keyID, 14, now) {
		out.Daily = append(out.Daily, view.Day{Day: d.Date, Tokens: d.Usage.Total(), CostUSD: d.CostUSD, Estimated: d.Usage.Estimated})
	}
	if kerr == nil {
		out.Provider = h.providerLine(key)
		for _, st := range budgetVerdict(key, now, today, month).States {
			out.Budgets = append(out.Budgets, view.Budget{Name: st.Name, Spent: st.Spent, Limit: st.Limit, USD: st.Unit == "USD", Hard: st.Hard, ResetsAt: st.ResetAt})
		}
	}
	h.mu.Lock()
	out.RateLimits = h.limits[keyID]
	h.mu.Unlock()
	var conv *chat.Conversation
	if conversationID != "" {
		if c, err := h.convs.Load(conversationID); err == nil {
			conv = c
			t := c.Totals()
			out.Conversation = view.Total{Tokens: t.Usage.Total(), Estimated: t.Usage.Estimated, Cost: t.Cost()}
		}
	}
	// The model the next turn would use, for the context meter.
	model, _ := resolveModel(conv, key, "") // "": no window known
	out.ContextWindow, _ = models.ContextWindow(model)
	if conv != nil && out.ContextWindow > 0 {
		// Only with a known window: it bounds how much is counted.
		msgs, _ := store.ContextMessages(conv, out.ContextWindow, func(m chat.Message) int { return tokens.CountMessage(model, m) })
		out.ContextUsed = tokens.CountMessages(model, msgs)
		out.ContextEstimated = true
	}
	return out
}

// UsageQuery selects what a usage report sums.
type UsageQuery struct {
	// By groups the lines: "key" (the default), "model" or "day".
	By string
	// Key limits the report to one key (name or ID); "" means all.
	Key string
	// From and To bound the UTC days counted: those overlapping
	// [From, To). A zero end is open.
	From, To time.Time
}

// UsageLine is one line of a usage report.
type UsageLine struct {
	// Group is the key's name ("NAME (removed)" for a key no longer in
	// the vault, by its last name; "ID (removed)" for one removed before
	// the vault kept names), the model, or the day ("2026-11-26").
	Group string
	// KeyID is the key of a line grouped by key. Removed marks a key no
	// longer in the vault, and Masked is then its masked value, when the
	// vault kept it (vault.RetiredKey).
	KeyID    string
	Removed  bool
	Masked   string
	Requests int64
	Errors   int64
	Usage    chat.Usage
	// EstimatedTokens counts the tokens counted locally; Unpriced the
	// requests that spent tokens at an unknown price.
	EstimatedTokens int64
	Unpriced        int64
	// Cost is the figure to show, by the rule every face follows.
	Cost figures.Cost
}

// UsageReport sums the usage ledger by key, model or day, and returns the
// lines (days without usage left out; keys sorted by name) and their
// total.
func (s *Session) UsageReport(q UsageQuery) (lines []UsageLine, sum UsageLine, err error) {
	h, err := s.open()
	if err != nil {
		return nil, UsageLine{}, err
	}
	retired := h.vault.RetiredKeys()
	keyID := ""
	if q.Key != "" {
		k, err := h.vault.Key(q.Key)
		if err != nil {
			r, ok := findRetired(retired, q.Key)
			if !ok {
				return nil, UsageLine{}, err
			}
			k.ID = r.ID
		}
		keyID = k.ID
	}
	l := h.usageLedger()
	var all usage.Totals
	add := func(group string, t usage.Totals) {
		lines = append(lines, usageLine(group, t))
		all = all.Add(t)
	}
	switch q.By {
	case "day":
		for _, d := range l.ByDay(keyID, q.From, q.To) {
			if d.Requests > 0 {
				add(d.Day, d.Totals)
			}
		}
	case "model":
		for _, g := range l.ByModel(keyID, q.From, q.To) {
			add(g.Name, g.Totals)
		}
	default:
		names := map[string]string{}
		for _, k := range h.vault.Keys() {
			names[k.ID] = k.Name
		}
		for _, g := range l.ByKey(q.From, q.To) {
			if keyID != "" && g.Name != keyID {
				continue
			}
			name, ok := names[g.Name]
			if ok {
				add(name, g.Totals)
				lines[len(lines)-1].KeyID = g.Name
				continue
			}
			// The ledger keeps key IDs only; the vault keeps the last
			// name of a removed key.
			r, known := findRetired(retired, g.Name)
			name = g.Name
			if known {
				name = r.Name
			}
			add(name+" (removed)", g.Totals)
			line := &lines[len(lines)-1]
			line.KeyID, line.Removed, line.Masked = g.Name, true, r.Masked
		}
		// The ledger sorts by key ID, which is random; people look for
		// names.
		sort.SliceStable(lines, func(i, j int) bool { return lines[i].Group < lines[j].Group })
	}
	return lines, usageLine("total", all), nil
}

// findRetired returns the latest record of a removed key with that name
// or ID.
func findRetired(retired []vault.RetiredKey, nameOrID string) (vault.RetiredKey, bool) {
	for i := len(retired) - 1; i >= 0; i-- {
		if r := retired[i]; r.Name == nameOrID || r.ID == nameOrID {
			return r, true
		}
	}
	return vault.RetiredKey{}, false
}

func usageLine(group string, t usage.Totals) UsageLine {
	return UsageLine{
		Group: group, Requests: t.Requests, Errors: t.Errors, Usage: t.Usage,
		EstimatedTokens: t.EstimatedTokens, Unpriced: t.Unpriced, Cost: t.Cost(),
	}
}

// RecordUsage records a request made outside a turn (the demo's history),
// priced by the session's price table.
func (s *Session) RecordUsage(keyID, model string, at time.Time, u chat.Usage) error {
	h, err := s.open()
	if err != nil {
		return err
	}
	e := usage.Entry{KeyID: keyID, Model: model, Time: at, Usage: u}
	var k vault.Key
	if found, err := h.vault.Key(keyID); err == nil {
		k = found
	}
	if cost, ok := s.prices.KeyCost(k.Provider, k.PriceFree, model, u); ok {
		e.CostUSD = &cost
	}
	return h.usageLedger().Record(e)
}

// ModelPrice is the price of model on the key (ID or name): the session's
// price table (config.toml's overrides included) under the one rule for a
// key's turn (usage.Prices.KeyPrice: local and --price-free keys cost 0).
func (s *Session) ModelPrice(keyID, model string) (usage.Price, bool) {
	h, err := s.open()
	if err != nil {
		return usage.Price{}, false
	}
	k, err := h.vault.Key(keyID)
	if err != nil {
		return usage.Price{}, false
	}
	return s.prices.KeyPrice(k.Provider, k.PriceFree, model)
}
