package transcript

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// The JSON transcript format, documented in docs/transcript-json.md. Any
// change to these types is a change of the documented schema: bump
// jsonVersion and keep reading the old version.
//
// Version 2 adds a conversation's role and fork parent, and messages'
// attachments and sibling branches. A conversation
// that has neither is still written as version 1, which vaultchat
// releases before version 2 read.
const (
	jsonFormat  = "vaultchat-transcript"
	jsonVersion = 2
)

// SourceVaultchatJSON is the Source of a conversation imported from our
// JSON that does not say where it came from originally.
const SourceVaultchatJSON = "vaultchat-json"

// jsonDoc is the top-level object. Field order is the output key order.
type jsonDoc struct {
	Format       string           `json:"format"`
	Version      int              `json:"version"`
	Conversation jsonConversation `json:"conversation"`
	Messages     []jsonMessage    `json:"messages"`
	Totals       jsonTotals       `json:"totals"`
}

type jsonConversation struct {
	ID           string `json:"id"`
	Title        string `json:"title"`
	Created      string `json:"created,omitempty"`
	Updated      string `json:"updated,omitempty"`
	Source       string `json:"source,omitempty"`
	SystemPrompt string `json:"system_prompt,omitempty"`
	// Role and Parent are version 2.
	Role   *jsonRole   `json:"role,omitempty"`
	Parent *jsonParent `json:"parent,omitempty"`
}

// jsonMessage is an OpenAI chat message ({"role", "content"}) plus our
// metadata under "vaultchat".
type jsonMessage struct {
	Role      string   `json:"role"`
	Content   string   `json:"content"`
	Vaultchat jsonMeta `json:"vaultchat"`
}

type jsonMeta struct {
	ID   string    `json:"id,omitempty"`
	Time string    `json:"time,omitempty"`
	Turn *jsonTurn `json:"turn,omitempty"`
	// Attachments (version 2) are the files sent with the message.
	Attachments []jsonAttachment `json:"attachments,omitempty"`
	// Siblings (version 2) are the message's other versions, in an
	// --all-branches export.
	Siblings []jsonBranch `json:"siblings,omitempty"`
	// Inherited (version 2) marks a fork's copies of its parent's
	// messages (chat.Message.Inherited).
	Inherited bool `json:"inherited,omitempty"`
}

type jsonTurn struct {
	KeyID            string      `json:"key_id,omitempty"`
	KeyName          string      `json:"key_name"`
	Model            string      `json:"model"`
	Usage            jsonUsage   `json:"usage"`
	CostUSD          *float64    `json:"cost_usd"`
	FinishReason     string      `json:"finish_reason,omitempty"`
	DurationMS       json.Number `json:"duration_ms"`
	Incomplete       bool        `json:"incomplete,omitempty"`
	IncompleteReason string      `json:"incomplete_reason,omitempty"`
	Error            *jsonError  `json:"error,omitempty"`
}

type jsonUsage struct {
	PromptTokens       int64 `json:"prompt_tokens"`
	CompletionTokens   int64 `json:"completion_tokens"`
	TotalTokens        int64 `json:"total_tokens"`
	CachedPromptTokens int64 `json:"cached_prompt_tokens,omitempty"`
	ReasoningTokens    int64 `json:"reasoning_tokens,omitempty"`
	Estimated          bool  `json:"estimated,omitempty"`
}

type jsonError struct {
	Class        string      `json:"class"`
	Status       int         `json:"status,omitempty"`
	Message      string      `json:"message"`
	Hint         string      `json:"hint,omitempty"`
	RetryAfterMS json.Number `json:"retry_after_ms,omitempty"`
}

// jsonTotals are derived from the messages; importers ignore them.
type jsonTotals struct {
	Messages         int      `json:"messages"`
	Keys             []string `json:"keys"`
	Models           []string `json:"models"`
	PromptTokens     int64    `json:"prompt_tokens"`
	CompletionTokens int64    `json:"completion_tokens"`
	TotalTokens      int64    `json:"total_tokens"`
	Estimated        bool     `json:"estimated"`
	CostUSD          *float64 `json:"cost_usd"`
	CostUnknownTurns int      `json:"cost_unknown_turns,omitempty"`
}

