package usage

import (
	"math"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/chat"
)

func TestDefaultPricesTable(t *testing.T) {
	p := DefaultPrices()
	if _, err := time.Parse("2006-01-02", p.Taken()); err != nil {
		t.Errorf("Taken() = %q: %v", p.Taken(), err)
	}
	want := map[string]Price{
		"gpt-4o":       {2.50, 1.25, 10.00},
		"gpt-4o-mini":  {0.15, 0.075, 0.60},
		"gpt-4.1":      {2.00, 0.50, 8.00},
		"gpt-4.1-mini": {0.40, 0.10, 1.60},
		"gpt-4.1-nano": {0.10, 0.025, 0.40},
		"o3":           {2.00, 0.50, 8.00},
		"o4-mini":      {1.10, 0.275, 4.40},
		"o1":           {15, 7.5, 60},
		"gpt-5":        {1.25, 0.125, 10},
		"gpt-5-mini":   {0.25, 0.025, 2},
		"gpt-5-nano":   {0.05, 0.005, 0.40},
		// The presets' common models (taken 2026-12-03).
		"claude-opus-5-5":              {4, 0.20, 20},
		"claude-opus-5":                {5, 0.50, 25},
		"claude-sonnet-5-5":            {2, 0.10, 10},
		"claude-sonnet-5":              {2, 0.20, 10},
		"claude-haiku-5-5":             {0.10, 0.01, 0.50},
		"claude-opus-4-5":              {5, 0.50, 25},
		"claude-opus-4-1":              {15, 1.50, 75},
		"claude-sonnet-4-5":            {3, 0.30, 15},
		"claude-haiku-4-5":             {1, 0.10, 5},
		"gemini-2.5-pro":               {1.25, 0, 10},
		"gemini-2.5-flash":             {0.30, 0, 2.50},
		"gemini-2.5-flash-lite":        {0.10, 0, 0.40},
		"grok-4.20":                    {1.25, 0.20, 2.50},
		"grok-4.20-0309-reasoning":     {1.25, 0.20, 2.50},
		"grok-4.20-0309-non-reasoning": {1.25, 0.20, 2.50},
		"grok-4-1-fast-reasoning":      {0.20, 0.05, 0.50},
		"grok-4-1-fast-non-reasoning":  {0.20, 0.05, 0.50},
		"grok-3-mini":                  {0.30, 0.075, 0.50},
		"deepseek-v4-flash":            {0.30, 0.006, 1.20},
		"deepseek-v4-pro":              {1.32, 0.044, 3.96},
		"llama-3.3-70b-versatile":      {0.59, 0, 0.79},
		"llama-3.1-8b-instant":         {0.05, 0, 0.08},
	}
	for model, w := range want {
		got, ok := p.Lookup(model)
		if !ok || got != w {
			t.Errorf("Lookup(%q) = %+v, %v; want %+v", model, got, ok, w)
		}
	}
	for _, sim := range []string{"sim-fast", "sim-smart"} {
		pr, ok := p.Lookup(sim)
		if !ok || pr.Input <= 0 || pr.Output <= 0 {
			t.Errorf("simulator model %s has no price: %+v", sim, pr)
		}
	}
	if len(p.Models()) != len(want)+2 {
		t.Errorf("Models() = %v", p.Models())
	}
}

