package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"time"

	"github.com/vaultchat/vaultchat/internal/attach"
	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/session"
	"github.com/vaultchat/vaultchat/internal/transcript"
	"github.com/vaultchat/vaultchat/internal/view"
)

// The demo's conversations, made through the same paths a user's go
// through (import, roles, attachments, regenerate, fork), so that the
// list shows every kind: history imported from ChatGPT that search
// finds, a conversation started with a role, one with a text file and
// an image attached, a reply in three versions, and a fork.

// demoHint is the demo banner's second line: what to try in the demo
// home. It fits 80 columns.
const demoHint = " try ctrl+o: a role · files · a fork · a reply in 3 versions · type to search"

// demoRole is the role file the demo's config directory holds.
const demoRole = `---
description: reviews Go code, briefly
model: sim-smart
temperature: 0.2
---
You review Go code. Point out bugs first, then style. Be brief.
`

// demoNotes is the text file attached in the demo.
const demoNotes = `# Release checklist

- tag the release and push the tag
- check the changelog mentions the vault format change
- rotate the staging key after the release
`

// demoConfig makes the demo's config directory (XDG_CONFIG_HOME for the
// app while the demo runs) with its role file, and the files it attaches.
func (d *demo) demoConfig() error {
	d.config = filepath.Join(d.dir, "config")
	roles := filepath.Join(d.config, "vaultchat", "roles")
	if err := os.MkdirAll(roles, 0o700); err != nil {
		return fmt.Errorf("demo roles: %w", err)
	}
	if err := os.WriteFile(filepath.Join(roles, "reviewer.md"), []byte(demoRole), 0o600); err != nil {
		return fmt.Errorf("demo roles: %w", err)
	}
	files := filepath.Join(d.dir, "files")
	if err := os.MkdirAll(files, 0o700); err != nil {
		return fmt.Errorf("demo files: %w", err)
	}
	if err := os.WriteFile(filepath.Join(files, "checklist.md"), []byte(demoNotes), 0o600); err != nil {
		return fmt.Errorf("demo files: %w", err)
	}
	if err := os.WriteFile(filepath.Join(files, "chart.png"), demoImage(), 0o600); err != nil {
		return fmt.Errorf("demo files: %w", err)
	}
	return nil
}

// demoImage is a small PNG: a gradient, 32×32.
func demoImage() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for y := range 32 {
		for x := range 32 {
			img.Set(x, y, color.RGBA{R: uint8(x * 8), G: uint8(y * 8), B: 160, A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err) // encoding to memory does not fail
	}
	return b.Bytes()
}

// seedConversations fills the demo home, oldest first, so that the
// conversation the app opens (the latest) is the reply in three versions.
// The simulators stream without a pause meanwhile (the caller sets it).
func (d *demo) seedConversations(a *app, sess *session.Session, now time.Time) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := d.importHistory(ctx, sess, now); err != nil {
		return err
	}
	// A conversation started with the reviewer role: its key and model
	// come from the role, as "ask --role reviewer" would choose them.
	role, key, model, err := roleForAsk(a, sess, "reviewer", "", "")
	if err != nil {
		return fmt.Errorf("demo role: %w", err)
	}
	c, _, err := sess.CreateWithRole(*role)
	if err != nil {
		return err
	}
	if err := demoTurn(ctx, sess, view.SendRequest{ConversationID: c.ID, KeyID: key, Model: model,
		Prompt: "Review this:\n\n```go\nfunc div(a, b int) int { return a / b }\n```"}); err != nil {
		return err
	}
	if err := sess.Rename(c.ID, "Code review"); err != nil {
		return err
	}
	// A text file and an image attached to one message.
	var atts []chat.Attachment
	for _, name := range []string{"checklist.md", "chart.png"} {
		att, err := attach.ReadFile(filepath.Join(d.dir, "files", name), attach.Limits{})
		if err != nil {
			return err
		}
		atts = append(atts, att)
	}
	if c, _, err = sess.Create(""); err != nil {
		return err
	}
	if err := demoTurn(ctx, sess, view.SendRequest{ConversationID: c.ID, KeyID: "personal", Model: "sim-fast",
		Prompt: "What is left on this checklist, and what does the chart show?", Attachments: atts}); err != nil {
		return err
	}
	if err := sess.Rename(c.ID, "Release checklist"); err != nil {
		return err
	}
	// A fork of the checklist conversation that goes its own way.
	fork, err := sess.Fork(c.ID, 0)
	if err != nil {
		return err
	}
	if err := demoTurn(ctx, sess, view.SendRequest{ConversationID: fork.ID, KeyID: "personal", Model: "sim-fast",
		Prompt: "Turn the checklist into a shell script."}); err != nil {
		return err
	}
	return d.seedVersions(ctx, sess)
}

