// Package engine runs chat turns end to end: it resolves the key and model,
// refuses what a key's policy forbids before anything is sent, builds the
// request from the conversation, streams the reply through the provider
// adapter, and saves the conversation and the usage ledger after every
// user message and every finished, canceled or failed reply.
package engine

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/models"
	"github.com/vaultchat/vaultchat/internal/provider"
	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/internal/sanitize"
	"github.com/vaultchat/vaultchat/internal/store"
	"github.com/vaultchat/vaultchat/internal/tokens"
	"github.com/vaultchat/vaultchat/internal/usage"
	"github.com/vaultchat/vaultchat/vault"
)

// FallbackModel is used when neither the request nor the key names a model.
const FallbackModel = "gpt-4o-mini"

// Options tune an Engine. The zero value is usable.
type Options struct {
	// Stream is passed to every provider stream (coalescing window,
	// retries, clock); tests inject fakes here.
	Stream provider.Options
	// Prices computes costs; nil uses the built-in price table.
	Prices *usage.Prices
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Transport is the HTTP transport for provider clients (tests).
	Transport http.RoundTripper
	// Ephemeral keeps conversations in memory only (ask --no-save); the
	// usage ledger still records what was spent.
	Ephemeral bool
}

// conversations is what a turn needs of a conversation store. Turns
// change a conversation through Update, which applies the change to what
// is stored at that moment: a turn only adds its messages (and, once its
// reply exists, removes the ones it replaces), so turns of two processes
// on one conversation both stay.
type conversations interface {
	Load(id string) (*chat.Conversation, error)
	Save(c *chat.Conversation) error
	Update(id string, change func(*chat.Conversation) error) (*chat.Conversation, error)
}

// memoryConversations keeps conversations in memory, for Ephemeral.
type memoryConversations struct {
	mu    sync.Mutex
	convs map[string]*chat.Conversation
}

func (m *memoryConversations) Load(id string) (*chat.Conversation, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.convs[id]
	if !ok {
		return nil, fmt.Errorf("conversation %s: %w", id, store.ErrNotFound)
	}
	cp := *c
	cp.Messages = append([]chat.Message(nil), c.Messages...)
	return &cp, nil
}

func (m *memoryConversations) Update(id string, change func(*chat.Conversation) error) (*chat.Conversation, error) {
	c, err := m.Load(id)
	if err != nil {
		return nil, err
	}
	if err := change(c); err != nil {
		return nil, err
	}
	if err := m.Save(c); err != nil {
		return nil, err
	}
	return c, nil
}

func (m *memoryConversations) Save(c *chat.Conversation) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cp := *c
	cp.Messages = append([]chat.Message(nil), c.Messages...)
	m.convs[c.ID] = &cp
	return nil
}

// Engine runs chat turns for one unlocked vault.
type Engine struct {
	vault  *vault.Vault
	store  *store.Store
	convs  conversations // store, or memory when Ephemeral
	ledger *usage.Ledger
	opts   Options

	mu       sync.Mutex
	clients  map[string]*provider.Client // by key ID + secret digest
	convLock map[string]*sync.Mutex
}

