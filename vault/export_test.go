package vault

import "time"

// testOnlySetScryptWorkFactor lowers the scrypt work factor used when a
// passphrase identity is written, so tests do not spend a second per
// vault. It returns a function that restores the default.
func testOnlySetScryptWorkFactor(logN int) (restore func()) {
	old := scryptWorkFactor
	scryptWorkFactor = logN
	return func() { scryptWorkFactor = old }
}

// testOnlySetLockTimeout shortens how long a save waits for the vault
// lock, so the ErrInUse path is tested in milliseconds. It returns a
// function that restores the default.
func testOnlySetLockTimeout(d time.Duration) (restore func()) {
	old := lockTimeout
	lockTimeout = d
	return func() { lockTimeout = old }
}
