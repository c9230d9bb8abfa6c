package session

import (
	"errors"
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/chat"
	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/vault"
)

func TestCreateWithRoleMasksSecretsAndCheckModel(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.addKey("work", "sim-fast", func(k *vault.Key) { k.AllowedModels = []string{"sim-fast"} })
	f.unlock()
	secret := f.secrets[0]
	c, masked, err := f.sess.CreateWithRole(chat.RoleRef{Name: "r", Text: "use " + secret + " nowhere", Description: "d " + secret})
	if err != nil || !masked {
		t.Fatalf("CreateWithRole with a key: masked %v, %v; want it masked and said so", masked, err)
	}
	if _, masked, err := f.sess.CreateWithRole(chat.RoleRef{Name: "plain", Text: "be brief"}); err != nil || masked {
		t.Fatalf("CreateWithRole without a key: masked %v, %v", masked, err)
	}
	for _, prompt := range []string{"use " + secret, ""} {
		if _, masked, err := f.sess.Create(prompt); err != nil || masked != (prompt != "") {
			t.Fatalf("Create(%d bytes): masked %v, %v", len(prompt), masked, err)
		}
	}
	got := f.load(c.ID)
	if got.Role == nil || got.Role.Name != "r" || strings.Contains(got.Role.Text, secret) || strings.Contains(got.Role.Description, secret) || strings.Contains(got.SystemPrompt, secret) {
		t.Errorf("stored role %+v, system prompt %q", got.Role, got.SystemPrompt)
	}
	if !strings.HasPrefix(got.SystemPrompt, "use ") {
		t.Errorf("system prompt = %q; want the role's text", got.SystemPrompt)
	}
	if err := f.sess.CheckModel("work", "sim-fast"); err != nil {
		t.Errorf("allowed model: %v", err)
	}
	var na *ModelNotAllowedError
	if err := f.sess.CheckModel("work", "gpt-4o"); err == nil || !errors.As(err, &na) || na.Model != "gpt-4o" {
		t.Errorf("disallowed model: %v", err)
	}
	if err := f.sess.CheckModel("nosuchkey", ""); err == nil {
		t.Error("an unknown key passed")
	}
}
