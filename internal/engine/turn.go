package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/models"
	"github.com/vaultchat/vaultchat/internal/provider"
	"github.com/vaultchat/vaultchat/internal/sanitize"
	"github.com/vaultchat/vaultchat/internal/store"
	"github.com/vaultchat/vaultchat/internal/tokens"
	"github.com/vaultchat/vaultchat/internal/usage"
	"github.com/vaultchat/vaultchat/vault"
)

// turn is one running Send, owned by its goroutine.
type turn struct {
	e        *Engine
	conv     *chat.Conversation // the turn's view: without what it replaces
	replaced []chat.Message
	// keepReplaced makes the replaced messages a sibling branch of the
	// new reply (regenerate) instead of dropping them.
	keepReplaced bool
	// editedID is the new user message of an edit-and-resend, which
	// keeps the exchange it replaces as its sibling branch.
	editedID string
	key      vault.Key
	model    string
	// sent is the new user message as saved (nil for a regenerate).
	sent *chat.Message
	// unanswered says the message before the new one had no reply: the
	// user is told that both go out, one after the other.
	unanswered bool
	// masked says a key in the new message (or its attachments) was
	// masked before it was saved and sent: the user is told, once.
	masked bool
}

// maskedWarning is the warning a turn starts with when a key (a stored
// one, or a string shaped like a provider key) in the message was masked
// before the message was saved and sent.
var maskedWarning = chat.MaskedWarning("the message")

// unansweredWarning is the warning of a turn whose conversation ended
// with a user message that had no reply.
const unansweredWarning = "the message before this one had no reply; both were sent, one after the other"

// run performs the turn and always ends with exactly one Done or Failed.
func (t *turn) run(ctx context.Context, out chan chat.Event) {
	e := t.e
	start := e.cfg.Now()
	if t.sent != nil {
		forward(ctx, out, chat.Sent{Message: *t.sent})
	}
	if t.masked {
		forward(ctx, out, chat.Warning{Text: maskedWarning})
	}
	if t.unanswered {
		forward(ctx, out, chat.Warning{Text: unansweredWarning})
	}
	if final := t.refusal(ctx, start, out); final != nil {
		t.finish(ctx, "", start, final, false, out)
		return
	}
	msgs, trimmed := t.contextMessages()
	if trimmed > 0 {
		forward(ctx, out, chat.Trimmed{Turns: trimmed})
	}
	client, err := e.client(t.key)
	if err != nil {
		final := chat.Failed{Err: &chat.Error{Class: chat.ErrOther, Message: e.cfg.Redactor().String(err.Error())}}
		t.finish(ctx, "", start, final, false, out)
		return
	}
	var text strings.Builder
	var final chat.Event
	req := provider.Request{Model: t.model, Messages: msgs}
	if t.conv.Role != nil {
		req.Temperature = t.conv.Role.Temperature
	}
	for ev := range client.Stream(ctx, req, e.cfg.Stream) {
		switch ev := ev.(type) {
		case chat.Delta:
			text.WriteString(ev.Text)
			forward(ctx, out, ev)
		case chat.Done, chat.Failed:
			final = ev
		default:
			forward(ctx, out, ev)
		}
	}
	t.finish(ctx, text.String(), start, final, true, out)
}

// contextMessages builds the request's messages, the oldest turns left
// out when the model's context window would overflow. Counting tokens
// loads a tokenizer (tens of milliseconds before the request): a
// conversation whose upper bound (tokens.MessageBound) already fits is
// sent whole without counting.
func (t *turn) contextMessages() ([]chat.Message, int) {
	window, _ := models.ContextWindow(t.model)
	bound := tokens.MessageBound(chat.Message{Role: chat.RoleSystem, Content: t.conv.SystemPrompt})
	for _, m := range t.conv.Messages {
		bound += tokens.MessageBound(m)
	}
	if store.Fits(bound, window) {
		window = 0 // nothing can be trimmed
	}
	return store.ContextMessages(t.conv, window, func(m chat.Message) int {
		return tokens.CountMessage(t.model, m)
	})
}

// refusal checks the key's policy before anything is sent: the model must
// be allowed and no hard budget spent. It returns the Failed event of a
// refusal, or nil after passing on the budgets' warnings.
func (t *turn) refusal(ctx context.Context, now time.Time, out chan chat.Event) chat.Event {
	key, model := t.key, t.model
	if !key.AllowsModel(model) {
		return chat.Failed{Err: &chat.Error{
			Class:   chat.ErrModelNotAllowed,
			Message: fmt.Sprintf("key %s is not allowed to use model %s", key.Name, model),
			Hint:    fmt.Sprintf("allowed: %s; pick one of them or run \"vaultchat keys edit %s --allow-model %s\"", strings.Join(key.AllowedModels, ", "), key.Name, model),
		}}
	}
	verdict := t.e.cfg.Accounts.Budget(key, now)
	if verdict.Refuse != nil {
		return chat.Failed{Err: verdict.Refuse}
	}
	for _, w := range verdict.Warnings {
		forward(ctx, out, chat.Warning{Text: w})
	}
	return nil
}

