package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
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

// importedOnlyBy maps a package to the only packages allowed to import it
// (test files aside: go list leaves them out of Imports).
var importedOnlyBy = map[string][]string{
	// The engine only runs turns, for the session layer.
	"internal/engine": {"internal/session"},
	// The stores are opened and owned by the session; the engine gets
	// them from it. The faces (internal/cli, ui) reach conversations and
	// usage only through the session.
	"internal/store": {"internal/session", "internal/engine"},
	"internal/usage": {"internal/session", "internal/engine"},
	// The test kit is for tests only.
	"internal/testkit": {},
}

// TestImportedOnlyBy enforces who may import the session layer's parts,
// and that no shipped code imports the test kit.
func TestImportedOnlyBy(t *testing.T) {
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(p.ImportPath, module+"/")
		for _, imp := range p.Imports {
			allowed, ruled := importedOnlyBy[strings.TrimPrefix(imp, module+"/")]
			switch {
			case !ruled || slices.Contains(allowed, rel):
			case len(allowed) == 0:
				t.Errorf("%s imports %s, which only tests may import", rel, imp)
			default:
				t.Errorf("%s imports %s; only %s may (see docs/ARCHITECTURE.md)", rel, imp, strings.Join(allowed, ", "))
			}
		}
	}
}

// stdlibOnly are the leaves docs/ARCHITECTURE.md says import nothing but
// the standard library: every package may import them, so they must not
// pull anything in.
var stdlibOnly = []string{"internal/providers", "internal/figures", "internal/mdfence", "internal/sanitize"}

// TestLeavesImportOnlyTheStandardLibrary enforces stdlibOnly.
func TestLeavesImportOnlyTheStandardLibrary(t *testing.T) {
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(p.ImportPath, module+"/")
		if !slices.Contains(stdlibOnly, rel) {
			continue
		}
		for _, imp := range p.Imports {
			// Standard library import paths have no dot in their first
			// element.
			if first, _, _ := strings.Cut(imp, "/"); strings.Contains(first, ".") {
				t.Errorf("%s imports %s; it may import only the standard library", rel, imp)
			}
		}
	}
}