func writeJSON(w io.Writer, c *chat.Conversation, t totals) error {
	doc := jsonDoc{
		Format:  jsonFormat,
		Version: docVersion(c),
		Conversation: jsonConversation{
			ID:           c.ID,
			Title:        c.Title,
			Created:      rfc3339(c.Created),
			Updated:      rfc3339(c.Updated),
			SystemPrompt: c.SystemPrompt,
		},
		Messages: make([]jsonMessage, len(c.Messages)),
		Totals: jsonTotals{
			Messages:         t.Messages,
			Keys:             t.Keys,
			Models:           t.Models,
			PromptTokens:     t.Usage.PromptTokens,
			CompletionTokens: t.Usage.CompletionTokens,
			TotalTokens:      t.Usage.Total(),
			Estimated:        t.Usage.Estimated,
			CostUSD:          t.Cost().JSON(),
			CostUnknownTurns: t.UnpricedTurns,
		},
	}
	// The file itself says it is vaultchat JSON; writing that as the
	// source would make a re-export differ from the file it came from.
	if c.Source != SourceVaultchatJSON {
		doc.Conversation.Source = c.Source
	}
	if r := c.Role; r != nil {
		doc.Conversation.Role = &jsonRole{Name: r.Name, Description: r.Description, Text: r.Text, Model: r.Model, Key: r.Key, Temperature: r.Temperature}
	}
	if p := c.Parent; p != nil {
		doc.Conversation.Parent = &jsonParent{ConversationID: p.ConversationID, MessageID: p.MessageID, MessageNumber: p.MessageNumber}
	}
	for i, m := range c.Messages {
		doc.Messages[i] = toJSONMessage(m)
	}
	return encodeDoc(w, &doc)
}

func toJSONMessage(m chat.Message) jsonMessage {
	jm := jsonMessage{
		Role:    string(m.Role),
		Content: m.Content,
		Vaultchat: jsonMeta{
			ID:        m.ID,
			Time:      rfc3339(m.Time),
			Turn:      toJSONTurn(m.Turn),
			Inherited: m.Inherited,
		},
	}
	for _, a := range m.Attachments {
		jm.Vaultchat.Attachments = append(jm.Vaultchat.Attachments, jsonAttachment(a))
	}
	for _, b := range m.Siblings {
		jb := jsonBranch{Messages: make([]jsonMessage, len(b.Messages))}
		for k, bm := range b.Messages {
			jb.Messages[k] = toJSONMessage(bm)
		}
		jm.Vaultchat.Siblings = append(jm.Vaultchat.Siblings, jb)
	}
	return jm
}

// encodeDoc writes doc indented, except that each message takes one line:
// a transcript diffs and greps by message, and skipping the indenter
// keeps a 10,000-message export fast.
func encodeDoc(w io.Writer, doc *jsonDoc) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	head, err := marshalIndent(struct {
		Format       string           `json:"format"`
		Version      int              `json:"version"`
		Conversation jsonConversation `json:"conversation"`
	}{doc.Format, doc.Version, doc.Conversation})
	if err != nil {
		return err
	}
	bw.Write(head[:len(head)-2]) // without the closing "\n}"
	bw.WriteString(",\n  \"messages\": [")
	var line bytes.Buffer
	enc := json.NewEncoder(&line)
	enc.SetEscapeHTML(false)
	for i := range doc.Messages {
		line.Reset()
		if err := enc.Encode(&doc.Messages[i]); err != nil {
			return err
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		bw.Write(bytes.TrimSuffix(line.Bytes(), []byte("\n")))
	}
	if len(doc.Messages) > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("],\n  \"totals\": ")
	totals, err := marshalIndent(doc.Totals)
	if err != nil {
		return err
	}
	bw.Write(bytes.ReplaceAll(totals, []byte("\n"), []byte("\n  ")))
	bw.WriteString("\n}\n")
	return bw.Flush()
}

