package store

import (
	"testing"
)

// BenchmarkSave10k measures Save of a 10,000-message conversation:
// encoding, encryption, fsync and rename, and the index update. Target:
// under 100 ms.
func BenchmarkSave10k(b *testing.B) {
	h := newHome(b)
	s := h.store(b, nil)
	c := bigConversation(10000)
	if err := s.Save(c); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := s.Save(c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad10k measures Load of a 10,000-message conversation:
// decryption and decoding. Target: under 100 ms.
func BenchmarkLoad10k(b *testing.B) {
	h := newHome(b)
	s := h.store(b, nil)
	if err := s.Save(bigConversation(10000)); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		c, err := s.Load("big")
		if err != nil {
			b.Fatal(err)
		}
		if len(c.Messages) != 10000 {
			b.Fatal("short load")
		}
	}
}

// BenchmarkList1000 measures List with 1,000 conversations and a current
// index: one index decrypt and a stat per file.
func BenchmarkList1000(b *testing.B) {
	h := newHome(b)
	s := h.store(b, nil)
	for i := range 1000 {
		c := sampleConversation(NewID())
		c.ID = c.ID[:16] + string(rune('a'+i%26)) + c.ID[17:] + "-" + string(rune('a'+i/26%26)) + string(rune('a'+i/676))
		if err := s.Save(c); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		list, err := s.List()
		if err != nil {
			b.Fatal(err)
		}
		if len(list) != 1000 {
			b.Fatalf("listed %d", len(list))
		}
	}
}

// BenchmarkContextMessages10k measures building a trimmed request from a
// 10,000-message conversation with a counter that walks every message.
func BenchmarkContextMessages10k(b *testing.B) {
	c := bigConversation(10000)
	for b.Loop() {
		msgs, trimmed := ContextMessages(c, 128000, countChars)
		if trimmed == 0 || len(msgs) == 0 {
			b.Fatal("nothing trimmed")
		}
	}
}

// BenchmarkLockTurn measures what the turn lock adds to every turn before
// its request: take the lock on conversations/ID.lock (create, flock,
// two stats) and give it back (remove, unlock).
func BenchmarkLockTurn(b *testing.B) {
	h := newHome(b)
	s := h.store(b, nil)
	for b.Loop() {
		unlock, err := s.LockTurn("c1")
		if err != nil {
			b.Fatal(err)
		}
		unlock()
	}
}
