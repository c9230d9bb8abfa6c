package tokens

import (
	"strings"
	"sync"
	"testing"

	"github.com/vaultchat/vaultchat/internal/chat"
)

func TestEncodingFor(t *testing.T) {
	tests := []struct{ model, want string }{
		{"gpt-4o", O200k},
		{"gpt-4o-mini-2024-07-18", O200k},
		{"gpt-4.1-nano", O200k},
		{"gpt-5-mini", O200k},
		{"o1", O200k},
		{"o3-mini", O200k},
		{"o4-mini", O200k},
		{"sim-echo", O200k},
		{"llama3.1:8b", O200k}, // unknown models use the current encoding
		{"", O200k},
		{"gpt-4", Cl100k},
		{"gpt-4-0613", Cl100k},
		{"gpt-4-turbo", Cl100k},
		{"GPT-4", Cl100k},
		{"gpt-3.5-turbo", Cl100k},
		{"gpt-35-turbo", Cl100k},
		{"ft:gpt-3.5-turbo-0125:acme::x1", Cl100k},
		{"ft:gpt-4o-mini-2024-07-18:acme::x1", O200k},
	}
	for _, tt := range tests {
		if got := EncodingFor(tt.model); got != tt.want {
			t.Errorf("EncodingFor(%q) = %s; want %s", tt.model, got, tt.want)
		}
	}
}

func TestCount(t *testing.T) {
	tests := []struct {
		model, text string
		want        int
	}{
		{"gpt-4o", "", 0},
		{"gpt-4", "", 0},
		// OpenAI's cookbook: "tiktoken is great!" is six cl100k tokens.
		{"gpt-3.5-turbo", "tiktoken is great!", 6},
		{"gpt-4", "hello world", 2},
		{"gpt-4o", "hello world", 2},
	}
	for _, tt := range tests {
		if got := Count(tt.model, tt.text); got != tt.want {
			t.Errorf("Count(%q, %q) = %d; want %d", tt.model, tt.text, got, tt.want)
		}
	}
}

// TestCountUsesTheModelsEncoding checks that the two encodings really are
// different codecs: o200k's larger vocabulary packs Korean text into far
// fewer tokens than cl100k does.
func TestCountUsesTheModelsEncoding(t *testing.T) {
	text := strings.Repeat("안녕하세요 세계 ", 20)
	o, c := Count("gpt-4o", text), Count("gpt-4", text)
	if o <= 0 || c <= 0 || o >= c {
		t.Fatalf("Count o200k = %d, cl100k = %d; want 0 < o200k < cl100k", o, c)
	}
}

func TestCountMessages(t *testing.T) {
	msgs := []chat.Message{
		{Role: chat.RoleSystem, Content: "You are terse."},
		{Role: chat.RoleNote, Content: "switched key to work: a note is never sent"},
		{Role: chat.RoleUser, Content: "tiktoken is great!"},
		{Role: chat.RoleAssistant, Content: "It is."},
	}
	for _, model := range []string{"gpt-4o", "gpt-3.5-turbo"} {
		want := tokensReplyPrime
		for _, m := range msgs {
			if m.Role != chat.RoleNote {
				want += tokensPerMessage + Count(model, string(m.Role)) + Count(model, m.Content)
			}
		}
		got := CountMessages(model, msgs)
		if got != want {
			t.Errorf("CountMessages(%s) = %d; want %d", model, got, want)
		}
		// The note must make no difference.
		if without := CountMessages(model, append(msgs[:1:1], msgs[2:]...)); without != got {
			t.Errorf("CountMessages(%s) without the note = %d; with = %d", model, without, got)
		}
	}
	if got := CountMessages("gpt-4o", nil); got != 0 {
		t.Errorf("CountMessages(nil) = %d; want 0", got)
	}
}

// TestCountConcurrent loads the codecs from many goroutines at once (run
// with -race): the lazy loading must be safe.
func TestCountConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	counts := make([]int, 8)
	for i := range counts {
		wg.Go(func() {
			model := "gpt-4o"
			if i%2 == 1 {
				model = "gpt-4"
			}
			counts[i] = Count(model, "tiktoken is great!")
		})
	}
	wg.Wait()
	for i, n := range counts {
		if n != 6 {
			t.Errorf("goroutine %d counted %d; want 6", i, n)
		}
	}
}

func BenchmarkCount(b *testing.B) {
	text := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 200)
	Count("gpt-4o", "warm up")
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Count("gpt-4o", text)
	}
}

// TestMessageBoundIsAnUpperBound checks the bound that lets a turn skip
// counting against the real tokenizers, on text where tokens are short
// (digits, punctuation, CJK, emoji, special-token text) as well as
// ordinary prose and code.
func TestMessageBoundIsAnUpperBound(t *testing.T) {
	texts := []string{
		"", "a", " ", "\n\n\n", "Hello, world!",
		"The quick brown fox jumps over the lazy dog. " + strings.Repeat("word ", 200),
		"func main() {\n\tfmt.Println(\"hi\")\n}\n",
		strings.Repeat("0123456789", 50), strings.Repeat("!?.,;:", 80),
		"日本語のテキストと中文文本", strings.Repeat("🙂👍🏽🇫🇷", 40),
		"<|endoftext|><|im_start|>user<|im_end|>", strings.Repeat("\x00\x01\x7f", 30),
	}
	for _, model := range []string{"gpt-4o", "gpt-4"} {
		for _, role := range []chat.Role{chat.RoleUser, chat.RoleAssistant, chat.RoleSystem, chat.RoleNote} {
			for _, text := range texts {
				m := chat.Message{Role: role, Content: text}
				if n, bound := CountMessage(model, m), MessageBound(m); n > bound {
					t.Errorf("%s, %s, %q: %d tokens, bound %d", model, role, text, n, bound)
				}
			}
		}
	}
}

// TestMessageBoundCountsAttachments: a file attached to a message is
// sent inline, so the bound that lets a turn skip counting must cover
// it (an image by its fixed estimate), or a message of megabytes would
// pass for a short one and the history would never be trimmed.
func TestMessageBoundCountsAttachments(t *testing.T) {
	file := chat.Attachment{Name: "notes.txt", MediaType: "text/plain", Text: strings.Repeat("0123456789", 2000)}
	img := chat.Attachment{Name: "p.png", MediaType: "image/png", Data: []byte{1}}
	for _, atts := range [][]chat.Attachment{{file}, {img}, {file, img, file}} {
		m := chat.Message{Role: chat.RoleUser, Content: "look", Attachments: atts}
		if n, bound := CountMessage("gpt-4o", m), MessageBound(m); n > bound {
			t.Errorf("%d attachments: %d tokens, bound %d", len(atts), n, bound)
		}
	}
}
