package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vaultchat/vaultchat/internal/sim"
)

type simulateCmd struct {
	Addr  string `name:"addr" default:"127.0.0.1:0" placeholder:"127.0.0.1:PORT" help:"Loopback address to listen on (port 0 picks a free one)."`
	Delay string `name:"delay" default:"15ms" placeholder:"DURATION" help:"Pause between streamed chunks."`
	// Accounts opens the account endpoints to keys nobody listed, so
	// that keys mint, keys revoke and usage --reconcile can be tried.
	Accounts bool `name:"accounts" help:"Accept any sk-admin-… key as an OpenAI admin key and any key on OpenRouter's management API (to try keys mint, revoke and usage --reconcile)."`
}

// Run serves the built-in OpenAI-compatible simulator until interrupted.
func (c *simulateCmd) Run(a *app) error {
	delay, err := time.ParseDuration(c.Delay)
	if err != nil || delay < 0 {
		return usagef("--delay %q: want a duration such as 15ms or 0s", c.Delay)
	}
	s := sim.New(sim.Options{ChunkDelay: delay, AnyAccountKey: c.Accounts})
	url, err := s.Start(c.Addr)
	if err != nil {
		// sim.Start's errors already begin with "start simulator".
		return withHint(err, "give a free loopback address, such as --addr 127.0.0.1:8080, or --addr 127.0.0.1:0 to pick a free port")
	}
	defer s.Close()
	fmt.Fprintln(a.io.Out, url)
	fmt.Fprintf(a.io.ErrOut, "vaultchat simulator listening; any key works; models: %v; fault models: %v\n", sim.Models, sim.Faults)
	fmt.Fprintf(a.io.ErrOut, "try: vaultchat keys add sim --provider openai-compatible --base-url %s --model sim-fast\n", url)
	if c.Accounts {
		fmt.Fprintf(a.io.ErrOut, "account endpoints open: vaultchat keys add org-admin --provider openai --admin --base-url %s (any sk-admin-… key)\n", url)
	} else {
		fmt.Fprintln(a.io.ErrOut, "admin and management keys get 401; --accounts accepts them")
	}
	// Unlike the other commands (signalContext), a signal is how the
	// simulator is meant to end, not an interruption: exit 0, so
	// "vaultchat simulate & …; kill %1" in a script is not a failure.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}