// New returns an Engine over an open vault. It opens the usage ledger,
// which fails if the ledger file is damaged.
func New(v *vault.Vault, opts Options) (*Engine, error) {
	ledger, err := usage.Open(v)
	if err != nil {
		return nil, fmt.Errorf("open usage ledger: %w", err)
	}
	if opts.Prices == nil {
		opts.Prices = usage.DefaultPrices()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	st := store.New(v)
	var convs conversations = st
	if opts.Ephemeral {
		convs = &memoryConversations{convs: map[string]*chat.Conversation{}}
	}
	return &Engine{
		vault:    v,
		store:    st,
		convs:    convs,
		ledger:   ledger,
		opts:     opts,
		clients:  map[string]*provider.Client{},
		convLock: map[string]*sync.Mutex{},
	}, nil
}

// Store returns the conversation store the engine writes to.
func (e *Engine) Store() *store.Store { return e.store }

// Ledger returns the usage ledger the engine records to.
func (e *Engine) Ledger() *usage.Ledger { return e.ledger }

// Prices returns the price table in use.
func (e *Engine) Prices() *usage.Prices { return e.opts.Prices }

// Redactor returns a redactor for every secret in the vault.
func (e *Engine) Redactor() *redact.Redactor { return redact.New(e.vault.Secrets()...) }

// SendRequest is one turn to run.
type SendRequest struct {
	// ConversationID names the conversation; it must exist (see Create).
	ConversationID string
	// Prompt is the user's message. It may be empty only with Regenerate.
	Prompt string
	// Key is the key's name or ID; empty means the conversation's last
	// key, else the only key, else an error.
	Key string
	// Model overrides the key's default model.
	Model string
	// Regenerate sends the conversation again without the replies to
	// the last user message, instead of adding a prompt; the new reply
	// replaces them once it is complete.
	Regenerate bool
	// EditLast replaces the last user message and its reply with Prompt
	// (edit-and-resend), once the new reply is complete; until then both
	// stay, before the edited prompt.
	EditLast bool
}

// Create starts a new conversation with an optional system prompt and
// saves it.
func (e *Engine) Create(systemPrompt string) (*chat.Conversation, error) {
	now := e.opts.Now().UTC()
	c := &chat.Conversation{
		ID:           store.NewID(),
		SystemPrompt: e.clean(systemPrompt),
		Created:      now,
		Updated:      now,
		Messages:     []chat.Message{},
	}
	if err := e.convs.Save(c); err != nil {
		return nil, err
	}
	return c, nil
}

// clean redacts vault secrets from text the user typed. Keys pasted into a
// prompt are masked before they are stored or sent anywhere.
func (e *Engine) clean(s string) string {
	return e.Redactor().String(s)
}

// Hold waits until no turn of conversation id is running and keeps new
// turns from starting until release is called. Send holds a conversation
// until its reply is saved; callers that change a conversation outside
// Send (rename, notes, delete) hold it too, so a turn's save cannot undo
// the change and a deleted conversation is not brought back by a turn
// that was still saving.
func (e *Engine) Hold(id string) (release func()) {
	e.mu.Lock()
	m, ok := e.convLock[id]
	if !ok {
		m = &sync.Mutex{}
		e.convLock[id] = m
	}
	e.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// MaxPromptBytes is the largest prompt Send accepts: beyond every model's
// context window, and enough to make tokenizing and saving it slow.
const MaxPromptBytes = 4 << 20

// Send runs one turn. The user message is saved before Send returns. The
// returned channel yields chat.Delta, chat.Retrying, chat.Warning and
// chat.Trimmed events, then exactly one chat.Done or chat.Failed whose
// Message is the stored reply, then closes. Refusals (model not allowed,
// hard budget) arrive as chat.Failed without a request being sent.
// Callers must read the channel until it closes; canceling ctx ends the
// turn quickly and keeps the partial reply, marked incomplete.
//
// Regenerate and EditLast replace the last reply (or exchange) only once
// the new reply has been saved complete: if the request fails or is
// canceled, what it was to replace stays in the conversation (an edited
// prompt is kept after it, and a partial reply after that), so nothing
// is lost. A bad prompt (empty, not UTF-8, over MaxPromptBytes) is
// refused with an error before anything is written.
func (e *Engine) Send(ctx context.Context, req SendRequest) (<-chan chat.Event, error) {
	if !req.Regenerate {
		if err := checkPrompt(req.Prompt); err != nil {
			return nil, err
		}
	}
	unlock := e.Hold(req.ConversationID)
	conv, err := e.convs.Load(req.ConversationID)
	if err != nil {
		unlock()
		return nil, err
	}
	key, err := e.resolveKey(conv, req.Key)
	if err != nil {
		unlock()
		return nil, err
	}
	model := req.Model
	if model == "" {
		model = lastModel(conv, key.ID)
	}
	if model == "" {
		model = key.DefaultModel
	}
	if model == "" {
		model = FallbackModel
	}
	now := e.opts.Now().UTC()
	// replaced is what a complete new reply replaces; it is removed only
	// then.
	var replaced []chat.Message
	if req.Regenerate {
		// The replies to the last user message; notes the user wrote
		// after them stay.
		for _, m := range lastExchange(conv.Messages) {
			if m.Role == chat.RoleAssistant {
				replaced = append(replaced, m)
			}
		}
		if !hasUserMessage(conv) {
			unlock()
			return nil, errors.New("nothing to regenerate: the conversation has no message yet")
		}
	} else {
		if req.EditLast {
			replaced = lastExchange(conv.Messages)
		}
		prompt := e.clean(req.Prompt)
		if strings.TrimSpace(prompt) == "" {
			unlock()
			return nil, errors.New("empty message")
		}
		msg := chat.Message{ID: newMessageID(), Role: chat.RoleUser, Content: prompt, Time: now}
		conv, err = e.convs.Update(conv.ID, func(c *chat.Conversation) error {
			c.Messages = append(c.Messages, msg)
			if c.Title == "" {
				c.Title = store.Title(prompt)
			}
			return nil
		})
		if err != nil {
			unlock()
			return nil, fmt.Errorf("save conversation: %w", err)
		}
	}
	// The request is made from the conversation without what it
	// replaces.
	view := *conv
	view.Messages = without(conv.Messages, replaced)

	events := make(chan chat.Event, 16)
	go func() {
		defer close(events)
		defer unlock()
		e.run(ctx, &view, replaced, key, model, events)
	}()
	return events, nil
}

// checkPrompt refuses a prompt that cannot be sent, with an error that
// says why.
func checkPrompt(p string) error {
	switch {
	case strings.TrimSpace(p) == "":
		return errors.New("empty message")
	case len(p) > MaxPromptBytes:
		return fmt.Errorf("message too long: %d bytes, the limit is %d MiB", len(p), MaxPromptBytes>>20)
	case !utf8.ValidString(p):
		return errors.New("message is not valid UTF-8 text")
	}
	return nil
}

// lastExchange returns the last user message and everything after it
// (its reply, notes).
func lastExchange(msgs []chat.Message) []chat.Message {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == chat.RoleUser {
			return msgs[i:]
		}
	}
	return nil
}

// without returns msgs less one occurrence of each message of drop.
// Messages are matched by ID, role, content and time rather than by
// position, so that messages another process added meanwhile do not
// shift what is removed.
func without(msgs, drop []chat.Message) []chat.Message {
	out := make([]chat.Message, 0, len(msgs))
	used := make([]bool, len(drop))
next:
	for _, m := range msgs {
		for j, d := range drop {
			if !used[j] && m.ID == d.ID && m.Role == d.Role && m.Content == d.Content && m.Time.Equal(d.Time) {
				used[j] = true
				continue next
			}
		}
		out = append(out, m)
	}
	return out
}

func hasUserMessage(c *chat.Conversation) bool {
	for _, m := range c.Messages {
		if m.Role == chat.RoleUser {
			return true
		}
	}
	return false
}

// lastModel returns the model of the last reply made with key, so a
// conversation keeps its model until the user picks another.
func lastModel(c *chat.Conversation, keyID string) string {
	for i := len(c.Messages) - 1; i >= 0; i-- {
		if t := c.Messages[i].Turn; t != nil && t.KeyID == keyID {
			return t.Model
		}
	}
	return ""
}

// resolveKey finds the key by name or ID; with none named, the
// conversation's last key, else the vault's only key.
func (e *Engine) resolveKey(c *chat.Conversation, nameOrID string) (vault.Key, error) {
	if nameOrID == "" {
		for i := len(c.Messages) - 1; i >= 0; i-- {
			if t := c.Messages[i].Turn; t != nil {
				if k, err := e.vault.Key(t.KeyID); err == nil {
					return k, nil
				}
			}
		}
		keys := e.vault.Keys()
		switch len(keys) {
		case 0:
			return vault.Key{}, errors.New("the vault holds no key; add one with \"vaultchat keys add NAME\"")
		case 1:
			return keys[0], nil
		}
		return vault.Key{}, errors.New("several keys in the vault; name one with --key")
	}
	return e.vault.Key(nameOrID)
}

// run performs the turn and always ends with exactly one Done or Failed.
func (e *Engine) run(ctx context.Context, conv *chat.Conversation, replaced []chat.Message, key vault.Key, model string, events chan<- chat.Event) {
	start := e.opts.Now()
	fail := func(cerr *chat.Error) {
		events <- chat.Failed{Err: cerr, KeyID: key.ID}
	}
	if !key.AllowsModel(model) {
		fail(&chat.Error{
			Class:   chat.ErrModelNotAllowed,
			Message: fmt.Sprintf("key %s is not allowed to use model %s", key.Name, model),
			Hint:    fmt.Sprintf("allowed: %s; pick one of them or run \"vaultchat keys edit %s --allow-model %s\"", strings.Join(key.AllowedModels, ", "), key.Name, model),
		})
		return
	}
	now := e.opts.Now()
	verdict := usage.CheckBudget(budgetOf(key), now, e.ledger.Today(key.ID, now), e.ledger.Month(key.ID, now))
	if verdict.Refuse != nil {
		fail(verdict.Refuse)
		return
	}
	for _, w := range verdict.Warnings {
		events <- chat.Warning{Text: w}
	}

	window, _ := models.ContextWindow(model)
	msgs, trimmed := store.ContextMessages(conv, window, func(m chat.Message) int {
		return tokens.CountMessage(model, m)
	})
	if trimmed > 0 {
		events <- chat.Trimmed{Turns: trimmed}
	}

	client, err := e.client(key)
	if err != nil {
		fail(&chat.Error{Class: chat.ErrOther, Message: e.Redactor().String(err.Error())})
		return
	}
	var text strings.Builder
	var final chat.Event
	for ev := range client.Stream(ctx, provider.Request{Model: model, Messages: msgs}, e.opts.Stream) {
		switch ev := ev.(type) {
		case chat.Delta:
			text.WriteString(ev.Text)
			events <- ev
		case chat.Done, chat.Failed:
			final = ev
		default:
			events <- ev
		}
	}
	e.finish(conv, replaced, key, model, text.String(), start, final, events)
}

// finish stores the reply (complete or not), records usage and sends the
// final event with the stored message. conv is the turn's view of the
// conversation; the reply is added to the conversation as stored now, and
// replaced is removed from it only when the reply is complete.
func (e *Engine) finish(conv *chat.Conversation, replaced []chat.Message, key vault.Key, model, text string, start time.Time, final chat.Event, events chan<- chat.Event) {
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
			turn.IncompleteReason = "canceled"
		}
	default:
		failed = &chat.Failed{Err: &chat.Error{Class: chat.ErrOther, Message: "the reply ended without a result"}}
		turn.Incomplete, turn.IncompleteReason, turn.Error = true, "no result", failed.Err
	}
	if turn.Duration == 0 {
		turn.Duration = e.opts.Now().Sub(start)
	}
	if cost, ok := e.opts.Prices.Cost(model, turn.Usage); ok {
		turn.CostUSD = &cost
	}
	var stored *chat.Message
	var saveErr error
	if text != "" || failed == nil {
		msg := chat.Message{ID: newMessageID(), Role: chat.RoleAssistant, Content: sanitize.String(text), Time: e.opts.Now().UTC(), Turn: turn}
		stored = &msg
		_, saveErr = e.convs.Update(conv.ID, func(c *chat.Conversation) error {
			if failed == nil {
				c.Messages = without(c.Messages, replaced)
			}
			c.Messages = append(c.Messages, msg)
			return nil
		})
		if errors.Is(saveErr, store.ErrNotFound) {
			// Deleted by another process during the turn: keep the
			// turn rather than drop the reply.
			conv.Messages = append(conv.Messages, msg)
			saveErr = e.convs.Save(conv)
		}
	}
	// A turn canceled before its request went out spent nothing and is
	// not a request; the provider reports no usage only then (a request
	// canceled in flight gets an estimate).
	canceledBeforeSending := failed != nil && failed.Err.Class == chat.ErrCanceled && text == "" && turn.Usage.Total() == 0
	sent := !canceledBeforeSending && (failed == nil || failed.Err.Class != chat.ErrModelNotAllowed && failed.Err.Class != chat.ErrBudgetExceeded)
	if sent {
		recErr := e.ledger.Record(usage.Entry{KeyID: key.ID, Model: model, Time: e.opts.Now(), Usage: turn.Usage, CostUSD: turn.CostUSD, Failed: failed != nil})
		saveErr = errors.Join(saveErr, recErr)
		touchErr := e.vault.Update(func(tx *vault.Tx) error { return tx.Touch(key.ID, e.opts.Now()) })
		if touchErr != nil && !errors.Is(touchErr, vault.ErrKeyNotFound) {
			saveErr = errors.Join(saveErr, touchErr)
		}
	}
	if saveErr != nil {
		// The reply is still shown; the user must know it was not kept.
		events <- chat.Warning{Text: "could not save: " + e.Redactor().String(saveErr.Error())}
	}
	if failed != nil {
		failed.Message = stored
		failed.KeyID = key.ID
		events <- *failed
		return
	}
	done := final.(chat.Done)
	done.Message = stored
	events <- done
}

