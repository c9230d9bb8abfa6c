package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"

	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/vault"
)

// execCmd runs a command with a key in its environment.
type execCmd struct {
	Name    string   `arg:"" help:"Key to use."`
	Command []string `arg:"" passthrough:"" name:"command" help:"Command to run and its arguments (after --)."`
}

// Help is the detail shown by "vaultchat exec --help".
func (c *execCmd) Help() string {
	return `Example: vaultchat exec work -- python script.py

The command gets OPENAI_API_KEY and OPENAI_BASE_URL (plus OPENAI_ORG_ID and OPENAI_PROJECT_ID when the key has them; for Azure keys also AZURE_OPENAI_API_KEY, AZURE_OPENAI_ENDPOINT and OPENAI_API_VERSION) in its own environment only. Its exit status becomes vaultchat's.`
}

// childEnvVars are the variables exec sets; inherited values of all of them
// are dropped first, so a stale organization or endpoint from the parent's
// environment never pairs with this key.
var childEnvVars = []string{
	"OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID",
	"AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT", "OPENAI_API_VERSION",
}

// Run starts the command with the key's variables in its environment only
// (never ours: no os.Setenv), forwards SIGINT, SIGTERM and SIGHUP to it, and
// returns its exit status.
func (c *execCmd) Run(a *app) error {
	if len(c.Command) > 0 && c.Command[0] == "--" {
		// kong keeps the "--" that ends our own flags.
		c.Command = c.Command[1:]
	}
	if len(c.Command) == 0 {
		return usagef("no command given: vaultchat exec NAME -- CMD ARGS...")
	}
	v, err := a.open()
	if err != nil {
		return err
	}
	k, err := v.Key(c.Name)
	if err != nil {
		v.Close()
		return err
	}
	if k.Expired(a.now()) {
		a.warn("key %q expired on %s", k.Name, k.Expires.UTC().Format(dateLayout))
	}
	// The child would send the key where the provider client refuses to:
	// the same rule (a key stored before it existed may break it).
	if u, err := providers.ParseBaseURL(k.BaseURL); err == nil {
		if err := providers.CheckCleartext(u, k.AllowInsecureHTTP, k.Secret.Reveal()); err != nil {
			v.Close()
			return withHint(fmt.Errorf("key %q: %w", k.Name, err),
				fmt.Sprintf("use https (vaultchat keys edit %s --base-url URL), or allow it: vaultchat keys edit %s --allow-insecure-http", k.Name, k.Name))
		}
	}
	if !k.ForChat() {
		// Named explicitly, so handed over; but said aloud.
		a.warn("key %q is not a chat key (kind %s): the command gets a secret that manages the account", k.Name, k.Kind)
	}
	if err := v.Update(func(tx *vault.Tx) error { return tx.Touch(k.ID, a.now()) }); err != nil {
		// Recording the use is bookkeeping; it must not stop the command.
		a.warn("could not record that key %q was used: %v", k.Name, err)
	}
	v.Close()

	path, err := exec.LookPath(c.Command[0])
	if err != nil {
		return &exitStatusWithMessage{code: ExitNotFound, err: err}
	}
	cmd := exec.Command(path, c.Command[1:]...)
	cmd.Args[0] = c.Command[0]
	cmd.Env = childEnv(a.environ(), k)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = a.io.In, a.io.Out, a.io.ErrOut

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return &exitStatusWithMessage{code: ExitNotFound, err: fmt.Errorf("start %s: %w", c.Command[0], err)}
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err = cmd.Wait()
	close(done)
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return &exitStatus{code: 128 + int(ws.Signal())}
		}
		return &exitStatus{code: ee.ExitCode()}
	}
	if err != nil {
		return fmt.Errorf("run %s: %w", c.Command[0], err)
	}
	return nil
}

// childEnv returns base without any variable exec sets, plus the key's.
func childEnv(base []string, k vault.Key) []string {
	env := make([]string, 0, len(base)+6)
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if !isChildEnvVar(name) {
			env = append(env, kv)
		}
	}
	secret := k.Secret.Reveal()
	baseURL := k.BaseURL
	if k.Provider == providers.Azure {
		// Azure's v1 API takes OpenAI clients at {endpoint}/openai/v1;
		// Azure clients want the bare endpoint.
		endpoint := strings.TrimSuffix(k.BaseURL, "/openai/v1")
		baseURL = endpoint + "/openai/v1"
		env = append(env, "AZURE_OPENAI_API_KEY="+secret, "AZURE_OPENAI_ENDPOINT="+endpoint)
		if k.AzureAPIVersion != "" {
			env = append(env, "OPENAI_API_VERSION="+k.AzureAPIVersion)
		}
	}
	env = append(env, "OPENAI_API_KEY="+secret, "OPENAI_BASE_URL="+baseURL)
	if k.Organization != "" {
		env = append(env, "OPENAI_ORG_ID="+k.Organization)
	}
	if k.Project != "" {
		env = append(env, "OPENAI_PROJECT_ID="+k.Project)
	}
	return env
}

func isChildEnvVar(name string) bool {
	for _, v := range childEnvVars {
		if strings.EqualFold(name, v) {
			return true
		}
	}
	return false
}

// exitStatusWithMessage is an error printed as usual but with its own exit
// code (127 when exec cannot start the command).
type exitStatusWithMessage struct {
	code int
	err  error
}

func (e *exitStatusWithMessage) Error() string { return e.err.Error() }
func (e *exitStatusWithMessage) Unwrap() error { return e.err }
