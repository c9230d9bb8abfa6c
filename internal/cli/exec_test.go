package cli

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/vault"
)

// envOf parses "env" output into a map.
func envOf(out string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			m[k] = v
		}
	}
	return m
}

func TestExecPassesTheKeyToTheChildOnly(t *testing.T) {
	e := newVault(t)
	secret := e.addKey("work", "--org", "org-9", "--project", "proj_9")
	e.vars["OPENAI_API_KEY"] = "from-the-parent"
	e.vars["OPENAI_PROJECT_ID"] = "stale-project"
	e.vars["AZURE_OPENAI_ENDPOINT"] = "https://stale.example"
	e.vars["KEEP_ME"] = "kept"
	_, hadKey := os.LookupEnv("OPENAI_API_KEY")
	used := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	e.now = func() time.Time { return used }

	res := e.mustRun(tty{}, "exec", "work", "--", "env")
	got := envOf(res.stdout)
	want := map[string]string{
		"OPENAI_API_KEY":    secret,
		"OPENAI_BASE_URL":   providers.OpenAIBaseURL,
		"OPENAI_ORG_ID":     "org-9",
		"OPENAI_PROJECT_ID": "proj_9",
		"KEEP_ME":           "kept",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("child's %s = %q; want %q", k, got[k], v)
		}
	}
	if _, ok := got["AZURE_OPENAI_ENDPOINT"]; ok {
		t.Error("a stale AZURE_OPENAI_ENDPOINT reached the child")
	}
	if strings.Count(res.stdout, "OPENAI_API_KEY=") != 1 {
		t.Errorf("OPENAI_API_KEY appears more than once:\n%s", res.stdout)
	}
	// Our own process environment never gets the key.
	if v, ok := os.LookupEnv("OPENAI_API_KEY"); ok != hadKey || v == secret {
		t.Error("exec changed this process's environment")
	}
	if k := e.key("work"); !k.LastUsed.Equal(used) {
		t.Errorf("LastUsed = %v; want %v", k.LastUsed, used)
	}
}

func TestExecWithoutDashDashAndStdin(t *testing.T) {
	e := newVault(t)
	e.addKey("work")
	res := e.mustRun(tty{stdin: "piped through\n"}, "exec", "work", "sh", "-c", `cat; printf '%s\n' "$#"`, "sh", "a", "b")
	if res.stdout != "piped through\n2\n" {
		t.Errorf("stdout = %q", res.stdout)
	}
}

func TestExecExitStatus(t *testing.T) {
	e := newVault(t)
	e.addKey("work")
	tests := []struct {
		script string
		code   int
	}{
		{"exit 0", 0},
		{"exit 7", 7},
		{"exit 1", 1},
		{"exit 2", 2},
		{"kill -TERM $$", 128 + 15},
	}
	for _, tt := range tests {
		res := e.run(tty{}, "exec", "work", "--", "sh", "-c", tt.script)
		if res.code != tt.code {
			t.Errorf("%q: exit %d; want %d (stderr %q)", tt.script, res.code, tt.code, res.stderr)
		}
		if res.stderr != "" {
			t.Errorf("%q: we printed %q; a child's status is passed through silently", tt.script, res.stderr)
		}
	}
}

func TestChildEnv(t *testing.T) {
	secret := "sk-test-" + "0123456789abcdef"
	s, err := vault.NewSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	base := []string{"PATH=/bin", "OPENAI_API_KEY=old", "openai_base_url=old", "OPENAI_API_VERSION=old", "HOME=/h"}
	tests := []struct {
		name string
		k    vault.Key
		want []string
	}{
		{"openai", vault.Key{Provider: providers.OpenAI, BaseURL: "https://api.openai.com/v1", Secret: s},
			[]string{"PATH=/bin", "HOME=/h", "OPENAI_API_KEY=" + secret, "OPENAI_BASE_URL=https://api.openai.com/v1"}},
		{"compatible with org", vault.Key{Provider: providers.OpenAICompatible, BaseURL: "http://127.0.0.1:1234/v1", Organization: "o", Secret: s},
			[]string{"PATH=/bin", "HOME=/h", "OPENAI_API_KEY=" + secret, "OPENAI_BASE_URL=http://127.0.0.1:1234/v1", "OPENAI_ORG_ID=o"}},
		{"azure endpoint", vault.Key{Provider: providers.Azure, BaseURL: "https://r.openai.azure.com", AzureAPIVersion: "2024-10-21", Secret: s},
			[]string{"PATH=/bin", "HOME=/h", "AZURE_OPENAI_API_KEY=" + secret, "AZURE_OPENAI_ENDPOINT=https://r.openai.azure.com",
				"OPENAI_API_VERSION=2024-10-21", "OPENAI_API_KEY=" + secret, "OPENAI_BASE_URL=https://r.openai.azure.com/openai/v1"}},
		{"azure v1 base", vault.Key{Provider: providers.Azure, BaseURL: "https://r.openai.azure.com/openai/v1", Secret: s},
			[]string{"PATH=/bin", "HOME=/h", "AZURE_OPENAI_API_KEY=" + secret, "AZURE_OPENAI_ENDPOINT=https://r.openai.azure.com",
				"OPENAI_API_KEY=" + secret, "OPENAI_BASE_URL=https://r.openai.azure.com/openai/v1"}},
	}
	for _, tt := range tests {
		got := childEnv(base, tt.k)
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("%s:\ngot  %q\nwant %q", tt.name, got, tt.want)
		}
	}
}
