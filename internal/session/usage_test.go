package session

import (
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/models"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/view"
	"github.com/vaultchat/vaultchat/vault"
)

func TestUsageAcrossTwoKeys(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	work := f.addKey("work", "sim-fast", func(k *vault.Key) { k.Budget = vault.Budget{MonthlyUSD: 5, Hard: true} })
	home := f.addKey("home", "sim-smart", nil)
	plain := f.addKey("plain", "", nil)
	f.unlock()

	c := f.create("be brief")
	other := f.create("")
	var turns []chat.Done
	for _, req := range []view.SendRequest{
		{ConversationID: c.ID, Prompt: "one", KeyID: work.ID},
		{ConversationID: c.ID, Prompt: "two", KeyID: home.ID},
		{ConversationID: c.ID, Prompt: "three", KeyID: work.ID},
		{ConversationID: other.ID, Prompt: "elsewhere", KeyID: work.ID},
	} {
		turns = append(turns, mustDone(t, lastOf(f.turn(req))))
	}
	sum := func(idx ...int) view.Total {
		var tot view.Total
		for _, i := range idx {
			tot.Tokens += turns[i].Usage.Total()
			tot.Cost.USD += *turns[i].Message.Turn.CostUSD
		}
		return tot
	}
	same := func(what string, got, want view.Total) {
		t.Helper()
		if got.Tokens != want.Tokens || !near(got.Cost.USD, want.Cost.USD) || got.Cost.Unknown != want.Cost.Unknown || got.Estimated || got.Tokens == 0 {
			t.Errorf("%s = %+v, want %+v", what, got, want)
		}
	}

	uv := f.sess.Usage(work.ID, c.ID)
	f.assertNoSecret("Usage", uv)
	same("conversation (both keys)", uv.Conversation, sum(0, 1, 2))
	same("work today", uv.Today, sum(0, 2, 3))
	same("work month", uv.Month, sum(0, 2, 3))
	same("work lifetime", uv.Lifetime, sum(0, 2, 3))
	homeView := f.sess.Usage(home.ID, c.ID)
	same("home today", homeView.Today, sum(1))
	same("home lifetime", homeView.Lifetime, sum(1))
	same("other conversation", f.sess.Usage(work.ID, other.ID).Conversation, sum(3))

	if len(uv.Budgets) != 1 || uv.Budgets[0].Limit != 5 || !uv.Budgets[0].USD || !uv.Budgets[0].Hard || !near(uv.Budgets[0].Spent, sum(0, 2, 3).Cost.USD) {
		t.Errorf("work budgets = %+v", uv.Budgets)
	}
	if len(homeView.Budgets) != 0 {
		t.Errorf("home has no budget, shows %+v", homeView.Budgets)
	}

	rl := uv.RateLimits
	if !rl.Known() || rl.LimitRequests != 60 || rl.RemainingRequests >= rl.LimitRequests || rl.LimitTokens == 0 {
		t.Errorf("rate limits = %+v", rl)
	}
	if !homeView.RateLimits.Known() {
		t.Error("no rate limits for home after its turn")
	}
	if v := f.sess.Usage(plain.ID, ""); v.RateLimits.Known() {
		t.Errorf("rate limits for a key never used = %+v", v.RateLimits)
	}

	window, _ := models.ContextWindow("sim-fast")
	if window != 8192 || uv.ContextWindow != window {
		t.Errorf("context window = %d, want %d", uv.ContextWindow, window)
	}
	if uv.ContextUsed <= 0 || uv.ContextUsed >= window || !uv.ContextEstimated {
		t.Errorf("context used = %d (estimated %t)", uv.ContextUsed, uv.ContextEstimated)
	}
	mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "four", KeyID: work.ID})))
	if after := f.sess.Usage(work.ID, c.ID).ContextUsed; after <= uv.ContextUsed {
		t.Errorf("context used did not grow with a turn: %d → %d", uv.ContextUsed, after)
	}

	// Before the first message: the key's default model, or none.
	if v := f.sess.Usage(home.ID, ""); v.ContextWindow != 8192 || v.Conversation != (view.Total{}) || v.ContextUsed != 0 {
		t.Errorf("Usage(home, no conversation) = %+v", v)
	}
	if v := f.sess.Usage(plain.ID, ""); v.ContextWindow != 0 {
		t.Errorf("a key without a default model shows window %d, want none (no model is chosen)", v.ContextWindow)
	}

	checkDaily(t, uv.Daily, time.Now(), uv.Today.Tokens)
}

// checkDaily checks the chart series: 14 consecutive UTC days ending with
// now's, usage on the last day only.
func checkDaily(t *testing.T, daily []view.Day, now time.Time, today int64) {
	t.Helper()
	if len(daily) != 14 {
		t.Fatalf("Daily has %d entries, want 14", len(daily))
	}
	u := now.UTC()
	midnight := time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
	for i, d := range daily {
		want := midnight.AddDate(0, 0, i-13)
		if !d.Day.Equal(want) {
			t.Fatalf("Daily[%d] is %v, want %v", i, d.Day, want)
		}
		if i < 13 && d.Tokens != 0 {
			t.Errorf("Daily[%d] = %+v, want nothing before today", i, d)
		}
	}
	if daily[13].Tokens != today || today == 0 {
		t.Errorf("today's bar = %d tokens, want %d", daily[13].Tokens, today)
	}
}

// TestUsageFollowsTheAppClock freezes the app's clock in the past: what a
// turn records must show up on that day, in the month and in the chart.
func TestUsageFollowsTheAppClock(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	cfg := f.config()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	cfg.Now = func() time.Time { return now }
	f.sess = New(cfg)
	work := f.addKey("work", "sim-fast", nil)
	f.unlock()
	c := f.create("")
	d := mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "hi", KeyID: work.ID})))
	uv := f.sess.Usage(work.ID, c.ID)
	if uv.Today.Tokens != d.Usage.Total() || uv.Month.Tokens != d.Usage.Total() {
		t.Fatalf("today %d, month %d, want %d: the turn was recorded on another clock", uv.Today.Tokens, uv.Month.Tokens, d.Usage.Total())
	}
	checkDaily(t, uv.Daily, now, d.Usage.Total())
	if keys := f.sess.Keys(); keys[0].Month.Tokens != d.Usage.Total() || !keys[0].LastUsed.Equal(now) {
		t.Fatalf("Keys = %+v", keys)
	}
}

func TestUsageOfUnknownKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	work := f.addKey("work", "sim-fast", nil)
	f.unlock()
	c := f.create("")
	mustDone(t, lastOf(f.turn(view.SendRequest{ConversationID: c.ID, Prompt: "hi", KeyID: work.ID})))
	v := f.sess.Usage("k_deleted", c.ID)
	if v.Today.Tokens != 0 || v.Lifetime.Tokens != 0 || len(v.Budgets) != 0 || v.RateLimits.Known() {
		t.Fatalf("Usage of an unknown key = %+v", v)
	}
	if v.Conversation.Tokens == 0 || len(v.Daily) != 14 {
		t.Fatalf("the conversation's totals and the chart still belong in the view: %+v", v)
	}
	// By name, as a CLI flag would give it.
	if v := f.sess.Usage("work", c.ID); v.Today.Tokens == 0 || !v.RateLimits.Known() {
		t.Fatalf("Usage by key name = %+v", v)
	}
}