// finish stores the reply (complete or not), records usage when a
// request was made and sends the final event with the stored message.
// The reply is added to the conversation as stored now, and what the turn
// replaces is removed from it only when the reply is complete.
func (t *turn) finish(ctx context.Context, text string, start time.Time, final chat.Event, requested bool, out chan chat.Event) {
	e, key, model := t.e, t.key, t.model
	turn := &chat.Turn{KeyID: key.ID, KeyName: key.Name, Model: model}
	var failed *chat.Failed
	switch ev := final.(type) {
	case chat.Done:
		turn.Usage, turn.FinishReason, turn.Duration = ev.Usage, ev.FinishReason, ev.Duration
	case chat.Failed:
		failed = &ev
		turn.Usage, turn.Duration = ev.Usage, ev.Duration
		turn.Incomplete = true
		turn.Error = ev.Err
		turn.IncompleteReason = string(ev.Err.Class)
		if ev.Err.Class == chat.ErrCanceled {
			// The user's stop is no error: the turn is kept as
			// canceled, with what arrived, and billed for it.
			turn.IncompleteReason = "canceled"
			turn.Error = nil
		}
	default:
		failed = &chat.Failed{Err: &chat.Error{Class: chat.ErrOther, Message: "the reply ended without a result"}}
		turn.Incomplete, turn.IncompleteReason, turn.Error = true, "no result", failed.Err
	}
	if turn.Duration == 0 {
		turn.Duration = e.cfg.Now().Sub(start)
	}
	if cost, ok := e.cfg.Prices.KeyCost(key.Provider, key.PriceFree, model, turn.Usage); ok {
		turn.CostUSD = &cost
	}
	// A turn canceled before its request went out spent nothing and is
	// not a request; the provider reports no usage only then (a request
	// canceled in flight gets an estimate).
	canceledBeforeSending := failed != nil && failed.Err.Class == chat.ErrCanceled && text == "" && turn.Usage.Total() == 0
	// Every other failure is kept as an error turn (a refusal, a 401, a
	// 500), so history and exports show what happened; its empty text
	// keeps it out of the context sent next time (store.ContextMessages).
	replyID := newMessageID()
	commit := t.journal(replyID, requested && !canceledBeforeSending, turn)
	var stored *chat.Message
	var saveErr error
	if !canceledBeforeSending {
		stored, saveErr = t.save(replyID, text, turn, failed == nil)
	}
	saveErr = errors.Join(saveErr, commit())
	if saveErr != nil {
		// The reply is still shown; the user must know it was not kept.
		forward(ctx, out, chat.Warning{Text: "could not save: " + e.cfg.Redactor().String(saveErr.Error())})
	}
	var ev chat.Event
	if failed != nil {
		failed.Message = stored
		failed.KeyID = key.ID
		ev = *failed
	} else {
		done := final.(chat.Done)
		done.Message = stored
		ev = done
	}
	if e.cfg.Finished != nil {
		e.cfg.Finished(key.ID, ev)
	}
	forwardFinal(ctx, out, ev)
}

// journal writes the turn's request to the usage journal before its reply
// is saved, so that a kill between the save and the ledger's record loses
// nothing (the ledger catches up when it next opens), and returns what
// records it; the request's ID is the reply's message ID. With record
// false (no request was made) there is nothing to journal.
func (t *turn) journal(replyID string, record bool, turn *chat.Turn) (commit func() error) {
	if !record {
		return func() error { return nil }
	}
	entry := usage.Entry{ID: replyID, KeyID: t.key.ID, Model: t.model, Time: t.e.cfg.Now(), Usage: turn.Usage, CostUSD: turn.CostUSD, Failed: usage.TurnFailed(turn)}
	return t.e.cfg.Accounts.Journal(t.key, entry)
}

// save adds the reply, with message ID id, to the conversation (removing
// what it replaces when it is complete) and returns the stored message. A
// failed turn is saved too, with the text that arrived (often none) and
// its error.
func (t *turn) save(id, text string, turn *chat.Turn, complete bool) (*chat.Message, error) {
	e := t.e
	msg := chat.Message{ID: id, Role: chat.RoleAssistant, Content: sanitize.String(text), Time: e.cfg.Now().UTC(), Turn: turn}
	if complete && t.keepReplaced {
		msg.Siblings = chat.BranchOf(t.replaced)
	}
	_, err := e.cfg.Conversations.Update(t.conv.ID, func(c *chat.Conversation) error {
		if complete {
			c.Messages = without(c.Messages, t.replaced)
			i := slices.IndexFunc(c.Messages, func(m chat.Message) bool { return m.ID == t.editedID })
			if t.editedID != "" && i >= 0 {
				c.Messages[i].Siblings = chat.BranchOf(t.replaced)
			}
		}
		c.Messages = append(c.Messages, msg)
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		// Deleted by another process during the turn: keep the turn
		// rather than drop the reply.
		t.conv.Messages = append(t.conv.Messages, msg)
		err = e.cfg.Conversations.Save(t.conv)
	}
	return &msg, err
}

// forward sends ev, waiting for the reader until ctx is canceled; after
// that it drops ev when the channel is full: the reader may have gone.
func forward(ctx context.Context, out chan chat.Event, ev chat.Event) {
	select {
	case out <- ev:
	case <-ctx.Done():
		select {
		case out <- ev:
		default:
		}
	}
}

// forwardFinal sends the turn's Done or Failed. Once ctx is canceled it
// never blocks: it drops what the reader has not taken to make room.
func forwardFinal(ctx context.Context, out chan chat.Event, ev chat.Event) {
	select {
	case out <- ev:
		return
	case <-ctx.Done():
	}
	for {
		select {
		case out <- ev:
			return
		default:
		}
		select {
		case <-out:
		default:
		}
	}
}
