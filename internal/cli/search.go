package cli

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/session"
	"github.com/vaultchat/vaultchat/internal/view"
)

// errNoMatch is a search that found nothing: exit 1 without an error
// line, as grep does, so scripts can test it.
var errNoMatch = &silentError{ExitError}

// convSearchCmd searches every saved conversation.
type convSearchCmd struct {
	Query []string `arg:"" help:"Words to find (all of them, in any order; case and accents of the same letter do not matter)."`
	Key   string   `name:"key" placeholder:"NAME" help:"Only conversations with a reply made with this key."`
	Since string   `name:"since" placeholder:"DATE" help:"Only conversations updated on or after this day, YYYY-MM-DD."`
	Limit int      `name:"limit" default:"50" help:"Show at most this many conversations (0: all)."`
	JSON  bool     `name:"json" help:"Print JSON."`
}

// searchRow is a hit as "conversations search --json" prints it.
type searchRow struct {
	ID         string          `json:"id"`
	Title      string          `json:"title"`
	Updated    time.Time       `json:"updated"`
	TitleMatch bool            `json:"title_match"`
	Matches    int             `json:"matches"`
	Snippets   []searchSnippet `json:"snippets"`
}

type searchSnippet struct {
	Number    int       `json:"number"`
	MessageID string    `json:"message_id,omitempty"`
	Role      chat.Role `json:"role"`
	Text      string    `json:"text"`
	// MatchStart and MatchEnd are byte offsets in Text.
	MatchStart int `json:"match_start"`
	MatchEnd   int `json:"match_end"`
}

// Run prints the matching conversations, newest first, each with its
// matching messages in context.
func (c *convSearchCmd) Run(a *app) error {
	opts := view.SearchOptions{Key: c.Key, Limit: c.Limit}
	if c.Limit < 0 {
		return usagef("--limit must be 0 or more")
	}
	if c.Since != "" {
		t, err := time.ParseInLocation("2006-01-02", c.Since, time.Local)
		if err != nil {
			return usagef("--since %q is not a date like 2026-11-01", c.Since)
		}
		opts.Since = t
	}
	sess, err := a.openSession(false)
	if err != nil {
		return err
	}
	defer sess.Close()
	hits, err := sess.Search(strings.Join(c.Query, " "), opts)
	if errors.Is(err, session.ErrEmptyQuery) {
		return usagef("%v", err)
	}
	if err != nil {
		return err
	}
	if c.JSON {
		rows := make([]searchRow, len(hits))
		for i, h := range hits {
			rows[i] = searchRow{ID: h.ID, Title: h.Title, Updated: h.Updated, TitleMatch: h.TitleMatch, Matches: h.Matches, Snippets: []searchSnippet{}}
			for _, s := range h.Snippets {
				rows[i].Snippets = append(rows[i].Snippets, searchSnippet{Number: s.Number, MessageID: s.MessageID, Role: s.Role, Text: s.Text, MatchStart: s.Start, MatchEnd: s.End})
			}
		}
		if err := a.printJSON(rows); err != nil || len(hits) > 0 {
			return err
		}
		return errNoMatch
	}
	if len(hits) == 0 {
		fmt.Fprintln(a.io.ErrOut, "no conversation matches")
		return errNoMatch
	}
	for i, h := range hits {
		if i > 0 {
			a.printf("\n")
		}
		a.printf("%s  %s  %s  (%s)\n", a.cell(h.ID), h.Updated.Local().Format("2006-01-02 15:04"), a.cell(h.Title), matchesLabel(h))
		for _, s := range h.Snippets {
			a.printf("  #%d %s: %s\n", s.Number, s.Role, a.clean(s.Text))
		}
	}
	return nil
}

// matchesLabel says where a conversation matched: its messages, counted,
// or only its title (a title-only hit has no matching message to count).
func matchesLabel(h view.SearchHit) string {
	switch {
	case h.Matches == 0:
		return "title matches"
	case h.Matches == 1:
		return "1 matching message"
	}
	return fmt.Sprintf("%d matching messages", h.Matches)
}
