package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vaultchat/vaultchat/internal/agent"
	"github.com/vaultchat/vaultchat/vault"
)

// envAgent turns the agent off for one process: VAULTCHAT_AGENT=off.
const envAgent = "VAULTCHAT_AGENT"

// unlockCmd is "vaultchat unlock": the passphrase once, then an agent
// holds the identity for the other commands.
type unlockCmd struct {
	For *time.Duration `name:"for" placeholder:"DURATION" help:"Lock after this long without use (default: idle in the [agent] table of config.toml, 15m)."`
	Max *time.Duration `name:"max" placeholder:"DURATION" help:"Lock this long after unlocking at the latest (default: max in the [agent] table, 8h)."`
}

// Run starts the agent, unless one already holds the identity.
func (c *unlockCmd) Run(a *app) error {
	if !vault.Exists(a.home) {
		return fmt.Errorf("%s: %w", a.home, vault.ErrNotInitialized)
	}
	if why := a.agentOff(); why != "" {
		return withHint(fmt.Errorf("the agent is turned off (%s)", why), "turn it on again, or give the passphrase to each command")
	}
	idle, maxLife, err := c.durations(a)
	if err != nil {
		return err
	}
	client := a.agentClient(false)
	if st, err := client.Status(); err == nil {
		a.printf("already unlocked: the agent (pid %d) holds the identity of %s; it locks %s\n",
			st.PID, a.clean(st.Home), lockTimes(st))
		c.warnNotApplied(a)
		return nil
	} else if !agent.IsNotRunning(err) {
		return withHint(err, `remove what is in the way, or run "vaultchat lock" to end the agent`)
	}
	if err := agent.PrepareDir(filepath.Dir(client.Socket)); err != nil {
		return err
	}
	if vault.UsesPassphrase(a.home, a.vaultOptions()) && !a.canGetPassphrase() {
		return errNoPassphrase
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the vaultchat program to run as the agent: %w", err)
	}
	args := []string{exe, "--home", client.Home}
	if a.identity != "" {
		id, err := filepath.Abs(a.identity)
		if err != nil {
			return err
		}
		args = append(args, "--identity", id)
	}
	args = append(args, "agent", "serve", "--socket", client.Socket, "--idle", idle.String(), "--max", maxLife.String())
	st, err := agent.Start(agent.StartOptions{
		Path:     exe,
		Args:     args,
		Env:      []string{"PATH=" + a.getenv("PATH")},
		Prompter: a.agentPrompter(),
	})
	if err != nil {
		err = startError(err)
		if errors.Is(err, agent.ErrRunning) {
			// Another "vaultchat unlock" won the race.
			a.printf("already unlocked: an agent holds the identity of %s\n", a.clean(client.Home))
			return nil
		}
		return err
	}
	// Open the vault through the agent once, as every command will: an
	// identity file that does not match the vault fails now, and an SSH
	// key's passphrase is asked for now, while there is a terminal.
	v, err := a.openThroughAgent(vault.Open, a.agentClient(true))
	if err != nil {
		var unavailable *agentUnavailable
		if errors.As(err, &unavailable) && unavailable.cause != nil {
			err = unavailable.cause
		}
		client.Lock()
		return fmt.Errorf("the agent cannot open the vault: %w", err)
	}
	v.Close()
	a.printf("unlocked %s: the agent (pid %d) keeps the identity and locks %s; \"vaultchat lock\" locks it now\n",
		a.clean(st.Home), st.PID, lockTimes(st))
	return nil
}

// durations returns the idle timeout and maximum lifetime: the flags,
// else config.toml. A --for longer than the configured maximum raises
// it: the user asked for that long.
func (c *unlockCmd) durations(a *app) (idle, maxLife time.Duration, err error) {
	cfg, err := a.strictConfig()
	if err != nil {
		return 0, 0, err
	}
	idle, maxLife = cfg.Agent.Idle, cfg.Agent.Max
	if (c.For != nil && *c.For <= 0) || (c.Max != nil && *c.Max <= 0) {
		return 0, 0, usagef("--for and --max must be positive durations")
	}
	if c.For != nil {
		idle = *c.For
		if c.Max == nil && idle > maxLife {
			maxLife = idle
		}
	}
	if c.Max != nil {
		maxLife = *c.Max
	}
	if idle > maxLife {
		return 0, 0, usagef("--for %s is longer than --max %s", shortDuration(idle), shortDuration(maxLife))
	}
	return idle, maxLife, nil
}

