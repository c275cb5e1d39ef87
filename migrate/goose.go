package migrate

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"time"

	"github.com/pressly/goose/v3"
	"gorm.io/gorm"
)

// GooseStep is the step name [Goose] records in the ledger.
const GooseStep = "goose"

// Goose returns a Step that applies versioned SQL migrations with goose
// (github.com/pressly/goose/v3) on every tenant's database: a goose
// Provider on the tenant's *sql.DB (leased from the plugin's
// [*resolver.Resolver] while it runs), with the migrations of fsys and
// opts (goose.WithDisableGlobalRegistry(true) comes first, so that Go
// migrations are only those given with goose.WithGoMigrations).
//
// Goose keeps its own version table; each migration runs in its own
// transaction, so a database where a migration fails stays at the last
// version that succeeded and is reported failed, the Result's Detail
// giving its version ("goose version 1 of 3"). The ledger records the
// step as [GooseStep] with a fingerprint of the migration files (their
// versions, names and contents): a database whose ledger has it is up to
// date at the cost of one query. Goose runs holding the database's
// migration lock (a PostgreSQL session advisory lock; a lock file beside
// a SQLite file), the one AutoMigrate's transactions take.
//
// [Check] reads the ledger only; for a database behind, the Detail gives
// the version read from goose's table (by its default name,
// goose_db_version), without creating it.
//
// Supported dialects: PostgreSQL and SQLite. A nil fsys, or one without
// migrations, makes the run fail before it starts with [ErrInvalidStep].
// Only tenants' databases run goose steps.
func Goose(fsys fs.FS, opts ...goose.ProviderOption) Step {
	return gooseStep{fsys: fsys, opts: opts}
}

type gooseStep struct {
	fsys fs.FS
	opts []goose.ProviderOption
}

type preparedGoose struct {
	gooseStep
	dialect    goose.Dialect
	dbDialect  string
	fp         string
	sources    int
	maxVersion int64
}

func (g gooseStep) providerOptions() []goose.ProviderOption {
	return append([]goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}, g.opts...)
}

func (g gooseStep) prepare(_ context.Context, db *gorm.DB) (prepared, error) {
	if g.fsys == nil {
		return nil, fmt.Errorf("%w: Goose(nil): give the migrations' fs.FS (os.DirFS(dir), an embed.FS)", ErrInvalidStep)
	}
	name := db.Dialector.Name()
	dialect, ok := map[string]goose.Dialect{"postgres": goose.DialectPostgres, "sqlite": goose.DialectSQLite3}[name]
	if !ok {
		return nil, fmt.Errorf("%w: Goose: the %q dialector is not supported (PostgreSQL and SQLite are)", ErrInvalidStep, name)
	}
	// A *sql.DB that never connects: the provider only lists sources here.
	none := sql.OpenDB(noConnector{})
	defer none.Close()
	p, err := goose.NewProvider(dialect, none, g.fsys, g.providerOptions()...)
	if err != nil {
		return nil, fmt.Errorf("%w: Goose: %w", ErrInvalidStep, err)
	}
	h := sha256.New()
	line(h, "goose v1")
	out := &preparedGoose{gooseStep: g, dialect: dialect, dbDialect: name}
	for _, s := range p.ListSources() {
		parts := []string{string(s.Type), s.Path, strconv.FormatInt(s.Version, 10)}
		if s.Type == goose.TypeSQL {
			b, err := fs.ReadFile(g.fsys, s.Path)
			if err != nil {
				return nil, fmt.Errorf("%w: Goose: reading %s: %w", ErrInvalidStep, s.Path, err)
			}
			parts = append(parts, string(b))
		}
		line(h, parts...)
		out.sources++
		out.maxVersion = max(out.maxVersion, s.Version)
	}
	out.fp = hex.EncodeToString(h.Sum(nil))
	return out, nil
}

func (*preparedGoose) aliases() []string { return nil }

func (*preparedGoose) onTenants() bool { return true }

func (g *preparedGoose) describe(string) []string {
	return []string{fmt.Sprintf("goose: %d migrations, up to version %d", g.sources, g.maxVersion)}
}

func (g *preparedGoose) detail(v int64) string {
	return fmt.Sprintf("goose version %d of %d", max(v, 0), g.maxVersion)
}

func (g *preparedGoose) apply(ctx context.Context, t target) (Status, string, error) {
	l := t.ledger()
	if ok, err := l.current(GooseStep, g.fp); err == nil && ok {
		return StatusUpToDate, "", nil
	}
	db, release, err := t.sqlDB(ctx)
	if err != nil {
		return StatusFailed, "", err
	}
	defer release()
	unlock, err := lockSession(ctx, db, g.dbDialect)
	if err != nil {
		return StatusFailed, "", err
	}
	defer unlock()
	// Another runner may have finished while this one waited.
	if ok, err := l.fresh().current(GooseStep, g.fp); err != nil {
		return StatusFailed, "", err
	} else if ok {
		return StatusUpToDate, "", nil
	}
	p, err := goose.NewProvider(g.dialect, db, g.fsys, g.providerOptions()...)
	if err != nil {
		return StatusFailed, "", fmt.Errorf("migrate: goose: %w", err)
	}
	start := time.Now()
	results, err := p.Up(ctx)
	if err != nil {
		v, verr := p.GetDBVersion(ctx)
		if verr != nil {
			return StatusFailed, "", fmt.Errorf("migrate: goose: %w", err)
		}
		return StatusFailed, g.detail(v), fmt.Errorf("migrate: goose: %w", err)
	}
	if err := l.record(GooseStep, g.fp, time.Since(start)); err != nil {
		return StatusFailed, "", err
	}
	status := StatusMigrated
	if len(results) == 0 {
		status = StatusUpToDate
	}
	return status, g.detail(g.maxVersion), nil
}

func (g *preparedGoose) check(ctx context.Context, t target) (Status, string, error) {
	st, err := checkOne(t.ledger(), GooseStep, g.fp)
	if st != StatusBehind {
		return st, "", err
	}
	v, err := gooseVersion(ctx, t.ledger().session(), g.dbDialect)
	if err != nil {
		return StatusFailed, "", err
	}
	return StatusBehind, g.detail(v), nil
}

// gooseVersion reads the last version goose applied, 0 when its table is
// missing, changing nothing.
func gooseVersion(ctx context.Context, db *gorm.DB, dialect string) (int64, error) {
	db = db.WithContext(ctx)
	var n int64
	q := "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
	if dialect == "postgres" {
		q = "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = ?"
	}
	if err := db.Raw(q, goose.DefaultTablename).Row().Scan(&n); err != nil {
		return 0, fmt.Errorf("migrate: reading goose's version: %w", err)
	}
	if n == 0 {
		return 0, nil
	}
	var v sql.NullInt64
	if err := db.Raw("SELECT max(version_id) FROM " + goose.DefaultTablename + " WHERE is_applied").Row().Scan(&v); err != nil {
		return 0, fmt.Errorf("migrate: reading goose's version: %w", err)
	}
	return v.Int64, nil
}

// noConnector is a driver.Connector that never connects.
type noConnector struct{}

var errNoConnect = errors.New("migrate: not connected")

func (noConnector) Connect(context.Context) (driver.Conn, error) { return nil, errNoConnect }
func (noConnector) Driver() driver.Driver                        { return noDriver{} }

type noDriver struct{}

func (noDriver) Open(string) (driver.Conn, error) { return nil, errNoConnect }

func (*preparedGoose) names() []string { return []string{GooseStep} }
