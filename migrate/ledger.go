package migrate

import (
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"
)

// LedgerTable is the table, in each database a migration runs on, that
// records what was applied: one row per application of a step, with the
// step's name, its fingerprint, when it was applied and how long it
// took. AutoMigrate creates it when it first migrates a database.
const LedgerTable = "tenantplugin_migrations"

// AutoMigrateStep is the step name [AutoMigrate] records in the ledger.
const AutoMigrateStep = "automigrate"

// ledgerDDL creates the ledger, per dialector name.
var ledgerDDL = map[string]string{
	"postgres": `CREATE TABLE IF NOT EXISTS ` + LedgerTable + ` (
	id BIGSERIAL PRIMARY KEY,
	step TEXT NOT NULL,
	fingerprint TEXT NOT NULL,
	applied_at TIMESTAMPTZ NOT NULL,
	duration_ms BIGINT NOT NULL)`,
	"sqlite": `CREATE TABLE IF NOT EXISTS ` + LedgerTable + ` (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	step TEXT NOT NULL,
	fingerprint TEXT NOT NULL,
	applied_at DATETIME NOT NULL,
	duration_ms INTEGER NOT NULL)`,
}

// lockKey is the PostgreSQL advisory lock key of the ledger: the same in
// every process, so that runners on the same database wait for each
// other. Advisory locks are per database.
var lockKey = func() int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("tenantplugin:" + LedgerTable))
	return int64(h.Sum64()) //nolint:gosec // a lock key: any 64 bits will do
}()

// ledger is a database's ledger, reached through db with exprs (a
// reserved.Use clause for a reserved database, none for a tenant's: the
// tenant is in db's context).
type ledger struct {
	db    *gorm.DB
	exprs []clause.Expression
	// known, when not nil, is the last fingerprint of each step, read
	// from the ledger before the steps ran (a missing ledger reads as
	// empty): the steps' first look needs no query of its own.
	known map[string]string
}

// session returns a session on the database, each of whose statements
// starts afresh.
func (l ledger) session() *gorm.DB {
	s := l.db
	if len(l.exprs) > 0 {
		s = s.Clauses(l.exprs...)
	}
	return s.Session(&gorm.Session{})
}

// ddl returns the ledger's CREATE TABLE for db's dialector.
func ddl(db *gorm.DB) (string, error) {
	q, ok := ledgerDDL[db.Dialector.Name()]
	if !ok {
		return "", fmt.Errorf("migrate: the ledger supports PostgreSQL and SQLite, not the %q dialector", db.Dialector.Name())
	}
	return q, nil
}

// last returns the fingerprint the ledger last recorded for step, "" if
// none: one statement. It fails when the ledger is missing.
func last(db *gorm.DB, step string) (string, error) {
	var fp string
	err := db.Raw("SELECT fingerprint FROM "+LedgerTable+" WHERE step = ? ORDER BY id DESC LIMIT 1", step).Row().Scan(&fp)
	switch {
	case err == nil:
		return fp, nil
	case errors.Is(err, sql.ErrNoRows):
		return "", nil
	}
	return "", fmt.Errorf("migrate: reading %s: %w", LedgerTable, err)
}

// lastOrNone is last, with a missing ledger read as one that records
// nothing. When the read fails and the error does not tell, it looks for
// the ledger, and reads again if another runner created it meanwhile.
func lastOrNone(db *gorm.DB, step string) (string, error) {
	fp, err := last(quiet(db), step)
	switch {
	case err == nil:
		return fp, nil
	case missingLedger(err):
		return "", nil
	}
	has, herr := hasLedger(db)
	switch {
	case herr != nil:
		return "", err
	case !has:
		return "", nil
	}
	return last(db, step)
}

func hasLedger(db *gorm.DB) (bool, error) {
	var n int64
	q := "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
	if db.Dialector.Name() == "postgres" {
		q = "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = ?"
	}
	err := db.Raw(q, LedgerTable).Row().Scan(&n)
	return n > 0, err
}

// current reads the ledger's last fingerprint for step and tells whether
// it is fp, changing nothing: one statement when the ledger exists.
func (l ledger) current(step, fp string) (bool, error) {
	if l.known != nil {
		return l.known[step] == fp, nil
	}
	got, err := lastOrNone(l.session(), step)
	return got == fp, err
}

// fresh returns l without what was read before the steps ran, for a
// look under the lock.
func (l ledger) fresh() ledger {
	l.known = nil
	return l
}

// readAll returns the last fingerprint of each step in the ledger, an
// empty map when there is no ledger: one statement, two when the
// database's error does not tell that the ledger is missing (three when
// another runner creates it meanwhile). answered tells whether the
// database answered at all.
func readAll(db *gorm.DB) (known map[string]string, answered bool, err error) {
	known, err = readLast(quiet(db))
	switch {
	case err == nil:
		return known, true, nil
	case missingLedger(err):
		return map[string]string{}, true, nil
	}
	has, herr := hasLedger(db)
	switch {
	case herr != nil:
		return nil, false, err
	case !has:
		return map[string]string{}, true, nil
	}
	known, err = readLast(db)
	return known, true, err
}

