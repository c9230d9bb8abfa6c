// Package ui is vaultchat's full-screen terminal interface (Bubble Tea v2).
//
// The package never touches the vault or the network itself: it talks to
// a Backend, which the session layer (internal/session) implements, with
// the role files added by the command layer (internal/cli/tui.go).
// Backend methods are called only from tea.Cmds, never from Update or
// View, so a slow disk or server never freezes the screen. The one file
// the package writes itself is the ctrl+e draft: the editor round trip
// puts the draft in a private temporary file (under $XDG_RUNTIME_DIR where
// there is one) for $EDITOR and removes it when the editor returns.
//
// The structure follows crush's: one top-level Model whose parts are plain
// structs with methods, each in a file of its own — the unlock screen
// (unlock.go), the turn in flight (turn.go), key handling (keys.go) through
// one key map (keymap.go) that also draws the help screen, conversations
// (conversations.go, convlist.go), the keys and usage (keyring.go,
// sidepane.go), the chat view (chatitem.go, chatlist.go), the input
// (editor.go) with its attachments (attach.go, filepicker.go), selecting
// messages to fork or flip their versions (branches.go), roles
// (roles.go), and the dialogs, which are overlays on a stack (overlay.go:
// help, pickers, prompts, the delete question, the export dialog). Text
// from the backend is sanitized where it comes in (inbound.go).
//
// The rendering follows crush's discipline for long streaming chats: all
// I/O in commands, a per-item render cache keyed by width and the item's
// version, only visible lines drawn, and only the streaming reply
// re-rendered — only its unfinished tail of Markdown (see ui/markdown).
package ui

import (
	"context"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/view"
)

// Backend is everything the TUI needs from the application. It sees keys
// only as references (chat.KeyRef: ID, name, provider, host, masked
// fingerprint), never their secrets; an attachment holding one is refused
// by Attach. Every method is synchronous and may
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
	Keys() []view.Key
	// Models lists the models of the key's server, from the provider's
	// /models endpoint, including those outside the key's allowed models
	// (the picker marks them). The backend may cache; refresh asks it to fetch
	// again. An empty list with a nil error means the server has no list
	// (the picker then takes free text).
	Models(ctx context.Context, keyID string, refresh bool) ([]string, error)

	// Choice says which key and model the next turn of the conversation
	// ("" for one not saved yet) uses, by the backend's one rule: what
	// was chosen for the conversation (stored with it), else its last
	// reply's, else default_key, the key used last or the only key; the
	// model last chosen or used with that key in it, else the key's
	// default. What cannot be chosen is said in Problem, with a hint.
	// The TUI asks on unlock, restart and (re)open, and never decides.
	Choice(conversationID string) view.Choice
	// Choose makes a key (ID; "" keeps the conversation's) and model (""
	// brings back the model chosen for that key in the conversation,
	// else its default) the choice for the conversation's next turn. In
	// a saved conversation it is stored at once, with a note naming what
	// the next turn will use, which Choose returns; for one not saved
	// yet ("") nothing is stored and the note is nil. A model the key may
	// not use is refused with an error (with a Hint() method) and
	// nothing changes.
	Choose(conversationID, keyID, model string) (view.Choice, *chat.Message, error)

	// Conversations lists the saved conversations, most recently updated
	// first.
	Conversations() ([]chat.Summary, error)
	// Load returns a conversation with all its messages.
	Load(id string) (*chat.Conversation, error)
	// Create saves a new empty conversation with an optional system
	// prompt. The UI calls it just before the first message is sent. A
	// key in the prompt is masked first; masked says one was, for the
	// notice (chat.MaskedWarning).
	Create(systemPrompt string) (c *chat.Conversation, masked bool, err error)
	// CreateWithRole saves a new empty conversation started from a role
	// (Role's answer): the role's text is its system prompt and the
	// conversation records the role. masked is as for Create.
	CreateWithRole(role chat.RoleRef) (c *chat.Conversation, masked bool, err error)
	// ForkFrom copies conversation id up to and including message
	// messageID into a new conversation that records where it branched
	// (chat.Conversation.Parent), and returns it. The parent is not
	// changed.
	ForkFrom(conversationID, messageID string) (*chat.Conversation, error)
	// SwitchBranch makes version (0-based, oldest first:
	// chat.Conversation.Versions) of message messageID current, keeping
	// the one it replaces as a sibling, and returns the conversation.
	SwitchBranch(conversationID, messageID string, version int) (*chat.Conversation, error)
	// Search finds the conversations whose title or messages hold every
	// word of query (any case), newest first, with snippets of the
	// matching messages (sanitized and masked).
	Search(query string, opts view.SearchOptions) ([]view.SearchHit, error)

	// Roles lists the role files, by name; a file that does not parse is
	// listed with its problem.
	Roles() ([]view.Role, error)
	// Role loads role name, checked as ask --role checks it: a bad file,
	// or a key or model the vault refuses, is an error naming the file
	// and the line.
	Role(name string) (chat.RoleRef, error)
	// Attach reads a file to send with the next message, refusing it
	// (an error naming it) over the per-file limit, when it is neither
	// text nor a supported image, or when it holds a secret of the
	// vault. Send checks the whole turn again (the per-turn limit too).
	Attach(path string) (chat.Attachment, error)

	// Rename sets a conversation's title.
	Rename(id, title string) error
	// Delete removes a conversation.
	Delete(id string) error
	// SetSystemPrompt sets the system prompt sent with the conversation's
	// next turns. A key in it is masked first; masked says one was.
	SetSystemPrompt(id, prompt string) (masked bool, err error)
	// AddNote appends a note (chat.RoleNote: shown and exported, never
	// sent to a model), such as "switched to key work · gpt-4o-mini", and
	// returns the stored message.
	AddNote(id, text string) (chat.Message, error)

	// SaveDraft keeps text as the unsent draft of a conversation ("" is
	// the new conversation not created yet), encrypted like the
	// conversations; an empty text removes it. Delete removes a
	// conversation's draft with it.
	SaveDraft(conversationID, text string) error
	// Draft returns the kept draft of a conversation ("" when none).
	Draft(conversationID string) (string, error)

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
	Send(ctx context.Context, req view.SendRequest) (<-chan chat.Event, error)

	// Usage returns a snapshot for the side pane: keyID is the active
	// key, conversationID the open conversation ("" before the first
	// message).
	Usage(keyID, conversationID string) view.Usage

	// Export writes the conversation in format ("md", "json", "txt" or
	// "html") to path, redacted and sanitized, atomically and with mode
	// 0600, and returns the absolute path written. A leading "~/" in path
	// means the user's home directory. Without overwrite an existing file
	// (or symbolic link) is left alone and the error wraps view.ErrExists, so
	// the UI can ask before replacing it.
	Export(conversationID, format, path string, overwrite bool) (string, error)
}
