package config

import (
	"regexp"
	"strings"
	"testing"
)

// allKeys lists every key path of the file format, from file's toml tags,
// with "*" for a model name.
func allKeys(parent []string) []string {
	var out []string
	for _, k := range knownKeys(parent) {
		path := append(append([]string{}, parent...), k)
		if k == "prices" {
			path = append(path, "*")
		}
		if sub := allKeys(path); len(sub) > 0 {
			out = append(out, sub...)
		} else {
			out = append(out, strings.Join(path, "."))
		}
	}
	return out
}

// TestTemplateCoversEverySetting uncomments the template and checks that
// it parses and sets every key the format has, so it cannot drift.
func TestTemplateCoversEverySetting(t *testing.T) {
	uncommented := regexp.MustCompile(`(?m)^# ([a-z_]+ = |\[)`).ReplaceAllString(Template, "$1")
	if _, err := Parse([]byte(Template)); err != nil {
		t.Fatalf("the template as written does not parse: %v", err)
	}
	if _, err := Parse([]byte(uncommented)); err != nil {
		t.Fatalf("the template uncommented does not parse: %v\n%s", err, uncommented)
	}
	lines := keyLines([]byte(uncommented))
	for _, k := range allKeys(nil) {
		key := strings.Split(strings.Replace(k, "*", "gpt-4o", 1), ".")
		if lineOf(lines, key...) == 0 {
			t.Errorf("the template has no line for %s", k)
		}
	}
}

func TestDescribe(t *testing.T) {
	data := []byte("max_retries = 5\n[agent]\nidle = \"5m\"\n[prices.\"my-model\"]\ninput = 1.5\n")
	got, err := Describe(data)
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]Setting{}
	for _, s := range got {
		byKey[s.Key] = s
	}
	// Every scalar key of the format is listed.
	for _, k := range allKeys(nil) {
		if !strings.HasPrefix(k, "prices.") {
			if _, ok := byKey[k]; !ok {
				t.Errorf("Describe leaves out %s", k)
			}
		}
	}
	for key, want := range map[string]Setting{
		"max_retries":              {Value: 5, Default: DefaultMaxRetries, FromFile: true},
		"idle_lock":                {Value: "10m", Default: "10m"},
		"agent.idle":               {Value: "5m", Default: "15m", FromFile: true},
		"agent.max":                {Value: "8h", Default: "8h"},
		`prices."my-model".input`:  {Value: 1.5, FromFile: true},
		`prices."my-model".output`: {Value: 0.0},
	} {
		s := byKey[key]
		if s.Value != want.Value || s.Default != want.Default || s.FromFile != want.FromFile {
			t.Errorf("%s = %+v; want value %v, default %v, from file %v", key, s, want.Value, want.Default, want.FromFile)
		}
	}
	if _, err := Describe([]byte("idle_lok = 1")); err == nil {
		t.Error("Describe accepted an unknown key")
	}
}
