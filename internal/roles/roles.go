// Package roles reads roles: reusable system prompts kept as Markdown
// files in $XDG_CONFIG_HOME/vaultchat/roles/NAME.md. A role file may start
// with a YAML front matter block between "---" lines that sets any of
// model, key, temperature and description; the rest of the file is the
// system prompt.
//
//	---
//	model: gpt-4o-mini
//	key: work
//	temperature: 0.2
//	description: reviews Go code
//	---
//	You review Go code. Be brief.
//
// Errors name the file and the line. The package only parses: whether
// the key exists and may use the model is the session's rule
// (session.CheckModel), which callers apply and report with Role.ErrorAt.
// It holds no secret (a role names a key, it never holds one) and does no
// I/O beyond reading and listing role files.
package roles

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/vaultchat/vaultchat/internal/textmatch"
)

// Ext is the file extension of role files.
const Ext = ".md"

// MaxFileSize bounds a role file: a system prompt, not a document.
const MaxFileSize = 256 << 10

// Fields are the front matter fields a role file may set.
var Fields = []string{"model", "key", "temperature", "description"}

// Template is what "roles edit" writes into a new role file.
const Template = `---
# Every field is optional; delete the ones you do not need.
# model: gpt-4o-mini
# key: work
# temperature: 0.7
description: what this role is for
---
You are a helpful assistant.
`

// Role is a parsed role file.
type Role struct {
	Name        string
	Path        string
	Model       string
	Key         string
	Description string
	// Temperature is nil when the file does not set it.
	Temperature *float64
	// Prompt is the body: the system prompt.
	Prompt string
	// lines holds the line of each field set, for ErrorAt.
	lines map[string]int
}

// Error is a problem in a role file, at a line (0: the whole file).
type Error struct {
	Path string
	Line int
	Msg  string
}

// Error reads "role file PATH, line N: MSG".
func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("role file %s, line %d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("role file %s: %s", e.Path, e.Msg)
}

// ErrNotFound is wrapped when no role file has the name.
var ErrNotFound = errors.New("no such role")

// ErrorAt reports err against the line that sets field (model, key,
// ...), or the whole file when the field is not set in it.
func (r *Role) ErrorAt(field string, err error) error {
	return &Error{Path: r.Path, Line: r.lines[field], Msg: err.Error()}
}

var namePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`) })

// ValidateName refuses a name that could not be a role file's name (no
// path separators, no leading dot).
func ValidateName(name string) error {
	if !namePattern().MatchString(name) || strings.HasSuffix(name, Ext) {
		return fmt.Errorf("role name %q is not valid: use letters, digits, '.', '-' and '_' (at most 64), without %s", name, Ext)
	}
	return nil
}

// Path returns the file of role name in dir.
func Path(dir, name string) string { return filepath.Join(dir, name+Ext) }

// Load reads and parses role name from dir. A missing file wraps
// ErrNotFound.
func Load(dir, name string) (*Role, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	path := Path(dir, name)
	data, err := readFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("role %q: %w (no file %s)", name, ErrNotFound, path)
	}
	if err != nil {
		return nil, err
	}
	return Parse(name, path, data)
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(f, MaxFileSize+1)); err != nil {
		return nil, fmt.Errorf("read role file %s: %w", path, err)
	}
	if buf.Len() > MaxFileSize {
		return nil, &Error{Path: path, Msg: fmt.Sprintf("larger than %d KiB", MaxFileSize>>10)}
	}
	return buf.Bytes(), nil
}

// Entry is one file of a listing: its role, or why it does not parse.
type Entry struct {
	Name string
	Role *Role
	Err  error
}

// List parses every role file in dir, by name. A missing directory is
// an empty list.
func List(dir string) ([]Entry, error) {
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	var out []Entry
	for _, de := range des {
		name, ok := strings.CutSuffix(de.Name(), Ext)
		if !ok || de.IsDir() || ValidateName(name) != nil {
			continue
		}
		r, err := Load(dir, name)
		out = append(out, Entry{Name: name, Role: r, Err: err})
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Parse reads a role file's content. path is only used in errors.
func Parse(name, path string, data []byte) (*Role, error) {
	fail := func(line int, format string, args ...any) error {
		return &Error{Path: path, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	if !utf8.Valid(data) {
		return nil, fail(0, "not UTF-8 text")
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	r := &Role{Name: name, Path: path, lines: map[string]int{}}
	body := text
	if rest, ok := strings.CutPrefix(text, "---\n"); ok {
		// Look for the closing line with the opening newline put back,
		// so that an empty front matter closes too.
		rest = "\n" + rest
		end := strings.Index(rest, "\n---\n")
		switch {
		case end >= 0:
			body = rest[end+len("\n---\n"):]
		case strings.HasSuffix(rest, "\n---"):
			end, body = len(rest)-len("\n---"), ""
		default:
			return nil, fail(1, `front matter opened with "---" is never closed by a "---" line`)
		}
		front := rest[min(1, end):end]
		// The front matter starts on line 2 of the file.
		if err := r.parseFront(front, 1, fail); err != nil {
			return nil, err
		}
	}
	r.Prompt = strings.TrimSpace(body)
	if r.Prompt == "" {
		return nil, fail(0, "the system prompt (the text after the front matter) is empty")
	}
	return r, nil
}

var yamlLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): `) })

// parseFront reads the front matter; offset is the file line before its
// first line.
func (r *Role) parseFront(front string, offset int, fail func(int, string, ...any) error) error {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(front), &doc); err != nil {
		msg := err.Error()
		if m := yamlLine().FindStringSubmatch(msg); m != nil {
			n, _ := strconv.Atoi(m[1])
			return fail(n+offset, "invalid front matter: %s", strings.TrimPrefix(msg, m[0]))
		}
		return fail(offset+1, "invalid front matter: %s", strings.TrimPrefix(msg, "yaml: "))
	}
	if len(doc.Content) == 0 {
		return nil // only comments, or nothing
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return fail(m.Line+offset, "front matter must be fields like \"model: gpt-4o\"")
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		line := k.Line + offset
		if !slices.Contains(Fields, k.Value) {
			if near := textmatch.Nearest(k.Value, Fields); near != "" {
				return fail(line, "unknown field %q; did you mean %q? (known: %s)", k.Value, near, strings.Join(Fields, ", "))
			}
			return fail(line, "unknown field %q (known: %s)", k.Value, strings.Join(Fields, ", "))
		}
		if _, dup := r.lines[k.Value]; dup {
			return fail(line, "field %q is set twice", k.Value)
		}
		if v.Kind != yaml.ScalarNode {
			return fail(line, "field %q must be a single value", k.Value)
		}
		r.lines[k.Value] = line
		val := strings.TrimSpace(v.Value)
		switch k.Value {
		case "model":
			r.Model = val
		case "key":
			r.Key = val
		case "description":
			r.Description = val
		case "temperature":
			t, err := strconv.ParseFloat(val, 64)
			if err != nil || v.Tag == "!!str" {
				return fail(line, "temperature %q is not a number", val)
			}
			if t < 0 || t > 2 {
				return fail(line, "temperature %g is outside 0 to 2", t)
			}
			r.Temperature = &t
		}
		if val == "" && k.Value != "description" {
			return fail(line, "field %q is empty", k.Value)
		}
	}
	return nil
}
