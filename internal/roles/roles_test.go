package roles

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeRole(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name+Ext)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadParsesFrontMatterAndBody(t *testing.T) {
	dir := t.TempDir()
	writeRole(t, dir, "reviewer", "---\nmodel: gpt-4o\nkey: work\ntemperature: 0.2\ndescription: reviews Go\n---\nYou review Go code.\n\nBe brief.\n")
	r, err := Load(dir, "reviewer")
	if err != nil {
		t.Fatal(err)
	}
	if r.Model != "gpt-4o" || r.Key != "work" || r.Description != "reviews Go" || r.Temperature == nil || *r.Temperature != 0.2 {
		t.Errorf("fields: %+v", r)
	}
	if r.Prompt != "You review Go code.\n\nBe brief." {
		t.Errorf("prompt = %q", r.Prompt)
	}
}

func TestLoadWithoutFrontMatterIsAllPrompt(t *testing.T) {
	dir := t.TempDir()
	writeRole(t, dir, "plain", "Answer in French.\n--- not front matter\n")
	r, err := Load(dir, "plain")
	if err != nil {
		t.Fatal(err)
	}
	if r.Prompt != "Answer in French.\n--- not front matter" || r.Model != "" || r.Temperature != nil {
		t.Errorf("role = %+v", r)
	}
}

func TestTemplateParses(t *testing.T) {
	r, err := Parse("new", "new.md", []byte(Template))
	if err != nil {
		t.Fatal(err)
	}
	if r.Prompt == "" || r.Description == "" || r.Model != "" {
		t.Errorf("template role = %+v", r)
	}
}

func TestErrorsNameFileAndLine(t *testing.T) {
	cases := []struct {
		name, content string
		line          int
		want          string
	}{
		{"unknown field", "---\nmodel: gpt-4o\nmodle: x\n---\nhi\n", 3, `unknown field "modle"`},
		{"bad yaml", "---\nmodel: gpt-4o\nkey: a: b\n---\nhi\n", 3, "invalid front matter: mapping values"},
		{"not closed", "---\nmodel: gpt-4o\nhi\n", 1, "never closed"},
		{"not a number", "---\ntemperature: hot\n---\nhi\n", 2, "not a number"},
		{"quoted number", "---\ntemperature: \"0.5\"\n---\nhi\n", 2, "not a number"},
		{"out of range", "---\n\ntemperature: 3\n---\nhi\n", 3, "outside 0 to 2"},
		{"twice", "---\nkey: a\nkey: b\n---\nhi\n", 3, "set twice"},
		{"list", "---\nmodel:\n  - a\n  - b\n---\nhi\n", 2, "single value"},
		{"empty key", "---\nkey:\n---\nhi\n", 2, `field "key" is empty`},
		{"not a mapping", "---\n- model\n---\nhi\n", 2, "must be fields"},
		{"empty prompt", "---\nmodel: gpt-4o\n---\n\n", 0, "system prompt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeRole(t, dir, "bad", tc.content)
			_, err := Load(dir, "bad")
			var re *Error
			if !errors.As(err, &re) {
				t.Fatalf("error = %v, want *Error", err)
			}
			if re.Path != path || re.Line != tc.line || !strings.Contains(re.Msg, tc.want) {
				t.Errorf("error = %q (line %d), want line %d and %q", err, re.Line, tc.line, tc.want)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestErrorAtPointsAtTheField(t *testing.T) {
	r, err := Parse("r", "/x/r.md", []byte("---\ndescription: d\nkey: gone\nmodel: m\n---\nhi\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := r.ErrorAt("key", errors.New("no key named gone")).Error()
	if got != "role file /x/r.md, line 3: no key named gone" {
		t.Errorf("ErrorAt(key) = %q", got)
	}
	if got := r.ErrorAt("temperature", errors.New("x")).Error(); got != "role file /x/r.md: x" {
		t.Errorf("ErrorAt(unset field) = %q", got)
	}
}

func TestNamesAndMissingRoles(t *testing.T) {
	dir := t.TempDir()
	for _, bad := range []string{"", "../x", "a/b", ".hidden", "x.md"} {
		if _, err := Load(dir, bad); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("Load(%q) = %v, want a name error", bad, err)
		}
	}
	if _, err := Load(dir, "absent"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Load(absent) = %v, want ErrNotFound", err)
	}
}

func TestListKeepsBadFilesWithTheirError(t *testing.T) {
	dir := t.TempDir()
	writeRole(t, dir, "b-good", "fine\n")
	writeRole(t, dir, "a-bad", "---\nnope: 1\n---\nx\n")
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o600)
	list, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "a-bad" || list[0].Err == nil || list[1].Role == nil {
		t.Errorf("list = %+v", list)
	}
	if list, err := List(filepath.Join(dir, "missing")); err != nil || len(list) != 0 {
		t.Errorf("List(missing dir) = %v, %v", list, err)
	}
}

func TestTooLargeFileIsRefused(t *testing.T) {
	dir := t.TempDir()
	writeRole(t, dir, "big", strings.Repeat("x", MaxFileSize+1))
	if _, err := Load(dir, "big"); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Load(big) = %v", err)
	}
}