func TestCost(t *testing.T) {
	p := DefaultPrices()
	tests := []struct {
		model string
		u     chat.Usage
		want  float64
	}{
		// 800 uncached × 2.50 + 200 cached × 1.25 + 500 × 10.00, per million.
		{"gpt-4o", chat.Usage{PromptTokens: 1000, CachedPromptTokens: 200, CompletionTokens: 500}, 0.00725},
		{"gpt-4o-mini", chat.Usage{PromptTokens: 1_000_000, CompletionTokens: 1_000_000}, 0.75},
		// Reasoning tokens are already inside completion tokens.
		{"o3", chat.Usage{PromptTokens: 2000, CompletionTokens: 3000, ReasoningTokens: 2500}, 0.028},
		{"gpt-5-mini", chat.Usage{PromptTokens: 10_000, CachedPromptTokens: 10_000, CompletionTokens: 100}, 0.00045},
		// More cached than prompt tokens (a confused server): capped.
		{"gpt-5", chat.Usage{PromptTokens: 100, CachedPromptTokens: 500}, 0.0000125},
		{"o1", chat.Usage{}, 0},
		{"GPT-4.1-NANO", chat.Usage{PromptTokens: 1_000_000, CachedPromptTokens: 1_000_000, CompletionTokens: 1_000_000}, 0.425},
	}
	for _, tt := range tests {
		got, known := p.Cost(tt.model, tt.u)
		if !known || math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("Cost(%s, %+v) = %v, %v; want %v", tt.model, tt.u, got, known, tt.want)
		}
	}
}

func TestLookupVariants(t *testing.T) {
	p := DefaultPrices()
	tests := []struct {
		model string
		as    string // "" for unknown
	}{
		{"gpt-4o-2024-08-06", "gpt-4o"},
		{"gpt-4o-mini-2024-07-18", "gpt-4o-mini"},
		{"gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"},
		{"o3-2025-04-16", "o3"},
		{"o4-mini-2025-04-16", "o4-mini"},
		{"gpt-5-nano-2025-08-07", "gpt-5-nano"},
		{"claude-sonnet-4-5-20250929", "claude-sonnet-4-5"},
		{"claude-sonnet-5-5", "claude-sonnet-5-5"}, // listed: not Sonnet 5 with a "-5" version
		{"GROK-4-1-Fast-Reasoning", "grok-4-1-fast-reasoning"},
		{"grok-4.20-0309", "grok-4.20"}, // xAI's alias of grok-4.20-0309-reasoning
		{"grok-4-0709", ""},             // no confirmed price: unknown, not guessed
		{"mistral-medium-latest", ""},   // a moving alias whose price changed
		{"claude-opus-4", ""},
		{" GPT-4o ", "gpt-4o"},
		{"o1-pro", ""},
		{"o1-pro-2025-03-19", ""},
		{"gpt-4o-audio-preview", ""},
		{"gpt-4o-mini-realtime-preview-2024-12-17", ""},
		{"gpt-4", ""},
		{"gpt-4o-", ""},
		{"gpt-4omni", ""},
		{"openai/gpt-4o", ""},
		{"llama3", ""},
		{"", ""},
		{"sim-429", ""},
	}
	for _, tt := range tests {
		got, ok := p.Lookup(tt.model)
		if tt.as == "" {
			if ok {
				t.Errorf("Lookup(%q) = %+v, want unknown", tt.model, got)
			}
			if _, known := p.Cost(tt.model, chat.Usage{PromptTokens: 5}); known {
				t.Errorf("Cost(%q) known", tt.model)
			}
			continue
		}
		want, _ := p.Lookup(tt.as)
		if !ok || got != want {
			t.Errorf("Lookup(%q) = %+v, %v; want %s's %+v", tt.model, got, ok, tt.as, want)
		}
	}
}

