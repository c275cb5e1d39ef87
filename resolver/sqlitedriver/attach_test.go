package sqlitedriver_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// TestConnectorRefusesAttach: a tenant's connection refuses ATTACH in
// every form SQLite runs it (after another statement, behind comments,
// prepared, in a transaction), so that no statement on it reaches
// another database file; the word in a literal, a quoted identifier or
// a comment is data, and runs.
func TestConnectorRefusesAttach(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "other.db")
	conn, err := sqlitedriver.New().Connector("", tenantconfig.DataSource{Name: filepath.Join(dir, "a.db")})
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE t ("attach" TEXT, b TEXT)`); err != nil {
		t.Fatal(err)
	}
	refused := map[string]func() error{
		"Exec": func() error { _, err := db.ExecContext(ctx, "ATTACH DATABASE ? AS o", other); return err },
		"after another statement": func() error {
			_, err := db.ExecContext(ctx, "SELECT 1; attach ? as o", other)
			return err
		},
		"behind comments": func() error {
			_, err := db.ExecContext(ctx, "/* x */ -- y\n\tAtTaCh/**/? as o", other)
			return err
		},
		"Query": func() error {
			rows, err := db.QueryContext(ctx, "ATTACH ? AS o", other)
			if err == nil {
				_ = rows.Close()
			}
			return err
		},
		"Prepare": func() error {
			st, err := db.PrepareContext(ctx, "ATTACH ? AS o")
			if err == nil {
				_ = st.Close()
			}
			return err
		},
		"in a transaction": func() error {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer func() { _ = tx.Rollback() }()
			_, err = tx.ExecContext(ctx, "ATTACH ? AS o", other)
			return err
		},
	}
	for name, run := range refused {
		if err := run(); !errors.Is(err, sqlitedriver.ErrAttach) {
			t.Errorf("%s: err = %v, want ErrAttach", name, err)
		}
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM pragma_database_list WHERE name = 'o'").Scan(&n); err != nil || n != 0 {
		t.Errorf("attached after refusals: %d, %v", n, err)
	}
	for _, q := range []string{
		`INSERT INTO t ("attach", b) VALUES ('attach database', 'x') -- attach`,
		`SELECT "attach" FROM t WHERE "attach" = 'ATTACH' /* attach */`,
		`SELECT 'it''s attach', [attach], ` + "`attach`" + ` AS attached_at FROM t`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
}
