package vault

// testOnlySetScryptWorkFactor lowers the scrypt work factor used when a
// passphrase identity is written, so tests do not spend a second per
// vault. It returns a function that restores the default.
func testOnlySetScryptWorkFactor(logN int) (restore func()) {
	old := scryptWorkFactor
	scryptWorkFactor = logN
	return func() { scryptWorkFactor = old }
}