// warnNotApplied says that --for and --max do not change an agent that
// already runs: it keeps the times it was started with.
func (c *unlockCmd) warnNotApplied(a *app) {
	var flags []string
	if c.For != nil {
		flags = append(flags, "--for "+shortDuration(*c.For))
	}
	if c.Max != nil {
		flags = append(flags, "--max "+shortDuration(*c.Max))
	}
	if len(flags) > 0 {
		a.warn("%s is not applied: the agent keeps the times it started with; run \"vaultchat lock\", then unlock again to change them", strings.Join(flags, " and "))
	}
}

// lockCmd is "vaultchat lock".
type lockCmd struct{}

// Run makes the agent forget the identity and exit.
func (c *lockCmd) Run(a *app) error {
	client := a.agentClient(false)
	err := client.Lock()
	if agent.IsNotRunning(err) {
		a.printf("no agent runs for %s; nothing to lock\n", a.clean(client.Home))
		return nil
	}
	if err != nil {
		return err
	}
	a.printf("locked: the agent of %s forgot the identity\n", a.clean(client.Home))
	return nil
}

// agentCmd groups the agent's commands.
type agentCmd struct {
	Status agentStatusCmd `cmd:"" help:"Show whether the agent runs, and until when."`
	Serve  agentServeCmd  `cmd:"" hidden:"" help:"Run as the agent (started by vaultchat unlock)."`
}

type agentStatusCmd struct {
	JSON bool `name:"json" help:"Print JSON."`
}

// agentStatusJSON is what "agent status --json" prints.
type agentStatusJSON struct {
	Running bool          `json:"running"`
	Home    string        `json:"home"`
	Socket  string        `json:"socket"`
	Agent   *agent.Status `json:"agent,omitempty"`
}

// Run prints the agent's status, or that none runs.
func (c *agentStatusCmd) Run(a *app) error {
	client := a.agentClient(false)
	st, err := client.Status()
	if err != nil && !agent.IsNotRunning(err) {
		return err
	}
	if c.JSON {
		out := agentStatusJSON{Running: st != nil, Home: client.Home, Socket: client.Socket, Agent: st}
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil || st != nil {
			return err
		}
		// Exit 1 when none runs, so scripts can test it.
		return &silentError{ExitError}
	}
	if st == nil {
		a.printf("agent:    not running for %s\n", a.clean(client.Home))
		fmt.Fprintln(a.io.ErrOut, `vaultchat: hint: "vaultchat unlock" starts one`)
		return &silentError{ExitError}
	}
	a.printf("agent:    running (pid %d)\n", st.PID)
	a.printf("home:     %s\n", a.clean(st.Home))
	a.printf("since:    %s (%s ago)\n", st.Since.Local().Format("2006-01-02 15:04:05"), shortDuration(st.Now.Sub(st.Since)))
	a.printf("locks:    %s\n", lockTimes(st))
	if st.MemoryLocked {
		a.printf("memory:   locked (the identity stays out of swap)\n")
	} else {
		a.printf("memory:   not locked: %s\n", a.clean(st.MemoryLockError))
	}
	a.printf("requests: %d served, %d refused\n", st.Served, st.Refused)
	if r := st.LastRefusal; r != nil {
		a.printf("refused:  %s %s: %s\n", r.At.Local().Format("15:04:05"), a.clean(r.Code), a.clean(r.Reason))
	}
	return nil
}

// lockTimes says when the agent forgets the identity.
func lockTimes(st *agent.Status) string {
	return fmt.Sprintf("after %s without use (%s left), at the latest in %s",
		shortDuration(time.Duration(st.Idle)), shortDuration(time.Duration(st.IdleLeft)), shortDuration(time.Duration(st.MaxLeft)))
}

