package cli

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// usageJSON is the output of "usage --json".
type usageJSON struct {
	Since string     `json:"since"`
	By    string     `json:"by"`
	Rows  []usageRow `json:"rows"`
	Total usageRow   `json:"total"`
}

func (e *env) usage(args ...string) usageJSON {
	e.t.Helper()
	res := e.mustRun(tty{}, append([]string{"usage", "--json"}, args...)...)
	var u usageJSON
	if err := json.Unmarshal([]byte(res.stdout), &u); err != nil {
		e.t.Fatalf("usage --json: %v\n%s", err, res.stdout)
	}
	return u
}

// spent sums what a list of asks reported.
type spent struct {
	requests, errors int64
	usage            chat.Usage
	cost             float64
	// unpriced is set when some tokens were spent on a model without a
	// price: the cost is then unknown, or a lower bound.
	unpriced bool
}

func (s *spent) add(r askResult) {
	s.requests++
	if r.Error != nil {
		s.errors++
	}
	s.usage = s.usage.Add(r.Usage)
	if r.CostUSD != nil {
		s.cost += *r.CostUSD
	} else if r.Usage.Total() > 0 {
		s.unpriced = true
	}
}

func (s spent) plus(o spent) spent {
	return spent{s.requests + o.requests, s.errors + o.errors, s.usage.Add(o.usage), s.cost + o.cost, s.unpriced || o.unpriced}
}

// check fails unless row holds exactly what s spent.
func (s spent) check(t *testing.T, row usageRow) {
	t.Helper()
	if row.Requests != s.requests || row.Errors != s.errors ||
		row.PromptTokens != s.usage.PromptTokens || row.CachedTokens != s.usage.CachedPromptTokens ||
		row.CompletionTokens != s.usage.CompletionTokens {
		t.Errorf("row %s: %+v; want %d requests, %d errors, usage %+v", row.Group, row, s.requests, s.errors, s.usage)
	}
	switch {
	case s.unpriced && s.cost == 0:
		if row.CostUSD != nil {
			t.Errorf("row %s: cost %v; want none (no price for the model)", row.Group, *row.CostUSD)
		}
	case row.CostUSD == nil || math.Abs(*row.CostUSD-s.cost) > 1e-9 || row.CostIsLowerBound != s.unpriced:
		t.Errorf("row %s: cost %v (lower bound %t); want %v (lower bound %t)", row.Group, row.CostUSD, row.CostIsLowerBound, s.cost, s.unpriced)
	}
}

