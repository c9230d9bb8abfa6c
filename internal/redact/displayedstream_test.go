package redact

import (
	"strings"
	"testing"
)

// FuzzDisplayedStream: however the text is cut into pieces, the stream
// shows what Displayed shows for the whole text while no word reaches
// maxHeldWord bytes, and never a registered secret once disguises are
// undone.
func FuzzDisplayedStream(f *testing.F) {
	secret := "sk-proj-" + strings.Repeat("Ab3x", 8)
	f.Add("key: sk\\-proj\\-"+strings.Repeat("Ab3x", 8)+" done\n", 3)
	f.Add("as entities: sk&#45;proj&#45;"+strings.Repeat("Ab3x", 8)+"\n", 1)
	f.Add("s**k-proj-"+strings.Repeat("Ab3x", 8)+"** and sk-\u200dproj-"+strings.Repeat("Ab3x", 8)+"\n", 7)
	f.Add(strings.Repeat("x", 5000)+" tail", 64)
	// A disguised key straddling the point where a long word is cut.
	f.Add(strings.Repeat("a.", maxHeldWord/2-6)+"sk&#45;proj&#45;"+strings.Repeat("Ab3x", 8)+".\n", 5)
	f.Add(strings.Repeat("a/", maxHeldWord/2-3)+"s**k-proj-"+strings.Repeat("Ab3x", 8)+"**/\n", 64)
	// A tag with attributes splitting the key.
	f.Add("s<span class=\"x\">k-proj-"+strings.Repeat("Ab3x", 8)+"</span> ok\n", 2)
	r := New(secret)
	readable := strings.NewReplacer(`\`, "", "*", "", "\u200d", "", "&#45;", "-", `<span class="x">`, "", "</span>", "")
	f.Fuzz(func(t *testing.T, text string, step int) {
		if step <= 0 || step > 100 {
			step = 3
		}
		got := streamDisplayed(r, text, step)
		if len(text) < maxHeldWord {
			if want := r.Displayed(text); got != want {
				t.Errorf("stream %q\nwhole  %q", got, want)
			}
		}
		if strings.Contains(readable.Replace(got), secret) {
			t.Errorf("the stream shows the secret: %q", got)
		}
	})
}

// streamDisplayed feeds text to a fresh DisplayedStream of r in pieces of
// step bytes and returns what it shows.
func streamDisplayed(r *Redactor, text string, step int) string {
	d := r.DisplayedStream()
	var out strings.Builder
	for i := 0; i < len(text); i += step {
		out.WriteString(d.Write(text[i:min(i+step, len(text))]))
	}
	out.WriteString(d.Flush())
	return out.String()
}

// TestDisplayedStreamLongWordStraddle: a word without a space longer
// than the stream holds whole (a minified line, a long URL) is released
// in parts; a disguised key that straddles a release boundary is masked
// all the same, by shape and by value, wherever the boundary falls.
func TestDisplayedStreamLongWordStraddle(t *testing.T) {
	key := fakeKey("CANARY_xyz9")
	value := "0f3a9c77-" + "d1e2b4c5_a6f7e8d9-c0b1a2" // a prefix-less secret
	for _, tc := range []struct {
		name string
		r    *Redactor
		key  string
	}{{"shape", nil, key}, {"value", New(value), value}} {
		for name, d := range disguises(tc.key) {
			for shift := 0; shift < len(d)+8; shift += 5 {
				filler := strings.Repeat("a.", (maxHeldWord-shift)/2) // runs of one key character
				text := "see " + filler + d + ".end\n"
				for _, step := range []int{7, 5000} {
					got := streamDisplayed(tc.r, text, step)
					if strings.Contains(got, "CANARY") || strings.Contains(got, "d1e2b4c5") {
						t.Fatalf("%s/%s, shift %d, step %d: key shown: %q", tc.name, name, shift, step, got[len(got)-200:])
					}
					if !strings.HasPrefix(got, "see a.a.") || !strings.HasSuffix(got, ".end\n") {
						t.Fatalf("%s/%s, shift %d, step %d: the text around the key changed", tc.name, name, shift, step)
					}
				}
			}
		}
	}
}

// TestDisplayedStreamTagWithAttributes: an HTML tag may hold spaces
// (`<span class="x">`), so a space inside one is no place to cut: a key
// split by such a tag is masked as Displayed masks it whole, markup
// included, however the text arrives.
func TestDisplayedStreamTagWithAttributes(t *testing.T) {
	key := fakeKey("CANARY_xyz9")
	for _, text := range []string{
		"the key " + key[:1] + `<span class="x">` + key[1:] + "</span> here\n",
		"the key " + key[:5] + `<a href="#" title="a b c">` + key[5:] + "</a>\n",
		"the key " + key[:5] + "<br\n/>" + key[5:] + " here\n",
	} {
		want := (*Redactor)(nil).Displayed(text)
		if strings.Contains(want, "CANARY") {
			t.Fatalf("Displayed shows the key: %q", want)
		}
		for step := 1; step <= len(text); step++ {
			if got := streamDisplayed(nil, text, step); got != want {
				t.Fatalf("step %d: stream %q, whole %q", step, got, want)
			}
		}
	}
}

// TestDisplayedStreamMemoryIsBounded: a server that sends an endless run
// without a space (key characters, markup, or a tag that never closes)
// cannot make the stream hold more than its bound; a run of key
// characters that long is masked whole, as String masks a long run.
func TestDisplayedStreamMemoryIsBounded(t *testing.T) {
	for name, unit := range map[string]string{
		"key characters": "Ab3x",
		"escaped":        `Ab\-x`,
		"emphasis":       "A**b3x",
		"prose in a tag": "<b class=x ",
		"no key at all":  "a.b/",
	} {
		d := New(fakeKey("CANARY")).DisplayedStream()
		shown := 0
		for i := 0; i < 1<<20; i += len(unit) {
			shown += len(d.Write(unit))
			if n := len(d.pending); n > maxHeld {
				t.Fatalf("%s: %d bytes held, more than the bound %d", name, n, maxHeld)
			}
		}
		shown += len(d.Flush())
		if name == "key characters" && shown != len(LongRunMask) {
			t.Errorf("%s: %d bytes shown, want only %q", name, shown, LongRunMask)
		}
	}
}
