package chat

import (
	"strings"
	"testing"
)

func TestValidID(t *testing.T) {
	long := strings.Repeat("a", 128)
	for id, want := range map[string]bool{
		"20240610-061320-ab": true, "a": true, "A_b-9": true, long: true,
		"": false, long + "a": false, "-a": false, "_a": false, "a.b": false,
		"a/b": false, "../x": false, "a b": false, "é": false,
	} {
		if got := ValidID(id); got != want {
			t.Errorf("ValidID(%q) = %v, want %v", id, got, want)
		}
	}
}
