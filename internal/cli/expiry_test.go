package cli

import (
	"strings"
	"testing"
	"time"
)

// TestExpiresOneRule: keys add, keys edit and keys mint read --expires
// with one parser: the same forms (a number of days, a date), the same
// errors, and a past date refused by all three before the vault is
// touched.
func TestExpiresOneRule(t *testing.T) {
	e := newVault(t)
	e.addKey("work")
	commands := map[string][]string{
		"add":  {"keys", "add", "new"},
		"edit": {"keys", "edit", "work"},
		"mint": {"keys", "mint", "child", "--from", "work"},
	}
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(dateLayout)
	for _, c := range []struct{ value, want string }{
		{"2020-01-01", `--expires 2020-01-01 is in the past`},
		{yesterday, `--expires ` + yesterday + ` is in the past`},
		{"31-12-2026", `--expires "31-12-2026" is not a number of days (30d) or a date (2026-12-31)`},
		{"soon", `--expires "soon" is not a number of days (30d) or a date (2026-12-31)`},
		{"0d", `--expires "0d" is not a number of days from 1d to 3650d`},
	} {
		for name, args := range commands {
			res := e.run(tty{stdin: "x"}, append(args, "--expires", c.value)...)
			if res.code != 2 || !strings.Contains(res.stderr, "vaultchat: error: "+c.want) {
				t.Errorf("%s --expires %s: exit %d\n%s\nwant exit 2 and %q", name, c.value, res.code, res.stderr, c.want)
			}
		}
	}

	// The accepted forms mean the same day in add and edit: a date
	// (today included: the key works until the end of it) and a number
	// of days.
	today := time.Now().UTC().Format(dateLayout)
	in30 := time.Now().UTC().AddDate(0, 0, 30).Format(dateLayout)
	e.mustRun(tty{}, "keys", "edit", "work", "--expires", today)
	if got := e.key("work").Expires.Format(dateLayout); got != today {
		t.Errorf("edit --expires %s stored %s", today, got)
	}
	e.mustRun(tty{}, "keys", "edit", "work", "--expires", "30d")
	if got := e.key("work").Expires.Format(dateLayout); got != in30 {
		t.Errorf("edit --expires 30d stored %s, want %s", got, in30)
	}
	e.addKey("later", "--expires", "30d")
	if got := e.key("later").Expires.Format(dateLayout); got != in30 {
		t.Errorf("add --expires 30d stored %s, want %s", got, in30)
	}
}
