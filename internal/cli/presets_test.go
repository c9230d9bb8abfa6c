package cli

import (
	"bytes"
	"encoding/json"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/providers"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// TestKeysAddWrongProviderWarning: a key whose prefix belongs to another
// provider gets a warning naming that provider, on add and on rotate,
// without the key; a key that fits gets none.
func TestKeysAddWrongProviderWarning(t *testing.T) {
	e := newVault(t)
	groqKey := "gsk_" + testkit.RandomHex(t, 24)
	res := e.mustRun(tty{stdin: groqKey}, "keys", "add", "work", "--provider", "openai")
	wantContains(t, "stderr", res.stderr,
		`vaultchat: warning: key "work" starts with "gsk_" as groq keys do, but it is stored for openai and will be sent to api.openai.com`,
		"vaultchat keys edit work --provider groq")
	if strings.Contains(res.stdout+res.stderr, groqKey) || strings.Contains(res.stdout+res.stderr, groqKey[4:12]) {
		t.Errorf("the key was printed:\n%s%s", res.stdout, res.stderr)
	}

	res = e.mustRun(tty{stdin: "gsk_" + testkit.RandomHex(t, 24)}, "keys", "add", "fast", "--provider", "groq")
	if strings.Contains(res.stderr, "warning") {
		t.Errorf("a groq key stored for groq was warned about:\n%s", res.stderr)
	}

	xaiKey := "xai-" + testkit.RandomHex(t, 24)
	res = e.mustRun(tty{stdin: xaiKey}, "keys", "rotate", "fast")
	wantContains(t, "stderr", res.stderr, `key "fast" starts with "xai-" as xai keys do, but it is stored for groq and will be sent to api.groq.com`)
	if strings.Contains(res.stdout+res.stderr, xaiKey) {
		t.Errorf("the key was printed:\n%s%s", res.stdout, res.stderr)
	}
}

// TestKeysEditProviderMovesTheKey: the wrong-provider warning's own fix
// ("keys edit NAME --provider X") sends the key to X's host, not on to
// the host it was wrongly stored for; an edit that leaves kind, prefix
// and host disagreeing is warned about like an add.
func TestKeysEditProviderMovesTheKey(t *testing.T) {
	e := newVault(t)
	orKey := "sk-or-v1-" + testkit.RandomHex(t, 32)
	res := e.mustRun(tty{stdin: orKey}, "keys", "add", "wrong", "--provider", "groq")
	wantContains(t, "stderr", res.stderr, "vaultchat keys edit wrong --provider openrouter")
	res = e.mustRun(tty{}, "keys", "edit", "wrong", "--provider", "openrouter")
	wantContains(t, "stdout", res.stdout, "updated key wrong: openrouter at openrouter.ai")
	if strings.Contains(res.stderr, "warning") {
		t.Errorf("the fix the warning gave is warned about:\n%s", res.stderr)
	}
	// --json: the text form would ask openrouter.ai for the key's figures.
	res = e.mustRun(tty{}, "keys", "show", "wrong", "--json")
	wantContains(t, "keys show", res.stdout, "https://openrouter.ai/api/v1")
	if strings.Contains(res.stdout, "groq") {
		t.Errorf("the key still goes to groq:\n%s", res.stdout)
	}

	res = e.mustRun(tty{}, "keys", "edit", "wrong", "--provider", "deepseek")
	wantContains(t, "stderr", res.stderr, `key "wrong" starts with "sk-or-v1-" as openrouter keys do, but it is stored for deepseek and will be sent to api.deepseek.com`)
	if strings.Contains(res.stdout+res.stderr, orKey) || strings.Contains(res.stdout+res.stderr, orKey[9:17]) {
		t.Errorf("the key was printed:\n%s%s", res.stdout, res.stderr)
	}
}

// TestKeysAddKeyless: a local preset takes no key (empty stdin, or Enter
// at the prompt), shows it as such, and is free.
func TestKeysAddKeyless(t *testing.T) {
	e := newVault(t)
	res := e.mustRun(tty{}, "keys", "add", "local", "--provider", "ollama")
	wantContains(t, "stdout", res.stdout, "added key local: ollama at 127.0.0.1:11434, no key (the server needs none)")
	if strings.Contains(res.stderr, "too short") {
		t.Errorf("a keyless key was warned about:\n%s", res.stderr)
	}
	res = e.mustRun(tty{stdinTTY: true, secrets: []string{""}}, "keys", "add", "studio", "--provider", "lmstudio")
	if len(res.prompts) != 1 || !strings.Contains(res.prompts[0], "Enter for none") {
		t.Errorf("prompts = %q", res.prompts)
	}
	wantContains(t, "stdout", res.stdout, "lmstudio at 127.0.0.1:1234, no key")
	res = e.mustRun(tty{}, "keys", "show", "local")
	wantContains(t, "keys show", res.stdout, "http://127.0.0.1:11434/v1", "free (turns cost $0)")
	if !strings.Contains(res.stdout, "\nkey:") || !strings.HasSuffix(strings.SplitN(strings.SplitN(res.stdout, "\nkey:", 2)[1], "\n", 2)[0], " none") {
		t.Errorf("keys show: the key line should say none:\n%s", res.stdout)
	}
	res = e.mustRun(tty{}, "keys", "list", "--json")
	wantContains(t, "keys list --json", res.stdout, `"fingerprint": "none"`)

	// A hosted provider still needs one.
	res = e.run(tty{}, "keys", "add", "cloud", "--provider", "mistral")
	wantCode(t, res, 1)
	wantContains(t, "stderr", res.stderr, "empty secret")
}

// TestPresetPathsReachSimulator: each hosted preset's default base URL
// path (Gemini's /v1beta/openai, Groq's /openai/v1, DeepSeek's root, …)
// is where the simulator, standing in for the provider on 127.0.0.1,
// serves the model list and chat; a key of that kind at the simulator's
// host with that path lists models and chats.
func TestPresetPathsReachSimulator(t *testing.T) {
	e := newVault(t)
	_, simURL := testkit.Sim(t, sim.Options{})
	host := strings.TrimSuffix(simURL, "/v1")
	for _, k := range providers.Kinds() {
		if k.DefaultBaseURL == "" || k.Protocol != providers.ProtocolOpenAI {
			continue
		}
		u, err := url.Parse(k.DefaultBaseURL)
		if err != nil {
			t.Fatal(err)
		}
		name := "p-" + k.Name
		e.addKey(name, "--provider", k.Name, "--base-url", host+u.Path, "--model", "sim-fast")
		res := e.run(tty{}, "models", "--key", name)
		if res.code != 0 || !strings.Contains(res.stdout, "sim-smart") {
			t.Errorf("%s at %s: models exit %d\n%s%s", k.Name, u.Path, res.code, res.stdout, res.stderr)
			continue
		}
		got := e.askJSON(tty{}, "--key", name, "hello")
		if got.Reply == "" {
			t.Errorf("%s at %s: empty reply", k.Name, u.Path)
		}
	}
}

// TestModelsCommand lists a key's models with context window and price,
// as a table and as JSON, and fails clearly for an unknown key and an
// unreachable local server.
func TestModelsCommand(t *testing.T) {
	e := newVault(t)
	_, simURL := testkit.Sim(t, sim.Options{})
	e.addSimKey("work", simURL, "--allow-model", "sim-fast")
	res := e.mustRun(tty{}, "models", "--key", "work")
	wantContains(t, "models", res.stdout, "MODEL", "CONTEXT", "sim-fast", "8,192", "0.2", "0.8", "gpt-4o", "128,000", "2.5", "10", "not allowed for this key")

	res = e.mustRun(tty{}, "models", "--key", "work", "--json")
	var views []struct {
		ID            string `json:"id"`
		ContextWindow *int   `json:"context_window"`
		Price         *struct {
			Input, Output float64
		} `json:"price_per_million"`
		Allowed bool `json:"allowed"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &views); err != nil {
		t.Fatalf("models --json: %v\n%s", err, res.stdout)
	}
	byID := map[string]int{}
	for i, v := range views {
		byID[v.ID] = i
	}
	fast, ok := byID["sim-fast"]
	if !ok || views[fast].ContextWindow == nil || *views[fast].ContextWindow != 8192 || views[fast].Price == nil ||
		views[fast].Price.Output != 0.8 || !views[fast].Allowed {
		t.Errorf("sim-fast = %+v", views[fast])
	}
	if i, ok := byID["gpt-4o"]; !ok || views[i].Allowed {
		t.Errorf("gpt-4o should be listed, not allowed: %+v", views)
	}

	// The same server as a local preset: every model is free.
	e.addKey("local", "--provider", "vllm", "--base-url", simURL)
	res = e.mustRun(tty{}, "models", "--key", "local", "--json")
	if !strings.Contains(res.stdout, `"input": 0,`) || strings.Contains(res.stdout, `"output": 10`) {
		t.Errorf("a local server's models should cost 0:\n%s", res.stdout)
	}

	res = e.run(tty{}, "models", "--key", "nope")
	wantCode(t, res, 1)
	wantErrorLines(t, "unknown key", res.stderr)
	wantContains(t, "stderr", res.stderr, "nope", `hint: list the keys with "vaultchat keys list"`)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/v1"
	l.Close()
	e.mustRun(tty{}, "keys", "add", "down", "--provider", "ollama", "--base-url", closed)
	res = e.run(tty{}, "models", "--key", "down")
	wantCode(t, res, 1)
	wantErrorLines(t, "unreachable", res.stderr)
	wantContains(t, "stderr", res.stderr, "error: list the models of key down: cannot reach "+strings.TrimPrefix(strings.TrimSuffix(closed, "/v1"), "http://"),
		`hint: is ollama running? start it with "ollama serve"`)
}

// TestFreeKeyCostsZero: a turn on a local preset, or on a key marked
// --price-free, costs $0 in the ledger (a known cost), not "—".
func TestFreeKeyCostsZero(t *testing.T) {
	e := newVault(t)
	_, simURL := testkit.Sim(t, sim.Options{})
	// The simulator's gpt-4o is priced; on these keys it is free.
	e.addKey("local", "--provider", "ollama", "--base-url", simURL, "--model", "gpt-4o")
	e.addSimKey("selfhosted", simURL, "--model", sim.FaultLong) // an unpriced model
	e.addSimKey("paid", simURL, "--model", sim.FaultLong)
	e.mustRun(tty{}, "keys", "edit", "selfhosted", "--price-free")
	for _, k := range []string{"local", "selfhosted", "paid"} {
		e.askJSON(tty{}, "--key", k, "hello")
	}
	res := e.mustRun(tty{}, "usage", "--by", "key", "--json")
	var out struct {
		Rows []struct {
			Group    string   `json:"group"`
			Requests int64    `json:"requests"`
			CostUSD  *float64 `json:"cost_usd"`
		} `json:"rows"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, res.stdout)
	}
	got := map[string]*float64{}
	for _, r := range out.Rows {
		got[r.Group] = r.CostUSD
	}
	for _, free := range []string{"local", "selfhosted"} {
		if c, ok := got[free]; !ok || c == nil || *c != 0 {
			t.Errorf("%s: cost %v, want a known $0 (%s)", free, c, res.stdout)
		}
	}
	if c, ok := got["paid"]; !ok || c != nil {
		t.Errorf("paid key on an unpriced model: cost %v, want unknown", c)
	}
	res = e.mustRun(tty{}, "usage", "--by", "key")
	for _, line := range strings.Split(res.stdout, "\n") {
		if strings.HasPrefix(line, "local ") || strings.HasPrefix(line, "selfhosted ") {
			if !strings.Contains(line, "$0.00") || strings.Contains(line, "—") {
				t.Errorf("free key shows %q, want $0.00", line)
			}
		}
	}
}

