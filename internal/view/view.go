// Package view holds the plain values the TUI exchanges with the
// application: keys as the pickers show them, usage snapshots for the side
// pane, a turn to send. It is a leaf (no Charm, no vault, no I/O), so the
// UI that consumes these values and the session layer that produces them
// both import it without importing each other. The Backend interface that
// uses them belongs to its consumer, package ui.
package view

import (
	"errors"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/figures"
)

// ErrExists is wrapped by the error Export returns when it refuses to
// replace an existing file.
var ErrExists = errors.New("file already exists")

// SendRequest is one turn to send.
type SendRequest struct {
	ConversationID string
	// Prompt is the user's message. Empty with Regenerate.
	Prompt string
	// KeyID (a key's ID or name) and Model choose the key and model for
	// this turn; empty leaves the choice to the session's rule
	// (Session.Resolve). The conversation keeps its history across keys.
	KeyID string
	Model string
	// Regenerate drops the conversation's last assistant reply and sends
	// the last user message again (Prompt is ignored).
	Regenerate bool
	// EditLast replaces the last user message (and drops the reply to
	// it) with Prompt before sending: edit-and-resend.
	EditLast bool
	// Attachments are files sent with Prompt (internal/attach reads
	// them); the session refuses them before anything is sent when they
	// are over the limits or hold a vault secret.
	Attachments []chat.Attachment
}

// BudgetLevel is how much of its budgets a key has spent.
type BudgetLevel int

// Budget levels: no budget set, under 80%, at or over 80% (warning), at
// or over 100%.
const (
	BudgetNone BudgetLevel = iota
	BudgetOK
	BudgetWarn
	BudgetOver
)

// Key is a key as the pickers and the side pane show it.
type Key struct {
	chat.KeyRef
	DefaultModel  string
	AllowedModels []string // empty: any model
	LastUsed      time.Time
	// Month is the key's month-to-date usage.
	Month  Total
	Budget BudgetLevel
	// CheckFailed marks a key whose last check (or last request) failed
	// with an invalid-key error.
	CheckFailed bool
	// Free: every turn on the key costs 0 (a local server, or a key
	// marked --price-free), by the rule that prices its turns.
	Free bool
}

// Total is tokens and cost over some period.
type Total struct {
	Tokens    int64
	Estimated bool // some of Tokens were counted locally
	// Cost is the figure to show: a lower bound when some requests had
	// no known price, unknown only when none had one.
	Cost figures.Cost
}

// Budget is one budget of the active key.
type Budget struct {
	// Name says what the budget limits, e.g. "daily tokens" or
	// "monthly USD".
	Name string
	// Spent and Limit are in the budget's unit (tokens or USD).
	Spent float64
	Limit float64
	USD   bool // the unit is US dollars (else tokens)
	// Hard budgets refuse requests once spent; soft ones only warn.
	Hard     bool
	ResetsAt time.Time
}

// Fraction returns Spent/Limit (0 when there is no limit).
func (b Budget) Fraction() float64 {
	if b.Limit <= 0 {
		return 0
	}
	return b.Spent / b.Limit
}

// Day is one day of the usage chart.
type Day struct {
	Day       time.Time
	Tokens    int64
	CostUSD   float64
	Estimated bool
}

// Usage is the side pane's snapshot for the active key.
type Usage struct {
	Conversation Total
	Today        Total
	Month        Total
	Lifetime     Total
	Budgets      []Budget
	// RateLimits are from the key's last response (zero if none yet).
	RateLimits chat.RateLimits
	// ContextWindow is the model's context size in tokens (0: unknown);
	// ContextUsed is what the conversation's next request would take.
	ContextWindow    int
	ContextUsed      int
	ContextEstimated bool
	// Daily is the last 14 days, oldest first, today last.
	Daily []Day
	// Provider is what the key's provider last said of it, from the
	// encrypted caches (never a request): OpenRouter's "provider says: $X
	// this month, $Y of $Z limit left", or the last usage --reconcile's
	// verdict for an OpenAI key. "" when nothing was fetched yet.
	Provider string
	// Ledger is a short note ("ledger damaged: usage --repair") when the
	// usage ledger needs attention (a damaged month file: its usage is
	// missing from these figures), "" when it is healthy.
	Ledger string
}

// Choice is the key and model a conversation's next turn uses, as the
// session's rule picks them (Session.Resolve): the status line shows it
// and the next turn is sent with it.
type Choice struct {
	// Key is zero when no key can be chosen.
	Key chat.KeyRef
	// Model is "" when no model can be chosen for the key.
	Model string
	// Why says how the key was chosen when nobody asked for one: "the
	// conversation's", "default_key", "the key used last", "the only
	// key"; "" when it was asked for.
	Why string
	// Problem says, with a hint, why no key or no model could be
	// chosen; the TUI shows it and sends nothing until one is.
	Problem string
}

// Model is a model of a key's server list, as the model picker shows it.
type Model struct {
	Name string
	// Allowed is false for a model outside the key's allowed models:
	// shown, marked, and refused when picked.
	Allowed bool
}

// Role is a role file as the role picker shows it.
type Role struct {
	Name        string
	Description string
	Model       string
	Key         string
	// Problem says why the file does not parse ("" when it does): the
	// picker shows it, and picking the role shows the error.
	Problem string
}
