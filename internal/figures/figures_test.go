package figures

import (
	"encoding/json"
	"testing"
)

func TestTokens(t *testing.T) {
	tests := []struct {
		n    int64
		est  bool
		want string
	}{
		{0, false, "0"},
		{950, false, "950"},
		{999, true, "~999"},
		{1000, false, "1.0k"},
		{1234, false, "1.2k"},
		{12_345, false, "12.3k"},
		{99_949, false, "99.9k"},
		{99_950, false, "100k"},
		{123_456, false, "123k"},
		{999_499, false, "999k"},
		{999_500, false, "1.0M"},
		{1_200_000, true, "~1.2M"},
		{45_600_000, false, "45.6M"},
		{7_000_000_000, false, "7.0B"},
		{-1500, false, "-1.5k"},
	}
	for _, tt := range tests {
		if got := Tokens(tt.n, tt.est); got != tt.want {
			t.Errorf("Tokens(%d, %v) = %q, want %q", tt.n, tt.est, got, tt.want)
		}
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestUSD(t *testing.T) {
	for v, want := range map[float64]string{
		0: "$0.00", 0.0123: "$0.0123", 1.2: "$1.20", 0.00001: "<$0.0001", 0.00005: "$0.0001",
		0.99994: "$0.9999", 0.99996: "$1.00", 1234.567: "$1234.57", -0.5: "-$0.5000",
	} {
		if got := USD(v); got != want {
			t.Errorf("USD(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestCost(t *testing.T) {
	tests := []struct {
		c    Cost
		want string
	}{
		{Cost{USD: 0.0123}, "$0.0123"},
		{Cost{USD: 1.2, Estimated: true}, "~$1.20"},
		{Cost{USD: 0.0033, LowerBound: true}, "$0.0033+"},
		{Cost{USD: 0.0064, LowerBound: true, Estimated: true}, "~$0.0064+"},
		{Cost{}, "$0.00"},
		{Cost{Unknown: true}, "—"},
		{Cost{Unknown: true, Estimated: true}, "—"},
		{Cost{USD: 0.00004, Estimated: true}, "~<$0.0001"},
		// Nothing is estimated about zero: a free key's turns cost
		// exactly $0 whatever the token count.
		{Cost{Estimated: true}, "$0.00"},
		{Cost{LowerBound: true, Estimated: true}, "$0.00+"},
	}
	for _, tt := range tests {
		if got := tt.c.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.c, got, tt.want)
		}
	}
}

// TestJSONRounding is the rule for money in JSON output: a billionth of a
// dollar, and null when nothing had a price.
func TestJSONRounding(t *testing.T) {
	b, err := json.Marshal(map[string]*float64{
		"noise":   Cost{USD: 0.0000025499999999999997}.JSON(),
		"sum":     Cost{USD: 0.1 + 0.2, LowerBound: true}.JSON(),
		"unknown": Cost{Unknown: true}.JSON(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"noise":0.00000255,"sum":0.3,"unknown":null}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
	if got := USDNumber(0.00634); got != "0.00634" {
		t.Errorf("USDNumber = %q", got)
	}
}

func TestBudgetUSD(t *testing.T) {
	for v, want := range map[float64]string{1: "$1.00", 0.3: "$0.30", 25.5: "$25.50", 0.0001: "$0.0001", 0.005: "$0.0050", 0.015: "$0.0150"} {
		if got := BudgetUSD(v); got != want {
			t.Errorf("BudgetUSD(%v) = %q; want %q", v, got, want)
		}
	}
}