// shortDuration prints d to the second, without zero units: 15m, 7h59m3s.
func shortDuration(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// agentOff says why commands do not ask the agent, or "" when they do.
// A config.toml that does not load leaves the agent on: the commands that
// need the settings report the file.
func (a *app) agentOff() string {
	switch v := a.getenv(envAgent); strings.ToLower(v) {
	case "off", "0", "false", "no":
		return envAgent + "=" + v
	case "", "on", "1", "true", "yes":
	default:
		// Not a reason to stop every command, but not to be guessed at
		// in silence either.
		if !a.agentEnvWarned {
			a.agentEnvWarned = true
			a.warn("%s=%q is not understood: use off (or 0, false, no) or on (or 1, true, yes); the agent stays on", envAgent, v)
		}
	}
	if cfg, err := a.config(); err == nil && !cfg.Agent.Enabled {
		return "enabled = false in the [agent] table of " + a.configPath
	}
	return ""
}

// agentClient returns a client of this home's agent. With prompts, the
// identity's questions (an SSH key's passphrase) are answered like any
// passphrase question (the passphrase file, or the terminal); without,
// they are declined, as the full-screen app must (it owns the terminal).
func (a *app) agentClient(prompts bool) *agent.Client {
	home := agent.CanonicalHome(a.home)
	c := &agent.Client{Socket: agent.SocketPath(agent.SocketDir(a.getenv), home), Home: home}
	if prompts {
		c.Prompter = a.agentPrompter()
	}
	return c
}

// agentPrompter answers the agent's passphrase questions with our own
// prompt: text from another process never reaches the terminal.
func (a *app) agentPrompter() *agent.Prompter {
	return &agent.Prompter{Passphrase: func(string) (string, error) { return a.passphrase("vault passphrase: ") }}
}

// agentUnavailable means the vault was not opened through the agent and
// the caller should unlock it as usual: none runs (cause nil), or it
// refused or failed (cause says how).
type agentUnavailable struct{ cause error }

func (e *agentUnavailable) Error() string {
	if e.cause == nil {
		return "no vaultchat agent runs for this vault"
	}
	return e.cause.Error()
}

// openThroughAgent opens the vault with open (vault.Open or vault.Unlock)
// with the identity the agent holds. An *agentUnavailable error means
// "unlock as usual"; any other error is the vault's own, which unlocking
// differently would not cure.
func (a *app) openThroughAgent(open func(string, vault.Options) (*vault.Vault, error), c *agent.Client) (*vault.Vault, error) {
	if a.agentOff() != "" {
		return nil, &agentUnavailable{}
	}
	st, err := c.Status()
	if agent.IsNotRunning(err) {
		return nil, &agentUnavailable{}
	}
	if err != nil {
		return nil, &agentUnavailable{cause: err}
	}
	opts := a.vaultOptions()
	opts.Identity, opts.Recipient = c, st.Recipient
	v, err := open(a.home, opts)
	var ae *agent.Error
	switch {
	case err == nil:
		return v, nil
	case agent.IsNotRunning(err):
		// It ended between the two requests.
		return nil, &agentUnavailable{}
	case errors.As(err, &ae), errors.Is(err, vault.ErrWrongIdentity):
		return nil, &agentUnavailable{cause: err}
	}
	return nil, err
}

// errLockedNoTerminal is errNoPassphrase when the agent could have
// helped: it names "vaultchat unlock".
var errLockedNoTerminal = withHint(errors.New(`the vault is locked and there is no terminal to ask for its passphrase; run "vaultchat unlock" first`),
	`"vaultchat unlock" (in a terminal) keeps the vault unlocked for the commands that follow, until "vaultchat lock" or its timeout`,
	"or give the passphrase with --passphrase-file FILE or VAULTCHAT_PASSPHRASE_FILE (the file's first line is the passphrase)",
	"or use an age identity file instead: --identity FILE")

// startClasses maps the codes a starting agent reports to the errors the
// hints know.
var startClasses = map[string]error{
	"wrong-passphrase": vault.ErrWrongPassphrase,
	"wrong-identity":   vault.ErrWrongIdentity,
	"corrupted":        vault.ErrCorrupted,
	"unsupported":      vault.ErrUnsupported,
	"too-large":        vault.ErrTooLarge,
	"not-initialized":  vault.ErrNotInitialized,
	"symlink":          vault.ErrSymlink,
	"running":          agent.ErrRunning,
}

// startCode is the code under which the agent reports err.
func startCode(err error) string {
	for code, class := range startClasses {
		if errors.Is(err, class) {
			return code
		}
	}
	return "failed"
}

// classified is an error reported by the agent process, with the class
// it had there.
type classified struct {
	msg   string
	class error
}

func (e *classified) Error() string { return e.msg }
func (e *classified) Unwrap() error { return e.class }

// startError turns the agent's start-up failure back into the error the
// hints know.
func startError(err error) error {
	var se *agent.StartError
	if errors.As(err, &se) {
		if class, ok := startClasses[se.Code]; ok {
			return &classified{msg: se.Message, class: class}
		}
		return errors.New(se.Message)
	}
	return err
}
