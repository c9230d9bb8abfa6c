package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want func(c *Config)
	}{
		{"empty file gives defaults", "", func(c *Config) {}},
		{"every setting", `
idle_lock = "1h30m"
rotation_warning_days = 30
max_retries = 5
default_key = "work"
response_timeout = "30s"
stream_idle_timeout = "5m"

[prices."gpt-4o"]
input = 2.5
cached_input = 1.25
output = 10

[agent]
enabled = false
idle = "5m"
max = "1h"
lock_with_app = true
`, func(c *Config) {
			c.Agent = Agent{Enabled: false, Idle: 5 * time.Minute, Max: time.Hour, LockWithApp: true}
			c.IdleLock = 90 * time.Minute
			c.RotationWarningDays = 30
			c.MaxRetries = 5
			c.DefaultKey = "work"
			c.ResponseTimeout = 30 * time.Second
			c.StreamIdleTimeout = 5 * time.Minute
			c.Prices["gpt-4o"] = Price{Input: 2.5, CachedInput: 1.25, Output: 10}
		}},
		{"zero values are kept, not replaced by defaults", `
idle_lock = "0s"
rotation_warning_days = 0
max_retries = 0
response_timeout = "0s"
stream_idle_timeout = "0s"
`, func(c *Config) {
			c.IdleLock = 0
			c.RotationWarningDays = 0
			c.MaxRetries = 0
			c.ResponseTimeout = 0
			c.StreamIdleTimeout = 0
		}},
		{"a price table may leave fields out", `
[prices."local/llama"]
output = 0.5
`, func(c *Config) {
			c.Prices["local/llama"] = Price{Output: 0.5}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := Default()
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Parse =\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{"unknown top-level key", `idle_lok = "5m"`, `unknown key "idle_lok"`},
		{"unknown key in a price table", "[prices.\"gpt-4o\"]\ninptu = 1\n", `unknown key "prices.gpt-4o.inptu"`},
		{"unknown table", "[colours]\nfg = 1\n", `unknown key "colours`},
		{"duration without unit", `idle_lock = "10"`, "idle_lock"},
		{"duration as an integer", `idle_lock = 10`, "idle_lock"},
		{"negative duration", `idle_lock = "-1m"`, "idle_lock cannot be negative"},
		{"negative rotation days", `rotation_warning_days = -1`, "rotation_warning_days"},
		{"too many retries", `max_retries = 11`, "max_retries"},
		{"negative retries", `max_retries = -1`, "max_retries"},
		{"negative price", "[prices.m]\ninput = -1\n", "negative"},
		{"control character in default key", `default_key = "a\u0007b"`, "default_key"},
		{"not TOML", `idle_lock = `, "idle_lock"},
		{"wrong type", `max_retries = "three"`, "max_retries"},
		{"timeout without unit", `response_timeout = "60"`, `response_timeout: "60" is not a duration`},
		{"negative timeout", `stream_idle_timeout = "-1s"`, "stream_idle_timeout cannot be negative"},
		{"absurd timeout", `response_timeout = "9000h"`, "response_timeout 9000h0m0s is over 24h0m0s"},
		{"timeout as a number", `stream_idle_timeout = 120`, "stream_idle_timeout"},
		{"unknown agent key", "[agent]\nidle_time = \"5m\"\n", `unknown key "agent.idle_time"`},
		{"agent idle not a duration", "[agent]\nidle = \"soon\"\n", "agent.idle"},
		{"agent max zero", "[agent]\nmax = \"0s\"\n", "agent.max must be longer than 0s"},
		{"agent idle over max", "[agent]\nidle = \"9h\"\n", "longer than agent.max"},
		{"agent enabled not a boolean", "[agent]\nenabled = \"yes\"\n", "enabled"},
		{"attachment limit zero", "[attachments]\nmax_file_mib = 0\n", "attachments.max_file_mib must be between 1 and 512"},
		{"attachment limit huge", "[attachments]\nmax_turn_mib = 4096\n", "attachments.max_turn_mib must be between 1 and 512"},
		{"attachment file over turn", "[attachments]\nmax_file_mib = 30\n", "is over attachments.max_turn_mib"},
		{"unknown attachment key", "[attachments]\nmax_files = 3\n", `unknown key "attachments.max_files"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			if err == nil {
				t.Fatalf("Parse(%q) succeeded; want an error containing %q", tt.in, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) error = %q; want it to contain %q", tt.in, err, tt.wantErr)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()

	t.Run("missing file gives defaults", func(t *testing.T) {
		c, err := Load(filepath.Join(dir, "nope", "config.toml"))
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if !reflect.DeepEqual(c, Default()) {
			t.Errorf("Load = %+v; want defaults", c)
		}
	})

	t.Run("file is read", func(t *testing.T) {
		path := filepath.Join(dir, "config.toml")
		if err := os.WriteFile(path, []byte("max_retries = 7\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load(path)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if c.MaxRetries != 7 {
			t.Errorf("MaxRetries = %d; want 7", c.MaxRetries)
		}
	})

	t.Run("errors name the file", func(t *testing.T) {
		path := filepath.Join(dir, "bad.toml")
		if err := os.WriteFile(path, []byte("bogus = 1\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `"bogus"`) {
			t.Errorf("Load error = %v; want it to name %s and the key", err, path)
		}
	})

	t.Run("a directory is an error", func(t *testing.T) {
		if _, err := Load(dir); err == nil {
			t.Error("Load of a directory succeeded")
		}
	})

	t.Run("oversized file is refused", func(t *testing.T) {
		path := filepath.Join(dir, "huge.toml")
		big := strings.Repeat("# padding\n", maxFileSize/10+1)
		if err := os.WriteFile(path, []byte(big), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "bytes") {
			t.Errorf("Load of a %d-byte file: err = %v; want a size error", len(big), err)
		}
	})
}

// TestPriceRule runs the one price rule on config.toml: every rate finite,
// zero or more and at most MaxPrice, the error naming model and field.
func TestPriceRule(t *testing.T) {
	for _, tt := range []struct{ value, want string }{
		{"1e308", `price of model "gpt-4o": output 1e+308 is over the maximum of 10000 USD per million tokens`},
		{"10000.01", `price of model "gpt-4o": output 10000.01 is over the maximum`},
		{"nan", `price of model "gpt-4o": output is not a number`},
		{"inf", `price of model "gpt-4o": output is infinite`},
		{"-inf", `price of model "gpt-4o": output is infinite`},
		{"-1", `price of model "gpt-4o": output -1 is negative`},
	} {
		t.Run(tt.value, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.toml")
			data := "max_retries = 2\n\n[prices.\"gpt-4o\"]\ninput = 2.5\noutput = " + tt.value + "\n"
			if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			if err == nil {
				t.Fatalf("Load accepted output = %s", tt.value)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "line 5") {
				t.Errorf("Load error = %q; want it to contain %q and line 5", err, tt.want)
			}
		})
	}
	for _, ok := range []string{"0", "10000", "0.15"} {
		if _, err := Parse([]byte("[prices.m]\ninput = " + ok + "\n")); err != nil {
			t.Errorf("input = %s refused: %v", ok, err)
		}
	}
}

// TestErrorsNameTheLine checks that an unknown key names its line and the
// nearest known key, and that a bad value names its line.
func TestErrorsNameTheLine(t *testing.T) {
	tests := []struct {
		name, in, want string
		line           int
	}{
		{"typo at the top", "max_retries = 2\n\nidle_lok = \"5m\"\n", `unknown key "idle_lok" on line 3; did you mean "idle_lock"?`, 3},
		{"typo in a price", "[prices.\"gpt-4o\"]\ninput = 1\ninptu = 1\n", `unknown key "prices.gpt-4o.inptu" on line 3; did you mean "prices.gpt-4o.input"?`, 3},
		{"typo in the agent table", "# comment\n[agent]\nlock_with_ap = true\n", `unknown key "agent.lock_with_ap" on line 3; did you mean "agent.lock_with_app"?`, 3},
		{"dotted key", "agent.idel = \"5m\"\n", `unknown key "agent.idel" on line 1; did you mean "agent.idle"?`, 1},
		{"nothing near", "\ncolours = 1\n", `unknown key "colours" on line 2`, 2},
		{"bad value", "max_retries = 2\nidle_lock = \"-1m\"\n", "line 2: idle_lock cannot be negative", 2},
		{"bad agent value", "[agent]\n\nmax = \"0s\"\n", "line 3: agent.max must be longer than 0s", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Parse(%q) = %v; want a *config.Error", tt.in, err)
			}
			if err.Error() != tt.want || ce.Line != tt.line {
				t.Errorf("Parse(%q) = %q (line %d); want %q (line %d)", tt.in, err, ce.Line, tt.want, tt.line)
			}
			if tt.name == "nothing near" && strings.Contains(err.Error(), "did you mean") {
				t.Errorf("suggested a key for %q: %v", tt.in, err)
			}
		})
	}
}

func TestParseAttachments(t *testing.T) {
	c, err := Parse([]byte("[attachments]\nmax_file_mib = 1\nmax_turn_mib = 3\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Attachments.MaxFile != 1<<20 || c.Attachments.MaxTurn != 3<<20 {
		t.Errorf("attachments = %+v", c.Attachments)
	}
	if d := Default().Attachments; d.MaxFile != 5<<20 || d.MaxTurn != 20<<20 {
		t.Errorf("default attachments = %+v", d)
	}
}
