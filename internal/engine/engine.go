// Package engine runs chat turns: it saves the user's message, refuses
// what a key's policy forbids before anything is sent, builds the request
// from the conversation, streams the reply through the provider adapter
// to the caller, and saves the reply and records its usage however the
// turn ends.
//
// The engine only runs turns. It does not open the vault, the
// conversation store or the usage ledger: the session layer
// (internal/session) owns those and hands the engine what a turn needs
// as small interfaces (Conversations, Accounts) in Config.
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
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/provider"
	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/internal/store"
	"github.com/vaultchat/vaultchat/internal/usage"
	"github.com/vaultchat/vaultchat/vault"
)

// Conversations is what a turn needs of a conversation store. Turns
// change a conversation through Update, which applies the change to what
// is stored at that moment: a turn only adds its messages (and, once its
// reply exists, removes the ones it replaces), so turns of two processes
// on one conversation both stay. *store.Store and *Memory implement it.
type Conversations interface {
	Load(id string) (*chat.Conversation, error)
	Save(c *chat.Conversation) error
	Update(id string, change func(*chat.Conversation) error) (*chat.Conversation, error)
	// UpdateFile is Update for the user's message, saved before the
	// request is sent: it may leave what can wait (the store's list
	// index) to the reply's Update.
	UpdateFile(id string, change func(*chat.Conversation) error) (*chat.Conversation, error)
	// LockTurn keeps other processes from running a turn of the
	// conversation until unlock is called; it fails, after a short wait,
	// with an error wrapping store.ErrConversationInUse while another
	// process runs one.
	LockTurn(id string) (unlock func(), err error)
}

// Accounts is what a turn needs of the keys and what they spent. The
// session implements it; the rules behind these answers live there.
type Accounts interface {
	// Resolve picks the key and model of a turn in conversation c, from
	// the key (name or ID) and model the caller asked for, either of
	// which may be empty.
	Resolve(c *chat.Conversation, key, model string) (vault.Key, string, error)
	// Budget checks the key's budgets before a request is sent.
	Budget(key vault.Key, now time.Time) usage.Verdict
	// Record adds a request to the usage ledger and marks the key used.
	Record(key vault.Key, e usage.Entry) error
	// Journal makes a request's usage recoverable before its reply is
	// saved (a kill between the two must not lose it); the returned
	// commit records it, as Record does, after the save. e.ID is the
	// reply's message ID, so recording it twice counts it once.
	Journal(key vault.Key, e usage.Entry) (commit func() error)
}

// Config is what an Engine is built from.
type Config struct {
	Conversations Conversations
	Accounts      Accounts
	// Redactor returns the redactor for every secret of the vault, as
	// it is now; the caller caches it.
	Redactor func() *redact.Redactor
	// Prices computes costs; nil uses the built-in price table.
	Prices *usage.Prices
	// Stream is passed to every provider stream (coalescing window,
	// retries, clock); tests inject fakes here.
	Stream provider.Options
	// Transport is the HTTP transport for provider clients (tests).
	Transport http.RoundTripper
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Finished, when set, is told the final event of every turn and the
	// ID of the key it used, after the reply is saved and before the
	// event is delivered: the session notes there what the turn proved
	// about the key (rate limits, an invalid key).
	Finished func(keyID string, final chat.Event)
}

// Engine runs chat turns. It is safe for concurrent use.
type Engine struct {
	cfg Config

	mu       sync.Mutex
	clients  map[string]cachedClient // by key ID + digest of its settings
	convLock map[string]*sync.Mutex
	running  atomic.Int32
}

// cachedClient is a provider client and the redactor it was built with:
// a client whose redactor is stale (a key was added or rotated since)
// would not mask the new secret, so it is built again.
type cachedClient struct {
	client *provider.Client
	red    *redact.Redactor
}

