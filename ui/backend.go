// Package ui is vaultchat's full-screen terminal interface (Bubble Tea v2).
//
// The package never touches the vault, the network or the disk itself: it
// talks to a Backend, which the application implements on top of the
// vault, the chat engine, the conversation store and the usage ledger.
// Backend methods are called only from tea.Cmds, never from Update or
// View, so a slow disk or server never freezes the screen.
//
// The rendering follows crush's discipline for long streaming chats: one
// top-level Model, components as plain structs with methods, all I/O in
// commands, a per-item render cache keyed by width, only visible lines
// drawn, and only the streaming reply re-rendered — only its unfinished
// tail of Markdown (see ui/markdown).
package ui

import "github.com/vaultchat/vaultchat/ui/backend"

// The Backend interface and its view types are declared in ui/backend, a
// package without Charm imports, so the application can implement them
// without depending on the UI. They are re-exported here for callers of
// Run and New.
type (
	// Backend is everything the TUI needs from the application; see
	// backend.Backend.
	Backend = backend.Backend
	// SendRequest is one turn to send.
	SendRequest = backend.SendRequest
	// BudgetLevel is how much of its budgets a key has spent.
	BudgetLevel = backend.BudgetLevel
	// KeyInfo is a key as the pickers and the side pane show it.
	KeyInfo = backend.KeyInfo
	// Total is tokens and cost over some period.
	Total = backend.Total
	// Budget is one budget of the active key.
	Budget = backend.Budget
	// DayUsage is one day of the usage chart.
	DayUsage = backend.DayUsage
	// UsageView is the side pane's snapshot for the active key.
	UsageView = backend.UsageView
)

// Budget levels, re-exported from ui/backend.
const (
	BudgetNone = backend.BudgetNone
	BudgetOK   = backend.BudgetOK
	BudgetWarn = backend.BudgetWarn
	BudgetOver = backend.BudgetOver
)

// ErrExists is wrapped by the error Backend.Export returns when it refuses
// to replace an existing file; the export dialog then asks.
var ErrExists = backend.ErrExists
