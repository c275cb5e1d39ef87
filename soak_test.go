package tenantplugin_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/reserved"
	"github.com/tenantrouter/tenantplugin/resolver"
)

// soakOp is one randomized operation for one tenant. It returns how
// many rows it left committed in the tenant's notes table.
type soakOp struct {
	name string
	run  func(db *gorm.DB, tenant string) (int64, error)
}

// checkMine fails when a read returns another tenant's row.
func checkMine(tenant string, notes []Note) error {
	for _, n := range notes {
		if n.Tenant != tenant {
			return fmt.Errorf("LEAK: tenant %s read note %d of tenant %s", tenant, n.ID, n.Tenant)
		}
		for _, tg := range n.Tags {
			if tg.Tenant != tenant {
				return fmt.Errorf("LEAK: tenant %s read tag %d of tenant %s", tenant, tg.ID, tg.Tenant)
			}
		}
	}
	return nil
}

func soakOps() []soakOp {
	return []soakOp{
		{"create", func(db *gorm.DB, t string) (int64, error) {
			return 1, db.Create(&Note{Tenant: t, Body: "c"}).Error
		}},
		{"create+tags", func(db *gorm.DB, t string) (int64, error) {
			return 1, db.Create(&Note{Tenant: t, Body: "ct", Tags: []Tag{{Tenant: t, Name: "a"}, {Tenant: t, Name: "b"}}}).Error
		}},
		{"find", func(db *gorm.DB, t string) (int64, error) {
			var n []Note
			if err := db.Order("id desc").Limit(20).Find(&n).Error; err != nil {
				return 0, err
			}
			return 0, checkMine(t, n)
		}},
		{"first", func(db *gorm.DB, t string) (int64, error) {
			var n Note
			err := db.First(&n).Error
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return 0, nil
			}
			if err != nil {
				return 0, err
			}
			return 0, checkMine(t, []Note{n})
		}},
		{"preload", func(db *gorm.DB, t string) (int64, error) {
			var n []Note
			if err := db.Preload("Tags").Order("id desc").Limit(5).Find(&n).Error; err != nil {
				return 0, err
			}
			return 0, checkMine(t, n)
		}},
		{"raw", func(db *gorm.DB, t string) (int64, error) {
			var n []Note
			if err := db.Raw("SELECT * FROM notes ORDER BY id DESC LIMIT 5").Scan(&n).Error; err != nil {
				return 0, err
			}
			return 0, checkMine(t, n)
		}},
		{"rows", func(db *gorm.DB, t string) (int64, error) {
			rows, err := db.Model(&Note{}).Order("id desc").Limit(5).Rows()
			if err != nil {
				return 0, err
			}
			defer rows.Close()
			var got []Note
			for rows.Next() {
				var n Note
				if err := db.ScanRows(rows, &n); err != nil {
					return 0, err
				}
				got = append(got, n)
			}
			return 0, errors.Join(rows.Err(), checkMine(t, got))
		}},
		{"row+pluck+count", func(db *gorm.DB, t string) (int64, error) {
			var tenants []string
			if err := db.Model(&Note{}).Distinct().Pluck("tenant", &tenants).Error; err != nil {
				return 0, err
			}
			for _, x := range tenants {
				if x != t {
					return 0, fmt.Errorf("LEAK: tenant %s plucked %s", t, x)
				}
			}
			var c int64
			if err := db.Model(&Note{}).Count(&c).Error; err != nil {
				return 0, err
			}
			var other int64
			if err := db.Model(&Note{}).Select("count(*)").Where("tenant <> ?", t).Row().Scan(&other); err != nil {
				return 0, err
			}
			if other != 0 {
				return 0, fmt.Errorf("LEAK: tenant %s sees %d foreign rows", t, other)
			}
			return 0, nil
		}},
		{"update", func(db *gorm.DB, t string) (int64, error) {
			return 0, db.Model(&Note{}).Where("body = ?", "c").Update("body", "c").Error
		}},
		{"exec", func(db *gorm.DB, t string) (int64, error) {
			return 0, db.Exec("UPDATE notes SET body = body WHERE id % 7 = 0").Error
		}},
		{"create+delete", func(db *gorm.DB, t string) (int64, error) {
			n := Note{Tenant: t, Body: "to-delete"}
			if err := db.Create(&n).Error; err != nil {
				return 0, err
			}
			res := db.Delete(&Note{}, n.ID)
			if res.Error == nil && res.RowsAffected != 1 {
				return 1, fmt.Errorf("delete affected %d rows", res.RowsAffected)
			}
			return 0, res.Error
		}},
		{"association", func(db *gorm.DB, t string) (int64, error) {
			n := Note{Tenant: t, Body: "as"}
			if err := db.Create(&n).Error; err != nil {
				return 0, err
			}
			return 1, db.Model(&n).Association("Tags").Append(&Tag{Tenant: t, Name: "z"})
		}},
		{"transaction", func(db *gorm.DB, t string) (int64, error) {
			return 2, db.Transaction(func(tx *gorm.DB) error {
				if err := tx.Create(&Note{Tenant: t, Body: "tx1"}).Error; err != nil {
					return err
				}
				var n []Note
				if err := tx.Limit(3).Find(&n).Error; err != nil {
					return err
				}
				if err := checkMine(t, n); err != nil {
					return err
				}
				return tx.Create(&Note{Tenant: t, Body: "tx2"}).Error
			})
		}},
		{"transaction rollback", func(db *gorm.DB, t string) (int64, error) {
			err := db.Transaction(func(tx *gorm.DB) error {
				if err := tx.Create(&Note{Tenant: t, Body: "rolled-back"}).Error; err != nil {
					return err
				}
				return errRollback
			})
			if errors.Is(err, errRollback) {
				err = nil
			}
			return 0, err
		}},
		{"nested", func(db *gorm.DB, t string) (int64, error) {
			return 1, db.Transaction(func(tx *gorm.DB) error {
				if err := tx.Create(&Note{Tenant: t, Body: "outer"}).Error; err != nil {
					return err
				}
				err := tx.Transaction(func(tx2 *gorm.DB) error {
					if err := tx2.Create(&Note{Tenant: t, Body: "rolled-back"}).Error; err != nil {
						return err
					}
					return errRollback
				})
				if !errors.Is(err, errRollback) {
					return fmt.Errorf("nested: %w", err)
				}
				return nil
			})
		}},
		{"begin commit", func(db *gorm.DB, t string) (int64, error) {
			tx := db.Begin()
			if tx.Error != nil {
				return 0, tx.Error
			}
			if err := tx.Create(&Note{Tenant: t, Body: "bc"}).Error; err != nil {
				tx.Rollback()
				return 0, err
			}
			return 1, tx.Commit().Error
		}},
		{"begin rollback", func(db *gorm.DB, t string) (int64, error) {
			tx := db.Begin()
			if tx.Error != nil {
				return 0, tx.Error
			}
			if err := tx.Create(&Note{Tenant: t, Body: "rolled-back"}).Error; err != nil {
				tx.Rollback()
				return 0, err
			}
			return 0, tx.Rollback().Error
		}},
		{"first or create", func(db *gorm.DB, t string) (int64, error) {
			// Every tenant has this row from the start, so nothing is created.
			var n Note
			return 0, db.Where(Note{Tenant: t, Body: "seed"}).FirstOrCreate(&n).Error
		}},
		{"migrate", func(db *gorm.DB, t string) (int64, error) {
			return 0, db.AutoMigrate(&Note{}, &Tag{})
		}},
		{"raw reserved insert", func(db *gorm.DB, t string) (int64, error) {
			// Goes to the central database; counted there at the end.
			return 0, db.Exec("INSERT INTO audit_logs (body) VALUES (?) /* INTO notes */", "soak "+t).Error
		}},
		{"raw reserved read", func(db *gorm.DB, t string) (int64, error) {
			var n int64
			return 0, db.Raw(`/* FROM notes */ SELECT count(*) AS "from notes" FROM ONLY audit_logs WHERE body <> 'FROM notes'`).Scan(&n).Error
		}},
		{"raw reserved Table alias", func(db *gorm.DB, t string) (int64, error) {
			var n int64
			return 0, db.Table("audit_logs AS notes").Where("notes.id > ?", 0).Count(&n).Error
		}},
		{"raw tenant insert", func(db *gorm.DB, t string) (int64, error) {
			return 1, db.Exec(`/* FROM audit_logs */ INSERT INTO notes (tenant, body) VALUES (?, 'INTO audit_logs')`, t).Error
		}},
		{"raw tenant read", func(db *gorm.DB, t string) (int64, error) {
			var n []Note
			if err := db.Raw(`WITH audit_logs AS (SELECT * FROM notes) SELECT * FROM audit_logs ORDER BY id DESC LIMIT 5`).Scan(&n).Error; err != nil {
				return 0, err
			}
			return 0, checkMine(t, n)
		}},
		{"raw mixed", func(db *gorm.DB, t string) (int64, error) {
			var n int64
			err := db.Raw("SELECT count(*) FROM notes JOIN audit_logs ON true").Scan(&n).Error
			if !errors.Is(err, tenantplugin.ErrCrossDatabase) {
				return 0, fmt.Errorf("a statement on tenant and reserved tables: %w, want ErrCrossDatabase", err)
			}
			return 0, nil
		}},
		{"cancelled transaction", func(db *gorm.DB, t string) (int64, error) {
			// Dropped after its context ends, without Rollback, as a
			// request handler that returns early does.
			ctx, cancel := context.WithCancel(db.Statement.Context)
			tx := db.WithContext(ctx).Begin()
			if tx.Error != nil {
				cancel()
				return 0, tx.Error
			}
			err := tx.Create(&Note{Tenant: t, Body: "rolled-back"}).Error
			cancel()
			return 0, err
		}},
		{"cancelled statement", func(db *gorm.DB, t string) (int64, error) {
			ctx, cancel := context.WithTimeout(db.Statement.Context, time.Millisecond)
			defer cancel()
			tx := db.WithContext(ctx).Begin()
			if tx.Error != nil {
				return 0, nil // the deadline may pass before BEGIN
			}
			_ = tx.Create(&Note{Tenant: t, Body: "rolled-back"}).Error
			_ = tx.Exec("SELECT pg_sleep(0.02)").Error
			return 0, nil
		}},
		{"panic in transaction", func(db *gorm.DB, t string) (n int64, err error) {
			defer func() {
				if r := recover(); r != nil && r != any(errRollback) {
					err = fmt.Errorf("panic: %v", r)
				}
			}()
			_ = db.Transaction(func(tx *gorm.DB) error {
				if err := tx.Create(&Note{Tenant: t, Body: "rolled-back"}).Error; err != nil {
					return err
				}
				panic(errRollback)
			})
			return 0, nil
		}},
	}
}

