package transcript

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// SourceChatGPT is the Source of conversations imported from ChatGPT.
const SourceChatGPT = "chatgpt"

// ChatGPTKeyName is the key name on the turns of imported ChatGPT
// replies. No vault key produced them, so their KeyID is empty; the name
// says where they came from wherever key names are shown.
const ChatGPTKeyName = "chatgpt-import"

// The parts of ChatGPT's conversations.json that an import reads. Every
// other field is ignored, so the import survives additions to a format
// OpenAI does not document. JSON null decodes as the zero value.
type gptConversation struct {
	ID             string              `json:"id"`
	ConversationID string              `json:"conversation_id"`
	Title          string              `json:"title"`
	CreateTime     gptTime             `json:"create_time"`
	UpdateTime     gptTime             `json:"update_time"`
	Mapping        map[string]*gptNode `json:"mapping"`
	CurrentNode    string              `json:"current_node"`
	DefaultModel   string              `json:"default_model_slug"`
}

type gptNode struct {
	Message  *gptMessage `json:"message"`
	Parent   string      `json:"parent"`
	Children []string    `json:"children"`
}

type gptMessage struct {
	Author struct {
		Role string `json:"role"`
	} `json:"author"`
	CreateTime gptTime     `json:"create_time"`
	Content    *gptContent `json:"content"`
	Metadata   struct {
		ModelSlug     string `json:"model_slug"`
		Hidden        bool   `json:"is_visually_hidden_from_conversation"`
		FinishDetails struct {
			Type string `json:"type"`
		} `json:"finish_details"`
	} `json:"metadata"`
	Recipient string `json:"recipient"`
}

type gptContent struct {
	ContentType string `json:"content_type"`
	Parts       []any  `json:"parts"`
	Text        string `json:"text"`     // content_type "code"
	Language    string `json:"language"` // content_type "code"
}

// gptTime is a Unix time in float seconds, as ChatGPT writes it; null, a
// missing value or a numeric string are accepted too.
type gptTime float64

func (t *gptTime) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" || s == "" {
		*t = 0
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("time %s is not a number of seconds", shortForError(string(b)))
	}
	*t = gptTime(f)
	return nil
}

// Time converts to a UTC time rounded to the microsecond, which is all a
// float64 of seconds since 1970 holds; 0 or an absurd value is no time.
func (t gptTime) Time() time.Time {
	f := float64(t)
	if math.IsNaN(f) || f <= 0 || f > 1e11 {
		return time.Time{}
	}
	sec := math.Floor(f)
	usec := math.Round((f - sec) * 1e6)
	return time.Unix(int64(sec), int64(usec)*1e3).UTC()
}

// skips counts what an import of one conversation left out.
type skips struct {
	parts       map[string]int // non-text parts by kind: "image", "audio", ...
	tool        int            // tool messages and assistant calls to tools
	unsupported map[string]int // messages by content type we cannot show
}

func (s *skips) add(o skips) {
	for k, v := range o.parts {
		s.parts[k] += v
	}
	s.tool += o.tool
	for k, v := range o.unsupported {
		s.unsupported[k] += v
	}
}

func newSkips() skips {
	return skips{parts: map[string]int{}, unsupported: map[string]int{}}
}

// partPhrases describes the skipped parts in words: "1 image part".
func (s skips) partPhrases() []string {
	var out []string
	for _, k := range sortedKeys(s.parts) {
		out = append(out, plural(s.parts[k], k+" part"))
	}
	return out
}

