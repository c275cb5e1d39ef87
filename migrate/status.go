package migrate

// Status is what a run did on one database.
type Status int

// The statuses of a [Result].
const (
	// StatusMigrated: the migration ran and succeeded on the database
	// (for [ForEach], fn returned nil).
	StatusMigrated Status = iota + 1
	// StatusUpToDate: the database's ledger already recorded this
	// migration, so nothing ran ([AutoMigrate]); or, for [Check], the
	// database needs nothing.
	StatusUpToDate
	// StatusFailed: the migration, fn or the check returned an error
	// (Result.Err).
	StatusFailed
	// StatusSkipped: the database was not started because ctx ended
	// first (Result.Err is ctx's error).
	StatusSkipped
	// StatusBehind: [Check] found the database's ledger without this
	// migration, or with another version of it.
	StatusBehind
)

// String returns the status as the command's summary prints it:
// "migrated", "up to date", "failed", "skipped" or "behind".
func (s Status) String() string {
	switch s {
	case StatusMigrated:
		return "migrated"
	case StatusUpToDate:
		return "up to date"
	case StatusFailed:
		return "failed"
	case StatusSkipped:
		return "skipped"
	case StatusBehind:
		return "behind"
	}
	return "unknown"
}
