package cli

import (
	"strings"
	"testing"
)

// TestNegativeNumberFlags: a negative number given to a number flag
// ("--limit-usd -5") reaches the command's own check, which says what the
// flag takes, instead of kong's "(short flag); perhaps try" advice.
func TestNegativeNumberFlags(t *testing.T) {
	e := newVault(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"keys", "mint", "x", "--from", "y", "--limit-usd", "-5"}, "--limit-usd must be a number of dollars from 0 to 1,000,000"},
		{[]string{"conversations", "fork", "abc", "--at", "-1"}, "--at must be a message number, 1 or more"},
		{[]string{"conversations", "search", "--limit", "-1", "x"}, "--limit must be 0 or more"},
		{[]string{"keys", "edit", "k", "--budget-daily-usd", "-2"}, "--budget-daily-usd"},
		{[]string{"usage", "--reconcile", "--threshold", "-3"}, "--threshold must be 0 or more"},
	} {
		res := e.run(tty{}, c.args...)
		name := strings.Join(c.args, " ")
		wantCode(t, res, ExitUsage)
		wantContains(t, name, res.stderr, "vaultchat: error: "+c.want)
		if strings.Contains(res.stderr, "perhaps try") || strings.Contains(res.stderr, "short flag") {
			t.Errorf("%s: kong's advice instead of the flag's rule:\n%s", name, res.stderr)
		}
	}
}

// TestEnumFlagErrorsListWords: a value outside a flag's list is told the
// words it takes, not a Go-like list of quoted strings with an empty one.
func TestEnumFlagErrorsListWords(t *testing.T) {
	e := newVault(t)
	res := e.run(tty{}, "keys", "mint", "x", "--from", "y", "--limit-reset", "hourly")
	wantCode(t, res, ExitUsage)
	wantContains(t, "stderr", res.stderr, `vaultchat: error: --limit-reset must be daily, weekly or monthly, not "hourly"`, `see "vaultchat keys mint --help"`)
	res = e.run(tty{}, "usage", "--by", "week")
	wantCode(t, res, ExitUsage)
	wantContains(t, "stderr", res.stderr, `vaultchat: error: --by must be day, model or key, not "week"`)
}