// phrases describes all the skips in words, in a fixed order.
func (s skips) phrases() []string {
	out := s.partPhrases()
	if s.tool > 0 {
		out = append(out, plural(s.tool, "tool message"))
	}
	for _, k := range sortedKeys(s.unsupported) {
		out = append(out, plural(s.unsupported[k], strconv.Quote(k)+" message"))
	}
	return out
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// parseChatGPT reads conversations.json: an array of conversations, or a
// single conversation object when single is set.
func parseChatGPT(data []byte, single bool, name string) (*ImportResult, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if !single {
		if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
			return nil, errors.New("not a ChatGPT conversations.json: want an array of conversations")
		}
	}
	res := &ImportResult{Conversations: []*chat.Conversation{}}
	bySource := make(map[string]int)
	byID := make(map[string]int)
	empty := 0
	for i := 0; single && i == 0 || !single && dec.More(); i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			// A Decoder's error positions are relative to the value it
			// was reading; decoding the whole file says where in it.
			var all []json.RawMessage
			if uerr := json.Unmarshal(data, &all); uerr != nil {
				err = uerr
			}
			return nil, fmt.Errorf("not a ChatGPT conversations.json: %w", decodeError(data, err))
		}
		start := dec.InputOffset() - int64(len(raw))
		var gc gptConversation
		if err := json.Unmarshal(raw, &gc); err != nil {
			return nil, fmt.Errorf("conversation %d: not a ChatGPT conversation: %w", i+1, decodeErrorAt(data, start, err))
		}
		if gc.Mapping == nil {
			return nil, fmt.Errorf(`conversation %d: not a ChatGPT conversation (no "mapping")`, i+1)
		}
		src := gc.ID
		if src == "" {
			src = gc.ConversationID
		}
		if src == "" {
			return nil, fmt.Errorf("conversation %d (%q): no id", i+1, shortForError(gc.Title))
		}
		if j, dup := bySource[src]; dup {
			return nil, fmt.Errorf("conversations %d and %d have the same id %q", j+1, i+1, shortForError(src))
		}
		bySource[src] = i
		c, sk, err := convertChatGPT(&gc, src)
		if err != nil {
			return nil, fmt.Errorf("conversation %d (%q): %w", i+1, shortForError(gc.Title), err)
		}
		if len(c.Messages) == 0 && c.SystemPrompt == "" {
			empty++
			continue
		}
		if j, dup := byID[c.ID]; dup {
			return nil, fmt.Errorf("conversations %d and %d both map to the id %q", j+1, i+1, c.ID)
		}
		byID[c.ID] = i
		res.Conversations = append(res.Conversations, c)
		if p := sk.phrases(); len(p) > 0 {
			title := c.Title
			if title == "" {
				title = c.ID
			}
			res.Notes = append(res.Notes, fmt.Sprintf("%q: skipped %s", shortForError(title), joinAnd(p)))
		}
	}
	if !single {
		if _, err := dec.Token(); err != nil { // the closing "]"
			return nil, fmt.Errorf("not a ChatGPT conversations.json: %w", decodeError(data, err))
		}
		if _, err := dec.Token(); err != io.EOF {
			return nil, errors.New("not a ChatGPT conversations.json: unexpected data after the array")
		}
	}
	if empty > 0 {
		res.Notes = append(res.Notes, "skipped "+plural(empty, "conversation")+" with no messages")
	}
	if len(res.Conversations) == 0 {
		return nil, fmt.Errorf("%s holds no conversation with messages", shortForError(name))
	}
	return res, nil
}

// convertChatGPT turns one ChatGPT conversation into ours: the branch
// that ends at current_node, without hidden, empty and tool messages.
func convertChatGPT(gc *gptConversation, src string) (*chat.Conversation, skips, error) {
	sk := newSkips()
	path, err := gptBranch(gc)
	if err != nil {
		return nil, sk, err
	}
	c := &chat.Conversation{
		ID:       chatGPTConversationID(src, gc.CreateTime.Time()),
		Title:    gc.Title,
		Created:  gc.CreateTime.Time(),
		Updated:  gc.UpdateTime.Time(),
		Source:   SourceChatGPT,
		Messages: []chat.Message{},
	}
	if c.Updated.IsZero() {
		c.Updated = c.Created
	}
	var system []string
	for _, nodeID := range path {
		gm := gc.Mapping[nodeID].Message
		if gm == nil || gm.Metadata.Hidden {
			continue // the root, custom instructions, hidden system prompts
		}
		role := gm.Author.Role
		text, msk := gptText(gm.Content)
		switch {
		case role == "tool", role == "assistant" && gm.Recipient != "" && gm.Recipient != "all":
			// Browsing results, code runs and the model's calls to them:
			// they are plumbing, often huge, and not part of the chat.
			sk.tool++
			continue
		case role == "system":
			if strings.TrimSpace(text) != "" {
				system = append(system, text)
			}
			continue
		case role != "user" && role != "assistant":
			if role == "" {
				role = "unknown role"
			}
			sk.unsupported[role]++
			continue
		}
		sk.add(msk)
		when := gm.CreateTime.Time()
		if strings.TrimSpace(text) != "" {
			m := chat.Message{
				ID:      chatGPTMessageID(src, nodeID),
				Role:    chat.Role(role),
				Content: text,
				Time:    when,
			}
			if role == "assistant" {
				m.Turn = chatGPTTurn(gm, gc.DefaultModel)
			}
			c.Messages = append(c.Messages, m)
		}
		if p := msk.partPhrases(); len(p) > 0 {
			c.Messages = append(c.Messages, chat.Message{
				ID:      chatGPTMessageID(src, nodeID+"/note"),
				Role:    chat.RoleNote,
				Content: "Not imported from this " + role + " message: " + joinAnd(p) + " (attachments are separate files in a ChatGPT export).",
				Time:    when,
			})
		}
	}
	c.SystemPrompt = strings.Join(system, "\n\n")
	return c, sk, nil
}

// chatGPTTurn is the attribution of an imported reply: the model ChatGPT
// reports, no key, no usage and no cost (the export has none).
func chatGPTTurn(gm *gptMessage, defaultModel string) *chat.Turn {
	t := &chat.Turn{
		KeyName:      ChatGPTKeyName,
		Model:        gm.Metadata.ModelSlug,
		FinishReason: gm.Metadata.FinishDetails.Type,
	}
	if t.Model == "" {
		t.Model = defaultModel
	}
	if t.FinishReason == "interrupted" {
		// The user stopped the reply in ChatGPT.
		t.Incomplete = true
		t.IncompleteReason = "interrupted"
	}
	return t
}

