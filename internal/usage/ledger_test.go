package usage

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/testkit"
	"github.com/vaultchat/vaultchat/vault"
)

// sampleEntries spans two keys, four models, three months and a year
// boundary, with a failed request, an estimated one, an unknown price and
// a time given in another zone that falls on the previous UTC day.
func sampleEntries() []Entry {
	return []Entry{
		{KeyID: "k1", Model: "gpt-4o", Time: at("2026-11-26T10:00:00Z"), Usage: chat.Usage{PromptTokens: 1000, CachedPromptTokens: 100, CompletionTokens: 200}, CostUSD: usd(0.5)},
		{KeyID: "k1", Model: "gpt-4o-mini", Time: at("2026-11-26T23:59:59Z"), Usage: tokens(500, 50), CostUSD: usd(0.25), Failed: true},
		{KeyID: "k2", Model: "gpt-4o", Time: at("2026-11-26T12:00:00Z"), Usage: chat.Usage{PromptTokens: 300, CompletionTokens: 30, Estimated: true}, CostUSD: usd(0.125)},
		{KeyID: "k1", Model: "gpt-4o", Time: at("2026-11-25T09:00:00Z"), Usage: tokens(100, 10), CostUSD: usd(0.0625)},
		{KeyID: "k1", Model: "mystery", Time: at("2026-11-27T00:00:00Z"), Usage: tokens(40, 4)},
		{KeyID: "k1", Model: "gpt-4o", Time: at("2026-12-01T08:00:00+09:00"), Usage: tokens(10, 1), CostUSD: usd(1)},
		{KeyID: "k2", Model: "o3", Time: at("2026-12-01T00:30:00Z"), Usage: chat.Usage{PromptTokens: 60, CompletionTokens: 40, ReasoningTokens: 20}, CostUSD: usd(2)},
		{KeyID: "k1", Model: "gpt-4o", Time: at("2025-12-31T23:00:00Z"), Usage: tokens(7, 3), CostUSD: usd(4)},
	}
}

func TestLedgerQueries(t *testing.T) {
	h := newHome(t)
	l := h.ledger(t)
	mustRecord(t, l, sampleEntries()...)
	checkSampleQueries(t, l)
}