// quiet returns db with its logger silenced, for a read that fails as
// expected on a database not migrated yet (the ledger is missing): the
// application's GORM logger would print that as an error. A failure of
// another kind is returned, and read again with the logger, as before.
func quiet(db *gorm.DB) *gorm.DB {
	return db.Session(&gorm.Session{Logger: db.Logger.LogMode(logger.Silent)})
}

// missingLedger tells whether err is the database's answer that the
// ledger table does not exist: PostgreSQL's undefined_table, SQLite's
// "no such table".
func missingLedger(err error) bool {
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok {
		return pgErr.Code == "42P01"
	}
	return strings.Contains(err.Error(), "no such table: "+LedgerTable)
}

// readLast reads the last fingerprint of each step; it fails when the
// ledger is missing.
func readLast(db *gorm.DB) (map[string]string, error) {
	rows, err := db.Raw("SELECT step, fingerprint FROM " + LedgerTable + " WHERE id IN (SELECT max(id) FROM " + LedgerTable + " GROUP BY step)").Rows()
	if err != nil {
		return nil, fmt.Errorf("migrate: reading %s: %w", LedgerTable, err)
	}
	defer rows.Close()
	known := map[string]string{}
	for rows.Next() {
		var step, fp string
		if err := rows.Scan(&step, &fp); err != nil {
			return nil, fmt.Errorf("migrate: reading %s: %w", LedgerTable, err)
		}
		known[step] = fp
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("migrate: reading %s: %w", LedgerTable, err)
	}
	return known, nil
}

// apply runs fn on the database in a transaction holding the ledger's
// lock, unless the ledger already records fp for step, and records it
// when fn succeeds. It returns StatusUpToDate when the ledger records
// fp, before or once the lock is held (another runner applied it
// meanwhile), StatusMigrated when fn ran.
//
// The lock: on PostgreSQL, pg_advisory_xact_lock, held until the
// transaction ends; on SQLite, the database's write lock, taken by the
// transaction's first statement (a write to the ledger), so a second
// runner waits in SQLite's busy timeout.
func (l ledger) apply(step, fp string, fn func(tx *gorm.DB) error) (Status, error) {
	db := l.session()
	// One statement when nothing is to do (none when the ledger was read
	// before). A failed read (no ledger yet, most often) is settled under
	// the lock.
	if l.known != nil {
		if l.known[step] == fp {
			return StatusUpToDate, nil
		}
	} else if got, err := last(db, step); err == nil && got == fp {
		return StatusUpToDate, nil
	}
	create, err := ddl(db)
	if err != nil {
		return StatusFailed, err
	}
	pg := db.Dialector.Name() == "postgres"
	if !pg {
		// SQLite serialises writers: two runners creating it at once is
		// safe, and the transaction below needs it for its lock.
		if err := db.Exec(create).Error; err != nil {
			return StatusFailed, fmt.Errorf("migrate: creating %s: %w", LedgerTable, err)
		}
	}
	status := StatusMigrated
	err = db.Transaction(func(tx *gorm.DB) error {
		if pg {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", lockKey).Error; err != nil {
				return fmt.Errorf("migrate: locking the ledger: %w", err)
			}
			if err := tx.Exec(create).Error; err != nil {
				return fmt.Errorf("migrate: creating %s: %w", LedgerTable, err)
			}
		} else if err := tx.Exec("DELETE FROM " + LedgerTable + " WHERE 0").Error; err != nil {
			return fmt.Errorf("migrate: locking the ledger: %w", err)
		}
		got, err := last(tx, step)
		if err != nil {
			return err
		}
		if got == fp {
			status = StatusUpToDate
			return nil
		}
		start := time.Now()
		if err := fn(tx); err != nil {
			return err
		}
		return insert(tx, step, fp, time.Since(start))
	})
	if err != nil {
		return StatusFailed, err
	}
	return status, nil
}

// record creates the ledger if it is missing and records fp for step,
// applied in d. The caller holds the database's lock.
func (l ledger) record(step, fp string, d time.Duration) error {
	db := l.session()
	create, err := ddl(db)
	if err != nil {
		return err
	}
	if err := db.Exec(create).Error; err != nil {
		return fmt.Errorf("migrate: creating %s: %w", LedgerTable, err)
	}
	if err := insert(db, step, fp, d); err != nil {
		return fmt.Errorf("migrate: recording %s in %s: %w", step, LedgerTable, err)
	}
	return nil
}

// insert adds the ledger's row for step, applied now in d.
func insert(db *gorm.DB, step, fp string, d time.Duration) error {
	return db.Exec("INSERT INTO "+LedgerTable+" (step, fingerprint, applied_at, duration_ms) VALUES (?, ?, ?, ?)",
		step, fp, time.Now().UTC(), d.Milliseconds()).Error
}
