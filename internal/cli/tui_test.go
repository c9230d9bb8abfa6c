package cli

import (
	"strings"
	"testing"

	"github.com/vaultchat/vaultchat/internal/sim"
	"github.com/vaultchat/vaultchat/internal/testkit"
)

// TestTUIBackendRoles lists and loads role files through the TUI's
// backend as ask --role does: a good role with its settings, a bad file
// listed with its problem and refused naming the file and line, a role
// whose model the key may not use refused at the role's model line.
func TestTUIBackendRoles(t *testing.T) {
	_, url := testkit.Sim(t, sim.Options{})
	e := newVault(t)
	e.addSimKey("work", url, "--allow-model", "sim-fast")
	e.writeRoleFile("reviewer", "---\nkey: work\nmodel: sim-fast\ndescription: reviews Go\n---\nYou review Go code.\n")
	bad := e.writeRoleFile("typo", "---\nmodle: gpt-4o\n---\nhi\n")
	denied := e.writeRoleFile("denied", "---\nkey: work\nmodel: gpt-4o\n---\nhi\n")
	var res result
	a := newApp(e.deps(tty{}, &res))
	sess := e.session(t)
	defer sess.Close()
	b := newTUIBackend(a, sess)

	list, err := b.Roles()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[1].Name != "reviewer" || list[1].Description != "reviews Go" || list[1].Model != "sim-fast" {
		t.Fatalf("Roles = %+v", list)
	}
	if list[2].Name != "typo" || !strings.Contains(list[2].Problem, bad+", line 2") {
		t.Errorf("bad file listed as %+v; want its problem naming %s, line 2", list[2], bad)
	}
	ref, err := b.Role("reviewer")
	if err != nil || ref.Text != "You review Go code." || ref.Key != "work" || ref.Model != "sim-fast" {
		t.Fatalf("Role(reviewer) = %+v, %v", ref, err)
	}
	if _, err := b.Role("typo"); err == nil || !strings.Contains(err.Error(), bad+", line 2") {
		t.Errorf("Role(typo) error %v; want it to name %s, line 2", err, bad)
	}
	if _, err := b.Role("denied"); err == nil || !strings.Contains(err.Error(), denied+", line 3") {
		t.Errorf("Role(denied) error %v; want it to name %s, line 3", err, denied)
	}
	if _, err := b.Role("absent"); err == nil || !strings.Contains(err.Error(), "vaultchat roles edit absent") {
		t.Errorf("Role(absent) error %v; want the hint to create it", err)
	}
}
