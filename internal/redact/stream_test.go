package redact

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// fakeKey builds a key-shaped value at run time (no key-looking literal in
// the source).
func fakeKey(tail string) string {
	return "sk-" + "proj-" + strings.Repeat("Q7w", 6) + tail
}

// streamAll feeds text to a fresh Stream in pieces of at most step bytes.
func streamAll(r *Redactor, text string, step int) string {
	s := r.Stream()
	var b strings.Builder
	for i := 0; i < len(text); i += step {
		b.WriteString(s.Write(text[i:min(i+step, len(text))]))
	}
	b.WriteString(s.Flush())
	return b.String()
}

func TestStreamMasksKeyInsideLongRun(t *testing.T) {
	key := fakeKey("CANARYxyz")
	for _, r := range []*Redactor{nil, New(key)} {
		text := "before " + strings.Repeat("A", 600) + key + strings.Repeat("B", 600) + " after"
		for _, step := range []int{1, 3, 7, 512, 513, len(text)} {
			got := streamAll(r, text, step)
			if strings.Contains(got, "CANARY") || strings.Contains(got, "Q7wQ7w") {
				t.Fatalf("step %d: key released: %q", step, got)
			}
			if want := r.String(text); got != want {
				t.Fatalf("step %d: stream %q, String %q", step, got, want)
			}
			if got != "before "+LongRunMask+" after" {
				t.Fatalf("step %d: got %q", step, got)
			}
		}
	}
}

func TestStreamKeepsShortRunsAndPlainText(t *testing.T) {
	text := strings.Repeat("word ", 50) + strings.Repeat("x", MaxRun) + " end"
	if got := streamAll(nil, text, 3); got != text {
		t.Fatalf("a run of exactly MaxRun characters changed: %q", got)
	}
}

// TestStreamSecretWithSeparators covers secrets holding characters that
// are not key characters: the release point must not fall inside one.
func TestStreamSecretWithSeparators(t *testing.T) {
	secret := "abcdefgh.IJKLMNOP/qrstuv+WX"
	r := New(secret)
	text := "see " + secret + "yz and " + secret + ". done"
	for step := 1; step <= len(text); step++ {
		got := streamAll(r, text, step)
		if strings.Contains(got, "abcdefgh") || strings.Contains(got, "IJKLMNOP") {
			t.Fatalf("step %d: leaked %q", step, got)
		}
		if want := r.String(text); got != want {
			t.Fatalf("step %d: stream %q, String %q", step, got, want)
		}
	}
}

// chunkings splits text at the cut points a seed chooses.
func chunked(text string, seed uint64) []string {
	rng := rand.New(rand.NewPCG(seed, seed>>7))
	var out []string
	for len(text) > 0 {
		n := 1 + rng.IntN(min(len(text), 1+rng.IntN(700)))
		out = append(out, text[:n])
		text = text[n:]
	}
	return out
}

func FuzzStreamMatchesString(f *testing.F) {
	key := fakeKey("CANARYxyz")
	secret := "abcdefgh.IJKLMNOP/qrstuv+WX"
	f.Add("hello "+key+" world", uint64(1))
	f.Add(strings.Repeat("A", 600)+key+strings.Repeat("B", 600), uint64(2))
	f.Add("x "+secret+" y "+secret[:10], uint64(3))
	f.Add(strings.Repeat("-", 520)+" "+strings.Repeat("z", 511)+key, uint64(4))
	f.Add("gemini AQ."+strings.Repeat("Zr8v", 8)+" and AIza"+strings.Repeat("Zr8v", 9)+" AQ. x AQ.", uint64(5))
	r := New(key, secret)
	f.Fuzz(func(t *testing.T, text string, seed uint64) {
		for _, red := range []*Redactor{nil, r} {
			want := red.String(text)
			s := red.Stream()
			var b strings.Builder
			for _, piece := range chunked(text, seed) {
				b.WriteString(s.Write(piece))
			}
			b.WriteString(s.Flush())
			if got := b.String(); got != want {
				t.Fatalf("chunked output differs\n got %q\nwant %q", got, want)
			}
		}
	})
}
