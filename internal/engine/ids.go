package engine

import (
	"crypto/rand"
	"encoding/hex"
)

func newMessageID() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return "m_" + hex.EncodeToString(b[:])
}
