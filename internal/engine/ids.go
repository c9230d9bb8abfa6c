package engine

import (
	"crypto/rand"
	"encoding/hex"
)

// NewMessageID returns a random message ID with the given prefix ("m_"
// for replies and prompts, "n_" for notes). A clock-based ID would repeat
// when two messages come within the clock's resolution, or under a
// frozen clock.
func NewMessageID(prefix string) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return prefix + hex.EncodeToString(b[:])
}

func newMessageID() string { return NewMessageID("m_") }
