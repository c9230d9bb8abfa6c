package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/engine"
	"github.com/vaultchat/vaultchat/internal/provider"
	"github.com/vaultchat/vaultchat/internal/usage"
	"github.com/vaultchat/vaultchat/vault"
)

// maxPromptInput bounds what ask reads from stdin.
const maxPromptInput = 8 << 20

type askCmd struct {
	Key          string   `name:"key" placeholder:"NAME" help:"Key to use (name or ID; default: the conversation's last key, config default_key, or the only key)."`
	Model        string   `name:"model" placeholder:"MODEL" help:"Model to use (default: the key's default model)."`
	System       string   `name:"system" placeholder:"TEXT" help:"System prompt for a new conversation."`
	Continue     bool     `name:"continue" short:"c" xor:"conversation" help:"Continue the most recent conversation."`
	Conversation string   `name:"conversation" placeholder:"ID" xor:"conversation" help:"Continue the conversation with this ID."`
	JSON         bool     `name:"json" help:"Print the reply, its usage and the conversation ID as JSON."`
	NoSave       bool     `name:"no-save" help:"Keep no conversation (usage is still recorded)."`
	Raw          bool     `name:"raw" help:"Print plain text even when stdout is a terminal."`
	Prompt       []string `arg:"" optional:"" help:"The prompt. Text piped on stdin is appended to it."`
}

// askResult is the --json output.
type askResult struct {
	ConversationID string      `json:"conversation_id,omitempty"`
	Key            string      `json:"key"`
	Model          string      `json:"model"`
	Reply          string      `json:"reply"`
	Usage          chat.Usage  `json:"usage"`
	CostUSD        *float64    `json:"cost_usd,omitempty"`
	FinishReason   string      `json:"finish_reason,omitempty"`
	DurationMS     int64       `json:"duration_ms"`
	Incomplete     bool        `json:"incomplete,omitempty"`
	Error          *chat.Error `json:"error,omitempty"`
}

func (c *askCmd) Run(a *app) error {
	prompt, err := c.prompt(a)
	if err != nil {
		return err
	}
	if c.NoSave && (c.Continue || c.Conversation != "") {
		return usagef("--no-save cannot continue a saved conversation")
	}
	v, err := a.open()
	if err != nil {
		return err
	}
	defer v.Close()
	eng, err := a.engine(v, c.NoSave)
	if err != nil {
		return err
	}
	convID, err := c.conversation(eng)
	if err != nil {
		return err
	}
	key := c.Key
	if key == "" {
		cfg, _ := a.config()
		key = cfg.DefaultKey
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	events, err := eng.Send(ctx, engine.SendRequest{ConversationID: convID, Prompt: prompt, Key: key, Model: c.Model})
	if err != nil {
		return err
	}
	return c.print(a, events, convID)
}

// prompt joins the arguments and piped stdin.
func (c *askCmd) prompt(a *app) (string, error) {
	prompt := strings.Join(c.Prompt, " ")
	if !a.io.IsStdinTTY {
		b, err := io.ReadAll(io.LimitReader(a.io.In, maxPromptInput+1))
		if err != nil {
			return "", fmt.Errorf("read stdin: %w", err)
		}
		if len(b) > maxPromptInput {
			return "", fmt.Errorf("stdin holds over %d MiB; that is too much for one prompt", maxPromptInput>>20)
		}
		if in := strings.TrimRight(string(b), "\n"); strings.TrimSpace(in) != "" {
			if prompt != "" {
				prompt += "\n\n"
			}
			prompt += in
		}
	}
	if strings.TrimSpace(prompt) == "" {
		return "", usagef("nothing to ask: give a prompt as arguments or on stdin")
	}
	return prompt, nil
}

// conversation returns the ID to send to, creating one when needed.
func (c *askCmd) conversation(eng *engine.Engine) (string, error) {
	switch {
	case c.Conversation != "":
		return c.Conversation, nil
	case c.Continue:
		id, err := eng.Store().Latest()
		if err != nil {
			return "", err
		}
		if id == "" {
			return "", withHint(errors.New("there is no conversation to continue"), "drop --continue to start one")
		}
		return id, nil
	}
	conv, err := eng.Create(c.System)
	if err != nil {
		return "", err
	}
	return conv.ID, nil
}

// print streams the reply to stdout and reports the outcome.
func (c *askCmd) print(a *app, events <-chan chat.Event, convID string) error {
	var reply strings.Builder
	var res askResult
	var failure *chat.Error
	for ev := range events {
		switch ev := ev.(type) {
		case chat.Delta:
			reply.WriteString(ev.Text)
			if !c.JSON {
				io.WriteString(a.io.Out, ev.Text)
			}
		case chat.Retrying:
			a.warn("%s; retrying in %s (attempt %d)", ev.Err.Message, ev.Wait.Round(1e8), ev.Attempt)
		case chat.Warning:
			a.warn("%s", ev.Text)
		case chat.Trimmed:
			a.warn("the oldest %d turns were left out of the request to fit the model's context window", ev.Turns)
		case chat.Done:
			res.FinishReason = ev.FinishReason
			fillResult(&res, ev.Message, ev.Usage)
		case chat.Failed:
			failure = ev.Err
			res.Error = ev.Err
			res.Incomplete = true
			fillResult(&res, ev.Message, ev.Usage)
		}
	}
	if !c.NoSave {
		res.ConversationID = convID
	}
	res.Reply = reply.String()
	if c.JSON {
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else if reply.Len() > 0 && !strings.HasSuffix(reply.String(), "\n") {
		io.WriteString(a.io.Out, "\n")
	}
	if failure != nil {
		hints := []string{}
		if failure.Hint != "" {
			hints = append(hints, failure.Hint)
		}
		if reply.Len() > 0 && !c.NoSave {
			hints = append(hints, fmt.Sprintf("the partial reply is saved; continue with \"vaultchat ask --conversation %s\"", convID))
		}
		return withHint(failure, hints...)
	}
	return nil
}

func fillResult(res *askResult, msg *chat.Message, u chat.Usage) {
	res.Usage = u
	if msg != nil && msg.Turn != nil {
		res.Key, res.Model = msg.Turn.KeyName, msg.Turn.Model
		res.CostUSD = msg.Turn.CostUSD
		res.DurationMS = msg.Turn.Duration.Milliseconds()
	}
}

// engine builds the chat engine for an open vault with the settings from
// config.toml.
func (a *app) engine(v *vault.Vault, ephemeral bool) (*engine.Engine, error) {
	opts, err := a.engineOptions(ephemeral)
	if err != nil {
		return nil, err
	}
	return engine.New(v, opts)
}

// engineOptions turns config.toml into chat engine options.
func (a *app) engineOptions(ephemeral bool) (engine.Options, error) {
	cfg, err := a.config()
	if err != nil {
		return engine.Options{}, err
	}
	prices := usage.DefaultPrices()
	if len(cfg.Prices) > 0 {
		overrides := map[string]usage.Price{}
		for model, p := range cfg.Prices {
			overrides[model] = usage.Price{Input: p.Input, CachedInput: p.CachedInput, Output: p.Output}
		}
		prices = prices.WithOverrides(overrides)
	}
	retries := cfg.MaxRetries
	if retries == 0 {
		retries = -1 // provider.Options: 0 means the default, -1 none
	}
	return engine.Options{
		Prices:    prices,
		Ephemeral: ephemeral,
		Stream:    provider.Options{MaxRetries: retries},
	}, nil
}
