// Package config reads vaultchat's optional settings file, config.toml.
//
// The file lives at $XDG_CONFIG_HOME/vaultchat/config.toml unless the user
// names another one. A missing file means every default; a key the parser
// does not know is an error naming it, so a typo never silently does
// nothing. An example with every setting:
//
//	idle_lock = "10m"            # lock the unlocked vault after this idle time; "0s" never
//	rotation_warning_days = 90   # flag keys not rotated for longer; 0 never
//	max_retries = 3              # retries of a rate-limited or failed request
//	default_key = "work"         # key used when none is named
//	response_timeout = "60s"     # wait for a server to start answering; "0s" never gives up
//	stream_idle_timeout = "120s" # wait for more of a reply that stopped coming; "0s" never gives up
//
//	[prices."gpt-4o"]            # USD per million tokens (0 to 10000), overriding built-in prices
//	input = 2.5
//	cached_input = 1.25
//	output = 10
//
//	[agent]                      # "vaultchat unlock": the agent that holds the identity
//	enabled = true               # commands ask the agent first; false never asks it
//	idle = "15m"                 # the agent forgets the identity after this long unused
//	max = "8h"                   # ... and this long after unlock at the latest
//	lock_with_app = false        # ctrl+l in the full-screen app locks the agent too
//
//	[attachments]                # "ask -f FILE"
//	max_file_mib = 5             # the largest file that may be attached
//	max_turn_mib = 20            # all the files of one message together
//
// The file holds no secrets and is not encrypted.
package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/BurntSushi/toml"
)

// Defaults for settings the file leaves out.
const (
	DefaultIdleLock            = 10 * time.Minute
	DefaultRotationWarningDays = 90
	DefaultMaxRetries          = 3
	DefaultResponseTimeout     = 60 * time.Second
	DefaultStreamIdleTimeout   = 120 * time.Second
	DefaultAgentIdle           = 15 * time.Minute
	DefaultAgentMax            = 8 * time.Hour
)

// maxTimeout bounds the timeouts: longer than a day is a mistake (a unit
// typo), and "0s" already means no limit.
const maxTimeout = 24 * time.Hour

// maxRetriesLimit bounds max_retries: more than this only hammers a
// provider that is already refusing.
const maxRetriesLimit = 10

// maxFileSize bounds what Load reads; a settings file is a few hundred
// bytes.
const maxFileSize = 1 << 20

// Config is the parsed settings file with defaults filled in.
type Config struct {
	// IdleLock is how long the full-screen app may sit idle before it
	// drops the unlocked vault from memory. Zero turns the idle lock off.
	IdleLock time.Duration
	// RotationWarningDays flags keys whose secret was last set (created or
	// rotated) more than this many days ago. Zero turns the flag off.
	RotationWarningDays int
	// MaxRetries is how many times a rate-limited or failed request is
	// retried before the error is shown.
	MaxRetries int
	// Prices overrides the built-in price table of the usage ledger, per
	// model name.
	Prices map[string]Price
	// DefaultKey names the key used when a command or the app is not told
	// which one to use. Empty means none.
	DefaultKey string
	// ResponseTimeout is how long a request may wait for the server to
	// start answering (its response headers). Zero means no limit.
	ResponseTimeout time.Duration
	// StreamIdleTimeout is how long a reply that has started may send
	// nothing before it is given up (the part received is kept). Zero
	// means no limit.
	StreamIdleTimeout time.Duration
	// Agent configures "vaultchat unlock" and the agent it starts.
	Agent Agent
	// Attachments bounds the files attached to a message.
	Attachments Attachments
}

// Attachments is the [attachments] table, in bytes.
type Attachments struct {
	MaxFile int64
	MaxTurn int64
}

// Default attachment limits, and the most a setting may raise them to.
const (
	DefaultAttachmentMaxFileMiB = 5
	DefaultAttachmentMaxTurnMiB = 20
	maxAttachmentMiB            = 512
)

// Agent is the [agent] table: whether commands ask the vaultchat agent
// for the identity, and how long the agent keeps it.
type Agent struct {
	// Enabled makes every command that opens the vault ask the agent
	// first. VAULTCHAT_AGENT=off overrides it for one process.
	Enabled bool
	// Idle is how long the agent keeps the identity without a request
	// ("vaultchat unlock --for" overrides it).
	Idle time.Duration
	// Max is how long after unlock the agent forgets the identity,
	// used or not ("vaultchat unlock --max" overrides it).
	Max time.Duration
	// LockWithApp makes ctrl+l in the full-screen app lock the agent
	// too, not only the app.
	LockWithApp bool
}

// Price is what a model costs, in USD per million tokens.
type Price struct {
	Input       float64 `toml:"input"`
	CachedInput float64 `toml:"cached_input"`
	Output      float64 `toml:"output"`
}