// marshalIndent is json.MarshalIndent without HTML escaping, so "<" and
// "&" in messages stay readable.
func marshalIndent(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func toJSONTurn(t *chat.Turn) *jsonTurn {
	if t == nil {
		return nil
	}
	jt := &jsonTurn{
		KeyID:   t.KeyID,
		KeyName: t.KeyName,
		Model:   t.Model,
		Usage: jsonUsage{
			PromptTokens:       t.Usage.PromptTokens,
			CompletionTokens:   t.Usage.CompletionTokens,
			TotalTokens:        t.Usage.Total(),
			CachedPromptTokens: t.Usage.CachedPromptTokens,
			ReasoningTokens:    t.Usage.ReasoningTokens,
			Estimated:          t.Usage.Estimated,
		},
		CostUSD:          t.Cost().JSON(),
		FinishReason:     t.FinishReason,
		DurationMS:       millis(t.Duration),
		Incomplete:       t.Incomplete,
		IncompleteReason: t.IncompleteReason,
	}
	if e := t.Error; e != nil {
		jt.Error = &jsonError{
			Class:   string(e.Class),
			Status:  e.Status,
			Message: e.Message,
			Hint:    e.Hint,
		}
		if e.RetryAfter != 0 {
			jt.Error.RetryAfterMS = millis(e.RetryAfter)
		}
	}
	return jt
}

// millis writes a duration as milliseconds in exact decimal: 1500 ns is
// "0.0015", 2 s is "2000". Exact, so a duration survives a round trip to
// the nanosecond without float rounding.
func millis(d time.Duration) json.Number {
	neg := d < 0
	u := uint64(d)
	if neg {
		u = uint64(-d)
	}
	s := strconv.FormatUint(u/1e6, 10)
	if frac := u % 1e6; frac != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%06d", frac), "0")
	}
	if neg {
		s = "-" + s
	}
	return json.Number(s)
}

var millisPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(-?)([0-9]{1,12})(?:\.([0-9]{1,6}))?$`)
})

// parseMillis reads what millis writes.
func parseMillis(n json.Number) (time.Duration, error) {
	if n == "" {
		return 0, nil
	}
	m := millisPattern().FindStringSubmatch(string(n))
	if m == nil {
		return 0, fmt.Errorf("%q is not a number of milliseconds with at most 6 decimals", string(n))
	}
	whole, _ := strconv.ParseInt(m[2], 10, 64) // at most 12 digits: fits
	frac := int64(0)
	if m[3] != "" {
		frac, _ = strconv.ParseInt((m[3] + "000000")[:6], 10, 64)
	}
	d := time.Duration(whole*1e6 + frac)
	if m[1] == "-" {
		d = -d
	}
	return d, nil
}

// decodeOurJSON is the fast path for our JSON: one strict decode. Any
// problem sends the caller to parseOurJSON for a precise error.
func decodeOurJSON(data []byte) (*chat.Conversation, error) {
	var doc jsonDoc
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if doc.Format != jsonFormat || doc.Version < 1 || doc.Version > jsonVersion {
		return nil, errors.New("not a vaultchat transcript of a known version")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("not a valid vaultchat transcript: unexpected data after the transcript")
	}
	return fromJSONDoc(&doc)
}

// parseOurJSON reads a vaultchat transcript. It is strict: unknown fields,
// unknown roles, bad times and trailing data are errors, because a file
// that does not match the schema cannot be imported losslessly. The
// format and version are checked first, so that a newer file is refused
// for its version and not for the fields it added.
func parseOurJSON(data []byte) (*chat.Conversation, error) {
	var probe struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("not a vaultchat transcript: %w", decodeError(data, err))
	}
	if probe.Format != jsonFormat {
		return nil, fmt.Errorf("not a vaultchat transcript: format is %q, want %q", shortForError(probe.Format), jsonFormat)
	}
	if probe.Version > jsonVersion {
		return nil, fmt.Errorf("transcript version %d is newer than this vaultchat reads (%d); update vaultchat", probe.Version, jsonVersion)
	}
	if probe.Version < 1 {
		return nil, fmt.Errorf("unsupported transcript version %d", probe.Version)
	}
	var doc jsonDoc
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not a valid vaultchat transcript: %w", decodeError(data, err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("not a valid vaultchat transcript: unexpected data after the transcript")
	}
	return fromJSONDoc(&doc)
}

func fromJSONDoc(doc *jsonDoc) (*chat.Conversation, error) {
	jc := doc.Conversation
	if !chat.ValidID(jc.ID) {
		return nil, fmt.Errorf("conversation id %q is not valid (letters, digits, '-' and '_', at most 128)", shortForError(jc.ID))
	}
	c := &chat.Conversation{
		ID:           jc.ID,
		Title:        jc.Title,
		SystemPrompt: jc.SystemPrompt,
		Source:       jc.Source,
		Messages:     make([]chat.Message, len(doc.Messages)),
	}
	if c.Source == "" {
		c.Source = SourceVaultchatJSON
	}
	if doc.Version < 2 && (jc.Role != nil || jc.Parent != nil) {
		return nil, errors.New("conversation role and parent need transcript version 2")
	}
	if r := jc.Role; r != nil {
		c.Role = &chat.RoleRef{Name: r.Name, Description: r.Description, Text: r.Text, Model: r.Model, Key: r.Key, Temperature: r.Temperature}
	}
	if p := jc.Parent; p != nil {
		c.Parent = &chat.ForkRef{ConversationID: p.ConversationID, MessageID: p.MessageID, MessageNumber: p.MessageNumber}
	}
	var err error
	if c.Created, err = parseTime(jc.Created); err != nil {
		return nil, fmt.Errorf("conversation created: %w", err)
	}
	if c.Updated, err = parseTime(jc.Updated); err != nil {
		return nil, fmt.Errorf("conversation updated: %w", err)
	}
	seen := make(map[string]int, len(doc.Messages))
	for i, jm := range doc.Messages {
		if doc.Version < 2 && (len(jm.Vaultchat.Siblings) > 0 || len(jm.Vaultchat.Attachments) > 0) {
			return nil, fmt.Errorf("message %d: attachments and sibling branches need transcript version 2", i+1)
		}
		m, err := fromJSONMessage(jm)
		if err != nil {
			return nil, fmt.Errorf("message %d: %w", i+1, err)
		}
		if m.ID != "" {
			if j, dup := seen[m.ID]; dup {
				return nil, fmt.Errorf("messages %d and %d have the same id %q", j+1, i+1, shortForError(m.ID))
			}
			seen[m.ID] = i
		}
		c.Messages[i] = m
	}
	return c, nil
}

func fromJSONMessage(jm jsonMessage) (chat.Message, error) {
	m := chat.Message{
		ID:        jm.Vaultchat.ID,
		Role:      chat.Role(jm.Role),
		Content:   jm.Content,
		Inherited: jm.Vaultchat.Inherited,
	}
	switch m.Role {
	case chat.RoleUser, chat.RoleAssistant, chat.RoleSystem, chat.RoleNote:
	default:
		return m, fmt.Errorf("unknown role %q (want user, assistant, system or note)", shortForError(jm.Role))
	}
	for j, ja := range jm.Vaultchat.Attachments {
		if ja.Name == "" || ja.Size < 0 {
			return m, fmt.Errorf("attachment %d has no name or a negative size", j+1)
		}
		m.Attachments = append(m.Attachments, chat.Attachment(ja))
	}
	if err := fromJSONSiblings(jm, &m); err != nil {
		return m, err
	}
	var err error
	if m.Time, err = parseTime(jm.Vaultchat.Time); err != nil {
		return m, err
	}
	jt := jm.Vaultchat.Turn
	if jt == nil {
		return m, nil
	}
	t := &chat.Turn{
		KeyID:   jt.KeyID,
		KeyName: jt.KeyName,
		Model:   jt.Model,
		Usage: chat.Usage{
			PromptTokens:       jt.Usage.PromptTokens,
			CachedPromptTokens: jt.Usage.CachedPromptTokens,
			CompletionTokens:   jt.Usage.CompletionTokens,
			ReasoningTokens:    jt.Usage.ReasoningTokens,
			Estimated:          jt.Usage.Estimated,
		},
		CostUSD:          jt.CostUSD,
		FinishReason:     jt.FinishReason,
		Incomplete:       jt.Incomplete,
		IncompleteReason: jt.IncompleteReason,
	}
	if t.Duration, err = parseMillis(jt.DurationMS); err != nil {
		return m, fmt.Errorf("duration_ms: %w", err)
	}
	if je := jt.Error; je != nil {
		t.Error = &chat.Error{
			Class:   chat.ErrorClass(je.Class),
			Status:  je.Status,
			Message: je.Message,
			Hint:    je.Hint,
		}
		if t.Error.RetryAfter, err = parseMillis(je.RetryAfterMS); err != nil {
			return m, fmt.Errorf("retry_after_ms: %w", err)
		}
	}
	m.Turn = t
	return m, nil
}

// parseTime reads an RFC 3339 time; "" is the zero time. Times are kept
// in UTC, as they are written.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q is not RFC 3339", shortForError(s))
	}
	return t.UTC(), nil
}
