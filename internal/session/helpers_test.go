package session

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
	"github.com/vaultchat/vaultchat/internal/usage"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/vault"
)

// fixture is an identity-file vault in a temp dir, a simulator on
// 127.0.0.1 and a Session over them. The test's own vault handle (f.vault)
// plays "another vaultchat process": keys are added through it, and the
// session sees them once it unlocks.
type fixture struct {
	t       *testing.T
	dir     string // the test's temp dir; the vault home is inside
	home    string
	idFile  string
	vault   *vault.Vault
	sim     *sim.Server
	url     string
	sess    *Session
	secrets []string
}

// newFixture makes the vault and the simulator; call unlock after adding
// keys. Before the temp dir is removed it checks that no file under it
// holds a secret in clear.
func newFixture(t *testing.T, simOpts sim.Options) *fixture {
	t.Helper()
	h := testkit.NewHome(t)
	f := &fixture{t: t, dir: h.Root, home: h.Dir, idFile: h.Identity, vault: h.Open(t)}
	t.Cleanup(func() { f.assertNoSecretOnDisk() })
	f.sim, f.url = testkit.Sim(t, simOpts)
	f.sess = New(f.config())
	return f
}

func (f *fixture) config() Config {
	return Config{Home: f.home, Stream: testkit.FastStream()}
}

// addKey adds a key on the simulator through the test's own vault
// handle.
func (f *fixture) addKey(name, model string, edit func(*vault.Key)) vault.Key {
	f.t.Helper()
	k := vault.Key{Name: name, BaseURL: f.url, DefaultModel: model}
	if edit != nil {
		edit(&k)
	}
	added, secret := testkit.AddKey(f.t, f.vault, k)
	f.secrets = append(f.secrets, secret)
	return added
}

// unlock unlocks the session (an identity-file vault needs no passphrase).
func (f *fixture) unlock() {
	f.t.Helper()
	if err := f.sess.Unlock(nil); err != nil {
		f.t.Fatalf("Unlock: %v", err)
	}
	f.t.Cleanup(f.sess.Lock)
}

// opened returns what the unlocked session holds: its store and ledger.
func (f *fixture) opened() *home {
	f.t.Helper()
	h, err := f.sess.open()
	if err != nil {
		f.t.Fatal(err)
	}
	return h
}

// ledger returns the open home's usage ledger.
func (f *fixture) ledger() *usage.Ledger {
	f.t.Helper()
	return f.opened().usageLedger()
}

// relock locks and unlocks again, so the session reads keys changed through
// f.vault.
func (f *fixture) relock() {
	f.t.Helper()
	f.sess.Lock()
	if err := f.sess.Unlock(nil); err != nil {
		f.t.Fatalf("Unlock: %v", err)
	}
}

func (f *fixture) create(systemPrompt string) *chat.Conversation {
	f.t.Helper()
	c, _, err := f.sess.Create(systemPrompt)
	if err != nil {
		f.t.Fatalf("Create: %v", err)
	}
	return c
}

func (f *fixture) load(id string) *chat.Conversation {
	f.t.Helper()
	c, err := f.sess.Load(id)
	if err != nil {
		f.t.Fatalf("Load: %v", err)
	}
	return c
}

// turn sends one request, reads every event and checks the event
// contract: exactly one Done or Failed, last, then the channel closes; a
// stored message is the conversation's last message; a Done's message is
// the streamed text.
func (f *fixture) turn(req view.SendRequest) (evs []chat.Event, final chat.Event) {
	f.t.Helper()
	return f.turnCtx(context.Background(), req)
}

// turnCtx is turn with a context of the caller's.
func (f *fixture) turnCtx(ctx context.Context, req view.SendRequest) (evs []chat.Event, final chat.Event) {
	f.t.Helper()
	ch, err := f.sess.Send(ctx, req)
	if err != nil {
		f.t.Fatalf("Send: %v", err)
	}
	for ev := range ch {
		evs = append(evs, ev)
	}
	final = checkFinal(f.t, evs)
	msg := messageOf(final)
	if d, ok := final.(chat.Done); ok {
		if msg == nil || msg.Turn == nil {
			f.t.Fatalf("Done without a stored, attributed message: %#v", d)
		}
		if msg.Content != deltas(evs) {
			f.t.Fatalf("stored message differs from the streamed text:\nstored:   %q\nstreamed: %q", msg.Content, deltas(evs))
		}
	}
	if msg != nil {
		c := f.load(req.ConversationID)
		last := c.Messages[len(c.Messages)-1]
		if last.ID != msg.ID || last.Content != msg.Content || last.Turn == nil {
			f.t.Fatalf("final event's message %q is not the stored last message %q", msg.ID, last.ID)
		}
	}
	return evs, final
}

