package cli

import (
	"errors"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/vaultchat/vaultchat/internal/agent"
	"github.com/vaultchat/vaultchat/vault"
)

// agentServeCmd is the agent process "vaultchat unlock" starts: hidden,
// since it only works on the line unlock hands it (descriptor 3), which is
// how the passphrase arrives: never in argv or the environment.
type agentServeCmd struct {
	Socket string        `name:"socket" required:"" help:"The socket to listen on."`
	Idle   time.Duration `name:"idle" required:"" help:"Forget the identity after this long without use."`
	Max    time.Duration `name:"max" required:"" help:"Forget the identity this long after start at the latest."`
}

// Run unlocks the vault's identity, tells unlock it serves, and answers
// clients until the identity must be forgotten.
func (c *agentServeCmd) Run(a *app) error {
	// Before anything secret is in memory: not dumpable, no core.
	hardenErr := agent.Harden()
	startup, err := agent.OpenStartup()
	if err != nil {
		return withHint(err, `this command is the agent that "vaultchat unlock" starts; run that instead`)
	}
	relay := agent.NewRelay()
	if hardenErr != nil {
		startup.Fail(nil, "harden", hardenErr)
		return hardenErr
	}
	if c.Idle <= 0 || c.Max <= 0 {
		err := errors.New("the agent's durations must be positive")
		startup.Fail(nil, "failed", err)
		return err
	}
	home := agent.CanonicalHome(a.home)
	// Seen before the unlock, so a passwd while it runs is not missed.
	watch := agent.WatchFiles(vault.IdentityPaths(home)...)

	startup.AttachTo(relay)
	v, err := vault.Unlock(home, vault.Options{
		IdentityFile: a.identity,
		Passphrase:   relay.Passphrase("vault passphrase: "),
		PluginUI:     relay.ClientUI(),
	})
	if err != nil {
		startup.Fail(relay, startCode(err), err)
		return err
	}
	defer v.Close()
	recipient, err := v.PublicRecipient()
	if err != nil {
		startup.Fail(relay, "failed", err)
		return err
	}
	// scrypt's 256 MiB go back to the system before the rest is locked
	// in memory.
	runtime.GC()
	debug.FreeOSMemory()
	memErr := agent.LockMemory()

	ln, err := agent.Listen(c.Socket)
	if err != nil {
		startup.Fail(relay, startCode(err), err)
		return err
	}
	srv := agent.NewServer(agent.Config{
		Home:            home,
		Identity:        v,
		Recipient:       recipient,
		Idle:            c.Idle,
		Max:             c.Max,
		UID:             os.Getuid(),
		Relay:           relay,
		Watch:           watch,
		MemoryLockError: memErr,
	})
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT)
	go func() { srv.Stop("signal " + (<-sigs).String()) }()
	if err := startup.Ready(relay, srv.Status()); err != nil {
		ln.Close()
		return err
	}
	srv.Serve(ln)
	return nil
}
