package cli

import (
	"reflect"
	"regexp"
	"strings"
	"sync"

	"github.com/alecthomas/kong"
)

// Building kong's model of the whole command line costs more than any
// command's own start-up work: kong reflects over every command's struct
// and runs its interpolation pattern over every help text and default,
// about 7 ms of CPU per process (BENCHMARKS.md, issue 11), paid by
// "--version" and "ask" alike. So run first builds the model with only
// the top-level command the arguments name (commandToKeep) and the global
// flags. Whatever that parse cannot take (an unknown or misspelled word,
// a usage error) is parsed again against the whole grammar, so every
// message, suggestion and help text is the whole grammar's.

// topCommand is a top-level command of root: the Go field that holds it
// and the names it answers to on the command line.
type topCommand struct {
	field string
	names []string
}

// rootGrammar is what commandToKeep needs to know of root, read once by
// reflection so that a command or global flag added to root is known
// here without a second list to keep.
type rootGrammar struct {
	commands []topCommand
	// takesValue holds the global flags ("--home") followed by a value
	// when not written "--home=DIR".
	takesValue map[string]bool
	// noValue holds the global flags that take none ("--demo").
	noValue map[string]bool
}

var grammarOfRoot = sync.OnceValue(func() rootGrammar {
	g := rootGrammar{takesValue: map[string]bool{}, noValue: map[string]bool{}}
	t := reflect.TypeFor[root]()
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("name")
		if name == "" {
			name = kebab(f.Name)
		}
		if _, isCmd := f.Tag.Lookup("cmd"); isCmd {
			names := []string{name}
			if aliases := f.Tag.Get("aliases"); aliases != "" {
				names = append(names, strings.Split(aliases, ",")...)
			}
			g.commands = append(g.commands, topCommand{field: f.Name, names: names})
			continue
		}
		if f.Type.Kind() == reflect.Bool {
			g.noValue["--"+name] = true
		} else {
			g.takesValue["--"+name] = true
		}
	}
	return g
})

// kebab is kong's default name for a field: "PassphraseFile" becomes
// "passphrase-file".
func kebab(field string) string {
	var b strings.Builder
	for i, r := range field {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('-')
		}
		b.WriteRune(r)
	}
	return strings.ToLower(b.String())
}

// commandToKeep returns the Go field of the top-level command args run,
// or "" when the whole grammar is needed: for help ("-h", "--help", the
// help command), for shell completion, and whenever the first word that
// is not a global flag names no command. With no word at all it is the
// default command, the app.
func commandToKeep(args []string) string {
	for _, arg := range args {
		if arg == "-h" || arg == "--help" {
			return ""
		}
	}
	word, ok := firstWord(args)
	if !ok {
		return ""
	}
	for _, c := range grammarOfRoot().commands {
		for _, n := range c.names {
			if n == word && n != "help" && n != "completion" {
				return c.field
			}
		}
	}
	return ""
}

// firstWord returns the first argument that is neither a global flag nor
// a global flag's value ("app" when there is none), or false when an
// argument before it is something only the whole grammar can read: a
// flag that is not global, or "--".
func firstWord(args []string) (string, bool) {
	g := grammarOfRoot()
	for i := 0; i < len(args); i++ {
		arg := args[i]
		name, _, hasValue := strings.Cut(arg, "=")
		switch {
		case arg == "--":
			return "", false
		case !strings.HasPrefix(arg, "-"):
			return arg, true
		case g.takesValue[name]:
			if !hasValue {
				i++ // its value, which may look like a command name
			}
		case g.noValue[name] && !hasValue:
		default:
			return "", false
		}
	}
	return "app", true
}

// onlyCommand is the kong option that leaves every top-level command but
// keep out of the model.
func onlyCommand(keep string) kong.Option {
	var drop []string
	for _, c := range grammarOfRoot().commands {
		if c.field != keep {
			drop = append(drop, regexp.QuoteMeta(c.field))
		}
	}
	return kong.IgnoreFields(`^root\.(` + strings.Join(drop, "|") + `)$`)
}