func TestUsage(t *testing.T) {
	_, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.writeConfig("max_retries = 0\n")
	e.addSimKey("work", url, "--model", "gpt-4o-mini")
	// The simulator answers any gpt-* model; this one has no price.
	e.addSimKey("lab", url, "--model", "gpt-lab-local")

	res := e.run(tty{}, "usage")
	wantCode(t, res, 0)
	wantContains(t, "stderr", res.stderr, "no usage since")
	if u := e.usage(); len(u.Rows) != 0 || u.Total.Requests != 0 {
		t.Errorf("usage of a new vault: %+v", u)
	}

	var work, lab, fast, mini, local spent
	for _, prompt := range []string{"one", "two"} {
		r := e.askJSON(tty{}, "--key", "work", prompt)
		work.add(r)
		mini.add(r)
	}
	r := e.askJSON(tty{}, "--key", "work", "--model", "sim-fast", "three")
	work.add(r)
	fast.add(r)
	r = e.askJSON(tty{}, "--key", "lab", "four")
	lab.add(r)
	local.add(r)
	r = e.askJSON(tty{}, "--key", "lab", "--continue", "five")
	lab.add(r)
	local.add(r)
	// A failed request counts as a request and an error.
	res = e.run(tty{}, "ask", "--json", "--key", "lab", "--model", "sim-500", "six")
	wantCode(t, res, 1)
	var failed askResult
	if err := json.Unmarshal([]byte(res.stdout), &failed); err != nil || failed.Error == nil {
		t.Fatalf("failed ask --json: %v\n%s", err, res.stdout)
	}
	lab.add(failed)
	var errs spent
	errs.add(failed)
	all := work.plus(lab)

	byKey := e.usage()
	if byKey.By != "key" || len(byKey.Rows) != 2 || byKey.Rows[0].Group != "lab" && byKey.Rows[1].Group != "lab" {
		t.Fatalf("usage by key: %+v", byKey)
	}
	for _, row := range byKey.Rows {
		switch row.Group {
		case "work":
			work.check(t, row)
		case "lab":
			lab.check(t, row)
		default:
			t.Errorf("unexpected row %q", row.Group)
		}
	}
	all.check(t, byKey.Total)
	if !byKey.Total.CostIsLowerBound {
		t.Error("the total leaves out sim-fast's unknown price but does not say so")
	}
	if want := time.Now().UTC().Format("2006-01") + "-01"; byKey.Since != want {
		t.Errorf("since %s; want the first of this month, %s", byKey.Since, want)
	}

	byModel := e.usage("--by", "model")
	if len(byModel.Rows) != 4 {
		t.Fatalf("usage by model: %+v", byModel.Rows)
	}
	for _, row := range byModel.Rows {
		switch row.Group {
		case "gpt-4o-mini":
			mini.check(t, row)
		case "sim-fast":
			fast.check(t, row)
		case "gpt-lab-local":
			local.check(t, row)
		case "sim-500":
			errs.check(t, row)
		default:
			t.Errorf("unexpected row %q", row.Group)
		}
	}
	all.check(t, byModel.Total)

	byDay := e.usage("--by", "day")
	today := time.Now().UTC().Format("2006-01-02")
	if len(byDay.Rows) != 1 || byDay.Rows[0].Group != today {
		t.Fatalf("usage by day: %+v; want one row for %s", byDay.Rows, today)
	}
	all.check(t, byDay.Rows[0])

	onlyWork := e.usage("--key", "work", "--by", "model")
	if len(onlyWork.Rows) != 2 {
		t.Errorf("work's models: %+v", onlyWork.Rows)
	}
	work.check(t, onlyWork.Total)
	lab.check(t, e.usage("--key", "lab").Total)

	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format("2006-01-02")
	all.check(t, e.usage("--since", yesterday).Total)
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02")
	// A day after today (UTC, as the ledger counts) is a mistake, not
	// an empty report.
	wantCode(t, e.run(tty{}, "usage", "--json", "--since", tomorrow), ExitUsage)

	// The table shows the same rows.
	res = e.mustRun(tty{}, "usage")
	lines := strings.Split(strings.TrimRight(res.stdout, "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("table has %d lines; want a header, two keys and the total:\n%s", len(lines), res.stdout)
	}
	if f := strings.Fields(lines[0]); !strings.HasPrefix(lines[0], "KEY ") || strings.Join(f, " ") != "KEY REQUESTS ERRORS PROMPT CACHED COMPLETION COST" {
		t.Errorf("header %q", lines[0])
	}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		switch f[0] {
		case "lab":
			if f[1] != "3" || f[2] != "1" || f[6] != "—" {
				t.Errorf("lab row %q; want 3 requests, 1 error, no cost", l)
			}
		case "work":
			if f[1] != "3" || f[2] != "0" || !strings.HasPrefix(f[6], "$") {
				t.Errorf("work row %q; want 3 requests, 0 errors and a cost", l)
			}
		case "total":
			if f[1] != "6" || !strings.HasSuffix(f[6], "+") {
				t.Errorf("total row %q; want 6 requests and a lower-bound cost", l)
			}
		default:
			t.Errorf("unexpected row %q", l)
		}
	}
	wantContains(t, "stderr", res.stderr, "without a known price")
	golden(t, "usage_by_key.golden", res.stdout)
	golden(t, "usage_by_model.golden", e.mustRun(tty{}, "usage", "--by", "model").stdout)

	for _, args := range [][]string{
		{"usage", "--since", "last week"},
		{"usage", "--since", "2026-13-01"},
		{"usage", "--by", "week"},
	} {
		res := e.run(tty{}, args...)
		wantCode(t, res, 2)
		if !strings.HasPrefix(res.stderr, "vaultchat: error: ") {
			t.Errorf("%v: stderr %q", args, res.stderr)
		}
	}
	res = e.run(tty{}, "usage", "--key", "nope")
	wantCode(t, res, 1)
}

// TestUsageFreeKeyCostIsExact: a free key's turns cost exactly $0 even
// when their tokens are estimated (a server that reports no usage), so
// usage shows "$0.00", not "~$0.00"; the tokens keep their "~".
func TestUsageFreeKeyCostIsExact(t *testing.T) {
	_, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.addSimKey("loc", url, "--price-free", "--model", sim.FaultNoUsage)
	e.mustRun(tty{}, "ask", "--key", "loc", "hello")
	res := e.mustRun(tty{}, "usage", "--by", "key")
	wantContains(t, "usage", res.stdout, "loc", "~", "$0.00")
	if strings.Contains(res.stdout, "~$0.00") {
		t.Fatalf("a free key's cost is marked estimated:\n%s", res.stdout)
	}
}