// checkSampleQueries checks every query against sampleEntries, worked out
// by hand.
func checkSampleQueries(t *testing.T, l *Ledger) {
	t.Helper()
	now := at("2026-11-26T15:00:00Z")
	tests := []struct {
		name string
		got  Totals
		want Totals
	}{
		{"today k1", l.Today("k1", now), Totals{Requests: 2, Errors: 1, Usage: chat.Usage{PromptTokens: 1500, CachedPromptTokens: 100, CompletionTokens: 250}, CostUSD: 0.75, Priced: 2}},
		{"today all keys", l.Today("", now), Totals{Requests: 3, Errors: 1, Usage: chat.Usage{PromptTokens: 1800, CachedPromptTokens: 100, CompletionTokens: 280, Estimated: true}, EstimatedTokens: 330, CostUSD: 0.875, Priced: 3}},
		{"today in another zone is the UTC day", l.Today("k1", at("2026-11-27T08:00:00+09:00")), Totals{Requests: 2, Errors: 1, Usage: chat.Usage{PromptTokens: 1500, CachedPromptTokens: 100, CompletionTokens: 250}, CostUSD: 0.75, Priced: 2}},
		{"month k1", l.Month("k1", now), Totals{Requests: 5, Errors: 1, Usage: chat.Usage{PromptTokens: 1650, CachedPromptTokens: 100, CompletionTokens: 265}, CostUSD: 1.8125, Priced: 4, Unpriced: 1}},
		{"month k2", l.Month("k2", now), Totals{Requests: 1, Usage: chat.Usage{PromptTokens: 300, CompletionTokens: 30, Estimated: true}, EstimatedTokens: 330, CostUSD: 0.125, Priced: 1}},
		{"next month k2", l.Month("k2", at("2026-12-15T00:00:00Z")), Totals{Requests: 1, Usage: chat.Usage{PromptTokens: 60, CompletionTokens: 40, ReasoningTokens: 20}, CostUSD: 2, Priced: 1}},
		{"lifetime k1", l.Lifetime("k1"), Totals{Requests: 6, Errors: 1, Usage: chat.Usage{PromptTokens: 1657, CachedPromptTokens: 100, CompletionTokens: 268}, CostUSD: 5.8125, Priced: 5, Unpriced: 1}},
		{"lifetime all", l.Lifetime(""), Totals{Requests: 8, Errors: 1, Usage: chat.Usage{PromptTokens: 2017, CachedPromptTokens: 100, CompletionTokens: 338, ReasoningTokens: 20, Estimated: true}, EstimatedTokens: 330, CostUSD: 7.9375, Priced: 7, Unpriced: 1}},
		{"unknown key", l.Lifetime("k9"), Totals{}},
		{"part of a day counts the whole day", l.Totals("", at("2026-11-26T15:00:00Z"), at("2026-11-26T16:00:00Z")), l.Today("", now)},
		{"to at midnight excludes that day", l.Totals("", at("2026-11-26T00:00:00Z"), at("2026-11-27T00:00:00Z")), l.Today("", now)},
		{"open start", l.Totals("k1", time.Time{}, at("2026-01-01T00:00:00Z")), Totals{Requests: 1, Usage: tokens(7, 3), CostUSD: 4, Priced: 1}},
		{"open end", l.Totals("k2", at("2026-11-27T00:00:00Z"), time.Time{}), Totals{Requests: 1, Usage: chat.Usage{PromptTokens: 60, CompletionTokens: 40, ReasoningTokens: 20}, CostUSD: 2, Priced: 1}},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.name, tt.got, tt.want)
		}
	}

	nov, dec := at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z")
	if got := groupSummary(l.ByKey(nov, dec)); got != "k1:5:1.8125 k2:1:0.125" {
		t.Errorf("ByKey(November) = %s", got)
	}
	if got := groupSummary(l.ByModel("k1", time.Time{}, time.Time{})); got != "gpt-4o:4:5.5625 gpt-4o-mini:1:0.25 mystery:1:0" {
		t.Errorf("ByModel(k1) = %s", got)
	}
	if got := groupSummary(l.ByModel("", dec, time.Time{})); got != "o3:1:2" {
		t.Errorf("ByModel(December) = %s", got)
	}
	var days []string
	for _, d := range l.ByDay("", at("2026-11-25T00:00:00Z"), at("2026-11-28T00:00:00Z")) {
		if !d.Date.Equal(at(d.Day + "T00:00:00Z")) {
			t.Errorf("ByDay: Date %v does not match Day %s", d.Date, d.Day)
		}
		days = append(days, fmt.Sprintf("%s:%d", d.Day, d.Requests))
	}
	if got := strings.Join(days, " "); got != "2026-11-25:1 2026-11-26:3 2026-11-27:1" {
		t.Errorf("ByDay = %s", got)
	}
}

func groupSummary(gs []Group) string {
	var parts []string
	for _, g := range gs {
		parts = append(parts, fmt.Sprintf("%s:%d:%v", g.Name, g.Requests, g.CostUSD))
	}
	return strings.Join(parts, " ")
}

