package transcript

import (
	"fmt"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// What version 2 of the JSON transcript added: a conversation's role and
// fork parent, and messages' attachments and sibling branches.

// docVersion is the oldest version that holds everything of c.
func docVersion(c *chat.Conversation) int {
	if c.Role != nil || c.Parent != nil {
		return 2
	}
	for _, m := range c.Messages {
		if len(m.Siblings) > 0 || len(m.Attachments) > 0 {
			return 2
		}
	}
	return 1
}

// jsonRole is chat.RoleRef: the role the conversation started with.
type jsonRole struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Text        string   `json:"text"`
	Model       string   `json:"model,omitempty"`
	Key         string   `json:"key,omitempty"`
	Temperature *float64 `json:"temperature,omitempty"`
}

// jsonParent is chat.ForkRef: where a fork branched off.
type jsonParent struct {
	ConversationID string `json:"conversation_id"`
	MessageID      string `json:"message_id,omitempty"`
	MessageNumber  int    `json:"message_number,omitempty"`
}

// jsonAttachment is chat.Attachment: a text file's content, or an
// image's bytes in base64.
type jsonAttachment struct {
	Name      string `json:"name"`
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
	Text      string `json:"text,omitempty"`
	Data      []byte `json:"data,omitempty"`
}

// jsonBranch is chat.Branch: messages in the same form as the top level.
type jsonBranch struct {
	Messages []jsonMessage `json:"messages"`
}

// fromJSONSiblings reads a message's sibling branches.
func fromJSONSiblings(jm jsonMessage, m *chat.Message) error {
	for j, jb := range jm.Vaultchat.Siblings {
		b := chat.Branch{Messages: make([]chat.Message, len(jb.Messages))}
		if len(jb.Messages) == 0 {
			return fmt.Errorf("sibling branch %d is empty", j+1)
		}
		for k, jbm := range jb.Messages {
			bm, err := fromJSONMessage(jbm)
			if err != nil {
				return fmt.Errorf("sibling branch %d, message %d: %w", j+1, k+1, err)
			}
			b.Messages[k] = bm
		}
		m.Siblings = append(m.Siblings, b)
	}
	return nil
}
