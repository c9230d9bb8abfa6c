package config

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/vaultchat/vaultchat/internal/textmatch"
)

// ParseLenient is Parse for the commands that can run with a flawed
// file: each top-level setting (or table) that is unknown or wrong is
// left at its default and reported, with its line in data; the rest is
// used. A file that does not parse at all gives Default() and one
// problem. Problems is nil when Parse would succeed.
func ParseLenient(data []byte) (Config, []error) {
	c, strictErr := Parse(data)
	if strictErr == nil {
		return c, nil
	}
	var generic map[string]any
	if _, derr := toml.Decode(string(data), &generic); derr != nil {
		return Default(), []error{strictErr}
	}
	orig := keyLines(data)
	var problems []error
	good := map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(generic)) {
		one, eerr := encode(map[string]any{k: generic[k]})
		if eerr != nil {
			problems = append(problems, eerr)
			continue
		}
		if _, perr := Parse(one); perr != nil {
			problems = append(problems, relocate(perr, keyLines(one), orig, setting(k)))
			continue
		}
		good[k] = generic[k]
	}
	all, eerr := encode(good)
	if eerr != nil {
		return Default(), append(problems, eerr)
	}
	c, err := Parse(all)
	if err != nil || len(problems) == 0 {
		// Settings fine alone but not together: nothing is used.
		return Default(), []error{strictErr}
	}
	return c, problems
}

func encode(v map[string]any) ([]byte, error) {
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(v); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return b.Bytes(), nil
}

var lineNumber = regexp.MustCompile(`line (\d+)`)

// relocate rewrites the line numbers of err, found in a one-setting
// document whose keys are at lines, to the lines of the same keys in the
// user's file (orig).
func relocate(err error, lines, orig map[string]int, setting string) error {
	byLine := map[int]string{}
	for k, n := range lines {
		if prev, ok := byLine[n]; !ok || len(k) > len(prev) {
			byLine[n] = k
		}
	}
	msg := lineNumber.ReplaceAllStringFunc(err.Error(), func(m string) string {
		n, _ := strconv.Atoi(strings.TrimPrefix(m, "line "))
		if o := orig[byLine[n]]; o > 0 {
			return "line " + strconv.Itoa(o)
		}
		return m
	})
	line := 0
	if m := lineNumber.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
	}
	return &Error{Line: line, Setting: setting, msg: msg}
}

// setting returns the known top-level setting key is, or is nearest to;
// key itself when it is near none (no command uses it then).
func setting(key string) string {
	known := knownKeys(nil)
	if slices.Contains(known, key) {
		return key
	}
	if s := textmatch.Nearest(key, known); s != "" {
		return s
	}
	return key
}

// Affecting returns the first of problems about one of settings; a
// problem about no setting in particular (a file that does not parse)
// affects them all.
func Affecting(problems []error, settings ...string) error {
	for _, p := range problems {
		var e *Error
		if !errors.As(p, &e) || e.Setting == "" || slices.Contains(settings, e.Setting) {
			return p
		}
	}
	return nil
}

var wrongType = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]+)"\): incompatible types: TOML value has type ([^;]+); destination has type (.+)$`)

// friendlyDecodeError turns the TOML library's type mismatch, worded in
// Go types, into the setting, its line and the type it needs.
func friendlyDecodeError(err error) error {
	m := wrongType.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	line, _ := strconv.Atoi(m[1])
	return &Error{Line: line, msg: fmt.Sprintf("line %d: %s must be %s, not %s", line, m[2], typeName(m[4], true), typeName(m[3], false))}
}

// typeName names a Go type as a TOML user would; want is the form for
// what a setting needs.
func typeName(goType string, want bool) string {
	t := strings.TrimLeft(goType, "*")
	switch {
	case t == "string" && want:
		return "a string in quotes"
	case t == "string":
		return "a string"
	case strings.HasPrefix(t, "int") && want:
		return "a whole number"
	case strings.HasPrefix(t, "int"):
		return "an integer"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map"), strings.Contains(t, "."):
		return "a table"
	}
	return t
}

// LoadLenient is Load with ParseLenient: the settings it could use, and
// the problems of the others. The error is for a file that cannot be
// read at all.
func LoadLenient(path string) (Config, []error, error) {
	data, err := Read(path)
	if err != nil {
		return Config{}, nil, err
	}
	c, problems := ParseLenient(data)
	return c, problems, nil
}