// TestIsolationSoak runs 20,000 randomized concurrent operations of every
// kind over 20 PostgreSQL tenant databases, with and without prepared
// statements: GORM's finishers, transactions, raw SQL on tenant and
// reserved tables with the other's names in comments, strings, aliases
// and CTEs, statements mixing both (refused), and transactions ended by
// their context or a panic and never rolled back. Then it checks, with
// connections of its own, that every row is in its own tenant's
// database, that no rolled-back row exists, that each tenant has exactly
// the rows its committed operations wrote, that the central database
// (which has the tenant tables too) got no tenant row and every reserved
// one, and that no lease outlived its transaction.
func TestIsolationSoak(t *testing.T) {
	testenv.PostgresURL(t)
	soak(t, false, 20, 20000, 8)
}

// TestIsolationSoakThroughPgBouncer is TestIsolationSoak with the
// tenants' databases reached through PgBouncer in transaction mode (two
// server connections per database, shared by all clients), declared
// with pgbouncer=transaction and the simple protocol: sessions with
// PrepareStmt run unprepared, and the same checks hold.
func TestIsolationSoakThroughPgBouncer(t *testing.T) {
	testenv.PgBouncer(t)
	soak(t, true, 8, 6000, 8)
}

// soak runs ops random operations from workers goroutines over tenants
// PostgreSQL databases, reached through PgBouncer when bouncer is set,
// then checks every database directly.
func soak(t *testing.T, bouncer bool, tenants, ops, workers int) {
	e := fixture.New(t, fixture.Postgres, fixture.Options{
		Tenants:    tenants,
		Resolver:   resolver.Config{MaxPools: tenants + 2, MaxConns: 90},
		Strategies: []tenantplugin.Strategy{reserved.Models(tenantplugin.DefaultAlias, &AuditLog{})},
		Bouncer:    bouncer,
	})
	migrateTenants(t, e)
	// The central database has the tenant tables too (the application's
	// former single-tenant database): a statement sent there by mistake
	// succeeds, and is found by the row counts below.
	legacyCentral(t, e)
	if err := e.DB.AutoMigrate(&AuditLog{}); err != nil {
		t.Fatal(err)
	}
	want := map[string]*atomic.Int64{}
	for _, id := range e.Tenants {
		want[id] = new(atomic.Int64)
		if err := e.DB.WithContext(e.Ctx(id)).Create(&Note{Tenant: id, Body: "seed"}).Error; err != nil {
			t.Fatal(err)
		}
		want[id].Add(1)
	}
	prepared := e.DB.Session(&gorm.Session{PrepareStmt: true})
	catalogue := soakOps()
	counts := make([]atomic.Int64, len(catalogue))
	var audits atomic.Int64 // rows written to the central audit_logs

	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			for i := 0; i < ops/workers; i++ {
				tenant := e.Tenants[rng.IntN(tenants)]
				base := e.DB
				if rng.IntN(2) == 0 {
					base = prepared
				}
				k := rng.IntN(len(catalogue))
				op := catalogue[k]
				if op.name == "migrate" && rng.IntN(10) != 0 {
					op, k = catalogue[0], 0 // keep migrations rare
				}
				n, err := op.run(base.WithContext(e.Ctx(tenant)), tenant)
				if err != nil {
					errc <- fmt.Errorf("worker %d op %d %s on %s: %w", w, i, op.name, tenant, err)
					return
				}
				counts[k].Add(1)
				want[tenant].Add(n)
				if op.name == "raw reserved insert" {
					audits.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	total := int64(0)
	for i, op := range catalogue {
		total += counts[i].Load()
		if counts[i].Load() == 0 {
			t.Errorf("operation %s never ran", op.name)
		}
	}
	st := e.Resolver.Stats()
	t.Logf("%d operations over %d tenants; pools opened %d, connections %d of %d", total, tenants, st.Opened, st.ConnsInUse, st.MaxConns)

	// Check each database directly, without the plugin.
	for _, id := range e.Tenants {
		func() {
			db, err := sql.Open("pgx", testenv.DSN(t, e.Names[id]))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ctx := context.Background()
			var rows, foreign, rolledBack, foreignTags int64
			q := func(dst *int64, query string, args ...any) {
				if err := db.QueryRowContext(ctx, query, args...).Scan(dst); err != nil {
					t.Fatalf("%s: %s: %v", id, query, err)
				}
			}
			q(&rows, "SELECT count(*) FROM notes")
			q(&foreign, "SELECT count(*) FROM notes WHERE tenant <> $1", id)
			q(&foreignTags, "SELECT count(*) FROM tags WHERE tenant <> $1", id)
			q(&rolledBack, "SELECT count(*) FROM notes WHERE body = 'rolled-back'")
			if foreign != 0 || foreignTags != 0 || rolledBack != 0 {
				t.Errorf("%s: %d foreign notes, %d foreign tags, %d rolled-back rows: want 0", id, foreign, foreignTags, rolledBack)
			}
			if rows != want[id].Load() {
				t.Errorf("%s: %d notes, want %d", id, rows, want[id].Load())
			}
		}()
	}
	// Tenant rows never reached the central database, and the reserved
	// table's rows all did.
	central, err := e.DB.DB()
	if err != nil {
		t.Fatal(err)
	}
	for table, want := range map[string]int64{"notes": 0, "tags": 0, "audit_logs": audits.Load()} {
		var n int64
		if err := central.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("central %s: %d rows, want %d", table, n, want)
		}
	}
	// Every lease ended, cancelled and abandoned transactions included:
	// Close returns.
	closed := make(chan error, 1)
	go func() { closed <- e.Resolver.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("resolver Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("resolver Close did not return: a lease outlived its transaction")
	}
}
