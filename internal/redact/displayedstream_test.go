package redact

import (
	"strings"
	"testing"
)

// FuzzDisplayedStream: however the text is cut into pieces, the stream
// shows what Displayed shows for the whole text when it ends at a word
// boundary, and never a registered secret once disguises are undone.
func FuzzDisplayedStream(f *testing.F) {
	secret := "sk-proj-" + strings.Repeat("Ab3x", 8)
	f.Add("key: sk\\-proj\\-"+strings.Repeat("Ab3x", 8)+" done\n", 3)
	f.Add("as entities: sk&#45;proj&#45;"+strings.Repeat("Ab3x", 8)+"\n", 1)
	f.Add("s**k-proj-"+strings.Repeat("Ab3x", 8)+"** and sk-\u200dproj-"+strings.Repeat("Ab3x", 8)+"\n", 7)
	f.Add(strings.Repeat("x", 5000)+" tail", 64)
	r := New(secret)
	readable := strings.NewReplacer(`\`, "", "*", "", "\u200d", "", "&#45;", "-")
	f.Fuzz(func(t *testing.T, text string, step int) {
		if step <= 0 || step > 100 {
			step = 3
		}
		d := r.DisplayedStream()
		var out strings.Builder
		for i := 0; i < len(text); i += step {
			out.WriteString(d.Write(text[i:min(i+step, len(text))]))
		}
		out.WriteString(d.Flush())
		if strings.HasSuffix(text, "\n") && !strings.Contains(text, strings.Repeat("x", maxHeldWord)) {
			if want := r.Displayed(text); out.String() != want && splitInvariant(r, text) {
				t.Errorf("stream %q\nwhole  %q", out.String(), want)
			}
		}
		if strings.Contains(readable.Replace(out.String()), secret) {
			t.Errorf("the stream shows the secret: %q", out.String())
		}
	})
}

// splitInvariant reports whether Displayed masks text the same whether
// it sees it whole or cut after each whitespace, which holds for text
// whose disguises never span a space (every one a key can wear).
func splitInvariant(r *Redactor, text string) bool {
	var b strings.Builder
	start := 0
	for i := 0; i < len(text); i++ {
		if strings.IndexByte(" \t\r\n", text[i]) >= 0 {
			b.WriteString(r.Displayed(text[start : i+1]))
			start = i + 1
		}
	}
	b.WriteString(r.Displayed(text[start:]))
	return b.String() == r.Displayed(text)
}
