package cli

import (
	"reflect"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
)

// wholeGrammar is the parser run falls back to.
func wholeGrammar(t *testing.T) *kong.Kong {
	t.Helper()
	p, err := newParser(newApp(Deps{}), &root{}, "")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCommandToKeepKnowsEveryCommand checks that every top-level command
// and alias of the whole grammar is found by its name, and that the
// model built for it holds that command alone.
func TestCommandToKeepKnowsEveryCommand(t *testing.T) {
	for _, node := range wholeGrammar(t).Model.Node.Children {
		for _, name := range append([]string{node.Name}, node.Aliases...) {
			keep := commandToKeep([]string{name})
			if name == "help" || name == "completion" {
				if keep != "" {
					t.Errorf("%q keeps %q; it needs the whole grammar", name, keep)
				}
				continue
			}
			if keep == "" {
				t.Errorf("%q: no command kept", name)
				continue
			}
			p, err := newParser(newApp(Deps{}), &root{}, keep)
			if err != nil {
				t.Fatalf("%q: %v", name, err)
			}
			if kids := p.Model.Node.Children; len(kids) != 1 || kids[0].Name != node.Name {
				t.Errorf("%q: model holds %d commands, first %q; want only %q", name, len(kids), kids[0].Name, node.Name)
			}
		}
	}
}

// TestFirstWordKnowsEveryGlobalFlag checks that the global flags read by
// firstWord are the whole grammar's, with the right arity.
func TestFirstWordKnowsEveryGlobalFlag(t *testing.T) {
	g := grammarOfRoot()
	for _, f := range wholeGrammar(t).Model.Node.Flags {
		name := "--" + f.Name
		if f.Name == "help" {
			continue
		}
		if f.IsBool() != g.noValue[name] || f.IsBool() == g.takesValue[name] {
			t.Errorf("%s: bool %v, but firstWord has takesValue %v noValue %v", name, f.IsBool(), g.takesValue[name], g.noValue[name])
		}
	}
}

func TestCommandToKeep(t *testing.T) {
	for _, tc := range []struct {
		args string
		want string
	}{
		{"", "App"},
		{"--demo", "App"},
		{"--version", "App"},
		{"keys list", "Keys"},
		{"ls", ""}, // an alias of "keys list" only, not a top-level command
		{"--home ask keys list", "Keys"},
		{"--home=ask keys", "Keys"},
		{"--identity id.txt ask hello", "Ask"},
		{"ask --home x hello", "Ask"},
		{"keys list --help", ""},
		{"-h", ""},
		{"help keys", ""},
		{"completion bash", ""},
		{"--unknown ask", ""},
		{"-- ask", ""},
		{"--demo=1 ask", ""},
		{"kees list", ""},
		{"config show", "ConfigCmd"},
		{"version", "VersionCmd"},
	} {
		if got := commandToKeep(strings.Fields(tc.args)); got != tc.want {
			t.Errorf("commandToKeep(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}

// TestPrunedParseMatchesWhole parses every command, with its required
// arguments, against the model built for it and against the whole
// grammar, and checks both select the same command with the same values.
func TestPrunedParseMatchesWhole(t *testing.T) {
	parsed := 0
	for _, leaf := range wholeGrammar(t).Model.Leaves(true) {
		var args []string
		for n := leaf; n.Parent != nil; n = n.Parent {
			args = append([]string{n.Name}, args...)
		}
		for _, p := range leaf.Positional {
			if p.Required {
				args = append(args, "1")
			}
		}
		args = append([]string{"--home", "keys"}, args...)
		wholeRoot := &root{}
		whole, err := newParser(newApp(Deps{}), wholeRoot, "")
		if err != nil {
			t.Fatal(err)
		}
		wctx, werr := whole.Parse(args)
		keep := commandToKeep(args)
		if keep == "" {
			continue // help, completion: always the whole grammar
		}
		prunedRoot := &root{}
		pruned, err := newParser(newApp(Deps{}), prunedRoot, keep)
		if err != nil {
			t.Fatal(err)
		}
		pctx, perr := pruned.Parse(args)
		if (werr == nil) != (perr == nil) {
			t.Errorf("%q: whole grammar err %v, pruned err %v", args, werr, perr)
			continue
		}
		if werr != nil {
			continue
		}
		parsed++
		if wctx.Command() != pctx.Command() {
			t.Errorf("%q: whole grammar runs %q, pruned %q", args, wctx.Command(), pctx.Command())
		}
		if w, p := wctx.Selected().Target.Interface(), pctx.Selected().Target.Interface(); !reflect.DeepEqual(w, p) {
			t.Errorf("%q: values differ:\nwhole  %+v\npruned %+v", args, w, p)
		}
		if wholeRoot.Home != prunedRoot.Home || prunedRoot.Home != "keys" {
			t.Errorf("%q: --home is %q and %q", args, wholeRoot.Home, prunedRoot.Home)
		}
	}
	t.Logf("parsed %d", parsed)
	if parsed < 30 {
		t.Errorf("only %d commands parsed; the test lost its reach", parsed)
	}
}
