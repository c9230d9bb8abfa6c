package session

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
	"github.com/vaultchat/vaultchat/vault"
)

// benchReconcile is a vault of 20 openai keys and an admin key on a
// simulator that holds 2026's daily usage of each key with 5 models; the
// ledger holds the same, except that key 07 spent 50,000 tokens more at
// the provider on one day.
func benchReconcile(b *testing.B) (*Session, *sim.Server) {
	b.Helper()
	const keys = 20
	models := []string{"gpt-4o", "gpt-4o-mini", "sim-fast", "sim-smart", "o3-mini"}
	now := time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC)
	secrets := make([]string, keys)
	for i := range secrets {
		secrets[i] = testkit.Canary(b)
	}
	admin := testkit.Canary(b)
	s, url := testkit.Sim(b, sim.Options{Keys: secrets, AdminKeys: []string{admin}, Now: func() time.Time { return now }})
	h := testkit.NewHome(b)
	v, err := vault.Open(h.Dir, h.Options())
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, keys)
	for i, sec := range secrets {
		secret, _ := vault.NewSecret(sec)
		k, _ := testkit.AddKey(b, v, vault.Key{Name: fmt.Sprintf("key-%02d", i), Provider: providers.OpenAI, BaseURL: url, Secret: secret})
		ids[i] = k.ID
	}
	adminSecret, _ := vault.NewSecret(admin)
	testkit.AddKey(b, v, vault.Key{Name: "org-admin", Provider: providers.OpenAI, BaseURL: url, Kind: vault.KindAdmin, Project: sim.SimProject, Secret: adminSecret})

	// The ledger's month files are written whole, in internal/usage's
	// format (as its own seedYear does): recording 36,500 requests one
	// by one would take minutes.
	type row struct {
		Key        string  `json:"key"`
		Day        string  `json:"day"`
		Model      string  `json:"model"`
		Requests   int64   `json:"requests"`
		Prompt     int64   `json:"prompt"`
		Completion int64   `json:"completion"`
		CostUSD    float64 `json:"cost_usd"`
		Priced     int64   `json:"priced"`
	}
	for m := time.January; m <= time.December; m++ {
		var rows []row
		for d := time.Date(2026, m, 1, 12, 0, 0, 0, time.UTC); d.Month() == m; d = d.AddDate(0, 0, 1) {
			for i := range keys {
				for _, model := range models {
					rows = append(rows, row{Key: ids[i], Day: d.Format("2006-01-02"), Model: model, Requests: 1, Prompt: 1200, Completion: 450, CostUSD: 0.001, Priced: 1})
					s.SpendElsewhere(secrets[i], model, d, 1200, 450, 1)
				}
			}
		}
		data, err := json.Marshal(map[string]any{"schema": 1, "month": fmt.Sprintf("2026-%02d", m), "rows": rows})
		if err != nil {
			b.Fatal(err)
		}
		if err := v.Files().WriteFile(fmt.Sprintf("usage/2026-%02d.age", m), data); err != nil {
			b.Fatal(err)
		}
	}
	s.SpendElsewhere(secrets[7], "gpt-4o", time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC), 50_000, 0, 2)
	sess, err := Open(Config{Home: h.Dir, Now: func() time.Time { return now }}, v)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(sess.Lock)
	return sess, s
}

// BenchmarkReconcileYear is "usage --reconcile --since 2026-01-01" over
// a year of daily buckets for 20 keys × 5 models: the provider asked
// (project keys, 12 pages of usage, 3 of costs) and the ledger joined,
// then the same again within the cache's lifetime (no request).
func BenchmarkReconcileYear(b *testing.B) {
	sess, _ := benchReconcile(b)
	o := ReconcileOptions{From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC)}
	check := func(rep ReconcileReport) {
		flagged := 0
		for _, k := range rep.Keys {
			if k.Flag != "" {
				flagged++
			}
		}
		if len(rep.Keys) != 20 || flagged != 1 || len(rep.Rows) != 365*20*6 {
			b.Fatalf("%d keys, %d flagged, %d rows", len(rep.Keys), flagged, len(rep.Rows))
		}
	}
	b.Run("fetch", func(b *testing.B) {
		o := o
		o.CacheLifetime = -1 // ask every time
		var requests int64
		for b.Loop() {
			rep, err := sess.Reconcile(context.Background(), o)
			if err != nil {
				b.Fatal(err)
			}
			check(rep)
			requests = rep.Requests
		}
		b.ReportMetric(float64(requests), "requests/op")
	})
	b.Run("cached", func(b *testing.B) {
		if _, err := sess.Reconcile(context.Background(), o); err != nil {
			b.Fatal(err)
		}
		var requests int64
		for b.Loop() {
			rep, err := sess.Reconcile(context.Background(), o)
			if err != nil {
				b.Fatal(err)
			}
			check(rep)
			requests += rep.Requests
		}
		b.ReportMetric(float64(requests), "requests/op")
	})
}
