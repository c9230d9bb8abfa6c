package usage

import "testing"

func TestFormatTokens(t *testing.T) {
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
		if got := FormatTokens(tt.n, tt.est); got != tt.want {
			t.Errorf("FormatTokens(%d, %v) = %q, want %q", tt.n, tt.est, got, tt.want)
		}
	}
}

func TestFormatUSD(t *testing.T) {
	tests := []struct {
		v          float64
		known, est bool
		want       string
	}{
		{0.0123, true, false, "$0.0123"},
		{1.2, true, true, "~$1.20"},
		{5, false, false, "—"},
		{0, false, true, "—"},
		{0, true, false, "$0.00"},
		{0.00001, true, false, "<$0.0001"},
		{0.00004, true, true, "~<$0.0001"},
		{0.00005, true, false, "$0.0001"},
		{0.99994, true, false, "$0.9999"},
		{0.99996, true, false, "$1.00"},
		{1234.567, true, false, "$1234.57"},
		{-0.5, true, false, "-$0.5000"},
	}
	for _, tt := range tests {
		if got := FormatUSD(tt.v, tt.known, tt.est); got != tt.want {
			t.Errorf("FormatUSD(%v, %v, %v) = %q, want %q", tt.v, tt.known, tt.est, got, tt.want)
		}
	}
}
