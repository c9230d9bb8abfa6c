package provider

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/redact"
	"github.com/vaultchat/vaultchat/internal/sim"
)

func accountsClient(t *testing.T, kind, base, secret string) *Accounts {
	t.Helper()
	a, err := NewAccounts(Config{Provider: kind, BaseURL: base, Secret: secret, KeyName: "admin", Redactor: redact.New(secret)})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func openRouterBase(base string) string { return strings.TrimSuffix(base, "/v1") + "/api/v1" }

// A year of daily buckets comes back over several pages (31 buckets a
// page), through throttling 429s, and sums to what was spent.
func TestOpenAIUsagePagesThrough429(t *testing.T) {
	admin, key := newSecret(t), newSecret(t)
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	s, base := startSim(t, sim.Options{Keys: []string{key}, AdminKeys: []string{admin}, AdminThrottle: 3, Now: func() time.Time { return now }})
	start := now.AddDate(-1, 0, 0).Truncate(24 * time.Hour)
	var want int64
	for d := 0; d < 365; d++ {
		s.SpendElsewhere(key, "gpt-4o-mini", start.AddDate(0, 0, d).Add(time.Hour), 100, 10, 1)
		want += 110
	}
	a := accountsClient(t, providers.OpenAI, base, admin)
	rows, e := a.OpenAIUsage(context.Background(), start, now, "1d")
	if e != nil {
		t.Fatalf("usage: %v", e)
	}
	var got int64
	for _, r := range rows {
		got += r.InputTokens + r.OutputTokens
		if r.Model != "gpt-4o-mini" || !strings.HasPrefix(r.APIKeyID, "key_") {
			t.Fatalf("row not grouped by key and model: %+v", r)
		}
	}
	if got != want || len(rows) != 365 {
		t.Fatalf("got %d tokens in %d rows, want %d in 365", got, len(rows), want)
	}
	// 366 days / 31 a page = 12 pages, plus one 429 every third request.
	if n := a.Requests(); n < 13 || n > 19 {
		t.Fatalf("%d requests for 12 pages with a 429 every third", n)
	}
	costs, e := a.OpenAICosts(context.Background(), start, now)
	if e != nil || len(costs) != 365 {
		t.Fatalf("costs: %d rows, %v", len(costs), e)
	}
}

func TestOpenAIProjectKeysMatchRedacted(t *testing.T) {
	admin := newSecret(t)
	var keys []string
	for range 45 {
		keys = append(keys, newSecret(t))
	}
	_, base := startSim(t, sim.Options{Keys: keys, AdminKeys: []string{admin}})
	a := accountsClient(t, providers.OpenAI, base, admin)
	list, e := a.OpenAIProjectKeys(context.Background(), sim.SimProject)
	if e != nil || len(list) != 45 {
		t.Fatalf("listed %d keys, want 45: %v", len(list), e)
	}
	matched := 0
	for _, pk := range list {
		if MatchRedacted(pk.RedactedValue, keys[7]) {
			matched++
		}
		if strings.Contains(pk.RedactedValue, keys[7]) {
			t.Fatal("the list carries a whole key")
		}
	}
	if matched != 1 {
		t.Fatalf("key 7 matched %d redacted values, want 1", matched)
	}
}

func TestMatchRedacted(t *testing.T) {
	secret := "sk-proj-" + strings.Repeat("a", 40) + "wxyz"
	for _, c := range []struct {
		r    string
		want bool
	}{
		{"sk-proj-...wxyz", true},
		{"sk-proj-****wxyz", true},
		{"sk-proj-…wxyz", true},
		{"sk-proj-...wxya", false},
		{"sk-abc...wxyz", false},
		{"sk-...xyz", false}, // too little shown to tell keys apart
		{"", false},
		{secret, false}, // not a redacted form
	} {
		if got := MatchRedacted(c.r, secret); got != c.want {
			t.Errorf("MatchRedacted(%q) = %v, want %v", c.r, got, c.want)
		}
	}
}

// Mint → use → revoke, for both providers; the revoked key stops working.
func TestMintUseRevoke(t *testing.T) {
	admin, mgmt := newSecret(t), newSecret(t)
	s, base := startSim(t, sim.Options{Keys: []string{newSecret(t)}, AdminKeys: []string{admin}, ManagementKeys: []string{mgmt}})
	ctx := context.Background()
	use := func(kind, b, secret string) *chat.Error {
		c, err := New(Config{Provider: kind, BaseURL: b, Secret: secret, KeyName: "minted", Redactor: redact.New(secret)})
		if err != nil {
			t.Fatal(err)
		}
		_, e := c.ListModels(ctx)
		return e
	}

	oa := accountsClient(t, providers.OpenAI, base, admin)
	m, e := oa.OpenAIMint(ctx, "proj_team", "ci")
	if e != nil {
		t.Fatalf("mint: %v", e)
	}
	if s := fmt.Sprintf("%v %+v %#v", m, m, m); strings.Contains(s, m.Secret) {
		t.Fatal("Minted prints its secret")
	}
	if e := use(providers.OpenAI, base, m.Secret); e != nil {
		t.Fatalf("minted key refused: %v", e)
	}
	if e := oa.OpenAIRevoke(ctx, m.Project, m.ServiceAccountID); e != nil {
		t.Fatalf("revoke: %v", e)
	}
	if e := use(providers.OpenAI, base, m.Secret); e == nil || e.Class != chat.ErrInvalidKey {
		t.Fatalf("revoked key: %v", e)
	}

	or := accountsClient(t, providers.OpenRouter, openRouterBase(base), mgmt)
	m, e = or.OpenRouterMint(ctx, MintRequest{Name: "ci", LimitUSD: 5, LimitReset: "monthly", ExpiresAt: time.Now().AddDate(0, 0, 30)})
	if e != nil {
		t.Fatalf("mint: %v", e)
	}
	if e := use(providers.OpenRouter, openRouterBase(base), m.Secret); e != nil {
		t.Fatalf("minted key refused: %v", e)
	}
	info, e := accountsClient(t, providers.OpenRouter, openRouterBase(base), m.Secret).OpenRouterKey(ctx)
	if e != nil || info.Limit == nil || *info.Limit != 5 || info.LimitReset != "monthly" || info.ExpiresAt.IsZero() {
		t.Fatalf("key info %+v, %v", info, e)
	}
	if e := or.OpenRouterRevoke(ctx, m.KeyID); e != nil {
		t.Fatalf("revoke: %v", e)
	}
	if e := use(providers.OpenRouter, openRouterBase(base), m.Secret); e == nil || e.Class != chat.ErrInvalidKey {
		t.Fatalf("revoked key: %v", e)
	}
	_ = s
}

// Admin and management keys are refused by the chat endpoints, as the
// providers refuse them; a chat key is refused by the admin endpoints
// with a hint naming the kind of key needed.
func TestKindsRefusedWhereTheyDoNotBelong(t *testing.T) {
	admin, mgmt, key := newSecret(t), newSecret(t), newSecret(t)
	_, base := startSim(t, sim.Options{Keys: []string{key}, AdminKeys: []string{admin}, ManagementKeys: []string{mgmt}})
	for _, k := range []string{admin, mgmt} {
		c := simClient(t, base, k)
		evs := collect(t, c.Stream(context.Background(), simTurn("sim-fast"), Options{}))
		if f := mustFail(t, evs); f.Err.Class != chat.ErrInvalidKey {
			t.Fatalf("chat with an admin key: %v", f.Err)
		}
	}
	_, e := accountsClient(t, providers.OpenAI, base, key).OpenAIUsage(context.Background(), time.Now().Add(-time.Hour), time.Now(), "1d")
	if e == nil || e.Class != chat.ErrInvalidKey || !strings.Contains(e.Hint, "--admin") {
		t.Fatalf("usage with a chat key: %v", e)
	}
	if strings.Contains(e.Message+e.Hint, key) {
		t.Fatal("the error carries the key")
	}
}

// The admin key goes only to its base URL's host: a redirect elsewhere is
// refused before the key leaves.
func TestAccountsPinnedToHost(t *testing.T) {
	admin := newSecret(t)
	var leaked bool
	other := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		leaked = leaked || strings.Contains(r.Header.Get("Authorization"), admin)
	})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		http.Redirect(w, r, other.URL+"/v1/organization/costs", http.StatusFound)
	})
	a := accountsClient(t, providers.OpenAI, srv.URL+"/v1", admin)
	_, e := a.OpenAICosts(context.Background(), time.Now().Add(-time.Hour), time.Now())
	if e == nil || leaked || len(other.requests()) != 0 {
		t.Fatalf("redirect to another host: err %v, leaked %v", e, leaked)
	}
}

// A server that echoes the admin key in an error body, or in a figure,
// gets it masked in every text the client returns.
func TestAccountsRedactEchoedKey(t *testing.T) {
	admin := newSecret(t)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		echo := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if strings.Contains(r.URL.Path, "api_keys") {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"object":"list","data":[{"id":"key_1","name":"%s","redacted_value":"x"}],"has_more":false}`, echo)
			return
		}
		jsonError(w, 400, "invalid_request_error", "", "bad key "+echo)
	})
	a := accountsClient(t, providers.OpenAI, srv.URL+"/v1", admin)
	_, e := a.OpenAICosts(context.Background(), time.Now().Add(-time.Hour), time.Now())
	if e == nil || strings.Contains(e.Message+e.Hint, admin) || !strings.Contains(e.Message, "bad key") {
		t.Fatalf("error %v", e)
	}
	keys, e := a.OpenAIProjectKeys(context.Background(), "proj")
	if e != nil || len(keys) != 1 || strings.Contains(keys[0].Name, admin) {
		t.Fatalf("keys %+v, %v", keys, e)
	}
}
