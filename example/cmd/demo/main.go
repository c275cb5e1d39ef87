// Command demo routes two tenants to two SQLite databases and a central
// one with the example application's models (package example/hospital),
// then reads every database file directly to show what went where. It
// needs nothing installed:
//
//	go run ./example/cmd/demo [-dir DIR] [-keep] [-v]
//
// Hospitals and patients live in each tenant's database, as in the
// Django original; the audit log lives in the central database (the
// reserved alias "default"), and is written from a tenant's context
// like any other model: the strategy sends it there. The files are
// written to a temporary directory removed at exit, unless -keep is
// given or -dir names a directory, which is kept; the demo prints
// where they are either way.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	_ "github.com/glebarez/go-sqlite" // to read the files directly
	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/example"
	"github.com/tenantrouter/tenantplugin/example/hospital"
	"github.com/tenantrouter/tenantplugin/migrate"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// run runs the demo, writing what it does to out.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(out)
	dir := fs.String("dir", "", "directory for the database files, kept at exit (default: a temporary one)")
	keep := fs.Bool("keep", false, "keep the temporary directory at exit")
	verbose := fs.Bool("v", false, "log the plugin's state changes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	where := "kept"
	if *dir == "" {
		tmp, err := os.MkdirTemp("", "tenantplugin-demo")
		if err != nil {
			return err
		}
		*dir = tmp
		if !*keep {
			defer os.RemoveAll(tmp)
			where = "removed at exit; -keep keeps them"
		}
	} else if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	log := slog.New(slog.DiscardHandler)
	if *verbose {
		log = slog.Default()
	}
	file := func(name string) string { return filepath.Join(*dir, name+".db") }

	// 1. The application's database, opened as before. It becomes the
	// reserved alias "default": the central database.
	db, err := gorm.Open(sqlite.Open(file("central")+example.SQLitePragmas), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	defer sqlDB.Close()

	// 2. Tenants: one database file each, merged over the template.
	ids := []string{"tenant-1.localhost", "tenant-2.localhost"}
	res, err := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: sqlitedriver.DriverName, DSN: example.SQLitePragmas},
		Drivers:  []dbdriver.Driver{sqlitedriver.New()},
		Logger:   log,
	})
	if err != nil {
		return err
	}
	defer res.Close()
	for i, id := range ids {
		ds := tenantconfig.DataSource{Name: file(fmt.Sprintf("tenant-%d", i+1))}
		if err := res.Set(ctx, id, tenantconfig.Database{DataSource: ds}); err != nil {
			return err
		}
	}

	// 3. The plugin: the audit log is central, everything else per tenant.
	plugin := tenantplugin.New(tenantplugin.Config{
		Resolver:   res,
		Strategies: []tenantplugin.Strategy{hospital.Strategy()},
		Logger:     log,
	})
	if err := db.Use(plugin); err != nil {
		return err
	}
	defer plugin.Close()

	fmt.Fprintf(out, "Databases in %s (%s)\n\n", *dir, where)

	// 4. Migrations: every model where the strategy places it, on the
	// central database and each tenant's.
	if _, err := migrate.AutoMigrate(ctx, db, ids, hospital.Models()); err != nil {
		return err
	}
	fmt.Fprintln(out, "migrated: audit_logs on the central database; hospitals and patients on each tenant's")

	work := []struct{ tenant, hospital, patients string }{
		{"tenant-1.localhost", "City Hospital", "Ada,Grace"},
		{"tenant-2.localhost", "Harbour Clinic", "Linus"},
	}
	for _, w := range work {
		// 5. The one line a request handler changes: the tenant in the context.
		tdb := db.WithContext(tenant.NewContext(ctx, w.tenant))
		err := tdb.Transaction(func(tx *gorm.DB) error {
			if err := tx.Create(&hospital.Hospital{Name: w.hospital}).Error; err != nil {
				return err
			}
			for _, name := range strings.Split(w.patients, ",") {
				p := hospital.Patient{Name: name, Email: strings.ToLower(name) + "@example.com"}
				if err := tx.Create(&p).Error; err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "as %s: created hospital %q and patients %s in one transaction\n", w.tenant, w.hospital, w.patients)
		if err := tdb.Create(&hospital.AuditLog{Tenant: w.tenant, Action: "seeded"}).Error; err != nil {
			return err
		}
		fmt.Fprintf(out, "as %s: wrote an audit log entry (a central model)\n", w.tenant)
	}

	t2 := db.WithContext(tenant.NewContext(ctx, "tenant-2.localhost"))
	err = t2.Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&hospital.Patient{Name: "Rolled Back", Email: "rolled@example.com"}).Error; err != nil {
			return err
		}
		return errors.New("the handler failed")
	})
	fmt.Fprintf(out, "as tenant-2.localhost: a transaction that failed (%v) left nothing behind\n", err)

	var patients []hospital.Patient
	err = db.WithContext(ctx).Find(&patients).Error
	fmt.Fprintf(out, "without a tenant: %v; no SQL sent\n", err)
	err = db.WithContext(tenant.NewContext(ctx, "tenant-9.localhost")).Find(&patients).Error
	fmt.Fprintf(out, "as an unknown tenant: %v\n\n", err)

	fmt.Fprintln(out, "What each file holds, read directly without the plugin:")
	for _, f := range []struct{ name, table, column string }{
		{"central", "audit_logs", "tenant"},
		{"tenant-1", "hospitals", "name"}, {"tenant-1", "patients", "name"},
		{"tenant-2", "hospitals", "name"}, {"tenant-2", "patients", "name"},
	} {
		names, err := readColumn(ctx, file(f.name), f.table, f.column)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "  %-12s %-11s %s\n", f.name+".db", f.table+":", strings.Join(names, ", "))
	}
	for _, f := range []struct{ name, table string }{
		{"central", "hospitals"}, {"central", "patients"}, {"tenant-1", "audit_logs"}, {"tenant-2", "audit_logs"},
	} {
		names, err := readColumn(ctx, file(f.name), f.table, "id")
		if err != nil {
			return err
		}
		if len(names) > 0 {
			return fmt.Errorf("%s.db has rows in %s: %v", f.name, f.table, names)
		}
	}
	return nil
}

// readColumn reads a column of a table straight from a database file,
// in id order; a missing table reads as empty.
func readColumn(ctx context.Context, path, table, column string) ([]string, error) {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", table).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, nil
	}
	rows, err := db.QueryContext(ctx, "SELECT CAST("+column+" AS TEXT) FROM "+table+" ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		names = append(names, s)
	}
	return names, rows.Err()
}