// New returns an Engine over the given stores and accounts.
func New(cfg Config) *Engine {
	if cfg.Prices == nil {
		cfg.Prices = usage.DefaultPrices()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Redactor == nil {
		cfg.Redactor = func() *redact.Redactor { return nil }
	}
	return &Engine{cfg: cfg, clients: map[string]cachedClient{}, convLock: map[string]*sync.Mutex{}}
}

// SendRequest is one turn to run.
type SendRequest struct {
	// ConversationID names the conversation; it must exist.
	ConversationID string
	// Prompt is the user's message. It may be empty only with Regenerate.
	Prompt string
	// Key (name or ID) and Model are what the caller asked for; empty
	// leaves the choice to Accounts.Resolve.
	Key   string
	Model string
	// Regenerate sends the conversation again without the replies to
	// the last user message, instead of adding a prompt; the new reply
	// replaces them once it is complete, and keeps them as its sibling
	// branch (chat.Message.Siblings).
	Regenerate bool
	// EditLast replaces the last user message and its reply with Prompt
	// (edit-and-resend), once the new reply is complete; until then both
	// stay, before the edited prompt. The replaced exchange is then kept
	// as the edited prompt's sibling branch.
	EditLast bool
	// Attachments are stored on the user message and sent with it; the
	// caller has checked them (limits, secrets).
	Attachments []chat.Attachment
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

// Wait waits, at most d, until no turn is running, and reports whether
// none is. The session waits before it closes the vault, so that a turn
// the UI just canceled still saves its partial reply.
func (e *Engine) Wait(d time.Duration) bool {
	for deadline := time.Now().Add(d); e.running.Load() > 0; {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// MaxPromptBytes is the largest prompt Send accepts: beyond every model's
// context window, and enough to make tokenizing and saving it slow.
const MaxPromptBytes = 4 << 20

// Send runs one turn. The user message is saved before Send returns. The
// returned channel yields chat.Delta, chat.Retrying, chat.Warning and
// chat.Trimmed events, then exactly one chat.Done or chat.Failed whose
// Message is the stored reply, then closes. Refusals (model not allowed,
// hard budget) arrive as chat.Failed without a request being sent.
//
// The channel has no room to spare: while the caller is busy with one
// event the turn waits, and the provider gathers the text that arrives
// meanwhile into one larger Delta, so a slow reader gets fewer events
// rather than a growing backlog. Once ctx is canceled the turn never
// waits for a reader: events that do not fit are dropped (the final
// event carries the stored reply, which holds all the text), and room is
// made for the final event, so the reply is saved and the channel closed
// even if nobody reads again. Canceling keeps the partial reply, marked
// incomplete.
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
	hold := e.Hold(req.ConversationID)
	// The turn owns its conversation, across processes too, from reading
	// the history to saving the reply: a turn of another process would
	// send its question next to a reply this one has not saved, and this
	// reply would answer without its question.
	unlock, err := e.cfg.Conversations.LockTurn(req.ConversationID)
	if err != nil {
		hold()
		return nil, err
	}
	release := func() { unlock(); hold() }
	t, err := e.start(req)
	if err != nil {
		release()
		return nil, err
	}
	out := make(chan chat.Event, 1)
	e.running.Add(1)
	go func() {
		defer e.running.Add(-1)
		defer close(out)
		defer release()
		t.run(ctx, out)
	}()
	return out, nil
}

// start loads the conversation, resolves the key and model, and saves the
// user's message: everything of a turn that happens before Send returns.
func (e *Engine) start(req SendRequest) (*turn, error) {
	conv, err := e.cfg.Conversations.Load(req.ConversationID)
	if err != nil {
		return nil, err
	}
	key, model, err := e.cfg.Accounts.Resolve(conv, req.Key, req.Model)
	if err != nil {
		return nil, err
	}
	// replaced is what a complete new reply replaces; it is removed only
	// then (and kept as a sibling branch).
	var replaced []chat.Message
	var editedID string
	var sent *chat.Message
	var unanswered bool
	masked := false // a key in the message was masked
	if req.Regenerate {
		if !hasUserMessage(conv) {
			return nil, errors.New("nothing to regenerate: the conversation has no message yet")
		}
		// The replies to the last user message; notes the user wrote
		// after them stay.
		for _, m := range lastExchange(conv.Messages) {
			if m.Role == chat.RoleAssistant {
				replaced = append(replaced, m)
			}
		}
	} else {
		if req.EditLast {
			replaced = lastExchange(conv.Messages)
		}
		red := e.cfg.Redactor()
		prompt := red.String(req.Prompt)
		if strings.TrimSpace(prompt) == "" {
			return nil, errors.New("empty message")
		}
		masked = prompt != req.Prompt
		msg := chat.Message{ID: newMessageID(), Role: chat.RoleUser, Content: prompt, Time: e.cfg.Now().UTC()}
		editedID = msg.ID
		for _, a := range req.Attachments {
			// Text passes the prompt's redaction; images go as they are.
			name, text := a.Name, a.Text
			a.Name = red.String(a.Name)
			if !a.IsImage() {
				a.Text = red.String(a.Text)
			}
			masked = masked || a.Name != name || a.Text != text
			msg.Attachments = append(msg.Attachments, a)
		}
		unanswered = !req.EditLast && endsUnanswered(conv.Messages)
		if conv, err = e.savePrompt(conv.ID, msg, key.ID, model); err != nil {
			return nil, err
		}
		sent = &msg
	}
	// The request is made from the conversation without what it
	// replaces.
	view := *conv
	view.Messages = without(conv.Messages, replaced)
	t := &turn{e: e, conv: &view, replaced: replaced, keepReplaced: req.Regenerate, key: key, model: model, masked: masked, sent: sent, unanswered: unanswered}
	if req.EditLast {
		t.editedID = editedID
	}
	return t, nil
}

// savePrompt appends the user's message to the conversation on disk,
// the one write a turn makes before its request is sent: only the
// conversation's file (Conversations.UpdateFile); the reply's save
// updates the rest.
func (e *Engine) savePrompt(id string, msg chat.Message, keyID, model string) (*chat.Conversation, error) {
	conv, err := e.cfg.Conversations.UpdateFile(id, func(c *chat.Conversation) error {
		c.Messages = append(c.Messages, msg)
		// The conversation's next turn uses this key and model too,
		// unless switched (ask --key … --continue, say).
		c.Choose(keyID, model)
		if c.Title == "" {
			c.Title = store.Title(msg.Content)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("save conversation: %w", err)
	}
	return conv, nil
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

// endsUnanswered reports whether the conversation's last message, notes
// aside, is the user's: a fork made at a user message, or a turn killed
// before its reply was saved. The next message then follows it in the
// request with no reply between them.
func endsUnanswered(msgs []chat.Message) bool {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role != chat.RoleNote {
			return msgs[i].Role == chat.RoleUser
		}
	}
	return false
}

func hasUserMessage(c *chat.Conversation) bool {
	for _, m := range c.Messages {
		if m.Role == chat.RoleUser {
			return true
		}
	}
	return false
}

// client returns the cached provider client for key, creating it when the
// key is new, its secret or endpoint changed (rotation, edit), or the
// vault's secrets changed (the client's redactor masks them by value).
func (e *Engine) client(key vault.Key) (*provider.Client, error) {
	// Admin and management keys never chat, whoever asks.
	if err := key.CheckChat(); err != nil {
		return nil, err
	}
	h := sha256.New()
	for _, part := range []string{key.Secret.Reveal(), key.BaseURL, key.Provider, key.Organization, key.Project, key.AzureAPIVersion} {
		h.Write([]byte(part + "\x00"))
	}
	for model, deployment := range sortedPairs(key.AzureDeployments) {
		h.Write([]byte(model + "=" + deployment + "\x00"))
	}
	id := key.ID + fmt.Sprintf(":%x", h.Sum(nil)[:8])
	red := e.cfg.Redactor()
	e.mu.Lock()
	defer e.mu.Unlock()
	if c, ok := e.clients[id]; ok && c.red == red {
		return c.client, nil
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
		Transport:        e.cfg.Transport,
		Redactor:         red,

		// The owner's consent to plain http to another host.
		AllowInsecureHTTP: key.AllowInsecureHTTP,
	})
	if err != nil {
		return nil, err
	}
	e.clients[id] = cachedClient{client: c, red: red}
	return c, nil
}

// Models lists the models the key's server offers, all of them: the
// model picker marks those outside the key's allowed models.
func (e *Engine) Models(ctx context.Context, key vault.Key) ([]string, error) {
	c, err := e.client(key)
	if err != nil {
		return nil, err
	}
	list, cerr := c.ListModels(ctx)
	if cerr != nil {
		return nil, cerr
	}
	return list, nil
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