// checkFinal checks that evs end with exactly one Done or Failed and
// returns it.
func checkFinal(t *testing.T, evs []chat.Event) chat.Event {
	t.Helper()
	finals := 0
	for _, ev := range evs {
		switch ev.(type) {
		case chat.Done, chat.Failed:
			finals++
		}
	}
	if finals != 1 || len(evs) == 0 {
		t.Fatalf("%d final events in %d events, want exactly 1", finals, len(evs))
	}
	last := evs[len(evs)-1]
	switch last.(type) {
	case chat.Done, chat.Failed:
	default:
		t.Fatalf("last event is %T, want Done or Failed", last)
	}
	return last
}

func messageOf(ev chat.Event) *chat.Message {
	switch ev := ev.(type) {
	case chat.Done:
		return ev.Message
	case chat.Failed:
		return ev.Message
	}
	return nil
}

func deltas(evs []chat.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		if d, ok := ev.(chat.Delta); ok {
			b.WriteString(d.Text)
		}
	}
	return b.String()
}

// mustDone returns the Done final event or fails.
func mustDone(t *testing.T, ev chat.Event) chat.Done {
	t.Helper()
	d, ok := ev.(chat.Done)
	if !ok {
		t.Fatalf("turn ended with %#v, want Done", ev)
	}
	return d
}

// mustFail returns the Failed final event of class or fails.
func mustFail(t *testing.T, ev chat.Event, class chat.ErrorClass) chat.Failed {
	t.Helper()
	fl, ok := ev.(chat.Failed)
	if !ok || fl.Err == nil || fl.Err.Class != class {
		t.Fatalf("turn ended with %#v, want Failed %s", ev, class)
	}
	return fl
}

// modelRequests counts the simulator's model list requests.
func modelRequests(s *sim.Server) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Path == "/v1/models" {
			n++
		}
	}
	return n
}

// assertNoSecret fails if any value's %#v, %v or JSON form holds one of
// the fixture's secrets or the canary marker.
func (f *fixture) assertNoSecret(what string, values ...any) {
	f.t.Helper()
	for _, v := range values {
		js, err := json.Marshal(v)
		if err != nil {
			f.t.Fatalf("%s: marshal: %v", what, err)
		}
		for _, form := range []string{fmt.Sprintf("%#v", v), fmt.Sprintf("%+v", v), string(js)} {
			if f.leaks(form) {
				f.t.Fatalf("%s leaks a secret: %s", what, form)
			}
		}
	}
}

func (f *fixture) leaks(s string) bool {
	if strings.Contains(s, "CANARY") {
		return true
	}
	for _, secret := range f.secrets {
		if strings.Contains(s, secret) {
			return true
		}
	}
	return false
}

// assertNoSecretOnDisk walks the test's temp dir (vault home, exports)
// and fails if any file holds a secret in clear.
func (f *fixture) assertNoSecretOnDisk() {
	f.t.Helper()
	testkit.AssertNoSecretOnDisk(f.t, f.dir, f.secrets...)
}

// sameFiles fails if dir differs from the snapshot before, naming the
// files.
func sameFiles(t *testing.T, before testkit.Snapshot, dir string) {
	t.Helper()
	if diff := before.Diff(testkit.TakeSnapshot(t, dir)); len(diff) > 0 {
		t.Errorf("files changed: %s", strings.Join(diff, ", "))
	}
}

// waitFor polls cond until it holds, failing after a generous bound so a
// hang becomes a failure instead of a test timeout. It is a guard against
// deadlocks, not a speed assertion.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// startLongReply starts a long streamed reply (model sim-huge, key "work")
// in a new conversation on a fresh, unlocked fixture, for the tests that
// cancel, lock or unlock while a reply streams.
func startLongReply(t *testing.T) (f *fixture, c *chat.Conversation, work vault.Key, ch <-chan chat.Event, cancel context.CancelFunc) {
	t.Helper()
	f = newFixture(t, sim.Options{ChunkDelay: time.Millisecond})
	work = f.addKey("work", sim.FaultHuge, nil)
	f.unlock()
	c = f.create("")
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := f.sess.Send(ctx, view.SendRequest{ConversationID: c.ID, Prompt: "a long one", KeyID: work.ID})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	return f, c, work, ch, cancel
}