// gptBranch returns the node ids from the root to current_node: the
// branch the user last saw, with the regenerated answers and edited
// questions they moved away from left out. Without a usable current_node
// it follows the last child from the root, which is the newest branch.
func gptBranch(gc *gptConversation) ([]string, error) {
	if len(gc.Mapping) == 0 {
		return nil, nil
	}
	start := gc.CurrentNode
	if n, ok := gc.Mapping[start]; !ok || n == nil {
		var err error
		if start, err = gptNewestLeaf(gc); err != nil {
			return nil, err
		}
	}
	var path []string
	seen := make(map[string]bool)
	for id := start; id != ""; {
		n, ok := gc.Mapping[id]
		if !ok || n == nil {
			break // a parent outside the mapping: treat as the root
		}
		if seen[id] {
			return nil, fmt.Errorf("the message tree has a cycle at node %q", shortForError(id))
		}
		seen[id] = true
		path = append(path, id)
		id = n.Parent
	}
	slices.Reverse(path)
	return path, nil
}

func gptNewestLeaf(gc *gptConversation) (string, error) {
	var roots []string
	for id, n := range gc.Mapping {
		if n == nil {
			continue
		}
		if p, ok := gc.Mapping[n.Parent]; n.Parent == "" || !ok || p == nil {
			roots = append(roots, id)
		}
	}
	if len(roots) == 0 {
		return "", fmt.Errorf("the message tree has no root")
	}
	sort.Strings(roots)
	id := roots[0]
	seen := map[string]bool{id: true}
	for {
		next := ""
		for _, ch := range gc.Mapping[id].Children {
			if n, ok := gc.Mapping[ch]; ok && n != nil {
				next = ch
			}
		}
		if next == "" {
			return id, nil
		}
		if seen[next] {
			return "", fmt.Errorf("the message tree has a cycle at node %q", shortForError(next))
		}
		seen[next] = true
		id = next
	}
}

// gptText returns the text of a message's content and what it could not
// keep: non-text parts of a multimodal message (images, audio), or the
// whole message when its content type is one we cannot show.
func gptText(ct *gptContent) (string, skips) {
	sk := newSkips()
	if ct == nil {
		return "", sk
	}
	switch ct.ContentType {
	case "text", "multimodal_text":
	case "code":
		if strings.TrimSpace(ct.Text) == "" {
			return "", sk
		}
		return "```" + ct.Language + "\n" + strings.TrimSuffix(ct.Text, "\n") + "\n```", sk
	default:
		if ct.ContentType != "" {
			sk.unsupported[ct.ContentType]++
		}
		return "", sk
	}
	var texts []string
	for _, part := range ct.Parts {
		switch part := part.(type) {
		case nil:
		case string:
			if strings.TrimSpace(part) != "" {
				texts = append(texts, part)
			}
		case map[string]any:
			kind, _ := part["content_type"].(string)
			text, _ := part["text"].(string)
			if kind == "audio_transcription" && strings.TrimSpace(text) != "" {
				texts = append(texts, text)
				continue
			}
			sk.parts[partKind(kind)]++
		default:
			sk.parts["unknown"]++
		}
	}
	return strings.Join(texts, "\n\n"), sk
}

// partKind names a non-text part for the user.
func partKind(contentType string) string {
	switch {
	case strings.Contains(contentType, "image"):
		return "image"
	case strings.Contains(contentType, "video"):
		return "video"
	case strings.Contains(contentType, "audio"):
		return "audio"
	}
	return "attachment"
}

// chatGPTConversationID derives our ID from ChatGPT's, so importing the
// same export twice gives the same IDs. It has the shape of the store's
// own IDs (creation time first, so they sort by age) when the creation
// time is known.
func chatGPTConversationID(src string, created time.Time) string {
	sum := sha256.Sum256([]byte("chatgpt:" + src))
	if created.IsZero() {
		return "chatgpt-" + hex.EncodeToString(sum[:8])
	}
	return created.Format("20060102-150405") + "-" + hex.EncodeToString(sum[:4])
}

// chatGPTMessageID derives a message ID in the engine's "m_" shape from
// the conversation and node ids.
func chatGPTMessageID(src, node string) string {
	sum := sha256.Sum256([]byte("chatgpt:" + src + "/" + node))
	return "m_" + hex.EncodeToString(sum[:6])
}

// joinAnd joins phrases as in prose: "a", "a and b", "a, b and c".
func joinAnd(p []string) string {
	switch len(p) {
	case 0:
		return ""
	case 1:
		return p[0]
	}
	return strings.Join(p[:len(p)-1], ", ") + " and " + p[len(p)-1]
}
