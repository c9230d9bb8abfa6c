package cli

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// kong reads "--limit-usd -5" as the flag without a value followed by a
// short flag "-5", and advises `--limit-usd="-5"`.
var negativeValue = regexp.MustCompile(`^(--[A-Za-z0-9-]+): expected [a-z0-9]+ value but got "(-[^"]+)" \(short flag\)`)

// joinNegativeNumber rewrites args after such an error so that the flag
// gets its negative number ("--limit-usd=-5"), as kong advises: the
// command's own check then says what the flag takes ("must be 0 or
// more"). ok is false when err is not that error, or the value is not a
// number (a real short flag after a flag missing its value).
func joinNegativeNumber(args []string, err error) (joined []string, ok bool) {
	m := negativeValue.FindStringSubmatch(err.Error())
	if m == nil {
		return nil, false
	}
	flag, value := m[1], m[2]
	if _, perr := strconv.ParseFloat(value, 64); perr != nil {
		return nil, false
	}
	for i := 0; i+1 < len(args) && args[i] != "--"; i++ {
		if args[i] == flag && args[i+1] == value {
			joined = slices.Concat(args[:i], []string{flag + "=" + value}, args[i+2:])
			return joined, true
		}
	}
	return nil, false
}

// kong's message for a value outside a flag's enum lists Go-quoted
// strings, the empty default among them.
var enumValue = regexp.MustCompile(`^(\S+) must be one of (.*) but got ("[^"]*")$`)

// rewordEnum says which words a flag takes: `--limit-reset must be
// daily, weekly or monthly, not "hourly"`. Other errors are returned as
// they are. The reworded error wraps err, so it is still kong's parse
// error (exit 2, "see … --help").
func rewordEnum(err error) error {
	m := enumValue.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	var words []string
	for q := range strings.SplitSeq(m[2], ",") {
		if w, uerr := strconv.Unquote(q); uerr == nil && w != "" {
			words = append(words, w)
		}
	}
	if len(words) == 0 {
		return err
	}
	list := words[0]
	if n := len(words); n > 1 {
		list = strings.Join(words[:n-1], ", ") + " or " + words[n-1]
	}
	return &rewordedError{msg: m[1] + " must be " + list + ", not " + m[3], err: err}
}

// rewordedError shows msg in place of err's text, and is err otherwise.
type rewordedError struct {
	msg string
	err error
}

func (e *rewordedError) Error() string { return e.msg }
func (e *rewordedError) Unwrap() error { return e.err }
