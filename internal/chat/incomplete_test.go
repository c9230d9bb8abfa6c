package chat

import "testing"

// TestIncompleteWords: why a turn stopped, in words, from the codes the
// engine records (an ErrorClass) and the words older versions and imports
// wrote; an unknown reason is shown as it is.
func TestIncompleteWords(t *testing.T) {
	for reason, want := range map[string]string{
		"":                        "incomplete",
		string(ErrCanceled):       "stopped by you",
		string(ErrBudgetExceeded): "stopped: over budget",
		"budget":                  "stopped: over budget",
		string(ErrRateLimited):    "stopped: rate limited",
		"rate limited":            "stopped: rate limited",
		string(ErrNetwork):        "stopped: network error",
		string(ErrTimeout):        "stopped: the server stopped answering",
		string(ErrOther):          "stopped: failed",
		"failed":                  "stopped: failed",
		"interrupted":             "incomplete: interrupted",
	} {
		if got := IncompleteWords(reason); got != want {
			t.Errorf("IncompleteWords(%q) = %q, want %q", reason, got, want)
		}
	}
}
