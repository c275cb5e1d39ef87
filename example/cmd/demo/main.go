// Command demo routes two tenants to two SQLite databases and a central
// one, then reads every database file directly to show what went where.
// It needs nothing installed:
//
//	go run ./example/cmd/demo
//
// The demo keeps two tiny models of its own, placed to show a central
// table written from a tenant's context: its Hospital is central (one
// table for all tenants) and its Patient is per tenant. The example
// application's models, used by the other example commands, are those
// of package example/hospital: there Hospital and Patient both live in
// each tenant's database, as in the Django original, and the central
// database holds an audit log.
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
	"github.com/tenantrouter/tenantplugin/reserved"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// Hospital lives in the central database, shared by all tenants (unlike
// example/hospital's Hospital, which is per tenant).
type Hospital struct {
	ID   uint
	Name string
}

// Patient lives in each tenant's own database.
type Patient struct {
	ID   uint
	Name string
}

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory for the database files (default: a temporary one, removed at exit)")
	verbose := fs.Bool("v", false, "log the plugin's state changes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		tmp, err := os.MkdirTemp("", "tenantplugin-demo")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		*dir = tmp
	} else if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	log := slog.New(slog.DiscardHandler)
	if *verbose {
		log = slog.Default()
	}
	const pragmas = "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"
	file := func(name string) string { return filepath.Join(*dir, name+".db") }

	// 1. The application's database, opened as before. It becomes the
	// reserved alias "default": the central database.
	db, err := gorm.Open(sqlite.Open(file("central")+pragmas), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	defer sqlDB.Close()

	// 2. Tenants: one database file each, merged over the template.
	tenants := map[string]tenantconfig.Database{
		"tenant-1.localhost": {DataSource: tenantconfig.DataSource{Name: file("tenant-1")}},
		"tenant-2.localhost": {DataSource: tenantconfig.DataSource{Name: file("tenant-2")}},
	}
	res, err := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: sqlitedriver.DriverName, DSN: pragmas},
		Drivers:  []dbdriver.Driver{sqlitedriver.New()},
		Logger:   log,
	})
	if err != nil {
		return err
	}
	defer res.Close()
	for id, db := range tenants {
		if err := res.Set(ctx, id, db); err != nil {
			return err
		}
	}

	// 3. The plugin: hospitals are central, everything else per tenant.
	plugin := tenantplugin.New(tenantplugin.Config{
		Resolver:   res,
		Strategies: []tenantplugin.Strategy{reserved.Models(tenantplugin.DefaultAlias, &Hospital{})},
		Logger:     log,
	})
	if err := db.Use(plugin); err != nil {
		return err
	}
	defer plugin.Close()

	fmt.Fprintf(out, "Databases in %s\n\n", *dir)
	if err := db.Clauses(reserved.Use(tenantplugin.DefaultAlias)).AutoMigrate(&Hospital{}); err != nil {
		return err
	}
	work := []struct{ tenant, hospital, patients string }{
		{"tenant-1.localhost", "City Hospital", "Ada,Grace"},
		{"tenant-2.localhost", "Harbour Clinic", "Linus"},
	}
	for _, w := range work {
		// 4. The one line a request handler changes: the tenant in the context.
		tdb := db.WithContext(tenant.NewContext(ctx, w.tenant))
		if err := tdb.AutoMigrate(&Patient{}); err != nil {
			return err
		}
		if err := tdb.Create(&Hospital{Name: w.hospital}).Error; err != nil {
			return err
		}
		fmt.Fprintf(out, "as %s: created hospital %q (a central model)\n", w.tenant, w.hospital)
		err := tdb.Transaction(func(tx *gorm.DB) error {
			for _, name := range strings.Split(w.patients, ",") {
				if err := tx.Create(&Patient{Name: name}).Error; err != nil {
					return err
				}
				fmt.Fprintf(out, "as %s: created patient %q in a transaction\n", w.tenant, name)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}

	t2 := db.WithContext(tenant.NewContext(ctx, "tenant-2.localhost"))
	err = t2.Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&Patient{Name: "Rolled Back"}).Error; err != nil {
			return err
		}
		return errors.New("the handler failed")
	})
	fmt.Fprintf(out, "as tenant-2.localhost: a transaction that failed (%v) left nothing behind\n", err)

	var patients []Patient
	err = db.WithContext(ctx).Find(&patients).Error
	fmt.Fprintf(out, "without a tenant: %v; no SQL sent\n", err)
	err = db.WithContext(tenant.NewContext(ctx, "tenant-9.localhost")).Find(&patients).Error
	fmt.Fprintf(out, "as an unknown tenant: %v\n\n", err)

	fmt.Fprintln(out, "What each file holds, read directly without the plugin:")
	for _, f := range []struct{ name, table string }{
		{"central", "hospitals"}, {"tenant-1", "patients"}, {"tenant-2", "patients"},
	} {
		names, err := readNames(ctx, file(f.name), f.table)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "  %-12s %-9s %s\n", f.name+".db", f.table+":", strings.Join(names, ", "))
	}
	for _, f := range []string{"tenant-1", "tenant-2"} {
		names, err := readNames(ctx, file(f), "hospitals")
		if err != nil {
			return err
		}
		if len(names) > 0 {
			return fmt.Errorf("%s.db has hospitals: %v", f, names)
		}
	}
	return nil
}

// readNames reads a table's names straight from a database file; a
// missing table reads as empty.
func readNames(ctx context.Context, path, table string) ([]string, error) {
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
	rows, err := db.QueryContext(ctx, "SELECT name FROM "+table+" ORDER BY id")
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
