package redact

import (
	"strings"
	"testing"
)

// benchTexts are a prose reply with a key in it and a reply that is one
// long word (a minified line), each fed in pieces of 4 bytes, about a
// streamed token.
func benchTexts() map[string]string {
	key := "sk-proj-" + strings.Repeat("Ab3x", 10)
	prose := strings.Repeat("The vault keeps **every** key encrypted; `ask` shows a key such as "+key+" masked. ", 200)
	word := strings.Repeat("a.b/c-d_e=f&amp;g", 1200)
	return map[string]string{"prose": prose, "long-word": word}
}

// BenchmarkDisplayedStream is the cost of masking ask's plain output as
// it streams; rerun: go test ./internal/redact -run XXX -bench DisplayedStream
func BenchmarkDisplayedStream(b *testing.B) {
	r := New("sk-proj-" + strings.Repeat("Zr8v", 10))
	for name, text := range benchTexts() {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for range b.N {
				d := r.DisplayedStream()
				for i := 0; i < len(text); i += 4 {
					d.Write(text[i:min(i+4, len(text))])
				}
				d.Flush()
			}
		})
	}
}