// Default returns the settings used when there is no file.
func Default() Config {
	return Config{
		IdleLock:            DefaultIdleLock,
		RotationWarningDays: DefaultRotationWarningDays,
		MaxRetries:          DefaultMaxRetries,
		Prices:              map[string]Price{},
		ResponseTimeout:     DefaultResponseTimeout,
		StreamIdleTimeout:   DefaultStreamIdleTimeout,
		Agent:               Agent{Enabled: true, Idle: DefaultAgentIdle, Max: DefaultAgentMax},
		Attachments:         Attachments{MaxFile: DefaultAttachmentMaxFileMiB << 20, MaxTurn: DefaultAttachmentMaxTurnMiB << 20},
	}
}

// file mirrors config.toml. Pointers tell a setting left out (default) from
// one set to its zero value.
type file struct {
	IdleLock            *string          `toml:"idle_lock"`
	RotationWarningDays *int             `toml:"rotation_warning_days"`
	MaxRetries          *int             `toml:"max_retries"`
	Prices              map[string]Price `toml:"prices"`
	DefaultKey          *string          `toml:"default_key"`
	ResponseTimeout     *string          `toml:"response_timeout"`
	StreamIdleTimeout   *string          `toml:"stream_idle_timeout"`
	Agent               agentFile        `toml:"agent"`
	Attachments         attachmentsFile  `toml:"attachments"`
}

// attachmentsFile mirrors the [attachments] table.
type attachmentsFile struct {
	MaxFileMiB *int `toml:"max_file_mib"`
	MaxTurnMiB *int `toml:"max_turn_mib"`
}

// agentFile mirrors the [agent] table.
type agentFile struct {
	Enabled     *bool   `toml:"enabled"`
	Idle        *string `toml:"idle"`
	Max         *string `toml:"max"`
	LockWithApp *bool   `toml:"lock_with_app"`
}

// Load reads the settings file at path. A file that does not exist yields
// Default(); any other problem is an error naming the file.
func Load(path string) (Config, error) {
	data, err := Read(path)
	if err != nil {
		return Config{}, err
	}
	c, err := Parse(data)
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Read returns the content of the settings file at path, nil when it does
// not exist. It refuses a file over a megabyte.
func Read(path string) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		// A link to nothing is a mistake to report, not "no file".
		if target, lerr := os.Readlink(path); lerr == nil {
			return nil, fmt.Errorf("config %s is a symbolic link to %s, which does not exist", path, target)
		}
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("config %s is a directory", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("config %s is over %d bytes", path, maxFileSize)
	}
	return data, nil
}

// Error is a problem with one setting of the file. Its message names the
// setting and, when it could be found, its line.
type Error struct {
	// Line is the setting's line, from 1; 0 when it is not known.
	Line int
	// Setting is the top-level setting or table the problem is about (for
	// an unknown key, the known one it is nearest to; "" for none). Only
	// ParseLenient fills it in.
	Setting string
	msg     string
}

func (e *Error) Error() string { return e.msg }

// Parse parses the content of a settings file. Errors name the setting and
// its line.
func Parse(data []byte) (Config, error) {
	var raw file
	md, err := toml.Decode(string(data), &raw)
	if err != nil {
		return Config{}, friendlyDecodeError(err)
	}
	lines := keyLines(data)
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		return Config{}, unknownKeyError(undecoded[0], lines)
	}
	c, key, err := parse(raw)
	if err != nil {
		n := lineOf(lines, key...)
		if n == 0 {
			return Config{}, &Error{msg: err.Error()}
		}
		return Config{}, &Error{Line: n, msg: fmt.Sprintf("line %d: %v", n, err)}
	}
	return c, nil
}