func TestWithOverrides(t *testing.T) {
	base := DefaultPrices()
	p := base.WithOverrides(map[string]Price{
		"GPT-4o":      {Input: 1, CachedInput: 0.5, Output: 2}, // replaces
		"llama3":      {},                                      // a free local model
		"my-model":    {Input: 3, Output: 6},                   // no cache discount
		"bad":         {Input: -1},
		"nan":         {Output: math.NaN()},
		"huge":        {Output: 1e308},
		"inf":         {Input: math.Inf(1)},
		"  ":          {Input: 1},
		"gpt-4o-mini": {Input: 0.2, CachedInput: 0.1, Output: 0.8},
	})
	tests := []struct {
		model string
		u     chat.Usage
		want  float64
		known bool
	}{
		{"gpt-4o", chat.Usage{PromptTokens: 1_000_000, CachedPromptTokens: 500_000, CompletionTokens: 1_000_000}, 0.5 + 0.25 + 2, true},
		{"gpt-4o-2024-08-06", chat.Usage{CompletionTokens: 1_000_000}, 2, true},
		{"gpt-4o-mini-2024-07-18", chat.Usage{PromptTokens: 1_000_000}, 0.2, true},
		{"llama3", chat.Usage{PromptTokens: 1000, CompletionTokens: 1000}, 0, true},
		{"my-model", chat.Usage{PromptTokens: 1_000_000, CachedPromptTokens: 1_000_000}, 3, true},
		{"bad", chat.Usage{PromptTokens: 1}, 0, false},
		{"nan", chat.Usage{PromptTokens: 1}, 0, false},
		{"huge", chat.Usage{CompletionTokens: 1}, 0, false},
		{"inf", chat.Usage{PromptTokens: 1}, 0, false},
		{"o3", chat.Usage{PromptTokens: 1_000_000}, 2, true},
	}
	for _, tt := range tests {
		got, known := p.Cost(tt.model, tt.u)
		if known != tt.known || math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("Cost(%s) = %v, %v; want %v, %v", tt.model, got, known, tt.want, tt.known)
		}
	}
	// The shipped table is untouched.
	if got, _ := base.Cost("gpt-4o", chat.Usage{CompletionTokens: 1_000_000}); got != 10 {
		t.Errorf("overrides changed the default table: gpt-4o output costs %v", got)
	}
	if _, known := base.Cost("llama3", chat.Usage{PromptTokens: 1}); known {
		t.Error("overrides added to the default table")
	}
	if p.Taken() != base.Taken() {
		t.Error("Taken changed")
	}
}

func TestPriceValidate(t *testing.T) {
	for _, p := range []Price{{Input: -0.1}, {CachedInput: math.Inf(1)}, {Output: math.NaN()}, {Output: 1e308}, {Input: 10_000.5}} {
		if p.Validate("m") == nil {
			t.Errorf("Validate(%+v) = nil", p)
		}
	}
	if err := (Price{1, 0.5, 2}).Validate("m"); err != nil {
		t.Error(err)
	}
}

func TestParsePricesRejectsBadFiles(t *testing.T) {
	for _, s := range []string{
		`{`,
		`{"taken":"","models":{"a":{"input":1}}}`,
		`{"taken":"2026-11-26","models":{}}`,
		`{"taken":"2026-11-26","models":{"a":{"input":-1}}}`,
		`{"taken":"2026-11-26","models":{"a":{"output":1e308}}}`,
	} {
		if _, err := parsePrices([]byte(s)); err == nil {
			t.Errorf("parsePrices(%s) succeeded", s)
		}
	}
}

// TestKeyPrice is the one rule for a key's turn: local kinds and keys
// marked --price-free cost 0 (known), whatever the model; any other key
// takes the model's price, or none.
func TestKeyPrice(t *testing.T) {
	p := DefaultPrices()
	u := chat.Usage{PromptTokens: 1000, CompletionTokens: 1000}
	for _, c := range []struct {
		provider string
		free     bool
		model    string
		known    bool
		zero     bool
	}{
		{"ollama", false, "llama3.2", true, true},
		{"lmstudio", false, "qwen2.5-7b-instruct", true, true},
		{"vllm", false, "gpt-4o", true, true}, // a local model named like a paid one is still free
		{"openai-compatible", true, "my-model", true, true},
		{"openai", true, "gpt-4o", true, true},
		{"openai-compatible", false, "my-model", false, true},
		{"openai", false, "gpt-4o", true, false},
		{"groq", false, "llama-3.3-70b-versatile", true, false},
		{"no-such-kind", false, "gpt-4o", true, false},
	} {
		cost, known := p.KeyCost(c.provider, c.free, c.model, u)
		if known != c.known || (cost == 0) != c.zero {
			t.Errorf("KeyCost(%s, free=%v, %s) = %v, %v; want known %v, zero %v", c.provider, c.free, c.model, cost, known, c.known, c.zero)
		}
	}
}
