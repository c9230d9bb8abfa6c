package view

import (
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// SearchOptions narrow a search over saved conversations.
type SearchOptions struct {
	// Key (a name or ID) keeps conversations with a reply made with
	// that key; empty keeps all.
	Key string
	// Since keeps conversations updated at or after it; zero keeps all.
	Since time.Time
	// Limit bounds the conversations returned; zero means no limit.
	Limit int
	// Snippets bounds the snippets per conversation; zero means 3.
	Snippets int
}

// SearchHit is a conversation that matches a search, with the places
// it matches. Text in it is sanitized and masked.
type SearchHit struct {
	ID      string
	Title   string
	Updated time.Time
	// TitleMatch is set when the title holds every term.
	TitleMatch bool
	// Matches counts the messages that hold every term.
	Matches int
	// Snippets are the first matching messages, in order.
	Snippets []SearchSnippet
}

// SearchSnippet is a piece of one matching message, on one line.
type SearchSnippet struct {
	// Number is the message's number (chat.Conversation.Number).
	Number    int
	MessageID string
	Role      chat.Role
	Text      string
	// Start and End are the byte offsets in Text of the match to
	// highlight; equal when the match cannot be shown (it was masked).
	Start, End int
}
