// Package backend declares what the TUI needs from the application: the
// Backend interface and the plain view types it exchanges. It imports no
// Charm package, so internal/app can implement it without depending on the
// UI; package ui re-exports these names.
package backend

import (
	"context"
	"errors"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// Backend is everything the TUI needs from the application. It sees keys
// only as references (chat.KeyRef: ID, name, provider, host, masked
// fingerprint), never their secrets. Every method is synchronous and may
// do I/O; the UI calls them only from commands. Text returned in errors is
// shown to the user (after sanitizing), so it must be user-facing and must
// not contain a secret.
type Backend interface {
	// NeedsPassphrase reports whether Unlock needs a passphrase (false for
	// a vault opened with an identity file: the unlock screen is skipped,
	// and after a lock it only asks for enter).
	NeedsPassphrase() bool
	// Unlock opens the vault. The backend may zero passphrase after use.
	// A wrong passphrase must leave the vault untouched and make
	// IsWrongPassphrase true; another process holding the vault must
	// make IsInUse true.
	Unlock(passphrase []byte) error
	// IsWrongPassphrase reports whether err from Unlock means the
	// passphrase was wrong.
	IsWrongPassphrase(err error) bool
	// IsInUse reports whether err from Unlock means another vaultchat
	// holds the vault.
	IsInUse(err error) bool
	// Lock drops the unlocked vault, every key and every decrypted
	// conversation from memory. Unlock must be called again before any
	// other method.
	Lock()

	// Keys lists the vault's keys with their month-to-date usage, in the
	// order the pickers show them.
	Keys() []KeyInfo
	// Models lists the models the key can use, from the provider's
	// /models endpoint. The backend may cache; refresh asks it to fetch
	// again. An empty list with a nil error means the server has no list
	// (the picker then takes free text).
	Models(ctx context.Context, keyID string, refresh bool) ([]string, error)

	// Conversations lists the saved conversations, most recently updated
	// first.
	Conversations() ([]chat.Summary, error)
	// Load returns a conversation with all its messages.
	Load(id string) (*chat.Conversation, error)
	// Create saves a new empty conversation with an optional system
	// prompt. The UI calls it just before the first message is sent.
	Create(systemPrompt string) (*chat.Conversation, error)
	// Rename sets a conversation's title.
	Rename(id, title string) error
	// Delete removes a conversation.
	Delete(id string) error
	// SetSystemPrompt sets the system prompt sent with the conversation's
	// next turns.
	SetSystemPrompt(id, prompt string) error
	// AddNote appends a note (chat.RoleNote: shown and exported, never
	// sent to a model), such as "switched to key work · gpt-4o-mini", and
	// returns the stored message.
	AddNote(id, text string) (chat.Message, error)

	// Send appends the user message to the conversation (saved at once,
	// unless Regenerate; a conversation without a title gets one derived
	// from this message, which the next Conversations list carries),
	// then streams the reply. The channel carries
	// chat.Delta, chat.Retrying, chat.Warning and chat.Trimmed events,
	// then exactly one chat.Done or chat.Failed (whose Message holds the
	// stored assistant message with its chat.Turn attribution), and is
	// then closed. Refusals (a hard budget, a model the key may not use)
	// arrive as a Failed event. Canceling ctx stops the request; the
	// backend then still sends Failed (class chat.ErrCanceled, the
	// partial reply kept and marked incomplete) and closes the channel,
	// and must never block forever on a send once ctx is canceled. An
	// error return means nothing was sent or saved.
	Send(ctx context.Context, req SendRequest) (<-chan chat.Event, error)

	// Usage returns a snapshot for the side pane: keyID is the active
	// key, conversationID the open conversation ("" before the first
	// message).
	Usage(keyID, conversationID string) UsageView

	// Export writes the conversation in format ("md", "json", "txt" or
	// "html") to path, redacted and sanitized, atomically and with mode
	// 0600, and returns the absolute path written. A leading "~/" in path
	// means the user's home directory. Without overwrite an existing file
	// (or symbolic link) is left alone and the error wraps ErrExists, so
	// the UI can ask before replacing it.
	Export(conversationID, format, path string, overwrite bool) (string, error)
}

// ErrExists is wrapped by the error Export returns when it refuses to
// replace an existing file.
var ErrExists = errors.New("file already exists")

// SendRequest is one turn to send.
type SendRequest struct {
	ConversationID string
	// Prompt is the user's message. Empty with Regenerate.
	Prompt string
	// KeyID and Model choose the key and model for this turn only; the
	// conversation keeps its history across keys.
	KeyID string
	Model string
	// Regenerate drops the conversation's last assistant reply and sends
	// the last user message again (Prompt is ignored).
	Regenerate bool
	// EditLast replaces the last user message (and drops the reply to
	// it) with Prompt before sending: edit-and-resend.
	EditLast bool
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

// KeyInfo is a key as the pickers and the side pane show it.
type KeyInfo struct {
	chat.KeyRef
	DefaultModel  string
	AllowedModels []string // empty: any model
	LastUsed      time.Time
	// Month-to-date usage of the key. Estimated is set when some of the
	// tokens were counted locally; CostKnown is false when a model's
	// price is unknown.
	MonthTokens  int64
	MonthCostUSD float64
	CostKnown    bool
	Estimated    bool
	Budget       BudgetLevel
	// CheckFailed marks a key whose last check (or last request) failed
	// with an invalid-key error.
	CheckFailed bool
}

// Total is tokens and cost over some period.
type Total struct {
	Tokens    int64
	CostUSD   float64
	CostKnown bool
	Estimated bool // some of Tokens were counted locally
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

// DayUsage is one day of the usage chart.
type DayUsage struct {
	Day       time.Time
	Tokens    int64
	CostUSD   float64
	Estimated bool
}

// UsageView is the side pane's snapshot for the active key.
type UsageView struct {
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
	Daily []DayUsage
}
