package config

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/vaultchat/vaultchat/internal/textmatch"
)

// keyLines maps each key path the file sets (table headers and
// key = value lines, joined by "\x00") to its first line. It is a line
// scanner, not a TOML parser: the file has already parsed, and it only
// needs to find where a key is for an error message. A key it cannot
// place is reported without a line.
func keyLines(data []byte) map[string]int {
	lines := map[string]int{}
	var table []string
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || line[0] == '#':
			continue
		case strings.HasPrefix(line, "["):
			header := strings.Trim(strings.TrimSpace(strings.SplitN(line, "]", 2)[0]), "[] \t")
			if strings.HasPrefix(line, "[[") {
				header = strings.Trim(strings.SplitN(line, "]]", 2)[0], "[] \t")
			}
			table = splitKey(header)
			addLine(lines, table, i+1)
		default:
			name, _, ok := cutOutsideQuotes(line, '=')
			if !ok {
				continue
			}
			addLine(lines, append(slices.Clone(table), splitKey(name)...), i+1)
		}
	}
	return lines
}

func addLine(lines map[string]int, path []string, n int) {
	for i := 1; i <= len(path); i++ {
		k := strings.Join(path[:i], "\x00")
		if _, seen := lines[k]; !seen {
			lines[k] = n
		}
	}
}

// lineOf returns the line of key in lines, 0 when unknown.
func lineOf(lines map[string]int, key ...string) int { return lines[strings.Join(key, "\x00")] }

// splitKey splits a dotted TOML key into its parts, unquoting quoted ones.
func splitKey(s string) []string {
	var parts []string
	for {
		part, rest, more := cutOutsideQuotes(s, '.')
		part = strings.TrimSpace(part)
		if len(part) >= 2 && (part[0] == '"' || part[0] == '\'') {
			if u, err := strconv.Unquote(`"` + part[1:len(part)-1] + `"`); err == nil {
				part = u
			} else {
				part = part[1 : len(part)-1]
			}
		}
		parts = append(parts, part)
		if !more {
			return parts
		}
		s = rest
	}
}

// cutOutsideQuotes cuts s at the first sep that is not inside quotes.
func cutOutsideQuotes(s string, sep byte) (before, after string, found bool) {
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == '\\' && quote == '"':
			i++
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
		case quote == 0 && c == sep:
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// unknownKeyError names a key the file sets that vaultchat does not know,
// its line, and the nearest key it knows at the same place.
func unknownKeyError(key toml.Key, lines map[string]int) error {
	msg := fmt.Sprintf("unknown key %q", key.String())
	if n := lineOf(lines, key...); n > 0 {
		msg += fmt.Sprintf(" on line %d", n)
	}
	if s := textmatch.Nearest(key[len(key)-1], knownKeys(key[:len(key)-1])); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", strings.Join(append(slices.Clone(key[:len(key)-1]), s), "."))
	}
	return &Error{Line: lineOf(lines, key...), msg: msg}
}

// knownKeys lists the keys vaultchat knows inside the table at parent,
// read from the toml tags of file so that the list never drifts from
// what Parse decodes.
func knownKeys(parent []string) []string {
	t := reflect.TypeFor[file]()
	for _, name := range parent {
		switch t.Kind() {
		case reflect.Struct:
			f, ok := fieldByTag(t, name)
			if !ok {
				return nil
			}
			t = f.Type
		case reflect.Map:
			t = t.Elem()
		default:
			return nil
		}
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var keys []string
	for i := range t.NumField() {
		if tag := t.Field(i).Tag.Get("toml"); tag != "" {
			keys = append(keys, tag)
		}
	}
	return keys
}

func fieldByTag(t reflect.Type, tag string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("toml") == tag {
			return t.Field(i), true
		}
	}
	return reflect.StructField{}, false
}