func TestDailyFillsGaps(t *testing.T) {
	h := newHome(t)
	l := h.ledger(t)
	mustRecord(t, l, sampleEntries()...)
	got := l.Daily("", 14, at("2026-12-01T12:00:00Z"))
	if len(got) != 14 {
		t.Fatalf("Daily returned %d days, want 14", len(got))
	}
	want := map[string]int64{"2026-11-25": 1, "2026-11-26": 3, "2026-11-27": 1, "2026-11-30": 1, "2026-12-01": 1}
	first := at("2026-11-18T00:00:00Z")
	for i, d := range got {
		wantDate := first.AddDate(0, 0, i)
		if !d.Date.Equal(wantDate) || d.Day != wantDate.Format("2006-01-02") {
			t.Errorf("day %d is %s (%v), want %v", i, d.Day, d.Date, wantDate)
		}
		if d.Requests != want[d.Day] {
			t.Errorf("%s: %d requests, want %d", d.Day, d.Requests, want[d.Day])
		}
	}
	k2 := l.Daily("k2", 3, at("2026-12-01T12:00:00Z"))
	if len(k2) != 3 || k2[2].Requests != 1 || k2[2].CostUSD != 2 || k2[0].Requests != 0 {
		t.Errorf("Daily(k2, 3) = %+v", k2)
	}
	if l.Daily("", 0, at("2026-12-01T12:00:00Z")) != nil {
		t.Error("Daily with 0 days returned days")
	}
}

func TestCostUnknownAndEstimated(t *testing.T) {
	h := newHome(t)
	l := h.ledger(t)
	now := at("2026-11-26T12:00:00Z")
	// A failed request that spent nothing has no unknown cost.
	mustRecord(t, l, Entry{KeyID: "k", Model: "mystery", Time: now, Failed: true})
	if got := l.Today("k", now); got.Unpriced != 0 || got.Requests != 1 || got.Errors != 1 {
		t.Errorf("after a free failure: %+v", got)
	}
	mustRecord(t, l, Entry{KeyID: "k", Model: "mystery", Time: now, Usage: chat.Usage{PromptTokens: 5, CompletionTokens: 6, Estimated: true}})
	got := l.Today("k", now)
	if got.Unpriced != 1 || !got.Usage.Estimated || got.EstimatedTokens != 11 {
		t.Errorf("after an estimated unknown-price request: %+v", got)
	}
	if c := got.Cost().String(); c != "—" {
		t.Errorf("cost with nothing priced = %s, want —", c)
	}
	// An entry with no model is recorded under UnknownModel.
	mustRecord(t, l, Entry{KeyID: "k", Time: now, Usage: tokens(1, 1), CostUSD: usd(0)})
	if got := groupSummary(l.ByModel("k", time.Time{}, time.Time{})); got != "mystery:2:0 unknown:1:0" {
		t.Errorf("ByModel = %s", got)
	}
}

func TestRecordDefaultsTimeToNow(t *testing.T) {
	h := newHome(t)
	l := h.ledger(t)
	l.now = func() time.Time { return at("2027-01-01T00:00:01+01:00") } // 2026-12-31 UTC
	mustRecord(t, l, Entry{KeyID: "k", Model: "m", Usage: tokens(1, 1)})
	if got := l.Today("k", at("2026-12-31T12:00:00Z")); got.Requests != 1 {
		t.Errorf("entry without a time not counted now: %+v", got)
	}
	if _, err := os.Stat(h.monthPath("2026-12")); err != nil {
		t.Errorf("month file: %v", err)
	}
}

func TestRecordRejectsBadEntries(t *testing.T) {
	l := newHome(t).ledger(t)
	for _, e := range []Entry{
		{Model: "m"},
		{KeyID: "k", Usage: chat.Usage{PromptTokens: -1}},
		{KeyID: "k", Usage: chat.Usage{ReasoningTokens: -1}},
		{KeyID: "k", CostUSD: usd(-1)},
		{KeyID: "k", CostUSD: usd(math.NaN())},
		{KeyID: "k", CostUSD: usd(math.Inf(1))},
		{KeyID: strings.Repeat("k", 300)},
	} {
		if err := l.Record(e); err == nil {
			t.Errorf("Record(%+v) succeeded", e)
		}
	}
	if got := l.Lifetime(""); got != (Totals{}) {
		t.Errorf("rejected entries were counted: %+v", got)
	}
}

