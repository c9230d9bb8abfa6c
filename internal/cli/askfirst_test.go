package cli

import (
	"strings"
	"testing"
)

// writeLog records each Write separately.
type writeLog struct{ writes []string }

func (w *writeLog) Write(p []byte) (int, error) {
	w.writes = append(w.writes, string(p))
	return len(p), nil
}

// TestMarkdownReplyShowsFirstBlockEarly feeds a whole reply as one delta
// (a fast provider's first coalesced delta can hold most of it) and
// checks that the first block is written out on its own, before the
// rest is rendered, and that all of it arrives in the end.
func TestMarkdownReplyShowsFirstBlockEarly(t *testing.T) {
	out := &writeLog{}
	a := newApp(Deps{IO: &IOStreams{Out: out, IsStdoutTTY: true}})
	w := a.replyWriter(false)
	reply := "## First heading\n\nA paragraph after it.\n\n" + strings.Repeat("- an item of a long list\n", 50) + "\nThe last paragraph.\n"
	if err := w.write(reply); err != nil {
		t.Fatal(err)
	}
	if err := w.finish(); err != nil {
		t.Fatal(err)
	}
	if len(out.writes) < 2 {
		t.Fatalf("the reply was written in %d piece(s); want the first block on its own first", len(out.writes))
	}
	first := visible(out.writes[0])
	if !strings.Contains(first, "First heading") || strings.Contains(first, "an item") || strings.Contains(first, "last paragraph") {
		t.Errorf("first write = %q; want the heading alone", first)
	}
	all := visible(strings.Join(out.writes, ""))
	for _, want := range []string{"First heading", "A paragraph after it.", "an item of a long list", "The last paragraph."} {
		if !strings.Contains(all, want) {
			t.Errorf("the output lacks %q:\n%s", want, all)
		}
	}
}
