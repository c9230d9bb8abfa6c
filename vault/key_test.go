package vault

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vaultchat/vaultchat/internal/providers"
)

// fullKey returns a key with every field set to a non-zero value, so a
// field the payload forgets to store makes the round trip fail.
func fullKey(t *testing.T) Key {
	t.Helper()
	return Key{
		Name:             "team-azure ✓",
		Provider:         providers.OpenAI, // an admin key (Kind below) is an OpenAI key
		BaseURL:          "https://example-resource.openai.azure.com/openai/",
		Organization:     "org-test",
		Project:          "proj_test",
		DefaultModel:     "gpt-4o-mini",
		AllowedModels:    []string{"gpt-4o-mini", "gpt-4.1"},
		Budget:           Budget{DailyUSD: 1.25, MonthlyUSD: 30.5, MonthlyTokens: 2_000_000, Hard: true},
		Note:             "assigned to the CI bot\nsecond line\tand a tab",
		Created:          fixedTime,
		Rotated:          fixedTime.Add(24 * time.Hour),
		LastUsed:         fixedTime.Add(48 * time.Hour),
		Expires:          fixedTime.AddDate(1, 0, 0),
		LastCheck:        Check{At: fixedTime.Add(time.Hour), OK: true, Status: "ok"},
		AzureAPIVersion:  "2024-10-21",
		AzureDeployments: map[string]string{"gpt-4o-mini": "mini-deploy", "gpt-4.1": "big-deploy"},
		// Consent is stored whatever the scheme; it matters for http only.
		AllowInsecureHTTP: true,
		PriceFree:         true,
		Kind:              KindAdmin,
		ProviderKeyID:     "key_test",
		ServiceAccountID:  "svc_acct_test",
		MintedFrom:        "k_parent",
		Secret:            mustSecret(t, canary(t)),
	}
}

// assertAllFieldsSet fails if any field of v (recursively through structs)
// is zero; ID is allowed to be empty before Add.
func assertAllFieldsSet(t *testing.T, v reflect.Value, path string, skip map[string]bool) {
	t.Helper()
	if v.Kind() == reflect.Struct && v.Type() != reflect.TypeOf(time.Time{}) && v.Type() != reflect.TypeOf(Secret{}) {
		for i := range v.NumField() {
			f := v.Type().Field(i)
			p := path + "." + f.Name
			if skip[p] {
				continue
			}
			assertAllFieldsSet(t, v.Field(i), p, skip)
		}
		return
	}
	if v.IsZero() {
		t.Errorf("fixture leaves %s zero; set it so the round trip covers it", path)
	}
}

