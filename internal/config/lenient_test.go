package config

import (
	"strings"
	"testing"
)

// TestParseLenient: each top-level setting that is unknown or wrong is
// left at its default and reported with its line in the original file;
// the others are used.
func TestParseLenient(t *testing.T) {
	data := "max_retries = 5\nidle_lok = \"1m\"\n\n[agent]\nidle = \"nope\"\n\n[attachments]\nmax_file_mib = 2\n"
	if _, err := Parse([]byte(data)); err == nil {
		t.Fatal("strict Parse accepted the file")
	}
	c, problems := ParseLenient([]byte(data))
	if c.MaxRetries != 5 || c.Attachments.MaxFile != 2<<20 {
		t.Errorf("good settings lost: max_retries %d, max_file %d", c.MaxRetries, c.Attachments.MaxFile)
	}
	if c.Agent.Idle != Default().Agent.Idle {
		t.Errorf("agent.idle = %v; want the default", c.Agent.Idle)
	}
	var msgs []string
	for _, p := range problems {
		msgs = append(msgs, p.Error())
	}
	got := strings.Join(msgs, "\n")
	for _, want := range []string{`unknown key "idle_lok" on line 2; did you mean "idle_lock"?`, "line 5: "} {
		if !strings.Contains(got, want) {
			t.Errorf("problems:\n%s\nwant %q", got, want)
		}
	}
	if len(problems) != 2 {
		t.Errorf("%d problems; want 2:\n%s", len(problems), got)
	}

	// A file that does not parse at all: every default, one problem.
	c, problems = ParseLenient([]byte("idle_lock = \n"))
	if len(problems) != 1 || c.IdleLock != Default().IdleLock {
		t.Errorf("broken file: %v, %v", c.IdleLock, problems)
	}
	if _, problems = ParseLenient([]byte("idle_lock = \"2m\"\n")); problems != nil {
		t.Errorf("a good file has problems: %v", problems)
	}
}

// TestParseWrongTypeSaysWhatIsExpected: a value of the wrong TOML type
// names the setting, its line and the expected type, not Go's types.
func TestParseWrongTypeSaysWhatIsExpected(t *testing.T) {
	_, err := Parse([]byte("max_retries = 2\nidle_lock = 5\n"))
	if err == nil || err.Error() != `line 2: idle_lock must be a string in quotes, not an integer` {
		t.Errorf("err = %v", err)
	}
}
