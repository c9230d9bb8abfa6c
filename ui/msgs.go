package ui

import (
	"context"
	"fmt"
	"time"

	"github.com/vaultchat/vaultchat/internal/view"

	tea "charm.land/bubbletea/v2"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// Messages produced by commands. Each carries the values the command
// produced; Update applies them. Messages of a stream carry its sequence
// number so events of a canceled or replaced stream are ignored.
type (
	passInfoMsg struct{ needs bool }
	unlockedMsg struct {
		err          error
		wrong, inUse bool
		needs        bool
	}
	// lockedMsg and a failed unlockedMsg carry NeedsPassphrase asked
	// again: an agent that held the identity may have gone since.
	lockedMsg struct {
		needs    bool
		draftErr error
	}
	loadedMsg struct {
		keys   []view.Key
		convs  []chat.Summary
		conv   *chat.Conversation
		choice view.Choice
		draft  string // the kept draft of conv (of the new one without conv)
		err    error
	}
	convLoadedMsg struct {
		conv     *chat.Conversation
		choice   view.Choice
		draft    string // the conversation's kept draft
		draftErr error
		err      error
	}
	// chosenMsg reports a switch of key or model (Backend.Choose).
	chosenMsg struct {
		convID string
		choice view.Choice
		note   *chat.Message
		err    error
	}
	keysMsg  struct{ keys []view.Key }
	convsMsg struct {
		convs []chat.Summary
		err   error
	}
	usageMsg struct {
		keyID, convID string
		view          view.Usage
	}
	modelsMsg struct {
		keyID  string
		models []string
		err    error
	}
	noteMsg struct {
		convID string
		msg    chat.Message
		err    error
	}
	// streamOpenedMsg reports a turn started: created is the conversation
	// the send created first (nil if none), masked names what of it held
	// a key that was masked ("" if nothing), for the notice.
	streamOpenedMsg struct {
		seq     int
		created *chat.Conversation
		masked  string
		events  <-chan chat.Event
	}
	streamStartErrMsg struct {
		seq     int
		created *chat.Conversation
		err     error
	}
	streamEventMsg struct {
		seq int
		ev  chat.Event
	}
	streamClosedMsg struct{ seq int }
	// opDoneMsg reports a conversation operation (rename, delete, system
	// prompt).
	opDoneMsg struct {
		op     string
		convID string
		value  string
		// masked says a key in value was masked (op "system").
		masked bool
		err    error
	}
	// exportDoneMsg reports an export: the path written, or an error
	// (wrapping view.ErrExists when the file is already there).
	exportDoneMsg struct {
		seq     int
		path    string
		written string
		err     error
	}
	draftFileMsg struct {
		path string
		err  error
	}
	editorDoneMsg struct {
		path string
		err  error
	}
	draftReadMsg struct {
		text string
		err  error
	}
	idleMsg      struct{ seq int }
	countdownMsg struct{ seq int }
)

func passInfoCmd(b Backend) tea.Cmd {
	return func() tea.Msg { return passInfoMsg{needs: b.NeedsPassphrase()} }
}

func unlockCmd(b Backend, pass []byte) tea.Cmd {
	return func() tea.Msg {
		err := b.Unlock(pass)
		clear(pass)
		if err != nil {
			return unlockedMsg{err: err, wrong: b.IsWrongPassphrase(err), inUse: b.IsInUse(err), needs: b.NeedsPassphrase()}
		}
		return unlockedMsg{}
	}
}

// lockCmd keeps the draft typed before the lock, then locks.
func lockCmd(b Backend, d draftSave) tea.Cmd {
	return func() tea.Msg {
		err := d.run(b) // the lock goes on; the unlock screen says if the draft was lost
		b.Lock()
		return lockedMsg{needs: b.NeedsPassphrase(), draftErr: err}
	}
}

// loadCmd reads what the main screen needs after an unlock: keys, the
// conversation list, the conversation reopen (if it is still there; else
// the most recent one) and the key and model of its next turn.
func loadCmd(b Backend, reopen string) tea.Cmd {
	return func() tea.Msg {
		keys := b.Keys()
		convs, err := b.Conversations()
		if err != nil {
			return loadedMsg{keys: keys, choice: b.Choice(""), err: err}
		}
		var conv *chat.Conversation
		if reopen != "" {
			if c, err := b.Load(reopen); err == nil {
				conv = c
			}
		}
		if conv == nil && len(convs) > 0 {
			conv, err = b.Load(convs[0].ID)
		}
		id := ""
		if conv != nil {
			id = conv.ID
		}
		if err != nil {
			return loadedMsg{keys: keys, convs: convs, choice: b.Choice(id), err: err}
		}
		draft, err := b.Draft(id)
		return loadedMsg{keys: keys, convs: convs, conv: conv, choice: b.Choice(id), draft: draft, err: err}
	}
}

// chooseCmd stores a switch of key or model with the conversation.
func chooseCmd(b Backend, convID, keyID, model string) tea.Cmd {
	return func() tea.Msg {
		ch, note, err := b.Choose(convID, keyID, model)
		return chosenMsg{convID: convID, choice: ch, note: note, err: err}
	}
}

func keysCmd(b Backend) tea.Cmd {
	return func() tea.Msg { return keysMsg{keys: b.Keys()} }
}

func convsCmd(b Backend) tea.Cmd {
	return func() tea.Msg {
		convs, err := b.Conversations()
		return convsMsg{convs: convs, err: err}
	}
}

func usageCmd(b Backend, keyID, convID string) tea.Cmd {
	if keyID == "" {
		return nil
	}
	return func() tea.Msg {
		return usageMsg{keyID: keyID, convID: convID, view: b.Usage(keyID, convID)}
	}
}

func modelsCmd(ctx context.Context, b Backend, keyID string, refresh bool) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		models, err := b.Models(ctx, keyID, refresh)
		return modelsMsg{keyID: keyID, models: models, err: err}
	}
}