// seedVersions asks for a name three times, each reply from another
// model (regenerate), and shows the second: "2/3". The next turn uses
// the model of the first, sim-fast (a regenerate does not change the
// conversation's choice).
func (d *demo) seedVersions(ctx context.Context, sess *session.Session) error {
	c, _, err := sess.Create("")
	if err != nil {
		return err
	}
	req := view.SendRequest{ConversationID: c.ID, KeyID: "personal", Model: "sim-fast",
		Prompt: "Suggest a name for a terminal app that keeps API keys encrypted."}
	if err := demoTurn(ctx, sess, req); err != nil {
		return err
	}
	if err := sess.Rename(c.ID, "Naming the app"); err != nil {
		return err
	}
	req.Prompt, req.Regenerate = "", true
	for _, model := range []string{"sim-smart", "gpt-4o-mini"} {
		req.Model = model
		if err := demoTurn(ctx, sess, req); err != nil {
			return err
		}
	}
	if c, err = sess.Load(c.ID); err != nil {
		return err
	}
	reply := c.Messages[len(c.Messages)-1]
	if _, err := sess.SwitchBranch(c.ID, reply.ID, 1); err != nil {
		return fmt.Errorf("demo versions: %w", err)
	}
	return nil
}

// demoTurn sends one turn and waits for its reply.
func demoTurn(ctx context.Context, sess *session.Session, req view.SendRequest) error {
	events, err := sess.Send(ctx, req)
	if err != nil {
		return fmt.Errorf("demo turn: %w", err)
	}
	var failure error
	for ev := range events {
		if f, ok := ev.(chat.Failed); ok {
			failure = f.Err
		}
	}
	if failure != nil {
		return fmt.Errorf("demo turn: %w", failure)
	}
	return nil
}

// importHistory imports two older conversations from a ChatGPT export,
// the way "vaultchat import conversations.json" does.
func (d *demo) importHistory(ctx context.Context, sess *session.Session, now time.Time) error {
	path := filepath.Join(d.dir, "files", "conversations.json")
	data, err := json.Marshal([]any{
		gptConversation("demo-goroutines", "Goroutine leaks", now.AddDate(0, 0, -9), "gpt-4o",
			"How do I find a goroutine leak in a long-running server?",
			"Take a goroutine profile (`/debug/pprof/goroutine?debug=2`) twice, a few minutes apart, and compare the stacks that grow. A leak is usually a goroutine blocked on a channel nobody closes or a context nobody cancels.",
			"And in tests?",
			"Use `go.uber.org/goleak`: `defer goleak.VerifyNone(t)` fails a test that leaves goroutines running."),
		gptConversation("demo-budget", "Monthly API budget", now.AddDate(0, 0, -4), "gpt-4o-mini",
			"We spend about $40 a month on API calls. How do I keep a team under budget?",
			"Give each person or project its own key with a monthly limit, review the usage per key every week, and pick the smaller model for drafts.",
			"Which model for drafts?",
			"gpt-4o-mini costs about a fifteenth of gpt-4o per token and is good enough for first drafts and summaries."),
	})
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("demo import: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("demo import: %w", err)
	}
	res, err := transcript.Import(f, path, transcript.ImportOptions{Redactor: sess.Redactor()})
	f.Close()
	os.Remove(path) // imported: the vault holds it now, encrypted
	if err != nil {
		return fmt.Errorf("demo import: %w", err)
	}
	if _, err := sess.Import(ctx, res.Conversations, false); err != nil {
		return fmt.Errorf("demo import: %w", err)
	}
	return nil
}

// gptConversation is one conversation in ChatGPT's export format: turns
// alternate user and assistant, a minute apart from start.
func gptConversation(id, title string, start time.Time, model string, turns ...string) map[string]any {
	mapping := map[string]any{}
	parent := id + "-root"
	mapping[parent] = map[string]any{"id": parent, "message": nil, "parent": nil, "children": []string{}}
	for i, text := range turns {
		nodeID := fmt.Sprintf("%s-%d", id, i)
		role := "user"
		meta := map[string]any{}
		if i%2 == 1 {
			role, meta["model_slug"] = "assistant", model
		}
		mapping[nodeID] = map[string]any{"id": nodeID, "parent": parent, "children": []string{},
			"message": map[string]any{"id": nodeID, "author": map[string]any{"role": role},
				"create_time": float64(start.Add(time.Duration(i) * time.Minute).Unix()),
				"content":     map[string]any{"content_type": "text", "parts": []string{text}}, "metadata": meta}}
		prev := mapping[parent].(map[string]any)
		prev["children"] = []string{nodeID}
		parent = nodeID
	}
	end := float64(start.Add(time.Duration(len(turns)) * time.Minute).Unix())
	return map[string]any{"id": id, "title": title, "create_time": float64(start.Unix()), "update_time": end,
		"mapping": mapping, "current_node": parent, "default_model_slug": model}
}
