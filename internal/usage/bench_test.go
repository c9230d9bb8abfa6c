package usage

import (
	"fmt"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
)

// seedYear writes a year of ledger (2026) for keys × models with one row
// per key, model and day, straight to the month files: recording each of
// them would take minutes.
func seedYear(tb testing.TB, f Files, keys, models int) {
	tb.Helper()
	cost := 0.001
	for m := time.January; m <= time.December; m++ {
		mon := fmt.Sprintf("2026-%02d", m)
		mo := &month{rows: map[rowKey]*row{}}
		for d := time.Date(2026, m, 1, 12, 0, 0, 0, time.UTC); d.Month() == m; d = d.AddDate(0, 0, 1) {
			for k := range keys {
				for md := range models {
					mo.add(d.Format(dayLayout), Entry{KeyID: fmt.Sprintf("key-%02d", k), Model: fmt.Sprintf("model-%d", md), Time: d,
						Usage: chat.Usage{PromptTokens: 1200, CachedPromptTokens: 300, CompletionTokens: 450}, CostUSD: &cost})
				}
			}
		}
		data, err := mo.encode(mon)
		if err != nil {
			tb.Fatal(err)
		}
		if err := f.WriteFile(monthFile(mon), data); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkRecord measures one Record into a month that already holds 10
// keys × 5 models × 31 days: lock, re-read and decrypt the month, add,
// encode, encrypt, fsync and rename.
func BenchmarkRecord(b *testing.B) {
	h := newHome(b)
	v := h.Open(b)
	seedYear(b, v.Files(), 10, 5)
	l := Open(v.Files())
	e := Entry{KeyID: "key-03", Model: "model-2", Time: at("2026-12-15T10:00:00Z"), Usage: tokens(100, 10), CostUSD: usd(0.001)}
	b.ResetTimer()
	for b.Loop() {
		if err := l.Record(e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMonthQuery measures Month for one key and for all keys on a
// ledger holding a year of 10 keys × 5 models.
func BenchmarkMonthQuery(b *testing.B) {
	h := newHome(b)
	v := h.Open(b)
	seedYear(b, v.Files(), 10, 5)
	l := Open(v.Files())
	now := at("2026-06-15T10:00:00Z")
	if got := l.Month("", now); got.Requests != 30*10*5 {
		b.Fatalf("June holds %d requests", got.Requests)
	}
	b.ResetTimer()
	for b.Loop() {
		if l.Month("key-04", now).Requests != 30*5 {
			b.Fatal("wrong month")
		}
		l.Month("", now)
	}
}

// BenchmarkOpenYear measures Open of a year of 10 keys × 5 models: twelve
// decrypts and parses.
func BenchmarkOpenYear(b *testing.B) {
	h := newHome(b)
	v := h.Open(b)
	seedYear(b, v.Files(), 10, 5)
	for b.Loop() {
		if p := Open(v.Files()).Problems(); p != nil {
			b.Fatal(p)
		}
	}
}