func TestKeyRoundTripEveryField(t *testing.T) {
	home, opts, _ := newIdentityVault(t)
	want := fullKey(t)
	assertAllFieldsSet(t, reflect.ValueOf(want), "Key", map[string]bool{"Key.ID": true})

	v := mustOpen(t, home, opts)
	var added Key
	err := v.Update(func(tx *Tx) error {
		var err error
		added, err = tx.Add(want)
		return err
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if !strings.HasPrefix(added.ID, "k_") {
		t.Fatalf("Add gave ID %q", added.ID)
	}
	want.ID = added.ID
	want.BaseURL = "https://example-resource.openai.azure.com/openai" // trailing slash trimmed
	v.Close()

	v2 := mustOpen(t, home, opts)
	got, err := v2.Key(want.Name)
	if err != nil {
		t.Fatalf("Key: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip changed the key:\n got %#v\nwant %#v", got, want)
	}
	if got.Secret.Reveal() != want.Secret.Reveal() {
		t.Fatal("secret changed in the round trip")
	}
	byID, err := v2.Key(want.ID)
	if err != nil || byID.Name != want.Name {
		t.Fatalf("Key(ID) = %v, %v", byID.Name, err)
	}

	// Edit every metadata field; the changes to ID, Name, Created and
	// Secret must be ignored.
	edited := want
	err = v2.Update(func(tx *Tx) error {
		_, err := tx.Edit(want.Name, func(k *Key) error {
			k.ID, k.Name, k.Created = "k_forged", "forged", time.Time{}
			k.Secret = mustSecret(t, canary(t))
			k.Provider = providers.OpenAICompatible
			k.BaseURL = "http://127.0.0.1:8080/v1"
			k.Organization, k.Project, k.DefaultModel = "org-2", "proj-2", "llama3"
			k.AllowedModels = []string{"llama3"}
			k.Budget = Budget{DailyUSD: 2, MonthlyUSD: 3, MonthlyTokens: 4}
			k.Note = "edited"
			k.Rotated, k.LastUsed, k.Expires = fixedTime.Add(1), fixedTime.Add(2), fixedTime.Add(3)
			k.LastCheck = Check{At: fixedTime.Add(4), OK: false, Status: "invalid key"}
			k.AzureAPIVersion, k.AzureDeployments = "", nil
			k.Kind = KindChat // an admin key is OpenAI's only
			return nil
		})
		return err
	})
	if err != nil {
		t.Fatalf("Edit: %v", err)
	}
	edited.Provider, edited.Kind = providers.OpenAICompatible, KindChat
	edited.BaseURL = "http://127.0.0.1:8080/v1"
	edited.Organization, edited.Project, edited.DefaultModel = "org-2", "proj-2", "llama3"
	edited.AllowedModels = []string{"llama3"}
	edited.Budget = Budget{DailyUSD: 2, MonthlyUSD: 3, MonthlyTokens: 4}
	edited.Note = "edited"
	edited.Rotated, edited.LastUsed, edited.Expires = fixedTime.Add(1), fixedTime.Add(2), fixedTime.Add(3)
	edited.LastCheck = Check{At: fixedTime.Add(4), OK: false, Status: "invalid key"}
	edited.AzureAPIVersion, edited.AzureDeployments = "", nil
	v2.Close()

	v3 := mustOpen(t, home, opts)
	got, err = v3.Key(want.Name)
	if err != nil {
		t.Fatalf("Key after Edit: %v", err)
	}
	if !reflect.DeepEqual(got, edited) {
		t.Fatalf("Edit round trip:\n got %#v\nwant %#v", got, edited)
	}
}

func TestKeysAreCopies(t *testing.T) {
	home, opts, _ := newIdentityVault(t)
	v := mustOpen(t, home, opts)
	k := fullKey(t)
	if err := v.Update(func(tx *Tx) error { _, err := tx.Add(k); return err }); err != nil {
		t.Fatal(err)
	}
	got, _ := v.Key(k.Name)
	got.AllowedModels[0] = "changed"
	got.AzureDeployments["gpt-4.1"] = "changed"
	again, _ := v.Key(k.Name)
	if again.AllowedModels[0] == "changed" || again.AzureDeployments["gpt-4.1"] == "changed" {
		t.Fatal("a Key handed out shares slices or maps with the vault state")
	}
}

// TestSecretNeverPrints checks every way a Secret or a Key commonly reaches
// text: fmt verbs, errors and JSON.
func TestSecretNeverPrints(t *testing.T) {
	k := fullKey(t)
	raw := k.Secret.Reveal()
	masked := k.Secret.Masked()
	if !strings.HasPrefix(masked, "sk-proj-…") || !strings.HasSuffix(masked, raw[len(raw)-4:]) {
		t.Fatalf("Masked() = %q, want sk-proj-…%s", masked, raw[len(raw)-4:])
	}
	leaks := func(s string) bool {
		return strings.Contains(s, raw) || strings.Contains(s, hex.EncodeToString([]byte(raw))) ||
			strings.Contains(s, raw[len("sk-proj-"):len(raw)-4])
	}
	verbs := []string{"%v", "%s", "%+v", "%#v", "%q", "%x", "%X", "%d", "%t", "%o", "%c", "%U", "%e", "%10.3v", "%-8s"}
	for _, verb := range verbs {
		for name, val := range map[string]any{"Secret": k.Secret, "*Secret": &k.Secret, "Key": k, "*Key": &k, "[]Key": []Key{k}} {
			out := fmt.Sprintf(verb, val)
			if leaks(out) {
				t.Errorf("Sprintf(%q, %s) leaks the secret: %.120s", verb, name, out)
			}
		}
	}
	for _, verb := range []string{"%v", "%s", "%+v"} {
		if out := fmt.Sprintf(verb, k.Secret); out != masked {
			t.Errorf("Sprintf(%q, secret) = %q, want %q", verb, out, masked)
		}
		if out := fmt.Sprintf(verb, k); !strings.Contains(out, masked) {
			t.Errorf("Sprintf(%q, key) = %q, want the masked form %q in it", verb, out, masked)
		}
	}
	if out := fmt.Sprintf("%#v", k.Secret); out != fmt.Sprintf("vault.Secret(%q)", masked) {
		t.Errorf("%%#v = %s", out)
	}
	if err := fmt.Errorf("use key %v: %w", k, errors.New("x")); leaks(err.Error()) {
		t.Errorf("error text leaks: %v", err)
	}

	for name, val := range map[string]any{"Key": k, "*Key": &k, "[]Key": []Key{k}, "map": map[string]Key{"a": k}, "Secret": k.Secret} {
		b, err := json.Marshal(val)
		if err != nil {
			t.Fatalf("json.Marshal(%s): %v", name, err)
		}
		if leaks(string(b)) {
			t.Errorf("json.Marshal(%s) leaks: %s", name, b)
		}
		if !strings.Contains(string(b), masked) {
			t.Errorf("json.Marshal(%s) lacks the masked form: %s", name, b)
		}
	}
}

func TestNewSecret(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "  sk-proj-abc123\n", want: "sk-proj-abc123"},
		{in: "", wantErr: true},
		{in: " \t\n", wantErr: true},
		{in: "sk-proj-\x1b[31mabc", wantErr: true},
		{in: "sk-proj-abc\ndef", wantErr: true},
		{in: "sk proj", wantErr: true},
		{in: "sk-\xff", wantErr: true},
	}
	for _, tt := range tests {
		s, err := NewSecret(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("NewSecret(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && s.Reveal() != tt.want {
			t.Errorf("NewSecret(%q) = %q, want %q", tt.in, s.Reveal(), tt.want)
		}
		if err != nil && strings.Contains(err.Error(), strings.TrimSpace(tt.in)) && strings.TrimSpace(tt.in) != "" {
			t.Errorf("NewSecret error echoes the input: %v", err)
		}
	}
}

func TestAddValidates(t *testing.T) {
	home, opts, _ := newIdentityVault(t)
	v := mustOpen(t, home, opts)
	good := testKey(t, "good")
	tests := []struct {
		name   string
		change func(k *Key)
	}{
		{"empty name", func(k *Key) { k.Name = "" }},
		{"long name", func(k *Key) { k.Name = strings.Repeat("x", MaxNameLen+1) }},
		{"control in name", func(k *Key) { k.Name = "a\x1bb" }},
		{"bidi in name", func(k *Key) { k.Name = "a\u202eb" }},
		{"spaces around name", func(k *Key) { k.Name = " a" }},
		{"unknown provider", func(k *Key) { k.Provider = "other" }},
		{"azure without URL", func(k *Key) { k.Provider = providers.Azure }},
		{"ftp URL", func(k *Key) { k.BaseURL = "ftp://example.com" }},
		{"credentials in URL", func(k *Key) { k.BaseURL = "https://user:pw@example.com" }},
		{"space in URL", func(k *Key) { k.BaseURL = "https://example.com/ /" }},
		{"newline in URL", func(k *Key) { k.BaseURL = "https://example.com/v1\nx" }},
		{"negative budget", func(k *Key) { k.Budget.DailyUSD = -1 }},
		{"no secret", func(k *Key) { k.Secret = Secret{} }},
		{"control in note", func(k *Key) { k.Note = "x\x07" }},
		{"empty allowed model", func(k *Key) { k.AllowedModels = []string{""} }},
	}
	for _, tt := range tests {
		k := good
		tt.change(&k)
		gen := v.generation()
		err := v.Update(func(tx *Tx) error { _, err := tx.Add(k); return err })
		if err == nil {
			t.Errorf("%s: Add accepted the key", tt.name)
		} else if strings.Contains(err.Error(), good.Secret.Reveal()) {
			t.Errorf("%s: error leaks the secret: %v", tt.name, err)
		}
		if v.generation() != gen {
			t.Errorf("%s: a failed Update saved", tt.name)
		}
	}
	// An API key pasted into the base URL prompt is not echoed back.
	pasted := good
	pasted.BaseURL = canary(t)
	if err := v.Update(func(tx *Tx) error { _, err := tx.Add(pasted); return err }); err == nil || strings.Contains(err.Error(), pasted.BaseURL[8:]) {
		t.Errorf("a key as base URL: %v", err)
	}
	if err := v.Update(func(tx *Tx) error { _, err := tx.Add(good); return err }); err != nil {
		t.Fatalf("Add(good): %v", err)
	}
	dup := testKey(t, "good")
	if err := v.Update(func(tx *Tx) error { _, err := tx.Add(dup); return err }); !errors.Is(err, ErrDuplicateName) {
		t.Fatalf("duplicate name: err = %v, want ErrDuplicateName", err)
	}
	k, _ := v.Key("good")
	if k.BaseURL != providers.OpenAIBaseURL {
		t.Errorf("openai key without URL got %q, want %q", k.BaseURL, providers.OpenAIBaseURL)
	}
}

func TestTxOperations(t *testing.T) {
	home, opts, _ := newIdentityVault(t)
	v := mustOpen(t, home, opts)
	a, b := testKey(t, "a"), testKey(t, "b")
	var aID string
	err := v.Update(func(tx *Tx) error {
		ka, err := tx.Add(a)
		if err != nil {
			return err
		}
		aID = ka.ID
		_, err = tx.Add(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Update(func(tx *Tx) error { return tx.Rename("a", "b") }); !errors.Is(err, ErrDuplicateName) {
		t.Errorf("Rename onto an existing name: %v", err)
	}
	if err := v.Update(func(tx *Tx) error { return tx.Rename("a", "renamed") }); err != nil {
		t.Fatal(err)
	}
	if k, err := v.Key("renamed"); err != nil || k.ID != aID {
		t.Fatalf("renamed key: %v %v", k.ID, err)
	}
	when := time.Date(2030, 1, 2, 3, 4, 5, 6, time.FixedZone("x", 3600))
	if err := v.Update(func(tx *Tx) error { return tx.Touch(aID, when) }); err != nil {
		t.Fatal(err)
	}
	if k, _ := v.Key(aID); !k.LastUsed.Equal(when) || k.LastUsed.Location() != time.UTC {
		t.Errorf("Touch stored %v", k.LastUsed)
	}
	// A failing fn leaves state and disk unchanged.
	gen := v.generation()
	errBoom := errors.New("boom")
	err = v.Update(func(tx *Tx) error {
		if _, err := tx.Remove("b"); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update returned %v", err)
	}
	if _, err := v.Key("b"); err != nil || v.generation() != gen {
		t.Fatalf("failed Update changed state: %v, generation %d→%d", err, gen, v.generation())
	}
	for _, op := range []func(tx *Tx) error{
		func(tx *Tx) error { _, err := tx.Remove("nope"); return err },
		func(tx *Tx) error { return tx.Touch("nope", when) },
		func(tx *Tx) error { return tx.Rename("nope", "x") },
		func(tx *Tx) error { _, err := tx.Rotate("nope", mustSecret(t, canary(t))); return err },
		func(tx *Tx) error { _, err := tx.Edit("nope", func(*Key) error { return nil }); return err },
		func(tx *Tx) error { _, err := tx.Key("nope"); return err },
	} {
		if err := v.Update(op); !errors.Is(err, ErrKeyNotFound) {
			t.Errorf("missing key: err = %v, want ErrKeyNotFound", err)
		}
	}
	if _, err := v.Key("nope"); !errors.Is(err, ErrKeyNotFound) {
		t.Errorf("Key(nope) = %v", err)
	}
	if got := keyNames(v.Keys()); !reflect.DeepEqual(got, []string{"b", "renamed"}) {
		t.Errorf("Keys() = %v", got)
	}
	for _, k := range v.Keys() {
		if s := k.Secret.Reveal(); strings.Contains(v.Redactor().String("x "+s+" x"), s) {
			t.Errorf("the Redactor does not mask key %s", k.Name)
		}
	}
}

func TestRotationDueAndExpired(t *testing.T) {
	day := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	created := day("2026-01-01T12:00:00Z")
	tests := []struct {
		name    string
		k       Key
		now     time.Time
		days    int
		due     bool
		expired bool
	}{
		{"new", Key{Created: created}, day("2026-01-02T00:00:00Z"), 90, false, false},
		{"exactly 90 days", Key{Created: created}, created.Add(90 * 24 * time.Hour), 90, false, false},
		{"91 days", Key{Created: created}, created.Add(91 * 24 * time.Hour), 90, true, false},
		{"rotated recently", Key{Created: created, Rotated: day("2026-05-01T00:00:00Z")}, day("2026-05-02T00:00:00Z"), 90, false, false},
		{"warning off", Key{Created: created}, day("2030-01-01T00:00:00Z"), 0, false, false},
		{"expires today", Key{Created: created, Expires: day("2026-03-01T00:00:00Z")}, day("2026-03-01T23:59:00Z"), 90, false, false},
		{"expired yesterday", Key{Created: created, Expires: day("2026-03-01T00:00:00Z")}, day("2026-03-02T00:00:00Z"), 90, false, true},
	}
	for _, tt := range tests {
		if got := tt.k.RotationDue(tt.now, tt.days); got != tt.due {
			t.Errorf("%s: RotationDue = %v; want %v", tt.name, got, tt.due)
		}
		if got := tt.k.Expired(tt.now); got != tt.expired {
			t.Errorf("%s: Expired = %v; want %v", tt.name, got, tt.expired)
		}
	}
}

// TestRedactorBuiltOncePerSecrets: the redactor is what the chat engine
// keys its provider clients on, so it must stay the same while only
// bookkeeping changes, and change when a secret does.
func TestRedactorBuiltOncePerSecrets(t *testing.T) {
	home, opts, _ := newIdentityVault(t)
	v := mustOpen(t, home, opts)
	secrets := addKeys(t, v, "k", 2)
	first := v.Redactor()
	for _, s := range secrets {
		if strings.Contains(first.String("say "+s), s) {
			t.Fatal("a secret is not masked")
		}
	}
	if err := v.Update(func(tx *Tx) error { return tx.Touch("k-0", time.Now()) }); err != nil {
		t.Fatal(err)
	}
	if v.Redactor() != first {
		t.Error("a last-use save built a new redactor")
	}
	fresh := mustSecret(t, canary(t))
	if err := v.Update(func(tx *Tx) error { _, err := tx.Rotate("k-1", fresh); return err }); err != nil {
		t.Fatal(err)
	}
	second := v.Redactor()
	if second == first || strings.Contains(second.String("say "+fresh.Reveal()), fresh.Reveal()) {
		t.Error("the redactor does not follow a rotation")
	}
	// Another process's change is seen after the next reload.
	other := mustOpen(t, home, opts)
	added := addKeys(t, other, "other", 1)["other-0"]
	v.load()
	if strings.Contains(v.Redactor().String(added), added) {
		t.Error("a key added by another process is not masked after a reload")
	}
	v.Close()
	if r := v.Redactor(); r == second || strings.Contains(r.String("x"), "[") {
		t.Errorf("a closed vault's redactor: %p", r)
	}
}

// TestNoSecretInAName: names are printed in clear everywhere, so a name
// that holds a stored secret (or the key's own) is refused, by add and by
// rename, and so is a new secret that a name already holds; a short
// local-server secret may be a name; a rotation to the same secret is
// refused rather than reported as a purge.
func TestNoSecretInAName(t *testing.T) {
	home, opts, _ := newIdentityVault(t)
	v := mustOpen(t, home, opts)
	a := testKey(t, "a")
	if err := v.Update(func(tx *Tx) error { _, err := tx.Add(a); return err }); err != nil {
		t.Fatal(err)
	}
	secretA := a.Secret.Reveal()
	other := testKey(t, "x")
	for name, fn := range map[string]func(tx *Tx) error{
		"add named after a stored secret": func(tx *Tx) error { k := other; k.Name = secretA; _, err := tx.Add(k); return err },
		"add named after its own secret":  func(tx *Tx) error { k := other; k.Name = "my-" + k.Secret.Reveal(); _, err := tx.Add(k); return err },
		"rename to a secret":              func(tx *Tx) error { return tx.Rename("a", secretA) },
	} {
		if err := v.Update(fn); !errors.Is(err, ErrNameHoldsSecret) {
			t.Errorf("%s: %v, want ErrNameHoldsSecret", name, err)
		}
	}
	// A name that a later secret turns out to be inside.
	named := testKey(t, "named")
	secret := mustSecret(t, canary(t))
	named.Name = "k" + secret.Reveal()[len(secret.Reveal())-30:]
	if err := v.Update(func(tx *Tx) error { _, err := tx.Add(named); return err }); err != nil {
		t.Fatal(err)
	}
	suffixSecret := mustSecret(t, secret.Reveal()[len(secret.Reveal())-30:])
	if err := v.Update(func(tx *Tx) error { _, err := tx.Rotate("a", suffixSecret); return err }); !errors.Is(err, ErrNameHoldsSecret) {
		t.Errorf("rotate to a secret a name holds: %v, want ErrNameHoldsSecret", err)
	}
	if err := v.Update(func(tx *Tx) error { _, err := tx.Rotate("a", a.Secret); return err }); !errors.Is(err, ErrSameSecret) {
		t.Errorf("rotate to the same secret: %v, want ErrSameSecret", err)
	}
	local := testKey(t, "ollama")
	local.Secret = mustSecret(t, "ollama")
	if err := v.Update(func(tx *Tx) error { _, err := tx.Add(local); return err }); err != nil {
		t.Errorf("a local key named like its short secret: %v", err)
	}
}

// TestKindFollowsProvider: an admin key is OpenAI's and a management key
// OpenRouter's, on add and on every edit (changing the provider of an
// admin key turned it into a key nothing could use).
func TestKindFollowsProvider(t *testing.T) {
	home, opts, _ := newIdentityVault(t)
	v := mustOpen(t, home, opts)
	admin := testKey(t, "org-admin")
	admin.Kind = KindAdmin
	if err := v.Update(func(tx *Tx) error { _, err := tx.Add(admin); return err }); err != nil {
		t.Fatal(err)
	}
	err := v.Update(func(tx *Tx) error {
		_, err := tx.Edit("org-admin", func(k *Key) error { k.Provider, k.BaseURL = providers.OpenRouter, ""; return nil })
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "an admin key is an OpenAI key") {
		t.Errorf("edit an admin key to openrouter: %v, want a refusal", err)
	}
	mgmt := testKey(t, "mgmt")
	mgmt.Kind = KindManagement
	if err := v.Update(func(tx *Tx) error { _, err := tx.Add(mgmt); return err }); err == nil || !strings.Contains(err.Error(), "a management key is an OpenRouter key") {
		t.Errorf("add an openai management key: %v, want a refusal", err)
	}
}

// TestBaseURLFollowsPreset: changing a key's provider moves it off the
// old provider's default URL (a Groq key edited to OpenRouter went on to
// Groq's host); a base URL chosen by hand, or given in the same edit,
// stays.
func TestBaseURLFollowsPreset(t *testing.T) {
	home, opts, _ := newIdentityVault(t)
	v := mustOpen(t, home, opts)
	onDefault := testKey(t, "on-default")
	onDefault.Provider = providers.Groq
	custom := testKey(t, "custom")
	custom.Provider, custom.BaseURL = providers.Groq, "https://proxy.example.test/v1"
	given := testKey(t, "given")
	given.Provider = providers.Groq
	if err := v.Update(func(tx *Tx) error {
		for _, k := range []Key{onDefault, custom, given} {
			if _, err := tx.Add(k); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	edit := func(name string, fn func(k *Key)) Key {
		t.Helper()
		var got Key
		if err := v.Update(func(tx *Tx) error {
			var err error
			got, err = tx.Edit(name, func(k *Key) error { fn(k); return nil })
			return err
		}); err != nil {
			t.Fatalf("edit %s: %v", name, err)
		}
		return got
	}
	toOpenRouter := func(k *Key) { k.Provider = providers.OpenRouter }
	if got := edit("on-default", toOpenRouter); got.BaseURL != providers.OpenRouterBaseURL {
		t.Errorf("a key on Groq's default URL edited to openrouter goes to %q, want %q", got.BaseURL, providers.OpenRouterBaseURL)
	}
	if got := edit("custom", toOpenRouter); got.BaseURL != custom.BaseURL {
		t.Errorf("a key on a chosen URL moved to %q, want it kept at %q", got.BaseURL, custom.BaseURL)
	}
	if got := edit("given", func(k *Key) { k.Provider, k.BaseURL = providers.OpenRouter, "https://gw.example.test/v1" }); got.BaseURL != "https://gw.example.test/v1" {
		t.Errorf("a URL given with the provider became %q", got.BaseURL)
	}
	if err := v.Update(func(tx *Tx) error {
		_, err := tx.Edit("on-default", func(k *Key) error { k.Provider = providers.OpenAICompatible; return nil })
		return err
	}); err == nil {
		t.Error("a key moved to a provider without a default URL, and no URL given: accepted")
	}
}

// TestNoSecretInASetting: a key's models, organization, project and
// Azure settings may not hold a stored secret (a secret pasted into
// --model was sent to another server in the request body).
func TestNoSecretInASetting(t *testing.T) {
	home, opts, _ := newIdentityVault(t)
	v := mustOpen(t, home, opts)
	a := testKey(t, "a")
	if err := v.Update(func(tx *Tx) error { _, err := tx.Add(a); return err }); err != nil {
		t.Fatal(err)
	}
	secretA := a.Secret.Reveal()
	for name, set := range map[string]func(k *Key){
		"default model": func(k *Key) { k.DefaultModel = secretA },
		"allowed model": func(k *Key) { k.AllowedModels = []string{"gpt-x", secretA} },
		"organization":  func(k *Key) { k.Organization = secretA },
		"project":       func(k *Key) { k.Project = "p-" + secretA },
		"Azure deployment": func(k *Key) {
			k.Provider, k.BaseURL, k.AzureDeployments = "azure", "https://x.openai.azure.com", map[string]string{"gpt-4o": secretA}
		},
	} {
		k := testKey(t, "b")
		set(&k)
		err := v.Update(func(tx *Tx) error { _, err := tx.Add(k); return err })
		if !errors.Is(err, ErrFieldHoldsSecret) || strings.Contains(err.Error(), secretA) {
			t.Errorf("add with a secret in the %s: %v, want ErrFieldHoldsSecret naming no secret", name, err)
		}
		err = v.Update(func(tx *Tx) error { _, err := tx.Edit("a", func(k *Key) error { set(k); return nil }); return err })
		if !errors.Is(err, ErrFieldHoldsSecret) {
			t.Errorf("edit with its own secret in the %s: %v, want ErrFieldHoldsSecret", name, err)
		}
	}
	// A setting that a later secret turns out to be inside.
	noted := testKey(t, "noted")
	later := mustSecret(t, canary(t))
	noted.Project = "next-" + later.Reveal()
	if err := v.Update(func(tx *Tx) error { _, err := tx.Add(noted); return err }); err != nil {
		t.Fatal(err)
	}
	if err := v.Update(func(tx *Tx) error { _, err := tx.Rotate("a", later); return err }); !errors.Is(err, ErrFieldHoldsSecret) {
		t.Errorf("rotate to a secret a project holds: %v, want ErrFieldHoldsSecret", err)
	}
}

// TestVaultWithABudgetOverMaxUSDOpens: a budget over MaxUSD, which older
// builds accepted, does not keep the vault from opening (it did: every
// command failed); a new add or edit still holds budgets to MaxUSD.
func TestVaultWithABudgetOverMaxUSDOpens(t *testing.T) {
	home, opts, _ := newIdentityVault(t)
	v := mustOpen(t, home, opts)
	if err := v.Update(func(tx *Tx) error { _, err := tx.Add(testKey(t, "big")); return err }); err != nil {
		t.Fatal(err)
	}
	// As an older build stored it.
	if err := v.Update(func(tx *Tx) error { tx.v.state.Keys[0].Budget.DailyUSD = 5e6; return nil }); err != nil {
		t.Fatal(err)
	}
	v.Close()
	v = mustOpen(t, home, opts)
	if k, err := v.Key("big"); err != nil || k.Budget.DailyUSD != 5e6 {
		t.Fatalf("the old record: %+v, %v", k.Budget, err)
	}
	err := v.Update(func(tx *Tx) error {
		_, err := tx.Edit("big", func(k *Key) error { k.Budget.MonthlyUSD = 2e6; return nil })
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "from 0 to 1,000,000") {
		t.Errorf("an edit to a budget over MaxUSD: %v, want a refusal", err)
	}
}

// TestSettingsHoldingASecretAreFoundEverywhere: a base URL may not carry
// a stored secret in its path (it was sent in clear to that server); a
// new secret already written in another key's settings is refused on
// add; and CheckSettings finds a secret in a record stored before the
// rule, so the session can refuse to send it.
func TestSettingsHoldingASecretAreFoundEverywhere(t *testing.T) {
	home, opts, _ := newIdentityVault(t)
	v := mustOpen(t, home, opts)
	a := testKey(t, "a")
	if err := v.Update(func(tx *Tx) error { _, err := tx.Add(a); return err }); err != nil {
		t.Fatal(err)
	}
	logger := testKey(t, "logger")
	logger.BaseURL = "http://127.0.0.1:9/v1/" + a.Secret.Reveal()
	if err := v.Update(func(tx *Tx) error { _, err := tx.Add(logger); return err }); !errors.Is(err, ErrFieldHoldsSecret) {
		t.Errorf("a stored secret in a base URL's path: %v, want ErrFieldHoldsSecret", err)
	}
	next := mustSecret(t, canary(t))
	waiting := testKey(t, "waiting")
	waiting.Project = "p-" + next.Reveal()
	if err := v.Update(func(tx *Tx) error { _, err := tx.Add(waiting); return err }); err != nil {
		t.Fatal(err)
	}
	b := testKey(t, "b")
	b.Secret = next
	if err := v.Update(func(tx *Tx) error { _, err := tx.Add(b); return err }); !errors.Is(err, ErrFieldHoldsSecret) {
		t.Errorf("add a secret another key's project holds: %v, want ErrFieldHoldsSecret", err)
	}
	// As an older build stored it.
	if err := v.Update(func(tx *Tx) error {
		i := tx.v.state.find("waiting")
		tx.v.state.Keys[i].Organization = "org-" + a.Secret.Reveal()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	k, err := v.Key("waiting")
	if err != nil {
		t.Fatal(err)
	}
	if err := v.CheckSettings(k); !errors.Is(err, ErrFieldHoldsSecret) || !strings.Contains(err.Error(), "organization") || strings.Contains(err.Error(), a.Secret.Reveal()) {
		t.Errorf("CheckSettings of an old record: %v", err)
	}
	if a, _ := v.Key("a"); v.CheckSettings(a) != nil {
		t.Errorf("CheckSettings of a clean key: %v", v.CheckSettings(a))
	}
}