func noteCmd(b Backend, convID, text string) tea.Cmd {
	return func() tea.Msg {
		msg, err := b.AddNote(convID, text)
		return noteMsg{convID: convID, msg: msg, err: err}
	}
}

// sendCmd creates the conversation first when it is new (with role, if
// one was chosen, and systemPrompt), then starts the turn.
func sendCmd(ctx context.Context, b Backend, seq int, req view.SendRequest, create bool, systemPrompt string, role *chat.RoleRef) tea.Cmd {
	return func() tea.Msg {
		var created *chat.Conversation
		var masked string
		if create {
			conv, what, err := createConversation(b, systemPrompt, role)
			if err != nil {
				return streamStartErrMsg{seq: seq, err: fmt.Errorf("create conversation: %w", err)}
			}
			created, masked = conv, what
			req.ConversationID = conv.ID
		}
		ch, err := b.Send(ctx, req)
		if err != nil {
			return streamStartErrMsg{seq: seq, created: created, err: err}
		}
		return streamOpenedMsg{seq: seq, created: created, masked: masked, events: ch}
	}
}

// waitEvent reads one event of a stream; Update re-arms it after each.
func waitEvent(seq int, ch <-chan chat.Event) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-ch
		if !ok {
			return streamClosedMsg{seq: seq}
		}
		return streamEventMsg{seq: seq, ev: ev}
	}
}

func renameCmd(b Backend, id, title string) tea.Cmd {
	return func() tea.Msg {
		return opDoneMsg{op: "rename", convID: id, value: title, err: b.Rename(id, title)}
	}
}

func deleteCmd(b Backend, id string) tea.Cmd {
	return func() tea.Msg {
		return opDoneMsg{op: "delete", convID: id, err: b.Delete(id)}
	}
}

func systemPromptCmd(b Backend, id, prompt string) tea.Cmd {
	return func() tea.Msg {
		masked, err := b.SetSystemPrompt(id, prompt)
		if masked {
			prompt = savedSystemPrompt(b, id)
		}
		return opDoneMsg{op: "system", convID: id, value: prompt, masked: masked, err: err}
	}
}

// exportCmd writes an export; path is what the user typed, kept for the
// overwrite question.
func exportCmd(b Backend, seq int, id, format, path string, overwrite bool) tea.Cmd {
	return func() tea.Msg {
		written, err := b.Export(id, format, path, overwrite)
		return exportDoneMsg{seq: seq, path: path, written: written, err: err}
	}
}

// searchedMsg is the backend's answer to the list filter's search.
type searchedMsg struct {
	query string
	hits  []view.SearchHit
	err   error
}

// searchCmd searches the conversations' content for the list filter.
func searchCmd(b Backend, query string) tea.Cmd {
	return func() tea.Msg {
		hits, err := b.Search(query, view.SearchOptions{Snippets: 1})
		return searchedMsg{query: query, hits: hits, err: err}
	}
}

// createConversation saves a new conversation, with a role if one was
// chosen; a system prompt edited after choosing the role (alt+s) is kept
// as the conversation's, the role's text as the role's. masked names the
// text in which the backend masked a key ("" if none), for the notice.
func createConversation(b Backend, systemPrompt string, role *chat.RoleRef) (conv *chat.Conversation, masked string, err error) {
	if role == nil {
		conv, hit, err := b.Create(systemPrompt)
		if err != nil {
			return nil, "", err
		}
		return conv, maskedWhat(hit, "the system prompt"), nil
	}
	conv, hit, err := b.CreateWithRole(*role)
	if err != nil {
		return nil, "", err
	}
	masked = maskedWhat(hit, "the role's prompt")
	if systemPrompt != role.Text {
		hit, err := b.SetSystemPrompt(conv.ID, systemPrompt)
		if err != nil {
			return nil, "", err
		}
		conv.SystemPrompt = systemPrompt
		if hit {
			masked = "the system prompt"
			conv.SystemPrompt = savedSystemPrompt(b, conv.ID)
		}
	}
	return conv, masked, nil
}

// savedSystemPrompt is a conversation's system prompt as saved, after the
// backend masked a key in it: the app's copy (shown again by alt+s) must
// not keep the key. Empty when it cannot be read.
func savedSystemPrompt(b Backend, id string) string {
	c, err := b.Load(id)
	if err != nil {
		return ""
	}
	return c.SystemPrompt
}

func maskedWhat(masked bool, what string) string {
	if masked {
		return what
	}
	return ""
}
