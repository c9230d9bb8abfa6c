package agent

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"filippo.io/age/plugin"
)

// promptTimeout bounds how long the agent waits for a person to answer a
// relayed prompt (a YubiKey PIN, an SSH key's passphrase).
const promptTimeout = 2 * time.Minute

// Relay passes the questions an identity asks while it works (the vault
// passphrase while the agent starts, an SSH key's passphrase or a plugin's
// PIN later) to the process being served, which has the terminal: the
// unlock command during start-up, then the client whose request is being
// answered. With no one attached, every question fails.
type Relay struct {
	mu   sync.Mutex
	conn net.Conn
}

// NewRelay returns a Relay with no one attached.
func NewRelay() *Relay { return &Relay{} }

// attach makes c the connection questions go to, until detach.
func (r *Relay) attach(c net.Conn) {
	r.mu.Lock()
	r.conn = c
	r.mu.Unlock()
}

func (r *Relay) detach() { r.attach(nil) }

// ask sends p to the attached connection and waits for the answer.
func (r *Relay) ask(p Prompt) (Answer, error) {
	r.mu.Lock()
	c := r.conn
	r.mu.Unlock()
	if c == nil {
		return Answer{}, errors.New("no client to ask")
	}
	if err := c.SetDeadline(time.Now().Add(promptTimeout)); err != nil {
		return Answer{}, err
	}
	// The request's own deadline comes back once the question is over.
	defer c.SetDeadline(time.Now().Add(connTimeout))
	if err := writeMessage(c, Response{Op: ReplyPrompt, Prompt: &p}); err != nil {
		return Answer{}, fmt.Errorf("ask the client: %w", err)
	}
	req, err := ReadRequest(c)
	if err != nil {
		return Answer{}, fmt.Errorf("read the client's answer: %w", err)
	}
	if req.Op != OpAnswer {
		return Answer{}, fmt.Errorf("the client sent %q instead of an answer", req.Op)
	}
	if req.Answer.Error != "" {
		return Answer{}, errors.New(req.Answer.Error)
	}
	return *req.Answer, nil
}

// Passphrase returns a function that asks the attached client for a
// passphrase with prompt, as vault.Options.Passphrase wants.
func (r *Relay) Passphrase(prompt string) func() (string, error) {
	return func() (string, error) {
		a, err := r.ask(Prompt{Kind: PromptPassphrase, Text: prompt, Secret: true})
		return a.Value, err
	}
}

// ClientUI returns age plugin callbacks that ask the attached client.
// WaitTimer is left out: it runs on its own goroutine, while the
// connection is busy with the plugin's exchange.
func (r *Relay) ClientUI() *plugin.ClientUI {
	return &plugin.ClientUI{
		DisplayMessage: func(name, message string) error {
			_, err := r.ask(Prompt{Kind: PromptMessage, Plugin: name, Text: message})
			return err
		},
		RequestValue: func(name, prompt string, secret bool) (string, error) {
			a, err := r.ask(Prompt{Kind: PromptValue, Plugin: name, Text: prompt, Secret: secret})
			return a.Value, err
		},
		Confirm: func(name, prompt, yes, no string) (bool, error) {
			a, err := r.ask(Prompt{Kind: PromptConfirm, Plugin: name, Text: prompt, Yes: yes, No: no})
			return a.Yes, err
		},
	}
}

// Prompter answers the agent's questions on the client's side. A nil
// field (or a nil Prompter) declines that kind of question.
type Prompter struct {
	// Passphrase asks for a passphrase with the prompt.
	Passphrase func(prompt string) (string, error)
	// Plugin answers an age plugin's questions.
	Plugin *plugin.ClientUI
}

// answer asks the user p and returns what to send back.
func (pr *Prompter) answer(p *Prompt) Answer {
	var (
		a   Answer
		err = errors.New("this client cannot ask the user")
	)
	switch {
	case pr == nil:
	case p.Kind == PromptPassphrase && pr.Passphrase != nil:
		a.Value, err = pr.Passphrase(p.Text)
	case p.Kind == PromptMessage && pr.Plugin != nil && pr.Plugin.DisplayMessage != nil:
		err = pr.Plugin.DisplayMessage(p.Plugin, p.Text)
	case p.Kind == PromptValue && pr.Plugin != nil && pr.Plugin.RequestValue != nil:
		a.Value, err = pr.Plugin.RequestValue(p.Plugin, p.Text, p.Secret)
	case p.Kind == PromptConfirm && pr.Plugin != nil && pr.Plugin.Confirm != nil:
		a.Yes, err = pr.Plugin.Confirm(p.Plugin, p.Text, p.Yes, p.No)
	}
	if err != nil {
		return Answer{Error: truncate(err.Error(), maxTextLen)}
	}
	return a
}
