package session

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/vault"
)

// mintFixture: an OpenRouter management key and an OpenAI admin key on
// the simulator.
func mintFixture(t *testing.T) (f *fixture, mgmt, admin vault.Key) {
	t.Helper()
	m, a := testkit.Canary(t), testkit.Canary(t)
	f = newFixture(t, sim.Options{Keys: []string{testkit.Canary(t)}, ManagementKeys: []string{m}, AdminKeys: []string{a}})
	secret := func(v string) vault.Secret {
		s, err := vault.NewSecret(v)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	mgmt = f.addKey("or-mgmt", "", func(k *vault.Key) {
		k.Provider, k.Kind, k.Secret = providers.OpenRouter, vault.KindManagement, secret(m)
		k.BaseURL = strings.TrimSuffix(f.url, "/v1") + "/api/v1"
	})
	admin = f.addKey("oa-admin", "", func(k *vault.Key) {
		k.Provider, k.Kind, k.Secret, k.Project = providers.OpenAI, vault.KindAdmin, secret(a), "proj_team"
	})
	f.unlock()
	return f, mgmt, admin
}

func (f *fixture) chatWith(keyName string) error {
	f.t.Helper()
	c := f.create("")
	_, final := f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "hello", KeyID: keyName, Model: "gpt-4o-mini"})
	return finalErr(final)
}

func TestMintUseRevokeRoundTrip(t *testing.T) {
	f, _, _ := mintFixture(t)
	ctx := context.Background()
	for _, from := range []string{"or-mgmt", "oa-admin"} {
		o := MintOptions{Name: "child-" + from, From: from, Expires: time.Now().AddDate(0, 0, 30)}
		if from == "or-mgmt" {
			o.LimitUSD, o.LimitReset = 5, "monthly"
		}
		k, err := f.sess.MintKey(ctx, o)
		if err != nil {
			t.Fatalf("mint from %s: %v", from, err)
		}
		if k.ProviderKeyID == "" || !k.Minted() || !k.ForChat() {
			t.Fatalf("minted key record %+v", k)
		}
		f.secrets = append(f.secrets, f.keySecret(k.Name))
		if err := f.chatWith(k.Name); err != nil {
			t.Fatalf("chat with the minted key: %v", err)
		}
		if from == "or-mgmt" {
			p, ok, err := f.sess.ProviderFigures(ctx, k.Name)
			if err != nil || !ok || p.LimitUSD == nil || *p.LimitUSD != 5 || p.UsageMonthly <= 0 {
				t.Fatalf("provider figures %+v, %v, %v", p, ok, err)
			}
			if s := p.Sentence(); !strings.Contains(s, "provider says: $") || !strings.Contains(s, "of $5.00 limit left") {
				t.Fatalf("sentence %q", s)
			}
			if line := f.sess.Usage(k.ID, "").Provider; !strings.HasPrefix(line, p.Sentence()) {
				t.Fatalf("side pane line %q", line)
			}
		}
		minted := f.keySecret(k.Name)
		if _, err := f.sess.RevokeKey(ctx, k.Name); err != nil {
			t.Fatalf("revoke: %v", err)
		}
		if _, err := f.opened().vault.Key(k.Name); !errors.Is(err, vault.ErrKeyNotFound) {
			t.Fatalf("revoked key still in the vault: %v", err)
		}
		// The provider refuses the revoked secret.
		if live := simAccepts(t, f.url, minted, from == "or-mgmt"); live {
			t.Fatal("the provider still accepts the revoked key")
		}
	}
}

// A failure after minting leaves nothing behind: the key is revoked at
// the provider again and the vault is unchanged.
func TestMintFailureAfterMintingRevokes(t *testing.T) {
	f, _, _ := mintFixture(t)
	afterMint = func() error { return errors.New("disk full") }
	t.Cleanup(func() { afterMint = nil })
	before := len(f.opened().vault.Keys())
	_, err := f.sess.MintKey(context.Background(), MintOptions{Name: "child", From: "or-mgmt"})
	if err == nil || !strings.Contains(err.Error(), "revoked at the provider again") {
		t.Fatalf("err %v", err)
	}
	if n := len(f.opened().vault.Keys()); n != before {
		t.Fatalf("vault has %d keys, had %d", n, before)
	}
	var created, deleted int
	for _, r := range f.sim.Requests() {
		switch {
		case r.Method == "POST" && r.Path == "/api/v1/keys":
			created++
		case r.Method == "DELETE" && strings.HasPrefix(r.Path, "/api/v1/keys/"):
			deleted++
		}
	}
	if created != 1 || deleted != 1 {
		t.Fatalf("%d created, %d deleted at the provider", created, deleted)
	}
}

// Refused before any request: no minting key, a chat key as the minting
// key, a name already taken, an OpenAI limit.
func TestMintRefusedBeforeAnyRequest(t *testing.T) {
	f, _, _ := mintFixture(t)
	f.addKey("chat", "gpt-4o-mini", nil)
	f.relock()
	for _, o := range []MintOptions{
		{Name: "x", From: "missing"},
		{Name: "x", From: "chat"},
		{Name: "chat", From: "or-mgmt"},
		{Name: "x", From: "oa-admin", LimitUSD: 5},
		{Name: "x", From: "or-mgmt", LimitReset: "monthly"},
	} {
		if _, err := f.sess.MintKey(context.Background(), o); err == nil {
			t.Fatalf("%+v: minted", o)
		}
	}
	if n := len(f.sim.Requests()); n != 0 {
		t.Fatalf("%d requests before refusing", n)
	}
	if _, err := f.sess.RevokeKey(context.Background(), "chat"); err == nil || !strings.Contains(err.Error(), "not minted") {
		t.Fatalf("revoke of a key not minted: %v", err)
	}
}

func finalErr(final chat.Event) error {
	if f, ok := final.(chat.Failed); ok {
		return f.Err
	}
	return nil
}

func (f *fixture) keySecret(name string) string {
	f.t.Helper()
	k, err := f.opened().vault.Key(name)
	if err != nil {
		f.t.Fatal(err)
	}
	return k.Secret.Reveal()
}

// simAccepts asks the simulator's model list with secret.
func simAccepts(t *testing.T, base, secret string, openRouter bool) bool {
	t.Helper()
	if openRouter {
		base = strings.TrimSuffix(base, "/v1") + "/api/v1"
	}
	req, err := http.NewRequest("GET", base+"/models", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// When the key cannot be saved and the provider cannot be reached to
// revoke it either, the error names what to revoke by hand.
func TestMintFailureAfterMintingUnreachable(t *testing.T) {
	f, _, _ := mintFixture(t)
	afterMint = func() error {
		f.sim.Close() // the provider goes away before the revocation
		return errors.New("disk full")
	}
	t.Cleanup(func() { afterMint = nil })
	_, err := f.sess.MintKey(context.Background(), MintOptions{Name: "child", From: "or-mgmt"})
	if err == nil || !strings.Contains(err.Error(), "revoking it at the provider failed too") || !strings.Contains(err.Error(), "delete the key with hash ") {
		t.Fatalf("err %v", err)
	}
	if strings.Contains(err.Error(), "sk-or-v1-") {
		t.Fatal("the error carries the minted secret")
	}
	minted := false
	for _, r := range f.sim.Requests() {
		minted = minted || r.Method == "POST" && r.Path == "/api/v1/keys" && r.Status == 201
	}
	if !minted {
		t.Fatal("no key was minted")
	}
	if _, err := f.opened().vault.Key("child"); err == nil {
		t.Fatal("the key was saved")
	}
}
