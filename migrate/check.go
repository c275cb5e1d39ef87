package migrate

// checkOne reads the ledger's last fingerprint for step and tells
// whether the database is up to date with fp or behind.
func checkOne(l ledger, step, fp string) (Status, error) {
	ok, err := l.current(step, fp)
	switch {
	case err != nil:
		return StatusFailed, err
	case ok:
		return StatusUpToDate, nil
	}
	return StatusBehind, nil
}