// parse turns the decoded file into a Config; on error it also returns the
// key that is wrong, so Parse can say on which line.
func parse(raw file) (Config, []string, error) {
	c := Default()
	if raw.IdleLock != nil {
		d, err := parseDuration("idle_lock", *raw.IdleLock)
		if err != nil {
			return Config{}, []string{"idle_lock"}, err
		}
		c.IdleLock = d
	}
	if raw.RotationWarningDays != nil {
		if *raw.RotationWarningDays < 0 {
			return Config{}, []string{"rotation_warning_days"}, errors.New("rotation_warning_days cannot be negative")
		}
		c.RotationWarningDays = *raw.RotationWarningDays
	}
	if raw.MaxRetries != nil {
		if *raw.MaxRetries < 0 || *raw.MaxRetries > maxRetriesLimit {
			return Config{}, []string{"max_retries"}, fmt.Errorf("max_retries must be between 0 and %d", maxRetriesLimit)
		}
		c.MaxRetries = *raw.MaxRetries
	}
	for _, model := range slices.Sorted(maps.Keys(raw.Prices)) {
		p := raw.Prices[model]
		if model == "" || hasControl(model) {
			return Config{}, []string{"prices", model}, fmt.Errorf("prices: model name %q is empty or has control characters", model)
		}
		if err := p.Validate(model); err != nil {
			return Config{}, []string{"prices", model, invalidField(p)}, err
		}
		c.Prices[model] = p
	}
	var err error
	if c.ResponseTimeout, err = timeout("response_timeout", raw.ResponseTimeout, DefaultResponseTimeout); err != nil {
		return Config{}, []string{"response_timeout"}, err
	}
	if c.StreamIdleTimeout, err = timeout("stream_idle_timeout", raw.StreamIdleTimeout, DefaultStreamIdleTimeout); err != nil {
		return Config{}, []string{"stream_idle_timeout"}, err
	}
	if raw.DefaultKey != nil {
		if hasControl(*raw.DefaultKey) || strings.TrimSpace(*raw.DefaultKey) != *raw.DefaultKey {
			return Config{}, []string{"default_key"}, fmt.Errorf("default_key %q has control characters or surrounding spaces", *raw.DefaultKey)
		}
		c.DefaultKey = *raw.DefaultKey
	}
	if key, err := parseAgent(raw.Agent, &c.Agent); err != nil {
		return Config{}, append([]string{"agent"}, key...), err
	}
	if key, err := parseAttachments(raw.Attachments, &c.Attachments); err != nil {
		return Config{}, append([]string{"attachments"}, key...), err
	}
	return c, nil, nil
}

// parseAttachments fills in the [attachments] table over the defaults.
// On an error it also returns the key (inside the table) it is about.
func parseAttachments(raw attachmentsFile, a *Attachments) ([]string, error) {
	for _, l := range []struct {
		key string
		raw *int
		dst *int64
	}{{"max_file_mib", raw.MaxFileMiB, &a.MaxFile}, {"max_turn_mib", raw.MaxTurnMiB, &a.MaxTurn}} {
		if l.raw == nil {
			continue
		}
		if *l.raw < 1 || *l.raw > maxAttachmentMiB {
			return []string{l.key}, fmt.Errorf("attachments.%s must be between 1 and %d", l.key, maxAttachmentMiB)
		}
		*l.dst = int64(*l.raw) << 20
	}
	if a.MaxFile > a.MaxTurn {
		return []string{"max_file_mib"}, fmt.Errorf("attachments.max_file_mib (%d) is over attachments.max_turn_mib (%d)", a.MaxFile>>20, a.MaxTurn>>20)
	}
	return nil, nil
}

// timeout parses the timeout setting name: a duration from 0 (no limit)
// to maxTimeout, def when the file leaves it out.
func timeout(name string, v *string, def time.Duration) (time.Duration, error) {
	if v == nil {
		return def, nil
	}
	d, err := parseDuration(name, *v)
	if err != nil {
		return 0, err
	}
	if d > maxTimeout {
		return 0, fmt.Errorf("%s %s is over %s; \"0s\" means no limit", name, d, maxTimeout)
	}
	return d, nil
}

// parseAgent fills in the [agent] table over the defaults in a. On error
// it names the key at fault, inside the table.
func parseAgent(raw agentFile, a *Agent) ([]string, error) {
	if raw.Enabled != nil {
		a.Enabled = *raw.Enabled
	}
	if raw.LockWithApp != nil {
		a.LockWithApp = *raw.LockWithApp
	}
	for _, d := range []struct {
		name string
		raw  *string
		dst  *time.Duration
	}{{"agent.idle", raw.Idle, &a.Idle}, {"agent.max", raw.Max, &a.Max}} {
		if d.raw == nil {
			continue
		}
		key := []string{strings.TrimPrefix(d.name, "agent.")}
		v, err := parseDuration(d.name, *d.raw)
		if err != nil {
			return key, err
		}
		if v == 0 {
			// An agent that never forgets is what the max lifetime is
			// there to prevent.
			return key, fmt.Errorf("%s must be longer than 0s", d.name)
		}
		*d.dst = v
	}
	if a.Idle > a.Max {
		if raw.Idle == nil {
			return []string{"max"}, fmt.Errorf("agent.idle (%s) is longer than agent.max (%s)", a.Idle, a.Max)
		}
		return []string{"idle"}, fmt.Errorf("agent.idle (%s) is longer than agent.max (%s)", a.Idle, a.Max)
	}
	return nil, nil
}

// parseDuration parses a setting such as "10m" or "1h30m".
func parseDuration(name, s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a duration such as \"10m\" or \"1h30m\"", name, s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%s cannot be negative", name)
	}
	return d, nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}

// invalidField names the first field of p that fails Validate, for the
// line number of the error.
func invalidField(p Price) string {
	for _, f := range []struct {
		name string
		p    Price
	}{{"input", Price{Input: p.Input}}, {"cached_input", Price{CachedInput: p.CachedInput}}, {"output", Price{Output: p.Output}}} {
		if f.p.Validate("") != nil {
			return f.name
		}
	}
	return ""
}