// client returns the cached provider client for key, creating it when the
// key is new or its secret or endpoint changed (rotation, edit).
func (e *Engine) client(key vault.Key) (*provider.Client, error) {
	// Everything the client is built from is in the cache key, including
	// every secret of the vault (the client's redactor masks them by value).
	h := sha256.New()
	for _, part := range []string{key.Secret.Reveal(), key.BaseURL, key.Provider, key.Organization, key.Project, key.AzureAPIVersion} {
		h.Write([]byte(part + "\x00"))
	}
	for model, deployment := range sortedPairs(key.AzureDeployments) {
		h.Write([]byte(model + "=" + deployment + "\x00"))
	}
	for _, s := range e.vault.Secrets() {
		h.Write([]byte(s + "\x00"))
	}
	id := key.ID + fmt.Sprintf(":%x", h.Sum(nil)[:8])
	e.mu.Lock()
	defer e.mu.Unlock()
	if c, ok := e.clients[id]; ok {
		return c, nil
	}
	c, err := provider.New(provider.Config{
		Provider:         key.Provider,
		BaseURL:          key.BaseURL,
		Secret:           key.Secret.Reveal(),
		KeyName:          key.Name,
		Organization:     key.Organization,
		Project:          key.Project,
		AzureAPIVersion:  key.AzureAPIVersion,
		AzureDeployments: key.AzureDeployments,
		Transport:        e.opts.Transport,
		Redactor:         e.Redactor(),
	})
	if err != nil {
		return nil, err
	}
	e.clients[id] = c
	return c, nil
}

// Models lists the models the key's server offers, filtered by the key's
// allowed models.
func (e *Engine) Models(ctx context.Context, nameOrID string) ([]string, error) {
	key, err := e.vault.Key(nameOrID)
	if err != nil {
		return nil, err
	}
	c, err := e.client(key)
	if err != nil {
		return nil, err
	}
	list, cerr := c.ListModels(ctx)
	if cerr != nil {
		return nil, cerr
	}
	var out []string
	for _, m := range list {
		if key.AllowsModel(m) {
			out = append(out, m)
		}
	}
	return out, nil
}

// sortedPairs iterates a map in key order, so hashes of it are stable.
func sortedPairs(m map[string]string) func(func(string, string) bool) {
	return func(yield func(string, string) bool) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if !yield(k, m[k]) {
				return
			}
		}
	}
}

func budgetOf(k vault.Key) usage.Budget {
	return usage.Budget{
		DailyUSD:      k.Budget.DailyUSD,
		MonthlyUSD:    k.Budget.MonthlyUSD,
		MonthlyTokens: k.Budget.MonthlyTokens,
		Hard:          k.Budget.Hard,
		Key:           k.Name,
	}
}
