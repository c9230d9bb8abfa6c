package session

import "time"

// KeyExpired reports the key's name (the key given by ID or name) and
// when it expired, if it has: a request with it may still work, but the
// user said it would not, so the commands warn before sending with it.
func (s *Session) KeyExpired(key string) (name string, at time.Time, expired bool) {
	h, err := s.open()
	if err != nil {
		return "", time.Time{}, false
	}
	k, err := h.vault.Key(key)
	if err != nil || !k.Expired(s.cfg.Now()) {
		return "", time.Time{}, false
	}
	return k.Name, k.Expires, true
}