func TestPersistenceRoundTrip(t *testing.T) {
	h := newHome(t)
	l := h.ledger(t)
	mustRecord(t, l, sampleEntries()...)
	// A new process: a new vault handle and a new Ledger.
	checkSampleQueries(t, h.ledger(t))

	des, err := os.ReadDir(filepath.Join(h.Dir, "usage"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
		fi, err := de.Info()
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", de.Name(), fi.Mode().Perm())
		}
		if strings.HasSuffix(de.Name(), ".age") {
			b, err := os.ReadFile(filepath.Join(h.Dir, "usage", de.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b, []byte("age-encryption.org/v1\n")) || bytes.Contains(b, []byte("gpt-4o")) {
				t.Errorf("%s is not encrypted", de.Name())
			}
		}
	}
	sort.Strings(names)
	if got := strings.Join(names, " "); got != "2025-12.age 2026-11.age 2026-12.age ledger.lock" {
		t.Errorf("usage dir holds %s", got)
	}
	fi, err := os.Stat(filepath.Join(h.Dir, "usage"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("usage dir mode %v, want 0700", fi.Mode().Perm())
	}
}

// TestDamagedLedger damages the November file in several ways. Open must
// still succeed and name the file and its class in Problems; queries
// leave November out; Record into November (from a Ledger opened before)
// keeps the entry in the journal, which queries count; and the damaged
// file must stay exactly as it was.
func TestDamagedLedger(t *testing.T) {
	writePlain := func(content string) func(t *testing.T, h testHome, v *vault.Vault) {
		return func(t *testing.T, h testHome, v *vault.Vault) {
			if err := v.Files().WriteFile("usage/2026-11.age", []byte(content)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tt := range damages(writePlain) {
		t.Run(tt.name, func(t *testing.T) {
			h := newHome(t)
			v := h.Open(t)
			l := Open(v.Files())
			mustRecord(t, l, sampleEntries()...)
			tt.damage(t, h, v)
			before := testkit.FileState(t, h.monthPath("2026-11"))

			fresh := Open(h.Open(t).Files())
			checkDamagedNovember(t, fresh, tt.cause)
			nov := at("2026-11-26T00:00:00Z")
			if got := fresh.Month("k1", nov); got.Requests != 0 {
				t.Errorf("November counted from a damaged file: %+v", got)
			}
			if got := fresh.Lifetime("k1"); got.Requests != 1 {
				t.Errorf("other months: lifetime %+v, want the request of 2025-12", got)
			}

			if err := l.Record(Entry{KeyID: "k1", Model: "gpt-4o", Time: at("2026-11-28T00:00:00Z"), Usage: tokens(1, 1)}); err != nil {
				t.Fatalf("Record into the damaged month: %v", err)
			}
			if err := l.Refresh(); !errors.Is(err, ErrUnreadable) {
				t.Errorf("Refresh: %v, want ErrUnreadable", err)
			}
			if after := testkit.FileState(t, h.monthPath("2026-11")); after != before {
				t.Fatal("the damaged file was changed")
			}
			// The Ledger keeps what it had, plus the journaled entry.
			if got := l.Month("k1", nov); got.Requests != 5+1 {
				t.Errorf("Month after a failed refresh: %+v", got)
			}
			// A new Ledger counts the journal's entry.
			again := Open(h.Open(t).Files())
			checkDamagedNovember(t, again, tt.cause)
			if got := again.Month("k1", nov); got.Requests != 1 {
				t.Errorf("journaled entry in a new Ledger: %+v", got)
			}
			// Other months still record.
			mustRecord(t, l, Entry{KeyID: "k1", Model: "gpt-4o", Time: at("2026-12-02T00:00:00Z"), Usage: tokens(1, 1)})
		})
	}
}

type damage struct {
	name   string
	damage func(t *testing.T, h testHome, v *vault.Vault)
	cause  error
}

// damages are the ways TestDamagedLedger and TestRepair break November.
func damages(writePlain func(string) func(*testing.T, testHome, *vault.Vault)) []damage {
	return []damage{
		{"flipped byte", func(t *testing.T, h testHome, v *vault.Vault) {
			b, err := os.ReadFile(h.monthPath("2026-11"))
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)-10] ^= 1
			testkit.WriteRaw(t, h.monthPath("2026-11"), b)
		}, vault.ErrCorrupted},
		{"garbage", func(t *testing.T, h testHome, v *vault.Vault) {
			testkit.WriteRaw(t, h.monthPath("2026-11"), []byte("not an age file at all\n"))
		}, vault.ErrCorrupted},
		{"empty file", func(t *testing.T, h testHome, v *vault.Vault) {
			testkit.WriteRaw(t, h.monthPath("2026-11"), nil)
		}, vault.ErrCorrupted},
		{"wrong key", func(t *testing.T, h testHome, v *vault.Vault) {
			other := testkit.NewHome(t).Open(t)
			if err := other.Files().WriteFile("usage/2026-11.age", []byte(`{"schema":1,"month":"2026-11","rows":[]}`)); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(other.Files().Dir(), "usage", "2026-11.age"))
			if err != nil {
				t.Fatal(err)
			}
			testkit.WriteRaw(t, h.monthPath("2026-11"), b)
		}, ErrUnreadable},
		{"too large", func(t *testing.T, h testHome, v *vault.Vault) {
			if err := os.Truncate(h.monthPath("2026-11"), maxMonthSize+1); err != nil {
				t.Fatal(err)
			}
		}, vault.ErrTooLarge},
		{"not json", writePlain("{"), ErrUnreadable},
		{"newer schema", writePlain(`{"schema":2,"month":"2026-11","rows":"new"}`), ErrUnsupported},
		{"wrong month", writePlain(`{"schema":1,"month":"2026-10","rows":[]}`), ErrUnreadable},
		{"row in another month", writePlain(`{"schema":1,"month":"2026-11","rows":[{"key":"k","day":"2026-12-01","model":"m","requests":1}]}`), ErrUnreadable},
		{"negative count", writePlain(`{"schema":1,"month":"2026-11","rows":[{"key":"k","day":"2026-11-01","model":"m","requests":-1}]}`), ErrUnreadable},
		{"duplicate row", writePlain(`{"schema":1,"month":"2026-11","rows":[{"key":"k","day":"2026-11-01","model":"m","requests":1},{"key":"k","day":"2026-11-01","model":"m","requests":1}]}`), ErrUnreadable},
	}
}

func checkDamagedNovember(t *testing.T, l *Ledger, cause error) {
	t.Helper()
	p := l.Problems()
	if len(p) != 1 || p[0].File != "usage/2026-11.age" || !errors.Is(p[0].Err, ErrUnreadable) || !errors.Is(p[0].Err, cause) {
		t.Fatalf("Problems = %v, want usage/2026-11.age with ErrUnreadable and %v", p, cause)
	}
}

func TestRefreshSeesOtherWriters(t *testing.T) {
	h := newHome(t)
	a, b := h.ledger(t), h.ledger(t)
	now := at("2026-11-26T12:00:00Z")
	mustRecord(t, b, Entry{KeyID: "k", Model: "m", Time: now, Usage: tokens(10, 1), CostUSD: usd(1)})
	mustRecord(t, b, Entry{KeyID: "k", Model: "m", Time: at("2026-10-01T00:00:00Z"), Usage: tokens(10, 1), CostUSD: usd(1)})
	if got := a.Lifetime("k"); got.Requests != 0 {
		t.Fatalf("a saw b's records before Refresh: %+v", got)
	}
	// Recording into a month re-reads it: b's November record is kept.
	mustRecord(t, a, Entry{KeyID: "k", Model: "m", Time: now, Usage: tokens(10, 1), CostUSD: usd(1)})
	if got := a.Today("k", now); got.Requests != 2 || got.CostUSD != 2 {
		t.Errorf("a's November after recording: %+v", got)
	}
	if err := a.Refresh(); err != nil {
		t.Fatal(err)
	}
	if got := a.Lifetime("k"); got.Requests != 3 {
		t.Errorf("a after Refresh: %+v", got)
	}
	if got := b.Today("k", now); got.Requests != 1 {
		t.Errorf("b without Refresh: %+v", got)
	}
	if err := b.Refresh(); err != nil {
		t.Fatal(err)
	}
	if got := b.Lifetime("k"); got.Requests != 3 {
		t.Errorf("b after Refresh: %+v", got)
	}
	// A month file removed by hand disappears on Refresh.
	if err := os.Remove(h.monthPath("2026-10")); err != nil {
		t.Fatal(err)
	}
	if err := b.Refresh(); err != nil {
		t.Fatal(err)
	}
	if got := b.Lifetime("k"); got.Requests != 2 {
		t.Errorf("b after removing October: %+v", got)
	}
}

func TestOpenEmptyHome(t *testing.T) {
	l := newHome(t).ledger(t)
	if got := l.Lifetime(""); got != (Totals{}) {
		t.Errorf("empty ledger: %+v", got)
	}
	if got := l.ByKey(time.Time{}, time.Time{}); len(got) != 0 {
		t.Errorf("ByKey on an empty ledger: %+v", got)
	}
}

func TestOpenRemovesStaleTempFiles(t *testing.T) {
	h := newHome(t)
	mustRecord(t, h.ledger(t), sampleEntries()...)
	stale := filepath.Join(h.Dir, "usage", ".2026-11.age987654321")
	if err := os.WriteFile(stale, []byte("age-encryption.org/v1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	checkSampleQueries(t, h.ledger(t))
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temp file still there: %v", err)
	}
}

// TestTotalsCost is the ledger's side of the display rule chat.Totals.Cost
// also follows: a sum that leaves out unpriced requests is a lower bound,
// and "—" only when nothing had a price.
func TestTotalsCost(t *testing.T) {
	tests := []struct {
		t    Totals
		want string
	}{
		{Totals{}, "$0.00"},
		{Totals{CostUSD: 0.0033, Priced: 1}, "$0.0033"},
		{Totals{CostUSD: 0.0033, Priced: 1, Unpriced: 3}, "$0.0033+"},
		{Totals{CostUSD: 0.0064, Priced: 2, Unpriced: 1, Usage: chat.Usage{Estimated: true}}, "~$0.0064+"},
		{Totals{Unpriced: 2}, "—"},
		// Written before Priced was counted: the sum shows it was priced.
		{Totals{CostUSD: 0.5, Unpriced: 1}, "$0.5000+"},
		{Totals{Priced: 1, Unpriced: 1}, "$0.00+"},
	}
	for _, tt := range tests {
		if got := tt.t.Cost().String(); got != tt.want {
			t.Errorf("%+v: cost %s, want %s", tt.t, got, tt.want)
		}
	}
}

// TestTurnFailedLeavesOutTheUsersStop: a turn the user stopped is a
// request, not an error, whether it was stored with its canceled error
// (before) or without (now); every other error is one.
func TestTurnFailedLeavesOutTheUsersStop(t *testing.T) {
	for _, c := range []struct {
		turn *chat.Turn
		want bool
	}{
		{nil, false},
		{&chat.Turn{}, false},
		{&chat.Turn{Incomplete: true, IncompleteReason: "canceled"}, false},
		{&chat.Turn{Incomplete: true, IncompleteReason: "canceled", Error: &chat.Error{Class: chat.ErrCanceled}}, false},
		{&chat.Turn{Incomplete: true, Error: &chat.Error{Class: chat.ErrNetwork}}, true},
		{&chat.Turn{Error: &chat.Error{Class: chat.ErrInvalidKey}}, true},
	} {
		if got := TurnFailed(c.turn); got != c.want {
			t.Errorf("TurnFailed(%+v) = %v, want %v", c.turn, got, c.want)
		}
	}
}
