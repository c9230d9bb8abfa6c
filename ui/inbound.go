package ui

import (
	"github.com/vaultchat/vaultchat/internal/attach"
	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/sanitize"
	"github.com/vaultchat/vaultchat/internal/view"
)

// Inbound text. Everything the backend hands the UI may hold model or
// server text (titles derived from replies, key names, model lists, error
// messages), so it is sanitized once, where it enters the model, and every
// view can draw it as is. One-line fields are also folded to one line.

// cleanLine makes backend text safe to draw on one line.
func cleanLine(s string) string { return sanitize.String(oneLine(s)) }

// sanitizeKeys cleans the keys' display fields.
func sanitizeKeys(keys []view.Key) []view.Key {
	out := make([]view.Key, len(keys))
	for i, k := range keys {
		k.Name = cleanLine(k.Name)
		k.Provider = cleanLine(k.Provider)
		k.Host = cleanLine(k.Host)
		k.Fingerprint = cleanLine(k.Fingerprint)
		k.DefaultModel = cleanLine(k.DefaultModel)
		allowed := make([]string, len(k.AllowedModels))
		for j, a := range k.AllowedModels {
			allowed[j] = cleanLine(a)
		}
		k.AllowedModels = allowed
		out[i] = k
	}
	return out
}

// sanitizeSummaries cleans conversation titles.
func sanitizeSummaries(in []chat.Summary) []chat.Summary {
	out := make([]chat.Summary, len(in))
	for i, s := range in {
		s.Title = cleanLine(s.Title)
		out[i] = s
	}
	return out
}

// sanitizeHit cleans a search hit's title and snippets (the backend
// sanitizes them too; the screen does not rely on it).
func sanitizeHit(h view.SearchHit) view.SearchHit {
	h.Title = cleanLine(h.Title)
	sn := make([]view.SearchSnippet, len(h.Snippets))
	for i, s := range h.Snippets {
		if c := cleanLine(s.Text); c != s.Text {
			s.Text, s.Start, s.End = c, 0, 0
		}
		sn[i] = s
	}
	h.Snippets = sn
	return h
}

// sanitizeUsage cleans a usage's text: budget names, the provider's
// line (a server had a hand in it) and the ledger's note.
func sanitizeUsage(u view.Usage) view.Usage {
	budgets := make([]view.Budget, len(u.Budgets))
	for i, b := range u.Budgets {
		b.Name = cleanLine(b.Name)
		budgets[i] = b
	}
	u.Budgets = budgets
	u.Provider = cleanLine(u.Provider)
	u.Ledger = cleanLine(u.Ledger)
	return u
}

// sanitizeTurn returns a copy of a reply's attribution with its text
// cleaned: key and model names, the finish and incomplete reasons, and
// the error (which the chat item keeps in fields of its own).
func sanitizeTurn(t chat.Turn) *chat.Turn {
	t.KeyName = cleanLine(t.KeyName)
	t.Model = cleanLine(t.Model)
	t.FinishReason = cleanLine(t.FinishReason)
	t.IncompleteReason = cleanLine(t.IncompleteReason)
	if t.Error != nil {
		e := *t.Error
		e.Message, e.Hint = sanitize.String(e.Message), sanitize.String(e.Hint)
		t.Error = &e
	}
	return &t
}

// attachmentLabels are a message's attachments as its chips show them:
// name, type and size, cleaned (a file's name is anyone's text).
func attachmentLabels(atts []chat.Attachment) []string {
	if len(atts) == 0 {
		return nil
	}
	out := make([]string, len(atts))
	for i, a := range atts {
		out[i] = cleanLine(attach.Describe(a))
	}
	return out
}