// TestVaultBeforePresets opens a vault written by vaultchat before the
// presets existed (testdata, made by that version with openai-compatible
// keys for a local server and OpenRouter): it opens unchanged and lists
// the same keys.
func TestVaultBeforePresets(t *testing.T) {
	e := newEnv(t)
	src := filepath.Join("testdata", "vault-before-presets")
	if err := os.MkdirAll(e.home, 0o700); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(filepath.Join(src, "vault.age"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.home, "vault.age"), old, 0o600); err != nil {
		t.Fatal(err)
	}
	e.vars[envIdentity] = filepath.Join(src, "identity.txt")

	res := e.mustRun(tty{}, "keys", "list", "--json")
	var got, want []map[string]any
	if err := json.Unmarshal([]byte(res.stdout), &got); err != nil {
		t.Fatal(err)
	}
	wantJSON, err := os.ReadFile(filepath.Join(src, "keys_list.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(wantJSON, &want); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d keys, want %d:\n%s", len(got), len(want), res.stdout)
	}
	for i := range want {
		for _, field := range []string{"id", "name", "provider", "base_url", "host", "default_model", "fingerprint", "created", "note"} {
			if got[i][field] != want[i][field] {
				t.Errorf("key %d %s = %v, want %v", i, field, got[i][field], want[i][field])
			}
		}
		if got[i]["provider"] != providers.OpenAICompatible {
			t.Errorf("key %v changed kind: %v", got[i]["name"], got[i]["provider"])
		}
	}
	now, err := os.ReadFile(filepath.Join(e.home, "vault.age"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(now, old) {
		t.Error("listing the keys rewrote the vault")
	}
	// The old OpenRouter key keeps reaching OpenRouter's account API by
	// its host, and its old local key is priced as before (unknown).
	res = e.mustRun(tty{}, "keys", "show", "local-llm")
	if strings.Contains(res.stdout, "free") {
		t.Errorf("an openai-compatible key became free:\n%s", res.stdout)
	}
}

// TestAskLocalServerDown: ask on a local preset whose server is not
// running fails at once (no retries: connection refused on this machine)
// with the preset's hint, the same one models and keys check give.
func TestAskLocalServerDown(t *testing.T) {
	e := newVault(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/v1"
	l.Close()
	e.mustRun(tty{}, "keys", "add", "lms", "--provider", "lmstudio", "--base-url", closed, "--model", "x")
	res := e.run(tty{}, "ask", "--no-save", "--key", "lms", "hi")
	wantCode(t, res, 1)
	if strings.Contains(res.stderr, "retrying") {
		t.Errorf("a refused connection on this machine was retried:\n%s", res.stderr)
	}
	wantContains(t, "stderr", res.stderr, "cannot reach "+l.Addr().String(),
		`hint: is lmstudio running? start its server with "lms server start"`)
	models := e.run(tty{}, "models", "--key", "lms")
	askHint, modelsHint := hintLine(res.stderr), hintLine(models.stderr)
	if askHint == "" || askHint != modelsHint {
		t.Errorf("ask's hint %q differs from models' %q", askHint, modelsHint)
	}
}

func hintLine(stderr string) string {
	for line := range strings.Lines(stderr) {
		if strings.HasPrefix(line, "vaultchat: hint: ") {
			return strings.TrimSpace(line)
		}
	}
	return ""
}
