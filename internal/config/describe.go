package config

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Setting is one setting as "vaultchat config show" lists it: its
// effective value, its default, and whether the file sets it.
type Setting struct {
	// Key is the setting's TOML key, dotted inside tables
	// ("agent.idle", `prices."gpt-4o".input`).
	Key string `json:"key"`
	// Value is the effective value: a string (durations as "10m"), a
	// number or a boolean.
	Value any `json:"value"`
	// Default is the value without the file; nil for a price, which
	// overrides the built-in table.
	Default any `json:"default"`
	// FromFile is set when the file sets it.
	FromFile bool `json:"from_file"`
	// Help says what it does.
	Help string `json:"help"`
	// Problem says why the file's value is not used (DescribeLenient):
	// Value is then the default.
	Problem string `json:"problem,omitempty"`
}

// settings lists the scalar settings in the order of the file's template.
var settings = []struct {
	key, help string
	get       func(Config) any
}{
	{"idle_lock", `lock the full-screen app after this long without input; "0s" never`, func(c Config) any { return FormatDuration(c.IdleLock) }},
	{"rotation_warning_days", "flag keys not rotated for longer than this; 0 never", func(c Config) any { return c.RotationWarningDays }},
	{"max_retries", "retries of a rate-limited or failed request", func(c Config) any { return c.MaxRetries }},
	{"default_key", "the key used when none is named", func(c Config) any { return c.DefaultKey }},
	{"response_timeout", `wait this long for a server to start answering; "0s" never gives up`, func(c Config) any { return FormatDuration(c.ResponseTimeout) }},
	{"stream_idle_timeout", `wait this long for more of a reply that stopped coming; "0s" never gives up`, func(c Config) any { return FormatDuration(c.StreamIdleTimeout) }},
	{"agent.enabled", "commands ask the agent of \"vaultchat unlock\" first", func(c Config) any { return c.Agent.Enabled }},
	{"agent.idle", "the agent forgets the identity after this long unused", func(c Config) any { return FormatDuration(c.Agent.Idle) }},
	{"agent.max", "... and this long after unlock at the latest", func(c Config) any { return FormatDuration(c.Agent.Max) }},
	{"agent.lock_with_app", "ctrl+l in the full-screen app locks the agent too", func(c Config) any { return c.Agent.LockWithApp }},
	{"attachments.max_file_mib", "the largest file \"ask -f\" attaches, in MiB", func(c Config) any { return c.Attachments.MaxFile >> 20 }},
	{"attachments.max_turn_mib", "all the files of one message together, in MiB", func(c Config) any { return c.Attachments.MaxTurn >> 20 }},
}

// Describe parses a settings file's content (nil or empty: no file) and
// lists every setting with its effective value and default, then the
// price overrides. Errors are Parse's.
func Describe(data []byte) ([]Setting, error) {
	c, err := Parse(data)
	if err != nil {
		return nil, err
	}
	return describe(c, data, nil), nil
}

// DescribeLenient is Describe for a file with problems: the settings
// ParseLenient could use are listed as Describe lists them, and each
// setting a problem is about keeps its default and carries the problem.
// The problems that are about no listed setting (a price table, a key
// near no known one) are returned as unplaced.
func DescribeLenient(data []byte) (list []Setting, unplaced []error) {
	c, problems := ParseLenient(data)
	list = describe(c, data, problems)
	for _, p := range problems {
		if !placed(p, list) {
			unplaced = append(unplaced, p)
		}
	}
	return list, unplaced
}

// describe lists the settings of c, whose file content is data; a
// setting one of problems is about carries it.
func describe(c Config, data []byte, problems []error) []Setting {
	md, err := toml.Decode(string(data), &map[string]any{})
	defined := func(key ...string) bool { return err == nil && md.IsDefined(key...) }
	def := Default()
	out := make([]Setting, 0, len(settings)+3*len(c.Prices))
	for _, s := range settings {
		path := strings.Split(s.key, ".")
		st := Setting{
			Key: s.key, Value: s.get(c), Default: s.get(def), Help: s.help,
			FromFile: defined(path...),
		}
		if p := Affecting(problems, path[0]); p != nil {
			st.Problem = p.Error()
		}
		out = append(out, st)
	}
	for _, model := range slices.Sorted(maps.Keys(c.Prices)) {
		p := c.Prices[model]
		for _, f := range []struct {
			name string
			v    float64
		}{{"input", p.Input}, {"cached_input", p.CachedInput}, {"output", p.Output}} {
			out = append(out, Setting{
				Key: "prices." + strconv.Quote(model) + "." + f.name, Value: f.v,
				FromFile: defined("prices", model, f.name),
				Help:     "USD per million tokens, overriding the built-in price",
			})
		}
	}
	return out
}

// placed reports whether one of list carries problem p.
func placed(p error, list []Setting) bool {
	for _, s := range list {
		if s.Problem == p.Error() {
			return true
		}
	}
	return false
}

// FormatDuration writes d as config.toml takes it, without zero units:
// "10m", "1h30m", "0s".
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Template is the file "vaultchat config edit" creates when there is none:
// every setting, commented out at its default.
const Template = `# vaultchat settings (TOML). Every setting is optional: a line left
# commented out keeps its default. "vaultchat config check" validates the
# file, "vaultchat config show" lists the effective settings.

# idle_lock = "10m"             # lock the full-screen app after this idle time; "0s" never
# rotation_warning_days = 90    # flag keys not rotated for longer; 0 never
# max_retries = 3               # retries of a rate-limited or failed request (0 to 10)
# default_key = "work"          # the key used when none is named
# response_timeout = "60s"      # wait for a server to start answering; "0s" never gives up
# stream_idle_timeout = "120s"  # wait for more of a reply that stopped coming; "0s" never gives up

# Prices in USD per million tokens (0 to 10000), overriding built-in prices:
# [prices."gpt-4o"]
# input = 2.5
# cached_input = 1.25
# output = 10

# "vaultchat unlock": the agent that holds the identity.
# [agent]
# enabled = true                # commands ask the agent first; false never asks it
# idle = "15m"                  # the agent forgets the identity after this long unused
# max = "8h"                    # ... and this long after unlock at the latest
# lock_with_app = false         # ctrl+l in the full-screen app locks the agent too

# "vaultchat ask -f FILE": attachments.
# [attachments]
# max_file_mib = 5              # the largest file that may be attached (1 to 512)
# max_turn_mib = 20             # all the files of one message together
`
