package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/vaultchat/vaultchat"

type pkg struct {
	ImportPath string
	Deps       []string
	Imports    []string
}

// listPackages returns every package of the module with its transitive
// dependencies, as the go command sees them.
func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", module+"/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 5 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

func isCharm(dep string) bool {
	return strings.HasPrefix(dep, "charm.land/") || strings.HasPrefix(dep, "github.com/charmbracelet/")
}

const goOpenAI = "github.com/sashabaranov/go-openai"

// TestDependencyRules enforces docs/ARCHITECTURE.md: vault/ and internal/
// never import Charm packages; only internal/cli (which starts the TUI) may
// depend on ui/ at all, so everything below it stays free of UI code even
// transitively; ui/ never reaches the vault, the provider or go-openai; and
// only internal/provider imports go-openai.
func TestDependencyRules(t *testing.T) {
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(p.ImportPath, module+"/")
		inCore := rel == "vault" || strings.HasPrefix(rel, "vault/") || strings.HasPrefix(rel, "internal/")
		inUI := rel == "ui" || strings.HasPrefix(rel, "ui/")
		for _, imp := range p.Imports {
			if inCore && isCharm(imp) {
				t.Errorf("%s imports Charm package %s; vault/ and internal/ must stay free of UI code", rel, imp)
			}
			if strings.HasPrefix(imp, goOpenAI) && rel != "internal/provider" {
				t.Errorf("%s imports go-openai; only internal/provider may", rel)
			}
		}
		for _, dep := range p.Deps {
			if inCore && rel != "internal/cli" && (isCharm(dep) || isUI(dep)) {
				t.Errorf("%s depends on %s; only internal/cli may reach the UI", rel, dep)
			}
			if inUI && (dep == module+"/vault" || dep == module+"/internal/provider" || strings.HasPrefix(dep, goOpenAI)) {
				t.Errorf("%s depends on %s; the UI sees key references, never the vault or the provider SDK", rel, dep)
			}
		}
	}
}

// isUI reports whether dep is one of our ui packages.
func isUI(dep string) bool {
	return dep == module+"/ui" || strings.HasPrefix(dep, module+"/ui/")
}
