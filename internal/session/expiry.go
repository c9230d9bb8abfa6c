package session

import "time"

// KeyExpired reports when the key (ID or name) expired, if it has: a
// request with it may still work, but the user said it would not, so the
// commands warn before sending with it.
func (s *Session) KeyExpired(key string) (time.Time, bool) {
	h, err := s.open()
	if err != nil {
		return time.Time{}, false
	}
	k, err := h.vault.Key(key)
	if err != nil || !k.Expired(s.cfg.Now()) {
		return time.Time{}, false
	}
	return k.Expires, true
}
