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
	for _, k := range h.vault.Keys() {
		if (k.ID == key || k.Name == key) && k.Expired(s.cfg.Now()) {
			return k.Expires, true
		}
	}
	return time.Time{}, false
}
